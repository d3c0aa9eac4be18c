import dev.jgrad.examples.bench.MachineFacts;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One core's float64 FMA peak on 512-bit vectors: twelve independent accumulators, so the loop is bound by how many
 * FMAs the core issues, not by their latency. What a product kernel can reach at most.
 *
 * <p>Run from the repository, after the examples' jar is built:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar scripts/bench/FmaPeak.java
 * </pre>
 */
public class FmaPeak {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;

    private static double run(long iterations) {
        DoubleVector a0 = DoubleVector.broadcast(D, 1);
        DoubleVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        DoubleVector x = DoubleVector.broadcast(D, 0.999999);
        DoubleVector y = DoubleVector.broadcast(D, 1e-9);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        System.out.println(MachineFacts.detect().describe());
        long iterations = 50_000_000;
        for (int round = 0; round < 8; round++) {
            long start = System.nanoTime();
            double sink = run(iterations);
            long ns = System.nanoTime() - start;
            // 12 FMAs of 8 lanes, 2 flops each, per iteration; the sum is printed so that the loop is not removed.
            System.out.printf("round %d: %.1f GFLOP/s (sum %.3g)%n", round, iterations * 12.0 * 8 * 2 / ns, sink);
        }
    }
}
