package dev.jgrad.spark.train;

import org.apache.spark.TaskContext;

/**
 * Test hooks that make a task fail on its first attempt only, so tests can show that Spark's retry
 * gives the same result. They are set as local properties of the driver thread that runs the
 * training ({@code JavaSparkContext.setLocalProperty}), which Spark hands to every task of its jobs;
 * a run that sets none is unaffected.
 */
public final class FaultInjection {
    /** {@code "STEP:PARTITION"}: that task of that step throws on its first attempt. */
    public static final String FAIL_FIRST_ATTEMPT = "jgrad.test.failFirstAttempt";
    /** {@code "STEP:PARTITION"}: that task throws {@link OutOfMemoryError} on every attempt, as an exhausted heap would. */
    public static final String OUT_OF_MEMORY = "jgrad.test.outOfMemory";

    private FaultInjection() {
    }

    /** Throws when a hook targets this task of {@code step} in {@code partition}. */
    static void check(int step, int partition) {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return;
        }
        String here = step + ":" + partition;
        if (here.equals(tc.getLocalProperty(FAIL_FIRST_ATTEMPT)) && tc.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure of step " + step + ", partition " + partition + ", attempt 0");
        }
        if (here.equals(tc.getLocalProperty(OUT_OF_MEMORY))) {
            throw new OutOfMemoryError("Java heap space (injected)");
        }
    }
}
