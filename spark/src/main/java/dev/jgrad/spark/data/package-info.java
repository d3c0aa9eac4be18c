/**
 * The corpus as Spark holds it: {@link dev.jgrad.spark.data.SparkCorpus} reads {@code train}'s text,
 * counts the vocabulary and tokenises it in Spark tasks into cached {@link dev.jgrad.spark.data.TokenChunk}s;
 * {@link dev.jgrad.spark.data.EpochShards} moves each epoch's minibatch rows to the training partitions
 * that own them, as {@link dev.jgrad.spark.data.Shard}s. No model code lives here.
 */
package dev.jgrad.spark.data;
