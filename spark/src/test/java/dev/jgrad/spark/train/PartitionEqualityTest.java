package dev.jgrad.spark.train;

import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.spark.LocalSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The equality: with float64, the same seed and the same global batch, 1, 2 and 4 partitions
 * (and an uneven 3) give {@code train}'s losses and weights after 20 steps to 1e-12 relative, and one
 * partition gives them to the bit (Note [Partition gradient]).
 */
class PartitionEqualityTest {
    private static final int STEPS = 20;

    /** The last row's products are large enough for the native BLAS (Blas.NATIVE_MIN_WORK), the others' mostly not. */
    @ParameterizedTest(name = "{0}, {1}, {2}, embedding {3}, hidden {4}, batch {5}")
    @CsvSource({"gru, sequential, adam, 0, 12, 8", "gru-reset-after, random, sgd, 0, 12, 8", "lstm, sequential, sgd, 5, 12, 8",
        "rnn, random, adam, 4, 12, 8", "gru, sequential, adam, 0, 48, 16"})
    void partitionsGiveTrainsNumbers(String cell, String sampling, String optimizer, int embedding, int hidden, int batch) {
        TrainConfig config = Runs.tiny("--cell", cell, "--sampling", sampling, "--optimizer", optimizer, "--lr",
                optimizer.equals("sgd") ? "0.5" : "0.01", "--embedding", String.valueOf(embedding), "--hidden", String.valueOf(hidden),
                "--batch", String.valueOf(batch), "--corpus-lines", String.valueOf(15 * batch));
        Runs.Result single = Runs.single(config, STEPS);
        Runs.assertIdentical(single, Runs.spark(LocalSpark.context(), config, SparkOptions.synchronous(1), STEPS));
        for (int partitions : new int[] {2, 3, 4}) {
            Runs.assertClose(single, Runs.spark(LocalSpark.context(), config, SparkOptions.synchronous(partitions), STEPS), 1e-12);
        }
    }

    /** Eight partitions summed by the driver alone, or through one or two levels of grouping tasks, give the same bits. */
    @Test
    void theAggregationDepthDoesNotChangeTheBits() {
        TrainConfig config = Runs.tiny("--cell", "gru", "--sampling", "random");
        SparkOptions eight = SparkOptions.synchronous(8);
        Runs.Result direct = Runs.spark(LocalSpark.context(), config, eight.aggregatingIn(1), 10);
        Runs.assertClose(Runs.single(config, 10), direct, 1e-12);
        Runs.assertIdentical(direct, Runs.spark(LocalSpark.context(), config, eight.aggregatingIn(2), 10));
        Runs.assertIdentical(direct, Runs.spark(LocalSpark.context(), config, eight.aggregatingIn(3), 10));
    }

    /** Float32 weights and gradients travel as float32 (Packed): with one partition that still gives train's bits. */
    @Test
    void float32OnOnePartitionIsTrainToTheBit() {
        TrainConfig config = Runs.tiny("--dtype", "f32", "--cell", "gru", "--sampling", "sequential");
        Runs.assertIdentical(Runs.single(config, STEPS), Runs.spark(LocalSpark.context(), config, SparkOptions.synchronous(1), STEPS));
    }
}
