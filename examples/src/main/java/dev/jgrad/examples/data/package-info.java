/**
 * Text data for the character-level language model: corpora (d2l's preprocessing and the
 * project's own generated arithmetic text), the character {@link dev.jgrad.examples.data.Vocabulary},
 * and the two d2l {@link dev.jgrad.examples.data.Partitioning} schemes that cut a token stream into
 * minibatches. No model code lives here.
 */
package dev.jgrad.examples.data;
