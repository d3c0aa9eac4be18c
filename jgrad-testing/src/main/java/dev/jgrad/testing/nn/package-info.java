/**
 * The module half of {@code jgrad-testing}: one-call gradient checks for a recurrent cell written from
 * its equations ({@link dev.jgrad.testing.nn.CellChecks}) and for any module
 * ({@link dev.jgrad.testing.nn.ModuleChecks}), built on {@code nn-layers}' {@code ModuleGradCheck} and the
 * cotangent checks of {@link dev.jgrad.testing}. Everything runs in float64 and throws
 * {@link java.lang.AssertionError} with the gradient check's report, so it works under any test framework.
 *
 * <p>This package needs {@code nn-layers}, so autodiff-core's tests, which compile the rest of the kit
 * from source, leave it out; nn-layers' tests compile all of it.
 */
package dev.jgrad.testing.nn;
