package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.spark.LocalSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A task that fails is retried by Spark, and the run ends with the bits of a run where nothing failed. */
class TaskFailureTest {
    private final JavaSparkContext sc = LocalSpark.context();

    @AfterEach
    void clearHooks() {
        sc.setLocalProperty(FaultInjection.FAIL_FIRST_ATTEMPT, null);
        sc.setLocalProperty(FaultInjection.OUT_OF_MEMORY, null);
    }

    @Test
    void aRetriedTaskGivesBitIdenticalWeights() {
        TrainConfig config = Runs.tiny("--cell", "gru", "--sampling", "sequential");
        SparkOptions options = SparkOptions.synchronous(3);
        Runs.Result clean = Runs.spark(sc, config, options, 12);

        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failures.add("partition " + end.taskInfo().partitionId() + ", attempt " + end.taskInfo().attemptNumber());
                }
            }
        };
        sc.sc().addSparkListener(listener);
        try {
            sc.setLocalProperty(FaultInjection.FAIL_FIRST_ATTEMPT, "5:1");
            Runs.Result retried = Runs.spark(sc, config, options, 12);
            Runs.assertIdentical(clean, retried);
        } finally {
            sc.sc().removeSparkListener(listener);
        }
        // Task-end events reach listeners asynchronously, shortly after the job's result.
        for (long deadline = System.nanoTime() + 10_000_000_000L; failures.isEmpty() && System.nanoTime() < deadline; ) {
            Thread.onSpinWait();
        }
        assertEquals(List.of("partition 1, attempt 0"), failures, "the hook made exactly one task fail, once");
    }

    @Test
    void anExecutorOutOfMemoryIsReportedWithHowToRaiseIt() {
        TrainConfig config = Runs.tiny();
        sc.setLocalProperty(FaultInjection.OUT_OF_MEMORY, "2:0");
        var e = assertThrows(IllegalStateException.class, () -> Runs.spark(sc, config, SparkOptions.synchronous(2), 5));
        String heap = (Runtime.getRuntime().maxMemory() >> 20) + " MiB";
        assertEquals("an executor ran out of memory in epoch 1, batch 2 of 17, partition 0 (executor heap limit "
                + heap + "): give the executors more heap with --conf spark.executor.memory=4g (in local mode the driver's: "
                + "JGRAD_JAVA_OPTS=-Xmx4g ./jgrad-spark, or spark-submit --driver-memory 4g), or spread each minibatch over "
                + "more --partitions", e.getMessage());
        assertTrue(sc.sc().isStopped() == false, "the driver's Spark context survives an executor's exhausted heap");
    }

}
