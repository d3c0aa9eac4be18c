package dev.jgrad.examples.bench;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.MatmulTrace;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Times full training steps of {@link NnLanguageModel} (train's model: our cells' forward equations on the tape): a warm-up (so the JIT has compiled the
 * hot paths; extended until the step rate settles and the compilers are nearly idle), then {@code repetitions} timed runs of at least one step each, each reporting tokens per
 * second; the figure is their median. The heap kept between steps is read after the warm-up and
 * after the last timed step, so a leak across steps shows as growth.
 */
final class TrainingBench {
    /** d2l's learning rate and clipping threshold for its character-level RNNs. */
    static final double LR = 1.0;
    static final double MAX_NORM = 1.0;
    /**
     * The name of the comparison of a figure on several threads with the same model's steps on one thread, their
     * windows alternating in the figure's JVM.
     */
    static final String ONE_THREAD = "jgrad-1-thread";
    /** Rounds of the roofline's products timed alone, each between two windows of steps. */
    private static final int ROOFLINE_ROUNDS = 3;

    private TrainingBench() {
    }

    /** One minibatch of random characters, batch-major as train's: {@code inputs[b][t]}, {@code targets[b·T + t]}. */
    record Tokens(int[][] inputs, int[] targets) {
        /** The minibatch every figure of {@code config} trains on, drawn from {@code rng} (which the model's weights then use). */
        static Tokens random(BenchConfig config, Rng rng) {
            int len = config.steps();
            int batch = config.batch();
            int[][] inputs = new int[batch][len];
            int[] targets = new int[len * batch];
            for (int t = 0; t < len; t++) {
                for (int b = 0; b < batch; b++) {
                    inputs[b][t] = rng.nextInt(config.vocab());
                    targets[b * len + t] = rng.nextInt(config.vocab());
                }
            }
            return new Tokens(inputs, targets);
        }
    }

    /** How long to run: {@code seconds} in total over the timed repetitions, plus a warm-up of {@code warmupSeconds}. */
    record Budget(double warmupSeconds, double seconds, int repetitions) {
        /** Time spent on each distinct matrix product when measuring a step's GEMM roofline, over all its rounds. */
        double rooflineSecondsPerShape() {
            return Math.min(0.2, seconds / 10);
        }

        Budget {
            if (!(warmupSeconds >= 0) || !(seconds > 0) || repetitions < 1) {
                throw new IllegalArgumentException("need warm-up ≥ 0 s, time > 0 s and ≥ 1 repetition, got "
                        + warmupSeconds + ", " + seconds + ", " + repetitions);
            }
        }
    }

    /**
     * A peer's training rate over one window of its own: {@link PairedReference}'s process (PyTorch's
     * {@code nn.GRU}), or a test's.
     */
    interface Peer {
        /**
         * Tokens per second of the peer's training steps at {@code config}, in {@code dtype} on {@code threads}
         * threads, timed over {@code seconds} after {@code warmupSeconds} of untimed steps.
         */
        double tokensPerSecond(BenchConfig config, DType dtype, int threads, double warmupSeconds, double seconds);

        /** What its figures are of, as a comparison names them: {@code torch-nn.GRU (gru-reset-after)}. */
        String name();

        /** Its process's peak resident set after its last window, in MiB (NaN where not known). */
        double peakRssMib();
    }

    /** Our figure, and the peer's figure beside it when one was paired with ours (else none). */
    record Measured(Figure.Train figure, List<ReferenceFigures.Comparison> paired) {
        /** Keeps an unmodifiable copy of the comparisons. */
        Measured {
            paired = List.copyOf(paired);
        }
    }

