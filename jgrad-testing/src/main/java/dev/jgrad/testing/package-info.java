/**
 * The tensor half of {@code jgrad-testing}, the test kit for users' suites and ours: jqwik generators of
 * shapes, broadcasting pairs, matrix-product shapes and float64 tensors
 * ({@link dev.jgrad.testing.TensorArbitraries}), and gradient checks of a function through a random
 * cotangent, first and second order ({@link dev.jgrad.testing.CotangentChecks}). Cells and modules have
 * their own checks in {@link dev.jgrad.testing.nn}.
 *
 * <p>These classes need only {@code autodiff-core}; autodiff-core's and nn-layers' own tests compile them
 * from this source folder (see {@code autodiff-core/pom.xml} for why), so nothing here may use
 * {@code dev.jgrad.nn}.
 * Nothing here registers itself with JUnit or jqwik: no services file, no {@code junit-platform.properties}.
 */
package dev.jgrad.testing;
