package dev.jgrad.spark.train;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;

/**
 * Spark's own timeline of the step jobs (those of job group {@link #JOB_GROUP}): from the
 * driver's call to the job's start (closure cleaning, job submission), from the job's start to its
 * first task's launch (scheduling, serialising and sending the tasks), inside the tasks (deserialising
 * the task, running it, serialising the result), and from the last task's end to the job's end
 * (sending the results and summing them on the driver). Spark posts these events asynchronously, so
 * the totals may lag the last step by a moment. Times are Spark's, in milliseconds.
 */
final class StepStages extends SparkListener {
    /** The job group of the step jobs. */
    static final String JOB_GROUP = "jgrad-step";
    private final Map<Integer, Long> jobStart = new HashMap<>();
    private final Map<Integer, Integer> stageJob = new HashMap<>();
    private final Map<Integer, Long> firstLaunch = new HashMap<>();
    private final Map<Integer, Long> lastFinish = new HashMap<>();
    private final Map<Integer, Long> calledAt = new HashMap<>();
    private long called;
    private int jobs;
    private long tasks;
    private long beforeJob;
    private long toLaunch;
    private long afterTasks;
    private long deserialize;
    private long run;
    private long serialize;

    /** The driver is about to start a step's job (wall-clock milliseconds). */
    synchronized void calling(long millis) {
        called = millis;
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
        if (e.properties() != null && JOB_GROUP.equals(e.properties().getProperty("spark.jobGroup.id"))) {
            for (StageInfo s : scala.jdk.javaapi.CollectionConverters.asJava(e.stageInfos())) {
                stageJob.put(s.stageId(), e.jobId());
            }
            jobStart.put(e.jobId(), e.time());
            calledAt.put(e.jobId(), called);
        }
    }

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart e) {
        Integer job = stageJob.get(e.stageId());
        if (job != null) {
            firstLaunch.merge(job, e.taskInfo().launchTime(), Math::min);
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        Integer job = stageJob.get(e.stageId());
        if (job == null || !e.taskInfo().successful() || e.taskMetrics() == null) {
            return;
        }
        lastFinish.merge(job, e.taskInfo().finishTime(), Math::max);
        TaskMetrics m = e.taskMetrics();
        tasks++;
        deserialize += m.executorDeserializeTime();
        run += m.executorRunTime();
        serialize += m.resultSerializationTime();
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd e) {
        Long start = jobStart.remove(e.jobId());
        Long launch = firstLaunch.remove(e.jobId());
        Long finish = lastFinish.remove(e.jobId());
        Long call = calledAt.remove(e.jobId());
        stageJob.values().removeIf(j -> j == e.jobId());
        if (start == null || launch == null || finish == null || call == null) {
            return;
        }
        jobs++;
        beforeJob += start - call;
        toLaunch += launch - start;
        afterTasks += e.time() - finish;
    }

    /** One line: per step, each part of the job's timeline, and per task its own three parts. */
    synchronized String summary() {
        if (jobs == 0 || tasks == 0) {
            return "no step job reported yet";
        }
        return String.format(Locale.ROOT, "Spark's timeline per step (mean of %d): call to job start %.1f ms, job start to first "
                        + "task %.1f ms, last task to job end %.1f ms; per task: deserialise %.1f ms, run %.1f ms, serialise the result "
                        + "%.1f ms", jobs, (double) beforeJob / jobs, (double) toLaunch / jobs, (double) afterTasks / jobs,
                (double) deserialize / tasks, (double) run / tasks, (double) serialize / tasks);
    }
}
