package dev.jgrad.spark.train;

/**
 * How a run uses Spark; none of it is part of the run's arithmetic except {@code averageEvery}.
 *
 * @param partitions       training partitions: each global minibatch's rows are split between them
 * @param averageEvery     1: synchronous steps, the arithmetic of {@code train}; N > 1: each partition takes N
 *                         optimizer steps on its own rows, then the models are averaged (local SGD; other numbers)
 * @param aggregationDepth levels of the tree aggregation that sums the partitions' contributions: 1, the driver receives
 *                         every partition's; d > 1, d − 1 levels of tasks sum groups of neighbours first; 0, 1 up to
 *                         16 partitions and 2 above (the sum's order, and so its bits, do not depend on it)
 * @param taskThreads      the kernels' thread count inside each task
 */
public record SparkOptions(int partitions, int averageEvery, int aggregationDepth, int taskThreads) {
    public SparkOptions {
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        if (averageEvery < 1) {
            throw new IllegalArgumentException("--average-every must be at least 1 (1: synchronous), got " + averageEvery);
        }
        if (aggregationDepth < 0) {
            throw new IllegalArgumentException("--aggregation-depth must be at least 1 (0: automatic), got " + aggregationDepth);
        }
        if (taskThreads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + taskThreads);
        }
    }

    /** Synchronous training over {@code partitions} partitions, one kernel thread per task, automatic aggregation depth. */
    public static SparkOptions synchronous(int partitions) {
        return new SparkOptions(partitions, 1, 0, 1);
    }

    /** The aggregation depth used: the one given, or 1 up to 16 partitions and 2 above. */
    public int effectiveAggregationDepth() {
        return aggregationDepth > 0 ? aggregationDepth : partitions <= 16 ? 1 : 2;
    }

    /** The same options with an aggregation of {@code depth} levels. */
    public SparkOptions aggregatingIn(int depth) {
        return new SparkOptions(partitions, averageEvery, depth, taskThreads);
    }

    /** The same options with models averaged every {@code n} local steps. */
    public SparkOptions averagingEvery(int n) {
        return new SparkOptions(partitions, n, aggregationDepth, taskThreads);
    }
}
