package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real shutdown path: a training JVM is terminated (SIGTERM, what Ctrl-C also triggers) while
 * it trains; its shutdown hook writes a checkpoint, and resuming that checkpoint ends with exactly
 * the weights of an uninterrupted run.
 */
class ShutdownCheckpointTest {
    private static final String[] CONFIG = {"--corpus-lines", "400", "--max-operand", "9", "--hidden", "24", "--batch", "4",
            "--steps", "8", "--sample-every", "0", "--sample-length", "4", "--seed", "11"};

    @TempDir
    Path dir;

    @Test
    void terminatedRunLeavesACheckpointThatResumesBitExactly() throws Exception {
        Path ck = dir.resolve("ck");
        // Stop a little after the first epoch's checkpoint, so the run stops mid-epoch.
        String err = terminatedRun(dir, List.of("--checkpoint", ck.toString()), () -> Checkpoint.exists(ck), 150);
        assertTrue(err.contains("interrupted; checkpoint written"), "the child says it wrote its checkpoint; its stderr was: '" + err + "'");

        Checkpoint cp = Checkpoint.read(ck);
        int target = cp.position().completedEpochs() + 1;
        Trainer resumed = Trainer.resume(cp, target);
        resumed.run(new Trainer.Listener() { });

        TrainCommand options = new TrainCommand();
        var cl = new picocli.CommandLine(options);
        cl.parseArgs(concat(CONFIG, "--epochs", String.valueOf(target)));
        Trainer straight = Trainer.start(options.config());
        straight.run(new Trainer.Listener() { });
        TinyRuns.assertBitIdentical(straight.model().stateDict(), resumed.model().stateDict());
        assertEquals(target, resumed.history().get(resumed.history().size() - 1).epoch());
    }

    /**
     * Without --checkpoint, a run keeps its checkpoints in runs/train-DATE-TIME under the working
     * folder, and the interruption names that folder; with --no-checkpoint it says nothing was kept.
     */
    @Test
    void theInterruptionSaysWhereTheCheckpointIsOrThatThereIsNone() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        String err = terminatedRun(work, List.of(), () -> runFolder(work) != null && Checkpoint.exists(runFolder(work)), 0);
        Path folder = work.relativize(runFolder(work));
        assertTrue(folder.toString().matches("runs/train-\\d{8}-\\d{6}"), folder.toString());
        assertEquals("train: interrupted; checkpoint written to " + folder + " (continue with --resume --checkpoint " + folder + ")",
                err.strip());
        assertTrue(Checkpoint.read(work.resolve(folder)).position().completedEpochs() >= 1);

        Path bare = Files.createDirectories(dir.resolve("bare"));
        String none = terminatedRun(bare, List.of("--no-checkpoint"), () -> Files.readString(bare.resolve("out.txt")).contains("epoch   1 "), 0);
        assertEquals("train: interrupted; no checkpoint was written (--no-checkpoint), so the training of this run is lost", none.strip());
        assertFalse(Files.exists(bare.resolve("runs")), "nothing written");
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static Path runFolder(Path work) throws java.io.IOException {
        if (!Files.isDirectory(work.resolve("runs"))) {
            return null;
        }
        try (var s = Files.list(work.resolve("runs"))) {
            return s.findFirst().orElse(null);
        }
    }

    /**
     * Starts a training JVM in {@code work}, terminates it (SIGTERM: runs the shutdown hooks, as Ctrl-C
     * does) {@code settleMillis} after {@code ready} holds, and returns what it printed on stderr.
     */
    private static String terminatedRun(Path work, List<String> extra, Condition ready, long settleMillis) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "train"));
        cmd.addAll(List.of(CONFIG));
        cmd.addAll(List.of("--epochs", "100000", "--threads", "1"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(work.resolve("out.txt").toFile())
                .redirectError(work.resolve("err.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!ready.holds() && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(ready.holds(), "the child got going: " + Files.readString(work.resolve("err.txt")));
            Thread.sleep(settleMillis);
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child exits after writing its checkpoint");
        } finally {
            p.destroyForcibly();
        }
        return Files.readString(work.resolve("err.txt"));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
