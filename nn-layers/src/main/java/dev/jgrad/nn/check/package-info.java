/**
 * Gradient checks for whole modules: {@link dev.jgrad.nn.check.ModuleGradCheck} compares the tape's
 * parameter gradients of a loss with finite differences obtained by perturbing parameter values.
 *
 * <p>Not here: checks of functions of tensors, which are {@code dev.jgrad.check}'s
 * ({@code GradCheck}, whose options, tolerance rule and report this package reuses).
 */
package dev.jgrad.nn.check;
