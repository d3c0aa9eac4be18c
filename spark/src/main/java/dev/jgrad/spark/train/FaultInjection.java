package dev.jgrad.spark.train;

import org.apache.spark.TaskContext;

/**
 * Test hooks that make a task fail on its first attempt only, so tests can show that Spark's retry
 * gives the same result. They are set as local properties of the driver thread that runs the
 * training ({@code JavaSparkContext.setLocalProperty}), which Spark hands to every task of its jobs;
 * a run that sets none is unaffected. "First attempt" is {@code TaskContext.attemptNumber()} 0 of the
 * stage's first attempt.
 */
public final class FaultInjection {
    /** {@code "STEP:PARTITION"}: that task of that step throws on its first attempt. */
    public static final String FAIL_FIRST_ATTEMPT = "jgrad.test.failFirstAttempt";
    /**
     * {@code "STEP:PARTITION"}: on its first attempt that task halts its JVM, as a crashed or killed
     * executor would, while the step's other tasks run (on a cluster only: in local mode it is the driver's JVM).
     */
    public static final String HALT_EXECUTOR = "jgrad.test.haltExecutor";
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
        // A stage resubmitted after a lost executor numbers its task attempts from 0 again.
        boolean first = tc.attemptNumber() == 0 && tc.stageAttemptNumber() == 0;
        if (here.equals(tc.getLocalProperty(FAIL_FIRST_ATTEMPT)) && first) {
            throw new IllegalStateException("injected failure of step " + step + ", partition " + partition + ", attempt 0");
        }
        if (here.equals(tc.getLocalProperty(HALT_EXECUTOR)) && first) {
            Runtime.getRuntime().halt(137);
        }
        if (here.equals(tc.getLocalProperty(OUT_OF_MEMORY))) {
            throw new OutOfMemoryError("Java heap space (injected)");
        }
    }
}
