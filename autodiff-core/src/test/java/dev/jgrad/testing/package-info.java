/**
 * Test support shipped in autodiff-core's test-jar, for this module's tests, {@code nn-layers}' tests
 * and users' own: jqwik generators of shapes and tensors ({@link dev.jgrad.testing.TensorArbitraries}),
 * the cotangent-weighted gradient checks every op property uses ({@link dev.jgrad.testing.CotangentChecks}),
 * and the jqwik hook that prints how many properties and tries ran and fails a run that executed none
 * ({@link dev.jgrad.testing.PropertyRunSummary}). Nothing here is used by main code.
 */
package dev.jgrad.testing;
