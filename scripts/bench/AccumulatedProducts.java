package dev.jgrad.tensor;

import dev.jgrad.examples.bench.MachineFacts;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Vector API kernel's products timed alone, warm, added to C ({@code accumulate}, as a weight
 * gradient's later stacked terms are) against written into it: the stacked {@code Xᵀ·G} of the d2l
 * and large steps, and for comparison the per-step {@code h·W}, which are only ever written. It tells
 * what adding to C costs beyond computing the product (Note [Sums added by rows] on VectorGemm);
 * {@code bench --products} gives the in-step figures.
 *
 * <p>It reaches the kernel below the public API, so it is compiled into the library's package and run
 * from the repository after the examples' jar is built:
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar -d /tmp/accumulated scripts/bench/AccumulatedProducts.java
 * java --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar:/tmp/accumulated dev.jgrad.tensor.AccumulatedProducts
 * </pre>
 * One thread; each figure is the best of 28 timings (four rounds of seven, after two rounds of warm-up),
 * each timing the mean of enough calls for 0.2 GFLOP.
 */
public class AccumulatedProducts {
    public static void main(String[] args) {
        System.out.println(MachineFacts.detect().describe());
        VectorLoops kernel = new VectorLoops();
        // m, n, k, and whether A is stored transposed
        int[][] shapes = {{256, 256, 512, 1}, {512, 512, 512, 1}, {32, 256, 256, 0}, {64, 512, 512, 0}};
        Map<String, Long> best = new TreeMap<>();
        for (int round = 0; round < 6; round++) {
            for (DType dtype : DType.values()) {
                for (int[] s : shapes) {
                    int m = s[0];
                    int n = s[1];
                    int k = s[2];
                    boolean ta = s[3] == 1;
                    Tensor a = ta ? Tensor.randn(Rng.seeded(1), dtype, 1.0, k, m) : Tensor.randn(Rng.seeded(1), dtype, 1.0, m, k);
                    Tensor b = Tensor.randn(Rng.seeded(2), dtype, 1.0, k, n);
                    Tensor c = Tensor.zeros(dtype, m, n);
                    // A weight's panels are kept from its second use; a stacked factor's are packed at every call.
                    kernel.gemmPanels(ta, false, m, n, k, b, 0);
                    Object kept = kernel.gemmPanels(ta, false, m, n, k, b, 0);
                    for (boolean accumulate : ta ? new boolean[] {false, true} : new boolean[] {false}) {
                        int calls = (int) Math.max(3, 2e8 / (2.0 * m * n * k));
                        for (int r = 0; r < 7; r++) {
                            long start = System.nanoTime();
                            for (int i = 0; i < calls; i++) {
                                Object panels = ta ? kernel.gemmPanels(true, false, m, n, k, b, 0) : kept;
                                kernel.gemm(m, 0, n, k, a, 0, ta, panels, c, 0, n, accumulate);
                            }
                            long each = (System.nanoTime() - start) / calls;
                            if (round >= 2) {
                                String product = ta ? String.format("(%dx%d)ᵀ·%dx%d", k, m, k, n) : String.format("%dx%d·%dx%d", m, k, k, n);
                                String key = String.format("%s %s %s", dtype, product, accumulate ? "added" : "written");
                                best.merge(key, each, Math::min);
                            }
                        }
                    }
                }
            }
        }
        best.forEach((key, ns) -> System.out.printf("%-34s %9.1f µs%n", key, ns / 1e3));
    }
}
