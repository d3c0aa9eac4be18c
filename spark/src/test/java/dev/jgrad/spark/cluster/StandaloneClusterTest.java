package dev.jgrad.spark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.spark.LocalSpark;
import dev.jgrad.spark.SparkContexts;
import dev.jgrad.spark.train.FaultInjection;
import dev.jgrad.spark.train.Runs;
import dev.jgrad.spark.train.SparkOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real cluster: a standalone master and two one-core workers, each its own JVM on 127.0.0.1, made
 * of Spark's own classes; the application's classes reach the executors through {@code spark.jars}.
 * The cluster trains to {@code train}'s numbers, and survives an executor JVM killed mid-run with
 * the weights of a run where nothing died.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    private static final int STEPS = 20;
    private static Path dir;
    private static StandaloneCluster cluster;
    private static JavaSparkContext sc;

    @BeforeAll
    static void startCluster() throws IOException {
        LocalSpark.stop();
        dir = Files.createTempDirectory("jgrad-cluster-");
        cluster = StandaloneCluster.start(dir, StandaloneCluster.sparkJars(Path.of(System.getProperty("jgrad.spark.classpath"))), 2, 1,
                "1g");
        sc = SparkContexts.open(cluster.conf("jgrad-spark cluster test", StandaloneCluster.ownClassPath()));
        sc.setLogLevel("WARN");
        cluster.awaitExecutors(sc, 2, 180);
    }

    @AfterAll
    static void stopCluster() {
        if (sc != null) {
            sc.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static TrainConfig config() {
        return Runs.tiny("--cell", "gru", "--sampling", "sequential", "--optimizer", "adam", "--lr", "0.01");
    }

    @Test
    @Order(1)
    void theClusterTrainsToTrainsNumbers() {
        TrainConfig config = config();
        Runs.Result single = Runs.single(config, STEPS);
        Runs.assertIdentical(single, Runs.spark(sc, config, SparkOptions.synchronous(1), STEPS));
        for (int partitions : new int[] {2, 4}) {
            Runs.assertClose(single, Runs.spark(sc, config, SparkOptions.synchronous(partitions), STEPS), 1e-12);
        }
    }

    @Test
    @Order(2)
    void executorsKilledMidRunLoseNothing() {
        TrainConfig config = config();
        SparkOptions two = SparkOptions.synchronous(2);
        Runs.Result clean = Runs.spark(sc, config, two, STEPS);
        List<ProcessHandle> before = cluster.executors();
        assertEquals(2, before.size(), "one executor per worker: " + before);
        // One executor is killed from outside between steps 5 and 6 (its cached corpus and shards go with
        // it); later, in step 12, the executor running partition 1 halts in the middle of its task.
        sc.setLocalProperty(FaultInjection.HALT_EXECUTOR, "12:1");
        Runs.Result survived;
        try {
            survived = Runs.spark(sc, config, two, STEPS, step -> {
                if (step == 5) {
                    ProcessHandle victim = before.get(0);
                    victim.destroyForcibly();
                    victim.onExit().join();
                }
            });
        } finally {
            sc.setLocalProperty(FaultInjection.HALT_EXECUTOR, null);
        }
        Runs.assertIdentical(clean, survived);
        List<Long> now = cluster.executors().stream().map(ProcessHandle::pid).toList();
        assertTrue(before.stream().filter(p -> now.contains(p.pid())).count() == 0,
                "both original executors are gone (" + before + " then " + now + ")");
    }
}
