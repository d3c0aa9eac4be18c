package dev.jgrad.examples.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/** Matrix-product GFLOP/s of {@link Kernels#matmul} at the square and GRU shapes, forward and backward forms. */
final class MatmulBench {
    static final String IMPL = "jgrad";

    /** {@code op(A)[m×k] · op(B)[k×n]}; the flags say which operand is stored transposed, as backward reads it. */
    record Case(String name, int m, int k, int n, boolean transA, boolean transB) {
    }

    /**
     * The square case and, for the d2l (batch 32, hidden 256, 35 steps) and large (64, 512, 64)
     * configurations, the products a training step of the PyTorch-layout GRU runs: the recurrent
     * {@code h·W_hhᵀ} with the three gates side by side, its backward form {@code g·W_hh}, and the
     * weight gradient {@code gᵀ·h} over the rows of many steps stacked, 512 at a time as a step sums
     * them ({@code GradientAccumulator}'s flush; Note [Deferred gradient terms]).
     * {@code scripts/torch/bench_gru.py} measures the same list.
     */
    static final List<Case> CASES = List.of(
            new Case("square 1024", 1024, 1024, 1024, false, false),
            new Case("d2l h·Wᵀ 32x256·(768x256)ᵀ", 32, 256, 768, false, true),
            new Case("d2l g·W 32x768·768x256", 32, 768, 256, false, false),
            new Case("d2l gᵀ·h (512x768)ᵀ·512x256", 768, 512, 256, true, false),
            new Case("large h·Wᵀ 64x512·(1536x512)ᵀ", 64, 512, 1536, false, true),
            new Case("large g·W 64x1536·1536x512", 64, 1536, 512, false, false),
            new Case("large gᵀ·h (512x1536)ᵀ·512x512", 1536, 512, 512, true, false));

    /** The case with these dimensions and flags, or null. */
    static Case find(int m, int k, int n, boolean transA, boolean transB) {
        return CASES.stream().filter(c -> c.m() == m && c.k() == k && c.n() == n && c.transA() == transA && c.transB() == transB)
                .findFirst().orElse(null);
    }

    /** Storage for the timed products' outputs: room for the largest, a 1024² float64 product, with some to spare. */
    static final Workspace OUTPUTS = new Workspace(32L << 20);

    private MatmulBench() {
    }

    static Figure.Matmul run(Case c, DType dtype, int threads, TrainingBench.Budget budget, long seed) {
        Tensor[] ab = warmedUp(c, dtype, threads, budget, seed);
        double[] seconds = new double[budget.repetitions()];
        long perRep = (long) (budget.seconds() / budget.repetitions() * 1e9);
        for (int r = 0; r < seconds.length; r++) {
            seconds[r] = secondsPerCall(ab[0], ab[1], c.transA(), c.transB(), perRep, 1);
        }
        return figure(c, dtype, threads, 2.0 * c.m() * c.n() * c.k() / TrainingBench.median(seconds) / 1e9);
    }

    /** The case's operands, after {@code budget.warmupSeconds()} of our products on {@code threads} threads. */
    private static Tensor[] warmedUp(Case c, DType dtype, int threads, TrainingBench.Budget budget, long seed) {
        Parallelism.setThreads(threads);
        Tensor[] ab = operands(Rng.seeded(seed), dtype, c.m(), c.k(), c.n(), c.transA(), c.transB());
        secondsPerCall(ab[0], ab[1], c.transA(), c.transB(), (long) (budget.warmupSeconds() * 1e9), 1);
        return ab;
    }

    private static Figure.Matmul figure(Case c, DType dtype, int threads, double gflops) {
        return new Figure.Matmul(IMPL, c.name(), c.m(), c.k(), c.n(), c.transA(), c.transB(), dtype.name().toLowerCase(), threads, gflops);
    }

    /** A peer's matmul rate over one window of its own: {@link PairedReference}'s process, or a test's script. */
    @FunctionalInterface
    interface Peer {
        /**
         * GFLOP/s of the case's product in {@code dtype} on {@code threads} threads, timed over
         * {@code seconds} after {@code warmupSeconds} of untimed products.
         */
        double gflops(Case c, DType dtype, int threads, double warmupSeconds, double seconds);
    }

    /** Our figure at a case, the peer's median rate, the median round's ratio of ours to theirs, and each round's. */
    record Paired(Figure.Matmul ours, double theirs, double ratio, List<Double> rounds) {
        /** Keeps an unmodifiable copy of the rounds. */
        Paired {
            rounds = List.copyOf(rounds);
        }
    }

