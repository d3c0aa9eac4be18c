package dev.jgrad.tensor;

/**
 * {@code Kernels.sumTo} over the leading rows, the bias gradient's reduction {@code [rows, cols] → [cols]}, timed
 * alone and warm: eight rounds of 200,000 calls, each round's mean printed (the output's allocation included).
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar -d /tmp/sumto scripts/bench/SumToBench.java
 * java --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar:/tmp/sumto dev.jgrad.tensor.SumToBench F64 32 256
 * </pre>
 */
public final class SumToBench {
    public static void main(String[] args) {
        DType dtype = DType.valueOf(args[0]);
        int rows = Integer.parseInt(args[1]);
        int cols = Integer.parseInt(args[2]);
        Tensor a = Tensor.randn(Rng.seeded(1), dtype, 1, rows, cols);
        Shape target = Shape.of(cols);
        double sink = 0;
        for (int round = 0; round < 8; round++) {
            int calls = 200_000;
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) sink += Kernels.sumTo(a, target).at(i % cols);
            System.out.printf("%s [%d, %d] -> [%d]: %.3f us%n", dtype, rows, cols, cols, (System.nanoTime() - start) / 1e3 / calls);
        }
        System.out.println("(checksum " + sink + ")");
    }
}