    /**
     * One training figure; with {@code dataParallel}, each minibatch is split into {@code threads} shards trained on one
     * thread each with single-threaded kernels, else the kernels themselves use {@code threads} threads. With a
     * {@code peer} (else null), the timed windows alternate with the peer's ({@link MatmulBench#alternate}), which
     * warms up after our warm-up, and the comparison is the median of the rounds' ratios. With the kernels on more than
     * one thread, windows of the same model's steps on one thread alternate with them too, compared as {@link #ONE_THREAD}
     * ahead of the peer.
     */
    static Measured run(BenchConfig config, CellKind cell, DType dtype, int threads, boolean dataParallel, Budget budget, long seed,
            Peer peer) {
        int shards = dataParallel ? threads : 1;
        Parallelism.setThreads(dataParallel ? 1 : threads);
        Rng rng = Rng.seeded(seed);
        Tokens tokens = Tokens.random(config, rng);
        int[][] inputs = tokens.inputs();
        int[] targets = tokens.targets();
        NnLanguageModel model = new NnLanguageModel(cell, config, dtype, rng, LR, shards);
        long warmStart = System.nanoTime();
        long warmEnd = warmStart + (long) (budget.warmupSeconds() * 1e9);
        double loss = model.trainStep(inputs, targets, MAX_NORM);
        while (System.nanoTime() < warmEnd) {
            loss = model.trainStep(inputs, targets, MAX_NORM);
        }
        // The JIT may still be compiling the step's code after the fixed warm-up, the more so when the step
        // keeps both cores busy: go on a window at a time until settled, for at most four more warm-up lengths.
        long window = Math.max(50_000_000L, (long) (budget.warmupSeconds() * 0.25e9));
        long cap = System.nanoTime() + (long) (4 * budget.warmupSeconds() * 1e9);
        Settling settling = new Settling();
        while (budget.warmupSeconds() > 0 && System.nanoTime() < cap) {
            long start = System.nanoTime();
            long compiledStart = MachineFacts.compilationMillis();
            long steps = 0;
            while (System.nanoTime() - start < window) {
                loss = model.trainStep(inputs, targets, MAX_NORM);
                steps++;
            }
            long elapsed = System.nanoTime() - start;
            if (settling.after(steps / (elapsed / 1e9), MachineFacts.compilationMillis() - compiledStart, elapsed)) break;
        }
        double warmedSeconds = (System.nanoTime() - warmStart) / 1e9;
        long perRep = (long) (budget.seconds() / budget.repetitions() * 1e9);
        if (peer != null) {
            peer.tokensPerSecond(config, dtype, threads, budget.warmupSeconds(), perRep / 1e9);   // its warm-up; this window is not used
        }
        // With the kernels split over several threads, the same model's steps on one thread take windows between ours,
        // so that the threads' gain is paired as the peer's ratio is: on a shared VM two figures a minute apart differ by
        // more. Shards are not paired so: an unsplit step would fill a workspace of its own beside the shards' ones, in
        // the heap the figure's memory is measured in.
        boolean pairOneThread = threads > 1 && !dataParallel;
        if (pairOneThread) {
            Window.of(model, inputs, targets, (long) (budget.warmupSeconds() * 1e9), true);   // its own warm-up
        }
        double keptStart = MachineFacts.keptHeapMib();
        long gcStart = MachineFacts.gcMillis();
        long allocStart = MachineFacts.allocatedBytes();
        // Our windows in the order run, each with its rate; they alternate with the peer's windows and the one-thread ones.
        Window[] timed = new Window[budget.repetitions()];
        double[] rates = new double[timed.length];
        int[] next = {0};
        DoubleSupplier ours = () -> {
            int r = next[0]++;
            timed[r] = Window.of(model, inputs, targets, perRep, false);
            rates[r] = config.tokensPerStep() / timed[r].secondsPerStep();
            return rates[r];
        };
        List<DoubleSupplier> sides = new ArrayList<>(List.of(ours));
        if (peer != null) {
            sides.add(() -> peer.tokensPerSecond(config, dtype, threads, 0, perRep / 1e9));
        }
        long[] oneThread = {0, 0};   // the one-thread windows' steps and nanoseconds, which this JVM's counters include
        if (pairOneThread) {
            sides.add(() -> {
                Window w = Window.of(model, inputs, targets, perRep, true);
                oneThread[0] += w.steps();
                oneThread[1] += w.nanos();
                return config.tokensPerStep() / w.secondsPerStep();
            });
        }
        double[][] alternated = sides.size() > 1 ? MatmulBench.alternate(timed.length, sides) : null;
        while (next[0] < timed.length) {
            ours.getAsDouble();
        }
        long totalSteps = 0;
        long timedNanos = 0;
        for (Window w : timed) {
            totalSteps += w.steps();
            timedNanos += w.nanos();
            loss = w.loss();
        }
        // This JVM's windows' time alone: it idles through the peer's.
        double gcFraction = (MachineFacts.gcMillis() - gcStart) / 1e3 / ((timedNanos + oneThread[1]) / 1e9);
        long allocated = MachineFacts.allocatedBytes() - allocStart;
        double allocMibPerStep = allocStart < 0 || allocated < 0 ? Double.NaN : allocated / (1024.0 * 1024.0) / (totalSteps + oneThread[0]);
        InStep inStep = InStep.of(model, inputs, targets, perRep, shards);
        double keptEnd = MachineFacts.keptHeapMib();
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double med = median(sorted);
        double peakRss = MachineFacts.peakRssMib();
        // What training does not run comes after the peak memory is read, so that it is the training's: the roofline's
        // products alone, and last a whole minibatch's forward counting the ops of a sharded step, which may take the
        // room the shards' workspaces hold, and so comes after the roofline's windows of steps.
        List<MatmulTrace.Product> products = MatmulTrace.duringAllThreads(() -> model.trainStep(inputs, targets, MAX_NORM));
        // Shards run their products on single-threaded kernels side by side: the roofline is their time shared out.
        List<Map<MatmulTrace.Product, Double>> alone = new ArrayList<>();
        double roofline = pairedRoofline(() -> {
            alone.add(Roofline.secondsPerCall(products, budget.rooflineSecondsPerShape() / ROOFLINE_ROUNDS, seed));
            return Roofline.seconds(products, alone.getLast()) / shards;
        }, () -> Window.of(model, inputs, targets, perRep, false).secondsPerStep(), ROOFLINE_ROUNDS);
        model.countOps(inputs, targets);
        // Whole-step time (forward, backward, update) divided by the ops the forward recorded.
        double nsPerOp = 1e9 * config.tokensPerStep() / med / model.recordedOps();
        model.close();
        Figure.Train figure = new Figure.Train("jgrad", config.name(), cell.cliName(), dtype.name().toLowerCase(), threads, shards, med,
                sorted[0], sorted[sorted.length - 1], rates.length, totalSteps, loss, model.recordedOps(), nsPerOp, peakRss,
                keptStart, keptEnd, Roofline.flops(products) / 1e9, roofline, inStep.fraction(), gcFraction, allocMibPerStep, warmedSeconds,
                inStep.products(alone));
        List<ReferenceFigures.Comparison> paired = new ArrayList<>();
        if (pairOneThread) {
            paired.add(comparison(ONE_THREAD, rates, alternated[sides.size() - 1], Double.NaN));
        }
        if (peer != null) {
            paired.add(comparison(peer.name(), rates, alternated[1], peer.peakRssMib()));
        }
        return new Measured(figure, paired);
    }

