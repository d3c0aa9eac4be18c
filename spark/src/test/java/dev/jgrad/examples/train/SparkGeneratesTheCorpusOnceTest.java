package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.spark.LocalSpark;
import dev.jgrad.spark.train.Runs;
import dev.jgrad.spark.train.SparkOptions;
import dev.jgrad.spark.train.SparkTrainer;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark run's start and resume generate the arithmetic corpus once each, as {@code train}'s do: the
 * driver generates it to read it into Spark, and the trainer takes that text. The test lives in {@link Trainer}'s
 * package to read its count of generations.
 */
class SparkGeneratesTheCorpusOnceTest {
    @TempDir
    Path dir;

    @Test
    void startAndResumeGenerateTheCorpusOnceEach() {
        JavaSparkContext sc = LocalSpark.context();
        TrainConfig config = Runs.tiny();
        SparkOptions options = SparkOptions.synchronous(2);
        Path ck = dir.resolve("ck");
        int before = Trainer.arithmeticGenerations.get();
        try (SparkTrainer first = SparkTrainer.start(sc, config, options).checkpointTo(ck)) {
            assertEquals(before + 1, Trainer.arithmeticGenerations.get(), "start");
            first.requestStop();
            assertEquals(Trainer.Outcome.STOPPED, first.run(new Trainer.Listener() { }));
        }
        Checkpoint cp = Checkpoint.read(ck);
        try (SparkTrainer resumed = SparkTrainer.resume(sc, cp, 2, options)) {
            assertEquals(before + 2, Trainer.arithmeticGenerations.get(), "resume");
        }
    }
}
