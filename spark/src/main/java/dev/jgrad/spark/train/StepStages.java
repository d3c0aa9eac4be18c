package dev.jgrad.spark.train;

import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;

/**
 * Spark's own account of the step jobs' stages (the stages of {@code treeAggregate} in
 * {@link SparkTrainer}): how long each stage took from submission to completion, and how long its
 * tasks spent deserialising the task, running, and serialising the result. Spark posts these events
 * asynchronously, so the totals may lag the last step by a moment.
 */
final class StepStages extends SparkListener {
    private long stages;
    private long tasks;
    private long stageMillis;
    private long deserializeMillis;
    private long runMillis;
    private long serializeMillis;

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted event) {
        StageInfo info = event.stageInfo();
        if (!info.name().startsWith("treeAggregate at SparkTrainer") || info.failureReason().isDefined()
                || info.submissionTime().isEmpty() || info.completionTime().isEmpty()) {
            return;
        }
        TaskMetrics m = info.taskMetrics();
        stages++;
        tasks += info.numTasks();
        stageMillis += (Long) info.completionTime().get() - (Long) info.submissionTime().get();
        deserializeMillis += m.executorDeserializeTime();
        runMillis += m.executorRunTime();
        serializeMillis += m.resultSerializationTime();
    }

    /** One line: per step, the stage's wall time and each task's deserialisation, run and result serialisation. */
    synchronized String summary() {
        if (stages == 0) {
            return "no step stage reported yet";
        }
        return String.format(java.util.Locale.ROOT, "Spark's metrics per step (mean of %d): stage %.1f ms; per task: deserialise %.1f ms, "
                        + "run %.1f ms, serialise the result %.1f ms", stages, (double) stageMillis / stages,
                (double) deserializeMillis / tasks, (double) runMillis / tasks, (double) serializeMillis / tasks);
    }
}
