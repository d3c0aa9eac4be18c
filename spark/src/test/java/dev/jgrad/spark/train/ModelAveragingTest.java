package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.LocalSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --average-every N}: local SGD. It is not {@code train}'s arithmetic (except with one
 * partition, where averaging one model changes nothing), but it is as deterministic and resumable.
 */
class ModelAveragingTest {
    private static final int STEPS = 20;
    private final JavaSparkContext sc = LocalSpark.context();

    @TempDir
    Path dir;

    @Test
    void withOnePartitionLocalStepsAreTrainsSteps() {
        TrainConfig config = Runs.tiny("--cell", "lstm", "--optimizer", "adam", "--lr", "0.01");
        int steps = 16; // four rounds of four, all in the first epoch
        Runs.Result single = Runs.single(config, steps);
        Runs.Result averaged = Runs.spark(sc, config, SparkOptions.synchronous(1).averagingEvery(4), steps);
        Runs.assertIdentical(new Runs.Result(List.of(), single.weights()), new Runs.Result(List.of(), averaged.weights()));
        for (int step = 4; step <= steps; step += 4) {
            // A round reports once, its losses summed in another order than train's running sum.
            double e = single.meanLosses().get(step - 1);
            assertEquals(e, averaged.meanLosses().get(step - 1), 1e-15 * e, "mean loss after step " + step);
        }
    }

    /**
     * The same with tensors large enough for the replica's workspace to lend them (hidden 64, batch 16),
     * the state carried from one local step to the next among them: a task that read a tensor after
     * its step's scope closed would throw.
     */
    @Test
    void withOnePartitionLocalStepsOnLentStorageAreTrainsSteps() {
        TrainConfig config = Runs.tiny("--cell", "gru", "--sampling", "sequential", "--optimizer", "adam", "--lr", "0.01",
                "--hidden", "64", "--batch", "16", "--corpus-lines", "240");
        int steps = 8;
        Runs.Result single = Runs.single(config, steps);
        Runs.Result averaged = Runs.spark(sc, config, SparkOptions.synchronous(1).averagingEvery(4), steps);
        Runs.assertIdentical(new Runs.Result(List.of(), single.weights()), new Runs.Result(List.of(), averaged.weights()));
    }

    @Test
    void averagingIsOtherArithmeticButReproducibleAndItLearns() {
        TrainConfig config = Runs.tiny("--cell", "gru", "--optimizer", "adam", "--lr", "0.02");
        SparkOptions averaged = SparkOptions.synchronous(2).averagingEvery(4);
        Runs.Result a = Runs.spark(sc, config, averaged, STEPS);
        Runs.assertIdentical(a, Runs.spark(sc, config, averaged, STEPS));
        Runs.Result single = Runs.single(config, STEPS);
        assertTrue(Math.abs(a.meanLosses().get(STEPS - 1) - single.meanLosses().get(STEPS - 1)) > 1e-6,
                "two partitions that average every 4 steps do not take train's steps");
        assertTrue(a.meanLosses().get(STEPS - 1) < a.meanLosses().get(3), "the mean loss falls: " + a.meanLosses());
    }

    @Test
    void anAveragedRunResumesToTheBitWithTheOptimizersStepCount() {
        TrainConfig config = Runs.tiny("--cell", "gru", "--optimizer", "adam", "--corpus-lines", "60", "--epochs", "2");
        SparkOptions averaged = SparkOptions.synchronous(2).averagingEvery(3);
        Path full = dir.resolve("full");
        try (SparkTrainer t = SparkTrainer.start(sc, config, averaged).checkpointTo(full)) {
            t.run(new Trainer.Listener() { });
        }
        Path ck = dir.resolve("ck");
        try (SparkTrainer t = SparkTrainer.start(sc, config, averaged).checkpointTo(ck)) {
            t.run(new Trainer.Listener() {
                @Override
                public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
                    if (epoch == 2 && batch == 3) {
                        t.requestStop();
                    }
                }
            });
        }
        try (SparkTrainer t = SparkTrainer.resume(sc, Checkpoint.read(ck), 2, averaged).checkpointTo(ck)) {
            t.run(new Trainer.Listener() { });
        }
        Checkpoint a = Checkpoint.read(full);
        Checkpoint b = Checkpoint.read(ck);
        Runs.assertIdentical(new Runs.Result(List.of(), a.model()), new Runs.Result(List.of(), b.model()));
        assertEquals(2, a.position().completedEpochs());
        assertEquals(a.history().size(), b.history().size());
        assertEquals(a.optimizer().get("step").item(), b.optimizer().get("step").item(), 0.0);
    }
}
