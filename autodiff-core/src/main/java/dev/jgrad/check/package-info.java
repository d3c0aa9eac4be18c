/**
 * Gradient checking as public API for users' own tests: {@link dev.jgrad.check.GradCheck} (first and
 * second order, full or random-direction, against central finite differences in float64) and
 * {@link dev.jgrad.check.Jacobian} (the Jacobian of a function at a point, by the tape or by finite
 * differences). No test-framework dependency.
 */
package dev.jgrad.check;
