import dev.jgrad.examples.bench.MachineFacts;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.Arrays;
import java.util.Locale;

/**
 * A large GRU step's recurrent products timed alone with a warm cache and with a cold one: before
 * each call, a sweep over 64 MiB of other data (twice this machine's L3) pushes the operands out, as
 * the step's other work does between two uses of a weight. It tells whether a product runs slower
 * inside a step than alone because its operands come from memory there (bench --products gives the
 * in-step figure).
 *
 * <p>Run from the repository, after the examples' jar is built:
 * <pre>
 * java -XX:+UseSerialGC -Xmx1g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp examples/target/gru-examples.jar scripts/bench/ColdProducts.java [ROUNDS] [operands]
 * </pre>
 * One thread; warm and cold alternate within each round; each figure is the median over rounds.
 *
 * <p>With {@code operands}, it tells instead which operand's coldness a per-step product pays for: each call's
 * output is lent by a workspace, as in a step, and after the sweep one or two of the three operands are brought
 * back into cache (A by reading it, the weight's panels by a product of another A by it, the output by nothing,
 * since the workspace lends the same storage again), so that the rest stay cold.
 */
public class ColdProducts {
    private static final int SWEEP_BYTES = 64 << 20;
    private static final int CALLS = 60;

    /** One product; {@code weight}: its B is a weight, whose packed panels the step keeps from one call to the next. */
    record Shape(String name, int m, int k, int n, boolean transA, boolean transB, boolean weight) {
    }

    /** What is cold when a product starts, in the {@code operands} mode. */
    enum Cold {
        NOTHING, ALL, WEIGHT_AND_OUTPUT, A_AND_OUTPUT, OUTPUT
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Parallelism.setThreads(1);
        System.out.println(MachineFacts.detect().describe());
        if (args.length > 1 && args[1].equals("operands")) {
            operands(rounds, new double[SWEEP_BYTES / Double.BYTES]);
            return;
        }
        Shape[] shapes = {
                new Shape("64x512·512x512 (h·W)", 64, 512, 512, false, false, true),
                new Shape("64x512·(512x512)ᵀ (g·Wᵀ)", 64, 512, 512, false, true, true),
                new Shape("(512x512)ᵀ·512x512 (Xᵀ·G)", 512, 512, 512, true, false, false),
        };
        double[] sweep = new double[SWEEP_BYTES / Double.BYTES];
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (Shape s : shapes) {
                Rng rng = Rng.seeded(7);
                Tensor a = s.transA ? Tensor.randn(rng, dtype, 1.0, s.k, s.m) : Tensor.randn(rng, dtype, 1.0, s.m, s.k);
                Tensor b = s.transB ? Tensor.randn(rng, dtype, 1.0, s.n, s.k) : Tensor.randn(rng, dtype, 1.0, s.k, s.n);
                time(a, b, s, sweep, false);   // warm-up
                time(a, b, s, sweep, true);
                double[] warm = new double[rounds];
                double[] cold = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    warm[r] = time(a, b, s, sweep, false);
                    cold[r] = time(a, b, s, sweep, true);
                }
                double w = median(warm);
                double c = median(cold);
                System.out.printf(Locale.ROOT, "%s %-28s warm %8.1f µs (%5.1f GFLOP/s)  cold %8.1f µs (%5.1f GFLOP/s)  cold/warm %.2fx%n",
                        dtype, s.name, w * 1e6, gflops(s, w), c * 1e6, gflops(s, c), c / w);
            }
        }
    }

    /**
     * Seconds per call, the sweep (when {@code cold}) outside the timed interval. A B that is not a weight
     * is a fresh tensor at every call, as in the step, so that the kernel packs it every time rather than
     * keep its panels from the call before.
     */
    private static double time(Tensor a, Tensor b, Shape s, double[] sweep, boolean cold) {
        long nanos = 0;
        for (int call = 0; call < CALLS; call++) {
            Tensor operand = s.weight ? b : Tensor.of(b.dtype(), b.toDoubleArray(), b.shape().dims());
            if (cold) {
                sweep(sweep);
            }
            long t0 = System.nanoTime();
            Kernels.matmul(a, operand, s.transA, s.transB);
            nanos += System.nanoTime() - t0;
        }
        return nanos / 1e9 / CALLS;
    }

    /** The {@code operands} mode, for the two per-step shapes by a weight. */
    private static void operands(int rounds, double[] sweep) {
        Workspace outputs = new Workspace(64L << 20);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (boolean transB : new boolean[] {false, true}) {
                Rng rng = Rng.seeded(7);
                Tensor a = Tensor.randn(rng, dtype, 1.0, 64, 512);
                Tensor other = Tensor.randn(rng, dtype, 1.0, 64, 512);
                Tensor w = Tensor.randn(rng, dtype, 1.0, 512, 512);
                Cold[] modes = Cold.values();
                double[][] seconds = new double[modes.length][rounds];
                for (Cold mode : modes) {
                    time(outputs, a, other, w, transB, sweep, mode);   // warm-up
                }
                for (int r = 0; r < rounds; r++) {
                    for (Cold mode : modes) {
                        seconds[mode.ordinal()][r] = time(outputs, a, other, w, transB, sweep, mode);
                    }
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s %-26s", dtype,
                        transB ? "64x512·(512x512)ᵀ (g·Wᵀ)" : "64x512·512x512 (h·W)"));
                double warm = median(seconds[0]);
                for (Cold mode : modes) {
                    double t = median(seconds[mode.ordinal()]);
                    line.append(String.format(Locale.ROOT, "  %s %.1f µs (%.2fx)",
                            mode.name().toLowerCase(Locale.ROOT), t * 1e6, t / warm));
                }
                System.out.println(line);
            }
        }
    }

    /** Seconds per call of {@code a·w} (or {@code a·wᵀ}) into an output lent by {@code outputs}, {@code cold} cold at its start. */
    private static double time(Workspace outputs, Tensor a, Tensor other, Tensor w, boolean transB, double[] sweep, Cold cold) {
        long nanos = 0;
        for (int call = 0; call < CALLS; call++) {
            if (cold != Cold.NOTHING) {
                sweep(sweep);
                if (cold == Cold.WEIGHT_AND_OUTPUT || cold == Cold.OUTPUT) {
                    a.toDoubleArray();
                }
                if (cold == Cold.A_AND_OUTPUT || cold == Cold.OUTPUT) {
                    Kernels.matmul(other, w, false, transB);   // outside the workspace's scope: its own output
                }
            }
            try (Workspace.Scope scope = outputs.open()) {
                long t0 = System.nanoTime();
                Kernels.matmul(a, w, false, transB);
                nanos += System.nanoTime() - t0;
            }
        }
        return nanos / 1e9 / CALLS;
    }

    /** Pushes the operands out of the caches: one write per 64-byte line of {@code sweep}. */
    private static void sweep(double[] sweep) {
        for (int i = 0; i < sweep.length; i += 8) {
            sweep[i] += 1.0;
        }
    }

    private static double gflops(Shape s, double seconds) {
        return 2.0 * s.m * s.k * s.n / seconds / 1e9;
    }

    private static double median(double[] xs) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