    /** The comparison of our windows' rates with another side's, round by round. */
    private static ReferenceFigures.Comparison comparison(String impl, double[] ours, double[] theirs, double peakRssMib) {
        MatmulBench.Rounds rounds = new MatmulBench.Rounds(ours, theirs);
        return new ReferenceFigures.Comparison(impl, median(theirs), rounds.ratio(), peakRssMib, rounds.ratios());
    }

    /**
     * The median over {@code rounds} of (the products' seconds alone ÷ a step's seconds), each round's products timed
     * between two windows of steps and divided by their mean: steps, products, steps, products, …, steps. Each ratio
     * takes its two terms seconds apart, so that the machine's speed, which moves over seconds on a shared host,
     * cancels in it, where products timed once after all the steps would carry the difference into the figure.
     */
    static double pairedRoofline(DoubleSupplier productSeconds, DoubleSupplier stepSeconds, int rounds) {
        double[] ratios = new double[rounds];
        double before = stepSeconds.getAsDouble();
        for (int r = 0; r < rounds; r++) {
            double products = productSeconds.getAsDouble();
            double after = stepSeconds.getAsDouble();
            ratios[r] = products / ((before + after) / 2);
            before = after;
        }
        return median(ratios);
    }

    /**
     * Training steps run for at least one step and {@code nanos}, on the figure's threads or on one ({@code oneThread}):
     * how many, their wall time, and the last loss.
     */
    private record Window(long steps, long nanos, double loss) {
        static Window of(NnLanguageModel model, int[][] inputs, int[] targets, long nanos, boolean oneThread) {
            long start = System.nanoTime();
            long steps = 0;
            double loss;
            long now;
            do {
                loss = oneThread ? model.trainStepOnOneThread(inputs, targets, MAX_NORM) : model.trainStep(inputs, targets, MAX_NORM);
                steps++;
                now = System.nanoTime();
            } while (now - start < nanos);
            return new Window(steps, now - start, loss);
        }

