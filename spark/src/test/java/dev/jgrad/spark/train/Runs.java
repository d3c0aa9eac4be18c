package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.SparkTrainCommand;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.spark.api.java.JavaSparkContext;

/** Small runs of {@code train} and of the Spark trainer, stopped after a number of steps, and how to compare them. */
public final class Runs {
    private Runs() {
    }

    /** What a run ended with: the running mean loss after each step, and the weights. */
    public record Result(List<Double> meanLosses, Map<String, Tensor> weights) {
    }

    /**
     * A float64 configuration of {@code train} small enough to take 20 steps in well under a second;
     * {@code more} overrides (options with a value, and flags such as {@code --d2l-text}).
     */
    public static TrainConfig tiny(String... more) {
        Map<String, String> options = new LinkedHashMap<>();
        String[] base = {"--dtype", "f64", "--hidden", "12", "--batch", "8", "--steps", "7", "--corpus-lines", "120",
            "--max-operand", "30", "--seed", "11", "--epochs", "50", "--sample-every", "0", "--sample-length", "5"};
        for (String[] given : List.of(base, more)) {
            for (int i = 0; i < given.length; i++) {
                boolean flag = i + 1 == given.length || given[i + 1].startsWith("--");
                options.put(given[i], flag ? null : given[++i]);
            }
        }
        List<String> args = new ArrayList<>();
        options.forEach((k, v) -> {
            args.add(k);
            if (v != null) {
                args.add(v);
            }
        });
        return SparkTrainCommand.config(args.toArray(String[]::new));
    }

    /** Stops a run after {@code steps} minibatches (counting the local steps of an averaged round as minibatches). */
    static class StopAfter implements Trainer.Listener {
        private final int steps;
        private final Runnable stop;
        final List<Double> meanLosses = new ArrayList<>();
        private int lastBatch;

        StopAfter(int steps, Runnable stop) {
            this.steps = steps;
            this.stop = stop;
        }

        @Override
        public void epochStarted(int epoch, int batch, int batches) {
            lastBatch = batch;
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
            for (int b = lastBatch; b < batch; b++) {
                meanLosses.add(meanLoss);
            }
            lastBatch = batch;
            if (meanLosses.size() >= steps) {
                stop.run();
            }
        }
    }

    /** {@code train}, in this process, for {@code steps} minibatches. */
    public static Result single(TrainConfig config, int steps) {
        Trainer t = Trainer.start(config);
        StopAfter l = new StopAfter(steps, t::requestStop);
        t.run(l);
        return new Result(l.meanLosses, t.model().stateDict());
    }

    /** The Spark trainer over {@code sc} for {@code steps} minibatches. */
    public static Result spark(JavaSparkContext sc, TrainConfig config, SparkOptions options, int steps) {
        return spark(sc, config, options, steps, step -> { });
    }

    /** The Spark trainer over {@code sc} for {@code steps} minibatches, calling {@code afterStep} with each step's number. */
    public static Result spark(JavaSparkContext sc, TrainConfig config, SparkOptions options, int steps, IntConsumer afterStep) {
        try (SparkTrainer t = SparkTrainer.start(sc, config, options)) {
            StopAfter l = new StopAfter(steps, t::requestStop) {
                @Override
                public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
                    super.batchDone(epoch, batch, batches, meanLoss, tokensPerSecond);
                    afterStep.accept(meanLosses.size());
                }
            };
            t.run(l);
            return new Result(l.meanLosses, t.model().stateDict());
        }
    }

    /** Asserts equal losses and weights to {@code rtol} relative (per tensor, in the Euclidean norm). */
    public static void assertClose(Result expected, Result actual, double rtol) {
        assertEquals(expected.meanLosses().size(), actual.meanLosses().size(), "steps taken");
        for (int i = 0; i < expected.meanLosses().size(); i++) {
            double e = expected.meanLosses().get(i);
            double a = actual.meanLosses().get(i);
            assertTrue(Math.abs(a - e) <= rtol * Math.abs(e), "mean loss after step " + (i + 1) + ": " + a + " vs " + e);
        }
        assertEquals(expected.weights().keySet(), actual.weights().keySet());
        expected.weights().forEach((name, e) -> {
            double[] ev = e.toDoubleArray();
            double[] av = actual.weights().get(name).toDoubleArray();
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < ev.length; i++) {
                diff += (av[i] - ev[i]) * (av[i] - ev[i]);
                norm += ev[i] * ev[i];
            }
            assertTrue(Math.sqrt(diff) <= rtol * Math.sqrt(norm), name + ": relative difference " + Math.sqrt(diff / norm));
        });
    }

    /** Asserts bit-identical losses and weights. */
    public static void assertIdentical(Result expected, Result actual) {
        assertEquals(expected.meanLosses(), actual.meanLosses(), "mean losses");
        assertEquals(expected.weights().keySet(), actual.weights().keySet());
        expected.weights().forEach((name, e) -> {
            long[] eb = Arrays.stream(e.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            long[] ab = Arrays.stream(actual.weights().get(name).toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            assertArrayEquals(eb, ab, name + " differs");
        });
    }
}
