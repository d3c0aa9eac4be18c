package dev.jgrad.spark.train;

/**
 * Turns a failed Spark job into one line that says what to do. Spark reports a task's failure as a
 * {@code SparkException} whose message holds the task's exception as text, so this reads messages
 * as well as causes.
 */
final class SparkFailures {
    private static final java.util.regex.Pattern OOM_EXIT = java.util.regex.Pattern.compile("(?i)exit(ed)?( with)? code( is)?:? 52\\b");

    private SparkFailures() {
    }

    /** The exception to report for a step labelled {@code label} whose Spark job failed with {@code e}. */
    static RuntimeException explain(String label, Exception e) {
        String oom = null;
        boolean executorLostToMemory = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PartitionStep.OutOfMemory) {
                oom = t.getMessage();
                break;
            }
            String m = String.valueOf(t.getMessage());
            int at = m.indexOf(PartitionStep.OutOfMemory.class.getName() + ": ");
            if (at >= 0) {
                oom = m.substring(at + PartitionStep.OutOfMemory.class.getName().length() + 2).lines().findFirst().orElse("");
                break;
            }
            // An executor that died of an exhausted heap outside our code exits with Spark's code 52
            // (standalone: "Command exited with code 52"; YARN: "Exit code is 52"; Kubernetes: "exit code 52").
            executorLostToMemory |= m.contains("OutOfMemoryError") || OOM_EXIT.matcher(m).find();
        }
        if (oom != null || executorLostToMemory) {
            return new IllegalStateException("an executor ran out of memory in " + (oom != null ? oom : label) + ": give the executors more heap with --conf "
                    + "spark.executor.memory=4g (in local mode the driver's: JGRAD_JAVA_OPTS=-Xmx4g ./jgrad-spark, or "
                    + "spark-submit --driver-memory 4g), or spread each minibatch over more --partitions", e);
        }
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return new IllegalStateException(label + ": Spark failed the step: " + m.lines().findFirst().orElse(m), e);
    }
}