        double secondsPerStep() {
            return nanos / 1e9 / steps;
        }
    }

    /**
     * Whether the warm-up may end after a window of {@code windowNanos}: its step rate within 10% of the
     * window's before ({@code previous}, NaN for the first) and the JIT compilers at work for under 5% of
     * it ({@code compiledMillis}, their time in the window summed over their threads).
     */
    static boolean settled(double rate, double previous, long compiledMillis, long windowNanos) {
        return Math.abs(rate - previous) <= 0.1 * previous && compiledMillis < 0.05 * windowNanos / 1e6;
    }

    /**
     * The warm-up's windows in turn: it may end once two windows in a row are {@link #settled}. A single quiet window
     * can fall in a lull between the JIT's compilations, at a rate the step is still to climb from
     * (docs/measurements/2026-12-06-xeon/warm-up-course.txt).
     */
    static final class Settling {
        private double previous = Double.NaN;
        private int quiet;

        /** Takes the next window's step rate and the compilers' milliseconds in it; whether the warm-up may end. */
        boolean after(double rate, long compiledMillis, long windowNanos) {
            quiet = settled(rate, previous, compiledMillis, windowNanos) ? quiet + 1 : 0;
            previous = rate;
            return quiet >= 2;
        }
    }

    /**
     * Steps timed with the product clock on, apart from the timed ones, so that the clock's two readings per product
     * do not touch the figures (a tiny step makes its products in a few hundred nanoseconds each): each distinct
     * product's calls and time in them, and how many steps they took and how long.
     */
    private record InStep(List<MatmulTrace.ProductTime> times, long steps, long nanos, int shards) {
        /** One more repetition's length of steps, {@code nanos}, with the product clock on. */
        static InStep of(NnLanguageModel model, int[][] inputs, int[] targets, long nanos, int shards) {
            Window[] w = {null};
            List<MatmulTrace.ProductTime> times = MatmulTrace.productTimes(() -> w[0] = Window.of(model, inputs, targets, nanos, false));
            return new InStep(times, w[0].steps(), w[0].nanos(), shards);
        }

        /**
         * The share of the steps' wall time inside their products. Shards run their products side by side, each
         * counted in full, so their time is shared out, as the roofline's is.
         */
        double fraction() {
            long inProducts = 0;
            for (MatmulTrace.ProductTime t : times) {
                inProducts += t.nanos();
            }
            return (double) inProducts / shards / nanos;
        }

        /** Each product per step, its time per call in the steps, and its median time alone over the {@code alone} rounds. */
        List<Figure.StepProduct> products(List<Map<MatmulTrace.Product, Double>> alone) {
            List<Figure.StepProduct> out = new ArrayList<>();
            for (MatmulTrace.ProductTime t : times) {
                MatmulTrace.Product p = t.product();
                double[] seconds = alone.stream().mapToDouble(a -> a.getOrDefault(p, Double.NaN)).toArray();
                out.add(new Figure.StepProduct(p.m(), p.n(), p.k(), p.transA(), p.transB(), (double) t.calls() / steps,
                        t.nanos() / 1e3 / t.calls(), 1e6 * median(seconds)));
            }
            return out;
        }
    }

    /** The median of {@code values} (mean of the middle two for an even count); they are left as they are. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
