import dev.jgrad.examples.bench.MachineFacts;
import java.util.Locale;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast one core reads data that was last touched a working set ago, for working sets from 32 KiB
 * to 256 MiB: where the rate falls tells how much cache one thread of this machine really has, which
 * on a virtual machine whose L3 is shared with other tenants can be less than {@code lscpu} says. A GRU
 * step's backward walk reads back what its forward pass wrote a whole sequence earlier (a large step
 * keeps 61–129 MiB for it), so that read runs at the rate of the level the working set spills to.
 * Each size is a {@code long[]} summed front to back on the Vector API, four vectors at a time, over
 * and over, as many times as it takes to read 2 GiB; the figure is the best of five such reads, in GB/s.
 *
 * <p>Then it times what that costs one elementwise pass of a large GRU step, {@code o = a + b} over
 * {@code [64, 512]} values: with all three arrays in cache, and with its output, or its input {@code a},
 * or both, taken in turn from 64 MiB of arrays of that size, so that each was last
 * touched 64 MiB of other arrays ago, as a value kept for the backward walk is.
 *
 * <p>Run from the repository, after the examples' jar is built:
 * <pre>
 * java -XX:+UseSerialGC -Xmx2g --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar scripts/bench/CacheLadder.java
 * </pre>
 */
public class CacheLadder {
    private static final long BYTES_PER_FIGURE = 2L << 30;

    public static void main(String[] args) {
        System.out.println(MachineFacts.detect().describe());
        System.out.println("working set    read GB/s");
        long sink = 0;
        for (int kib = 32; kib <= 256 << 10; kib *= 2) {
            long[] data = new long[kib * 128];
            for (int i = 0; i < data.length; i++) {
                data[i] = i;
            }
            int passes = (int) Math.max(1, BYTES_PER_FIGURE / (8L * data.length));
            double best = 0;
            for (int round = 0; round < 5; round++) {
                long start = System.nanoTime();
                for (int p = 0; p < passes; p++) {
                    sink += sum(data);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                best = Math.max(best, 8.0 * data.length * passes / seconds / 1e9);
            }
            System.out.printf(Locale.ROOT, "%8s %12.1f%n", kib < 1024 ? kib + " KiB" : (kib >> 10) + " MiB", best);
        }
        System.out.println(sink == 42 ? "" : "(checksum " + sink + ")");
        coldPasses();
    }

    private static final int ELEMENTS = 64 * 512;
    private static final long COLD_BYTES = 64L << 20;
    private static final int CALLS = 20_000;

    /** {@code o = a + b} with {@code a} the input array numbered {@code in} and {@code o} the output array numbered {@code out}. */
    private interface Pass {
        void run(int in, int out);
    }

    private static void coldPasses() {
        System.out.println("o = a + b over [64, 512]   all in cache   output cold   input cold   both cold   (µs a pass)");
        int arrays = (int) (COLD_BYTES / (4L * ELEMENTS));
        float[] bf = new float[ELEMENTS];
        float[][] inF = new float[arrays][ELEMENTS];
        float[][] outF = new float[arrays][ELEMENTS];
        print("float32", coldRow((in, out) -> add(inF[in], bf, outF[out]), arrays));
        java.util.Arrays.fill(inF, null);
        java.util.Arrays.fill(outF, null);
        double[] bd = new double[ELEMENTS];
        double[][] inD = new double[arrays / 2][ELEMENTS];
        double[][] outD = new double[arrays / 2][ELEMENTS];
        print("float64", coldRow((in, out) -> add(inD[in], bd, outD[out]), arrays / 2));
    }

    /**
     * Microseconds per pass, the best of five rounds of {@link #CALLS}: all in cache (arrays 0 and 0 again and again),
     * the output cold, the input cold, both cold (each taken in turn from {@code arrays} of them, 64 MiB).
     */
    private static double[] coldRow(Pass pass, int arrays) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int round = 0; round < 5; round++) {
            best[0] = Math.min(best[0], time(i -> pass.run(0, 0)));
            best[1] = Math.min(best[1], time(i -> pass.run(0, i % arrays)));
            best[2] = Math.min(best[2], time(i -> pass.run(i % arrays, 0)));
            best[3] = Math.min(best[3], time(i -> pass.run(i % arrays, (i + 7) % arrays)));
        }
        return best;
    }

    private static void print(String dtype, double[] micros) {
        System.out.printf(Locale.ROOT, "%-26s %14.2f %13.2f %12.2f %11.2f%n", dtype, micros[0], micros[1], micros[2], micros[3]);
    }

    private static double time(java.util.function.IntConsumer pass) {
        for (int i = 0; i < CALLS / 4; i++) {
            pass.accept(i);
        }
        long start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
            pass.accept(i);
        }
        return (System.nanoTime() - start) / 1e3 / CALLS;
    }

    private static void add(float[] a, float[] b, float[] o) {
        for (int i = 0; i < o.length; i += FloatVector.SPECIES_PREFERRED.length()) {
            FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, a, i).add(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, b, i))
                    .intoArray(o, i);
        }
    }

    private static void add(double[] a, double[] b, double[] o) {
        for (int i = 0; i < o.length; i += DoubleVector.SPECIES_PREFERRED.length()) {
            DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, a, i).add(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, b, i))
                    .intoArray(o, i);
        }
    }

    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    /** The sum of {@code data}, whose length is a multiple of four vectors: four running sums, so that loads, not adds, set the pace. */
    private static long sum(long[] data) {
        LongVector s0 = LongVector.zero(L), s1 = s0, s2 = s0, s3 = s0;
        int w = L.length();
        for (int i = 0; i < data.length; i += 4 * w) {
            s0 = s0.add(LongVector.fromArray(L, data, i));
            s1 = s1.add(LongVector.fromArray(L, data, i + w));
            s2 = s2.add(LongVector.fromArray(L, data, i + 2 * w));
            s3 = s3.add(LongVector.fromArray(L, data, i + 3 * w));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }
}
