/**
 * Reverse-mode automatic differentiation: {@link dev.jgrad.autodiff.Variable} (values with the
 * fluent op surface), {@link dev.jgrad.autodiff.Tape} (scoped recording and the backward walk, where
 * broadcasting is undone), {@link dev.jgrad.autodiff.Op}, the closed set of ops, each with its
 * forward and its derivative rule side by side, {@link dev.jgrad.autodiff.CustomOp}, the way to add
 * an op of your own with its rule, and {@link dev.jgrad.autodiff.Unrolled}, the scope in which a loop
 * over time steps computes its per-step-input work once for all steps. Rules are written with
 * differentiable ops, so grad-of-grad works for every op. To find where a NaN came from, record with
 * {@code Tape.record().withAnomalyDetection()}.
 */
package dev.jgrad.autodiff;
