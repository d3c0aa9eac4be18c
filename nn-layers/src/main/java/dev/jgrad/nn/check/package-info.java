/**
 * Gradient checks for whole modules: {@link dev.jgrad.nn.check.ModuleGradCheck} compares the tape's
 * parameter gradients of a loss with finite differences obtained by perturbing parameter values.
 */
package dev.jgrad.nn.check;
