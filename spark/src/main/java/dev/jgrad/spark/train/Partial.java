package dev.jgrad.spark.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What some training partitions contributed to a step: the sum of their vectors (gradients in a
 * synchronous step; weights and optimizer buffers, pre-multiplied by each partition's share, when
 * averaging models), the sum of their statistics, the values they must all agree on (the
 * optimizer's step count), and each partition's final recurrent state for its own rows.
 *
 * @param names      what each vector is (parameter names, then optimizer buffers); the same in every partition
 * @param vectors    summed element by element; a null entry is a vector no partition had
 * @param stats      summed: see {@link #LOSS}, {@link #NORM}, {@link #CLIPPED}
 * @param agreed     equal in every partition
 * @param states     by partition: each state part of each layer, {@code [rows · H]}, in layer-then-part order
 * @param error      a partition's one-line failure (a non-finite loss), or null
 * @param taskNanos  the longest task's compute time
 */
public record Partial(String[] names, double[][] vectors, double[] stats, Map<String, Double> agreed, Map<Integer, double[][]> states,
        String error, long taskNanos) implements Serializable {
    /** {@code stats[LOSS]}: Σ over minibatches of the mean token loss of the partition's rows, times rows / batch. */
    public static final int LOSS = 0;
    /** {@code stats[NORM]}: local steps only: Σ of the local gradient norms, times rows / batch. */
    public static final int NORM = 1;
    /** {@code stats[CLIPPED]}: local steps only: Σ of the clipped local steps, times rows / batch. */
    public static final int CLIPPED = 2;
    /** {@code stats[BYTES]}: the bytes of vector data the partitions sent, as {@link Packed} sends them (for the profile). */
    public static final int BYTES = 3;
    static final int STATS = 4;

    /**
     * The contribution of {@code left} and {@code right} together. Floating-point addition is
     * commutative, so the result does not depend on which is which; it does depend on how partials are
     * grouped, which {@link TreeSum} fixes.
     */
    static Partial sum(Partial left, Partial right) {
        if (!Arrays.equals(left.names, right.names)) {
            throw new IllegalStateException("partitions disagree on what they sum: " + Arrays.toString(left.names) + " and "
                    + Arrays.toString(right.names));
        }
        double[][] v = new double[left.vectors.length][];
        for (int i = 0; i < v.length; i++) {
            double[] a = left.vectors[i];
            double[] b = right.vectors[i];
            if (a == null || b == null) {
                v[i] = a == null ? b : a;
                continue;
            }
            v[i] = new double[a.length];
            for (int j = 0; j < a.length; j++) {
                v[i][j] = a[j] + b[j];
            }
        }
        double[] s = new double[STATS];
        for (int i = 0; i < STATS; i++) {
            s[i] = left.stats[i] + right.stats[i];
        }
        left.agreed.forEach((k, x) -> {
            if (!Objects.equals(x, right.agreed.get(k))) {
                throw new IllegalStateException("partitions disagree on " + k + ": " + x + " and " + right.agreed.get(k));
            }
        });
        Map<Integer, double[][]> states = new TreeMap<>(left.states);
        states.putAll(right.states);
        return new Partial(left.names, v, s, left.agreed, states, left.error != null ? left.error : right.error,
                Math.max(left.taskNanos, right.taskNanos));
    }

    /** Serialised through {@link Wire}, so vectors float32 holds exactly travel as float32 ({@link Packed}). */
    private Object writeReplace() {
        Map<Integer, Packed> packedStates = new TreeMap<>();
        states.forEach((p, s) -> packedStates.put(p, Packed.of(s)));
        return new Wire(names, Packed.of(vectors), stats, agreed, packedStates, error, taskNanos);
    }

    private record Wire(String[] names, Packed vectors, double[] stats, Map<String, Double> agreed, Map<Integer, Packed> states,
            String error, long taskNanos) implements Serializable {
        private Object readResolve() {
            Map<Integer, double[][]> unpacked = new TreeMap<>();
            states.forEach((p, s) -> unpacked.put(p, s.unpack()));
            return new Partial(names, vectors.unpack(), stats, agreed, unpacked, error, taskNanos);
        }
    }
}
