package dev.jgrad.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.train.Runs;
import dev.jgrad.spark.train.SparkOptions;
import dev.jgrad.spark.train.SparkTrainer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C on a Spark run: the JVM is terminated while it trains (SIGTERM, which runs the shutdown
 * hooks as Ctrl-C does, Spark's own among them, which stops the context under the running step). The
 * run writes a checkpoint of its last completed step, and resuming it ends with the weights of an
 * uninterrupted run, to the bit.
 */
class ShutdownCheckpointTest {
    private static final String[] CONFIG = {"--corpus-lines", "400", "--max-operand", "9", "--hidden", "24", "--batch", "4",
        "--steps", "8", "--sample-every", "0", "--sample-length", "4", "--seed", "11", "--dtype", "f64"};

    @TempDir
    Path dir;

    @Test
    void aTerminatedRunLeavesACheckpointThatResumesToTheBit() throws Exception {
        Path ck = dir.resolve("ck");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--") || a.startsWith("-XX")
                || a.startsWith("-Dio.netty")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--master", "local[2]",
                "--partitions", "2"));
        cmd.addAll(List.of(CONFIG));
        cmd.addAll(List.of("--epochs", "100000", "--checkpoint", ck.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Checkpoint.exists(ck) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Checkpoint.exists(ck), "the child wrote its first epoch's checkpoint: " + Files.readString(dir.resolve("err.txt")));
            Thread.sleep(300);
            p.destroy(); // SIGTERM: runs the shutdown hooks, as Ctrl-C does
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the child exits after writing its checkpoint");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(dir.resolve("err.txt"));
        assertTrue(err.contains("train: interrupted; checkpoint written to " + ck + " (continue with --resume --checkpoint " + ck + ")"),
                "the child says it wrote its checkpoint; its stderr was: '" + err + "'");

        Checkpoint cp = Checkpoint.read(ck);
        int target = cp.position().completedEpochs() + 1;
        TrainConfig config = SparkTrainCommand.config(CONFIG).withEpochs(target);
        try (SparkTrainer resumed = SparkTrainer.resume(LocalSpark.context(), cp, target, SparkOptions.synchronous(2));
                SparkTrainer straight = SparkTrainer.start(LocalSpark.context(), config, SparkOptions.synchronous(2))) {
            resumed.run(new Trainer.Listener() { });
            straight.run(new Trainer.Listener() { });
            Runs.assertIdentical(new Runs.Result(List.of(), straight.model().stateDict()), new Runs.Result(List.of(), resumed.model().stateDict()));
        }
    }
}
