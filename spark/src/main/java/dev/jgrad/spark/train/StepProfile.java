package dev.jgrad.spark.train;

import java.util.Locale;

/**
 * Where the driver's time per step goes: preparing and broadcasting the step's input, the Spark job
 * (scheduling, shipping, the tasks, collecting and summing their results), of which the slowest task's
 * own computation, and applying the update. Also the bytes of vector data sent and received.
 */
public final class StepProfile {
    private long steps;
    private long broadcastNanos;
    private long jobNanos;
    private long taskNanos;
    private long updateNanos;
    private long bytesOut;
    private long bytesIn;

    void add(long broadcast, long job, long task, long update, long out, long in) {
        steps++;
        broadcastNanos += broadcast;
        jobNanos += job;
        taskNanos += task;
        updateNanos += update;
        bytesOut += out;
        bytesIn += in;
    }

    public long steps() {
        return steps;
    }

    /** Mean milliseconds per step of the driver's wall time not spent in the slowest task: the exchange's cost. */
    public double overheadMillis() {
        return steps == 0 ? 0 : (broadcastNanos + jobNanos - taskNanos + updateNanos) / 1e6 / steps;
    }

    /** One line: mean milliseconds per step of each part and the bytes moved. */
    public String summary() {
        if (steps == 0) {
            return "no steps";
        }
        double n = steps;
        return String.format(Locale.ROOT, "per step (mean of %d): broadcast %.1f ms, job %.1f ms (slowest task %.1f ms, so "
                        + "scheduling, shipping and summing %.1f ms), update %.1f ms; %.2f MB to each task, %.2f MB from all tasks",
                steps, broadcastNanos / 1e6 / n, jobNanos / 1e6 / n, taskNanos / 1e6 / n, (jobNanos - taskNanos) / 1e6 / n,
                updateNanos / 1e6 / n, bytesOut / 1e6 / n, bytesIn / 1e6 / n);
    }
}
