/**
 * Test support for jgrad's own test runs, kept out of the published artifacts: the jqwik lifecycle
 * hook that prints how many properties and tries ran and fails a module whose property classes ran
 * nothing ({@link dev.jgrad.testhooks.PropertyRunSummary}), the check that fails a test leaving a
 * tape or an unrolled scope open on its thread ({@link dev.jgrad.testhooks.OpenScopeCheck}), the null
 * and equality contracts each module checks over its whole public API with guava-testlib
 * ({@link dev.jgrad.testhooks.ApiContracts}), the package dependency rules, on the imports of a
 * module's sources ({@link dev.jgrad.testhooks.PackageImports}), and the licence checks of the shaded
 * program jars ({@link dev.jgrad.testhooks.ShadedJarLicences}).
 * Users' test suites get the generators and checks from {@code jgrad-testing} instead, which registers
 * nothing.
 */
package dev.jgrad.testhooks;
