/**
 * Losses: the scalar a training step differentiates, from a model's outputs and the targets.
 * {@link dev.jgrad.nn.loss.Losses} holds them (mean cross-entropy over tokens, mean squared error)
 * and perplexity; a loss has no parameters, so a new one is another function there, not a module.
 *
 * <p>Not here: anything with parameters, which is a layer ({@code dev.jgrad.nn.layer}).
 */
package dev.jgrad.nn.loss;
