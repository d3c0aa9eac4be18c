package dev.jgrad.examples.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** Matrix-product GFLOP/s of {@link Kernels#matmul} at the square and GRU shapes, forward and backward forms. */
final class MatmulBench {
    static final String IMPL = "jgrad";

    /** {@code op(A)[m×k] · op(B)[k×n]}; the flags say which operand is stored transposed, as backward reads it. */
    record Case(String name, int m, int k, int n, boolean transA, boolean transB) {
    }

    /**
     * The square case and the d2l GRU's three shapes: the forward {@code x·W} with the three gates side
     * by side (batch 32, hidden 256), and its two backward forms {@code g·Wᵀ} and {@code xᵀ·g}.
     */
    static final List<Case> CASES = List.of(
            new Case("square 1024", 1024, 1024, 1024, false, false),
            new Case("x·W 32x256·256x768", 32, 256, 768, false, false),
            new Case("g·Wᵀ 32x768·(256x768)ᵀ", 32, 768, 256, false, true),
            new Case("xᵀ·g (32x256)ᵀ·32x768", 256, 32, 768, true, false));

    private MatmulBench() {
    }

    static Figure.Matmul run(Case c, DType dtype, int threads, TrainingBench.Budget budget, long seed) {
        Parallelism.setThreads(threads);
        Rng rng = Rng.seeded(seed);
        Tensor a = Tensor.randn(rng, dtype, 1, c.transA() ? new int[] {c.k(), c.m()} : new int[] {c.m(), c.k()});
        Tensor b = Tensor.randn(rng, dtype, 1, c.transB() ? new int[] {c.n(), c.k()} : new int[] {c.k(), c.n()});
        long warmEnd = System.nanoTime() + (long) (budget.warmupSeconds() * 1e9);
        do {
            Kernels.matmul(a, b, c.transA(), c.transB());
        } while (System.nanoTime() < warmEnd);
        double[] seconds = new double[budget.repetitions()];
        long perRep = (long) (budget.seconds() / budget.repetitions() * 1e9);
        for (int r = 0; r < seconds.length; r++) {
            long start = System.nanoTime();
            long calls = 0;
            long now;
            do {
                Kernels.matmul(a, b, c.transA(), c.transB());
                calls++;
                now = System.nanoTime();
            } while (now - start < perRep);
            seconds[r] = (now - start) / 1e9 / calls;
        }
        Arrays.sort(seconds);
        double flops = 2.0 * c.m() * c.n() * c.k();
        return new Figure.Matmul(IMPL, c.name(), c.m(), c.k(), c.n(), c.transA(), c.transB(), dtype.name().toLowerCase(), threads,
                flops / TrainingBench.median(seconds) / 1e9);
    }
}
