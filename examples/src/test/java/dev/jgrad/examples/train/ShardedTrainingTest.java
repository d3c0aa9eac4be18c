package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code train --shards}: each minibatch split into shards on their own tapes (Note [Sharded steps] on {@link Trainer}). */
class ShardedTrainingTest {
    @TempDir
    Path dir;

    /**
     * A sharded run is the whole-minibatch run up to rounding: the shards' rows, their carried states
     * and their losses' weights put together wrongly would move the losses and weights far more than
     * regrouped sums do. Three epochs of four sequences, in float64, two and three shards (of 2 + 2 and
     * 1 + 1 + 2 sequences).
     */
    @ParameterizedTest(name = "{0} {1} {2}, {3} shards")
    @CsvSource({
        "GRU, SEQUENTIAL, ADAM, 2",
        "GRU, SEQUENTIAL, SGD, 3",
        "LSTM, SEQUENTIAL, SGD, 2",
        "GRU_RESET_AFTER, RANDOM, ADAM, 3"})
    void shardedRunIsTheWholeMinibatchRunUpToRounding(CellKind cell, Partitioning sampling, OptimizerKind opt, int shards) {
        TrainConfig config = TinyRuns.config(cell, sampling, opt, DType.F64, 3);
        Trainer whole = Trainer.start(config);
        Trainer sharded = Trainer.start(config, shards, 2);
        assertEquals(Trainer.Outcome.COMPLETED, whole.run(new Trainer.Listener() { }));
        assertEquals(Trainer.Outcome.COMPLETED, sharded.run(new Trainer.Listener() { }));
        for (int e = 0; e < 3; e++) {
            EpochMetrics w = whole.history().get(e);
            EpochMetrics s = sharded.history().get(e);
            assertEquals(w.perplexity(), s.perplexity(), 1e-12 * w.perplexity(), "epoch " + (e + 1) + " perplexity");
            assertEquals(w.gradNorm(), s.gradNorm(), 1e-10 * w.gradNorm(), "epoch " + (e + 1) + " mean gradient norm");
        }
        Map<String, Tensor> a = whole.model().stateDict();
        Map<String, Tensor> b = sharded.model().stateDict();
        assertEquals(a.keySet(), b.keySet());
        a.forEach((name, t) -> assertTrue(t.maxAbsDiff(b.get(name)) <= 1e-10, name + " differs by " + t.maxAbsDiff(b.get(name))));
        assertTrue(a.keySet().stream().anyMatch(name -> a.get(name).maxAbsDiff(b.get(name)) > 0),
                "the shards' sums, grouped otherwise, moved some last bit: the minibatch was split");
    }

    /** The shard count, not the thread count, fixes the bits: two shards on one thread and on two give the same weights. */
    @Test
    void shardsGiveTheSameBitsOnOneThreadAndOnTwo() {
        TrainConfig config = TinyRuns.config(CellKind.GRU, Partitioning.SEQUENTIAL, OptimizerKind.ADAM, DType.F32, 2);
        Trainer one = Trainer.start(config, 2, 1);
        Trainer two = Trainer.start(config, 2, 2);
        one.run(new Trainer.Listener() { });
        two.run(new Trainer.Listener() { });
        TinyRuns.assertBitIdentical(one.model().stateDict(), two.model().stateDict());
    }

    /** A sharded run stopped mid-epoch, its carried state saved, and resumed with the same shards ends bit for bit as an uninterrupted one. */
    @Test
    void stoppedAndResumedShardedRunEqualsUninterrupted() {
        TrainConfig config = TinyRuns.config(CellKind.GRU, Partitioning.SEQUENTIAL, OptimizerKind.ADAM, DType.F32, 3);
        Trainer straight = Trainer.start(config, 2, 2);
        straight.run(new Trainer.Listener() { });

        Path ck = dir.resolve("ck");
        Trainer first = Trainer.start(config, 2, 2).checkpointTo(ck);
        assertEquals(Trainer.Outcome.STOPPED, first.run(new Trainer.Listener() {
            @Override
            public void batchDone(int epoch, int batch, int batches, double loss, double tps) {
                if (epoch == 2 && batch == 3) {
                    first.requestStop();
                }
            }
        }));
        Checkpoint cp = Checkpoint.read(ck);
        assertEquals(3, cp.position().nextBatch());
        assertTrue(!cp.carried().isEmpty(), "the carried state is saved mid-epoch");
        Trainer resumed = Trainer.resume(cp, 3, 2, 1);
        assertEquals(Trainer.Outcome.COMPLETED, resumed.run(new Trainer.Listener() { }));
        TinyRuns.assertBitIdentical(straight.model().stateDict(), resumed.model().stateDict());
    }

    /**
     * Shard counts a run cannot take are refused in one line naming the option, before any training;
     * a run that takes them says how it splits its steps before what it trains.
     */
    @Test
    void impossibleShardCountsAreRefusedInOneLine() {
        List<String> tiny = List.of("train", "--corpus-lines", "60", "--max-operand", "9", "--hidden", "8", "--batch", "4", "--steps", "6",
                "--epochs", "1", "--no-checkpoint");
        assertEquals("train: --shards must be between 1 and the batch (4), got 0 (try --help)", refused(tiny, "--shards", "0"));
        assertEquals("train: --shards must be between 1 and the batch (4), got 5 (try --help)", refused(tiny, "--shards", "5"));
        assertEquals("train: --detect-anomaly checks the ops of one tape a step: use it with --shards 1 (try --help)",
                refused(tiny, "--shards", "2", "--detect-anomaly"));
        String out = Cli.run(concat(tiny, "--shards", "4", "--threads", "2")).expect(0).out();
        assertTrue(out.startsWith("shards: each minibatch in 4, on 2 threads, their kernels on 1 each; corpus: "), out);
        assertTrue(Cli.run(concat(tiny, "--shards", "1")).expect(0).out().startsWith("corpus: "), "one shard says nothing of shards");
    }

    private static String refused(List<String> tiny, String... more) {
        Cli.Result r = Cli.run(concat(tiny, more)).expect(2);
        assertEquals(1, r.errLine().lines().count(), r.err());
        assertEquals("", r.out(), "nothing trained");
        return r.errLine();
    }

    private static String[] concat(List<String> tiny, String... more) {
        String[] out = tiny.toArray(new String[tiny.size() + more.length]);
        System.arraycopy(more, 0, out, tiny.size(), more.length);
        return out;
    }
}
