/**
 * The {@code jgrad-spark} program ({@link dev.jgrad.spark.Main}): the {@code train} command on Apache
 * Spark ({@link dev.jgrad.spark.SparkTrainCommand}), which takes {@code gru-examples train}'s own option
 * mixins plus Spark's options, a {@code bench} command, and {@link dev.jgrad.spark.SparkContexts}, which
 * opens a context after checking what would otherwise fail slowly (an unreachable master) or obscurely
 * (missing JVM options). The training itself lives in {@code spark.train}, the corpus in {@code spark.data}.
 */
package dev.jgrad.spark;
