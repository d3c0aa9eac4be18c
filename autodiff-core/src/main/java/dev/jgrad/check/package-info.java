/**
 * Gradient checking as public API for users' own tests: {@link dev.jgrad.check.GradCheck} (first and
 * second order, full or random-direction, against central finite differences in float64) and
 * {@link dev.jgrad.check.Jacobian} (the Jacobian of a function at a point, by the tape or by finite
 * differences). Both gradient checkers, this one and {@code ModuleGradCheck} for modules, return a
 * {@link dev.jgrad.check.GradCheckReport} listing each {@link dev.jgrad.check.Mismatch}. No
 * test-framework dependency.
 */
package dev.jgrad.check;
