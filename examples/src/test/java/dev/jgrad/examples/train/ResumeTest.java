package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** A run stopped (at an epoch boundary or mid-epoch) and resumed ends with exactly the weights of an uninterrupted run. */
class ResumeTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1} {2} {3} embedding {5}, stop in epoch 2 at batch {4}")
    @CsvSource({
        "GRU, SEQUENTIAL, ADAM, F32, 0, 0",
        "GRU, SEQUENTIAL, ADAM, F32, 3, 0",
        "GRU_RESET_AFTER, RANDOM, SGD, F64, 2, 0",
        "LSTM, SEQUENTIAL, SGD, F64, 4, 0",
        "RNN, RANDOM, ADAM, F32, 1, 0",
        "GRU, SEQUENTIAL, ADAM, F64, 2, 5"})
    void stoppedAndResumedEqualsUninterrupted(CellKind cell, Partitioning sampling, OptimizerKind opt, DType dtype, int stopBatch,
            int embed) {
        TrainConfig config = TinyRuns.config(cell, sampling, opt, dtype, 3, embed);
        Trainer straight = Trainer.start(config);
        assertEquals(Trainer.Outcome.COMPLETED, straight.run(new Trainer.Listener() { }));

        Path ck = dir.resolve("ck");
        Trainer first = Trainer.start(config).checkpointTo(ck);
        Trainer.Outcome outcome = first.run(new Trainer.Listener() {
            @Override
            public void batchDone(int epoch, int batch, int batches, double loss, double tps) {
                if (epoch == 2 && batch == stopBatch) {
                    first.requestStop();
                }
            }

            @Override
            public void epochDone(EpochMetrics m, String sample, ArithmeticQuality.Score score) {
                if (m.epoch() == 1 && stopBatch == 0) {
                    first.requestStop();
                }
            }
        });
        assertEquals(Trainer.Outcome.STOPPED, outcome);
        Checkpoint cp = Checkpoint.read(ck);
        assertEquals(1, cp.position().completedEpochs());
        assertEquals(stopBatch, cp.position().nextBatch());
        assertEquals(stopBatch > 0 && sampling.carriesState(), !cp.carried().isEmpty(), "carried state saved mid-epoch");
        assertFalse(sameWeights(straight.model().stateDict(), cp.model()), "the checkpoint is not already the end result");

        Trainer resumed = Trainer.resume(cp, 3);
        List<String> started = new ArrayList<>();
        assertEquals(Trainer.Outcome.COMPLETED, resumed.run(new Trainer.Listener() {
            @Override
            public void epochStarted(int epoch, int batch, int batches) {
                started.add("epoch " + epoch + " from batch " + batch);
            }
        }));
        assertEquals(List.of("epoch 2 from batch " + stopBatch, "epoch 3 from batch 0"), started, "listeners learn where the epoch goes on");
        TinyRuns.assertBitIdentical(straight.model().stateDict(), resumed.model().stateDict());
        EpochMetrics want = straight.history().get(2);
        EpochMetrics got = resumed.history().get(2);
        assertEquals(want.perplexity(), got.perplexity(), 0.0, "the resumed epoch's perplexity is the uninterrupted one's");
        assertEquals(want.heldOutPerplexity(), got.heldOutPerplexity(), 0.0, "and so is its held-out perplexity");
        assertEquals(want.gradNorm(), got.gradNorm(), 0.0, "and its mean gradient norm");
    }

    @Test
    void commandLineResumeEqualsUninterruptedRun() throws Exception {
        String[] common = {"--corpus-lines", "60", "--max-operand", "9", "--hidden", "8", "--batch", "4", "--steps", "6",
                "--sample-every", "0", "--sample-length", "5"};
        assertEquals(0, run(concat(common, "--epochs", "3", "--checkpoint", dir.resolve("a").toString())));
        assertEquals(0, run(concat(common, "--epochs", "1", "--checkpoint", dir.resolve("b").toString())));
        assertEquals(0, run("train", "--resume", "--checkpoint", dir.resolve("b").toString(), "--epochs", "3"));
        Map<String, Tensor> a = Checkpoint.read(dir.resolve("a")).model();
        Map<String, Tensor> b = Checkpoint.read(dir.resolve("b")).model();
        TinyRuns.assertBitIdentical(a, b);
        // And the run did move: epoch-1 weights differ from the final ones.
        assertEquals(0, run(concat(common, "--epochs", "1", "--checkpoint", dir.resolve("c").toString())));
        assertNotEquals(0, Checkpoint.read(dir.resolve("c")).model().get("output.bias").maxAbsDiff(a.get("output.bias")));
        assertTrue(Files.list(dir.resolve("a")).noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary leftovers");
        try (var files = Files.list(dir.resolve("a"))) {
            assertEquals(2, files.count(), "LATEST and one checkpoint subfolder: older ones are deleted");
        }
    }

    private static boolean sameWeights(Map<String, Tensor> a, Map<String, Tensor> b) {
        return a.keySet().stream().allMatch(k -> a.get(k).maxAbsDiff(b.get(k)) == 0);
    }

    private static String[] concat(String[] common, String... more) {
        String[] out = new String[common.length + more.length + 1];
        out[0] = "train";
        System.arraycopy(common, 0, out, 1, common.length);
        System.arraycopy(more, 0, out, 1 + common.length, more.length);
        return out;
    }

    static int run(String... args) {
        return Cli.run(args).code();
    }
}