    /**
     * Our product and the peer's at a case, in windows that alternate ({@link #alternate}) after each
     * side's warm-up: {@code budget.repetitions()} rounds of {@code budget.seconds() / repetitions} a
     * side.
     */
    static Paired runPaired(Case c, DType dtype, int threads, TrainingBench.Budget budget, long seed, Peer peer) {
        Tensor[] ab = warmedUp(c, dtype, threads, budget, seed);
        double flops = 2.0 * c.m() * c.n() * c.k();
        double perRep = budget.seconds() / budget.repetitions();
        peer.gflops(c, dtype, threads, budget.warmupSeconds(), perRep);   // its warm-up; the window it times is not used
        Rounds r = alternate(budget.repetitions(),
                () -> flops / secondsPerCall(ab[0], ab[1], c.transA(), c.transB(), (long) (perRep * 1e9), 1) / 1e9,
                () -> peer.gflops(c, dtype, threads, 0, perRep));
        return new Paired(figure(c, dtype, threads, TrainingBench.median(r.ours())), TrainingBench.median(r.theirs()), r.ratio(), r.ratios());
    }

    /** Each round's rate on both sides, in the order measured. */
    record Rounds(double[] ours, double[] theirs) {
        /** Each round's ratio, ours ÷ theirs, in the order measured. */
        List<Double> ratios() {
            List<Double> out = new ArrayList<>();
            for (int r = 0; r < ours.length; r++) {
                out.add(ours[r] / theirs[r]);
            }
            return out;
        }

        /** The median of the rounds' ratios. */
        double ratio() {
            return TrainingBench.median(ratios().stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    /**
     * {@code rounds} rounds of one window a side, the first side alternating (ours then theirs, then
     * theirs then ours, …) so that a machine slowing down steadily favours neither; the ratio is the
     * median of the rounds' ratios. A round's two windows are a second apart where separate runs of
     * the two sides are a minute apart, over which a shared machine's speed can move by a fifth.
     */
    static Rounds alternate(int rounds, DoubleSupplier ours, DoubleSupplier theirs) {
        double[][] rates = alternate(rounds, List.of(ours, theirs));
        return new Rounds(rates[0], rates[1]);
    }

    /**
     * {@link #alternate(int, DoubleSupplier, DoubleSupplier)} for any number of sides: each round runs one
     * window of every side, starting from side {@code r mod sides} and going round in order, so that every
     * side goes first as often as the others. Returns each side's rates by round.
     */
    static double[][] alternate(int rounds, List<DoubleSupplier> sides) {
        int k = sides.size();
        double[][] rates = new double[k][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < k; i++) {
                int side = (r + i) % k;
                rates[side][r] = sides.get(side).getAsDouble();
            }
        }
        return rates;
    }

    /** Random operands of {@code op(A)[m×k] · op(B)[k×n]}, each stored transposed where its flag says: {A, B}. */
    static Tensor[] operands(Rng rng, DType dtype, int m, int k, int n, boolean transA, boolean transB) {
        Tensor a = Tensor.randn(rng, dtype, 1, transA ? new int[] {k, m} : new int[] {m, k});
        Tensor b = Tensor.randn(rng, dtype, 1, transB ? new int[] {n, k} : new int[] {k, n});
        return new Tensor[] {a, b};
    }

    /**
     * Seconds per call of {@code a·b} repeated for {@code nanos} nanoseconds, and at least {@code minCalls} times.
     * Each product's output is lent by {@link #OUTPUTS} and taken back after the call, as a training step's
     * products write into storage its workspace lends again, and as PyTorch's allocator hands back the block
     * it freed: a fresh array per call would time the heap's zeroing and cold pages too.
     */
    static double secondsPerCall(Tensor a, Tensor b, boolean transA, boolean transB, long nanos, int minCalls) {
        try (Workspace.Scope scope = OUTPUTS.open(); Workspace.Recycling reuse = Workspace.recycling()) {
            long start = System.nanoTime();
            long calls = 0;
            long now;
            do {
                Kernels.matmul(a, b, transA, transB);
                reuse.sweep();
                calls++;
                now = System.nanoTime();
            } while (now - start < nanos || calls < minCalls);
            return (now - start) / 1e9 / calls;
        }
    }
}
