package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How failed jobs are reported: an executor that died of its heap is told apart from any other failure. */
class SparkFailuresTest {
    private static final String ADVICE = ": give the executors more heap with --conf spark.executor.memory=4g (in local mode the "
            + "driver's: JGRAD_JAVA_OPTS=-Xmx4g ./jgrad-spark, or spark-submit --driver-memory 4g), or spread each minibatch over "
            + "more --partitions";

    @Test
    void anExecutorThatExitedWithSparksOutOfMemoryCodeIsAMemoryProblem() {
        for (String reason : new String[] {"Command exited with code 52", "Exit code is 52", "exit code 52",
            "java.lang.OutOfMemoryError: Java heap space"}) {
            RuntimeException e = SparkFailures.explain("epoch 1, batch 3 of 9", new RuntimeException("Job aborted due to stage "
                    + "failure: Task 1 in stage 7.0 failed 4 times, most recent failure: Lost task 1.3 in stage 7.0 (TID 30) "
                    + "(127.0.0.1 executor 3): ExecutorLostFailure (executor 3 exited caused by one of the running tasks) Reason: "
                    + reason + "\nDriver stacktrace:"));
            assertEquals("an executor ran out of memory in epoch 1, batch 3 of 9" + ADVICE, e.getMessage(), reason);
        }
    }

    /**
     * On a cluster the driver may get the task's exception only as text in Spark's message (when it cannot
     * deserialise it): the partition's own report of its exhausted heap is still found there, and its first
     * line is what the user sees.
     */
    @Test
    void aTasksOutOfMemoryReportIsFoundInSparksMessage() {
        RuntimeException e = SparkFailures.explain("epoch 1, batch 3 of 9", new RuntimeException("Job aborted due to stage failure: "
                + "Task 0 in stage 3.0 failed 4 times, most recent failure: Lost task 0.3 in stage 3.0 (TID 12) (127.0.0.1 executor 1): "
                + PartitionStep.OutOfMemory.class.getName() + ": epoch 1, batch 3 of 9, partition 0 (executor heap limit 1024 MiB)\n"
                + "\tat dev.jgrad.spark.train.PartitionStep.run(PartitionStep.java:60)\nDriver stacktrace:"));
        assertEquals("an executor ran out of memory in epoch 1, batch 3 of 9, partition 0 (executor heap limit 1024 MiB)" + ADVICE,
                e.getMessage());
    }

    @Test
    void anyOtherFailureIsItsFirstLineUnderTheStep() {
        RuntimeException e = SparkFailures.explain("epoch 1, batch 3 of 9", new RuntimeException("Job aborted: Command exited with "
                + "code 520\nmore"));
        assertEquals("epoch 1, batch 3 of 9: Spark failed the step: Job aborted: Command exited with code 520", e.getMessage());
    }
}
