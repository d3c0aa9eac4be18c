package dev.jgrad.examples.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import java.util.Arrays;

/**
 * Times full training steps of {@link EquationLanguageModel} or {@link NnLanguageModel}: a warm-up (so the JIT has compiled the
 * hot paths; extended until the step rate settles), then {@code repetitions} timed runs of at least one step each, each reporting tokens per
 * second; the figure is their median.
 */
final class TrainingBench {
    /** The implementations: our cell written from its equations on the tape, or {@code train}'s model from dev.jgrad.nn. */
    enum Impl {
        EQUATIONS("jgrad-equations"), NN("jgrad-nn");

        final String label;

        Impl(String label) {
            this.label = label;
        }

        static Impl named(String s) {
            return switch (s) {
                case "equations" -> EQUATIONS;
                case "nn" -> NN;
                default -> throw new IllegalArgumentException("bench: unknown model '" + s + "'; known: equations, nn");
            };
        }
    }
    /** d2l's learning rate and clipping threshold for its character-level RNNs. */
    private static final double LR = 1.0;
    private static final double MAX_NORM = 1.0;

    private TrainingBench() {
    }

    /** How long to run: {@code seconds} in total over the timed repetitions, plus a warm-up of {@code warmupSeconds}. */
    record Budget(double warmupSeconds, double seconds, int repetitions) {
        Budget {
            if (!(warmupSeconds >= 0) || !(seconds > 0) || repetitions < 1) {
                throw new IllegalArgumentException("bench: need warm-up ≥ 0 s, time > 0 s and ≥ 1 repetition, got "
                        + warmupSeconds + ", " + seconds + ", " + repetitions);
            }
        }
    }

    /** One model with its fixed minibatch: a training step, and the ops its last forward recorded. */
    private interface Stepper {
        double step();

        int recordedOps();
    }

    static Figure.Train run(Impl impl, BenchConfig config, EquationLanguageModel.Cell cell, DType dtype, int threads, Budget budget,
                            long seed) {
        Parallelism.setThreads(threads);
        Rng rng = Rng.seeded(seed);
        int len = config.steps();
        int batch = config.batch();
        // Time-major for the equations model, batch-major (as train's minibatches) for the nn model.
        int[][] inputsTB = new int[len][batch];
        int[] targetsTB = new int[len * batch];
        int[][] inputsBT = new int[batch][len];
        int[] targetsBT = new int[len * batch];
        for (int t = 0; t < len; t++) {
            for (int b = 0; b < batch; b++) {
                inputsTB[t][b] = inputsBT[b][t] = rng.nextInt(config.vocab());
                targetsTB[t * batch + b] = targetsBT[b * len + t] = rng.nextInt(config.vocab());
            }
        }
        Stepper model;
        if (impl == Impl.EQUATIONS) {
            EquationLanguageModel m = new EquationLanguageModel(cell, config, dtype, rng);
            model = new Stepper() {
                public double step() {
                    return m.trainStep(inputsTB, targetsTB, LR, MAX_NORM);
                }

                public int recordedOps() {
                    return m.recordedOps();
                }
            };
        } else {
            NnLanguageModel m = new NnLanguageModel(cell, config, dtype, rng, LR);
            model = new Stepper() {
                public double step() {
                    return m.trainStep(inputsBT, targetsBT, MAX_NORM);
                }

                public int recordedOps() {
                    return m.recordedOps();
                }
            };
        }
        long warmEnd = System.nanoTime() + (long) (budget.warmupSeconds() * 1e9);
        double loss = model.step();
        while (System.nanoTime() < warmEnd) {
            loss = model.step();
        }
        // On a busy machine the JIT may still be compiling after the fixed warm-up: go on until two
        // consecutive windows agree within 10%, for at most four more warm-up lengths.
        long window = Math.max(50_000_000L, (long) (budget.warmupSeconds() * 0.25e9));
        long cap = System.nanoTime() + (long) (4 * budget.warmupSeconds() * 1e9);
        double previous = Double.NaN;
        while (budget.warmupSeconds() > 0 && System.nanoTime() < cap) {
            long start = System.nanoTime();
            long steps = 0;
            while (System.nanoTime() - start < window) {
                loss = model.step();
                steps++;
            }
            double rate = steps / ((System.nanoTime() - start) / 1e9);
            if (Math.abs(rate - previous) <= 0.1 * previous) break;
            previous = rate;
        }
        double[] rates = new double[budget.repetitions()];
        long perRep = (long) (budget.seconds() / budget.repetitions() * 1e9);
        long totalSteps = 0;
        for (int r = 0; r < rates.length; r++) {
            long start = System.nanoTime();
            long steps = 0;
            long now;
            do {
                loss = model.step();
                steps++;
                now = System.nanoTime();
            } while (now - start < perRep);
            totalSteps += steps;
            rates[r] = steps * config.tokensPerStep() / ((now - start) / 1e9);
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double med = median(sorted);
        // Whole-step time (forward, backward, update) divided by the ops the forward recorded.
        double nsPerOp = 1e9 * config.tokensPerStep() / med / model.recordedOps();
        return new Figure.Train(impl.label, config.name(), cell.label, dtype.name().toLowerCase(), threads, med, sorted[0],
                sorted[sorted.length - 1], rates.length, totalSteps, loss, model.recordedOps(), nsPerOp, MachineFacts.peakRssMib());
    }

    /** The median of sorted values (mean of the middle two for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
