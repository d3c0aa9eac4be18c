package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "train"));
        cmd.addAll(List.of(CONFIG));
        cmd.addAll(List.of("--epochs", "100000", "--threads", "1", "--checkpoint", ck.toString()));
        Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Checkpoint.exists(ck) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Checkpoint.exists(ck), "the child wrote its first epoch's checkpoint: " + Files.readString(dir.resolve("err.txt")));
            Thread.sleep(150);
            p.destroy(); // SIGTERM: runs the shutdown hooks, as Ctrl-C does
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child exits after writing its checkpoint");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(dir.resolve("err.txt"));
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

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
