/**
 * Optimizers ({@link dev.jgrad.nn.optim.Sgd}, {@link dev.jgrad.nn.optim.Adam}) that update
 * {@link dev.jgrad.nn.Parameter}s from their gradients, with state export for bit-exact resumption,
 * and {@link dev.jgrad.nn.optim.GradientClipping} with an explicit policy for non-finite gradients.
 * A learning-rate schedule would go here.
 *
 * <p>Not here: the gradients themselves (the tape computes them) and losses ({@code dev.jgrad.nn.loss}).
 */
package dev.jgrad.nn.optim;
