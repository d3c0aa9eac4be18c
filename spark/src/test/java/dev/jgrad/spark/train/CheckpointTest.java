package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.LocalSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark runs write {@code train}'s checkpoints, at the same points and with the same contents, so a
 * run stopped on either side continues on the other and ends with the bits of an uninterrupted run.
 */
class CheckpointTest {
    private static final int EPOCHS = 2;
    private final JavaSparkContext sc = LocalSpark.context();

    @TempDir
    Path dir;

    /** Asks for a stop once {@code batch} minibatches of epoch 2 are done. */
    private static Trainer.Listener stopAt(int batch, Runnable stop) {
        return new Trainer.Listener() {
            @Override
            public void batchDone(int epoch, int done, int batches, double meanLoss, double tokensPerSecond) {
                if (epoch == 2 && done == batch) {
                    stop.run();
                }
            }
        };
    }

    private static TrainConfig config(String cell, String sampling) {
        return Runs.tiny("--cell", cell, "--sampling", sampling, "--corpus-lines", "60", "--epochs", String.valueOf(EPOCHS));
    }

    private static Trainer straight(TrainConfig config) {
        Trainer t = Trainer.start(config);
        t.run(new Trainer.Listener() { });
        return t;
    }

    @Test
    void aSparkCheckpointContinuesInTrainToTheBit() {
        TrainConfig config = config("lstm", "sequential");
        Path ck = dir.resolve("ck");
        try (SparkTrainer first = SparkTrainer.start(sc, config, SparkOptions.synchronous(1)).checkpointTo(ck)) {
            assertEquals(Trainer.Outcome.STOPPED, first.run(stopAt(3, first::requestStop)));
        }
        Checkpoint cp = Checkpoint.read(ck);
        assertEquals(new Checkpoint.Position(1, 3, cp.position().epochRngState(), cp.position().lossSum(), 3L * 8 * 7,
                cp.position().gradNormSum(), cp.position().clipped()), cp.position());
        assertFalse(cp.carried().isEmpty(), "the state carried into batch 4 is saved");
        Trainer resumed = Trainer.resume(cp, EPOCHS);
        resumed.run(new Trainer.Listener() { });
        Trainer straight = straight(config);
        Runs.assertIdentical(new Runs.Result(List.of(), straight.model().stateDict()), new Runs.Result(List.of(), resumed.model().stateDict()));
        assertEquals(straight.history(), withoutSpeed(resumed.history(), straight.history()));
    }

    @Test
    void aTrainCheckpointContinuesOnSparkToTheBit() {
        TrainConfig config = config("gru", "sequential");
        Path ck = dir.resolve("ck");
        Trainer first = Trainer.start(config).checkpointTo(ck);
        assertEquals(Trainer.Outcome.STOPPED, first.run(stopAt(5, first::requestStop)));
        Trainer straight = straight(config);
        try (SparkTrainer resumed = SparkTrainer.resume(sc, Checkpoint.read(ck), EPOCHS, SparkOptions.synchronous(1))) {
            resumed.run(new Trainer.Listener() { });
            Runs.assertIdentical(new Runs.Result(List.of(), straight.model().stateDict()),
                    new Runs.Result(List.of(), resumed.model().stateDict()));
            assertEquals(straight.history().get(1).perplexity(), resumed.history().get(1).perplexity(), 0.0);
        }
    }

    @Test
    void aStoppedSparkRunOverFourPartitionsResumesToTheBit() throws Exception {
        TrainConfig config = config("gru-reset-after", "sequential");
        SparkOptions four = SparkOptions.synchronous(4);
        Path full = dir.resolve("full");
        try (SparkTrainer t = SparkTrainer.start(sc, config, four).checkpointTo(full)) {
            assertEquals(Trainer.Outcome.COMPLETED, t.run(new Trainer.Listener() { }));
        }
        Path ck = dir.resolve("ck");
        try (SparkTrainer first = SparkTrainer.start(sc, config, four).checkpointTo(ck)) {
            first.run(stopAt(2, first::requestStop));
        }
        try (SparkTrainer resumed = SparkTrainer.resume(sc, Checkpoint.read(ck), EPOCHS, four).checkpointTo(ck)) {
            assertEquals(Trainer.Outcome.COMPLETED, resumed.run(new Trainer.Listener() { }));
        }
        Runs.assertIdentical(new Runs.Result(List.of(), Checkpoint.read(full).model()), new Runs.Result(List.of(), Checkpoint.read(ck).model()));
        assertEquals(Checkpoint.read(full).optimizer().keySet(), Checkpoint.read(ck).optimizer().keySet());
        try (var files = Files.list(ck)) {
            assertEquals(List.of("LATEST", Files.readString(ck.resolve("LATEST")).strip()),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "one complete checkpoint and LATEST, as train leaves");
        }
    }

    /** {@code actual} with the speed and time of {@code expected}, which only a wall clock sets. */
    private static List<dev.jgrad.examples.train.EpochMetrics> withoutSpeed(List<dev.jgrad.examples.train.EpochMetrics> actual,
            List<dev.jgrad.examples.train.EpochMetrics> expected) {
        return java.util.stream.IntStream.range(0, actual.size()).mapToObj(i -> {
            var a = actual.get(i);
            var e = expected.get(i);
            return new dev.jgrad.examples.train.EpochMetrics(a.epoch(), a.loss(), a.perplexity(), e.tokensPerSecond(), a.gradNorm(),
                    a.clippedFraction(), e.elapsedSeconds(), a.completionAccuracy(), a.wellFormed(), a.heldOutPerplexity());
        }).toList();
    }
}
