/**
 * The {@code train} and {@code sample} commands: a character-level recurrent language model as in
 * the GRU chapter of Dive into Deep Learning — the model ({@link dev.jgrad.examples.train.CharModel}),
 * the training loop ({@link dev.jgrad.examples.train.Trainer}), atomic checkpoints that resume
 * bit-exactly ({@link dev.jgrad.examples.train.Checkpoint}), text generation and the arithmetic
 * quality measure of the default corpus. Corpus handling lives in {@code examples.data}.
 */
package dev.jgrad.examples.train;
