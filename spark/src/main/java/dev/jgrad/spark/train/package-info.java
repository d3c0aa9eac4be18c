/**
 * Data-parallel training on Spark: {@link dev.jgrad.spark.train.SparkTrainer} runs {@code train}'s own
 * loop with the steps of {@link dev.jgrad.spark.train.SparkSteps} (Note [One loop] in {@code Trainer});
 * one task's share of a step ({@link dev.jgrad.spark.train.PartitionStep}, with Note [Partition gradient]),
 * the order-independent sum of the tasks' results ({@link dev.jgrad.spark.train.TreeSum} over
 * {@link dev.jgrad.spark.train.Partial}s), and what travels between driver and tasks
 * ({@link dev.jgrad.spark.train.StepInput}, {@link dev.jgrad.spark.train.ModelSpec},
 * {@link dev.jgrad.spark.train.NamedArrays}).
 */
package dev.jgrad.spark.train;
