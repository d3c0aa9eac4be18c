/**
 * JUnit Platform hooks for jgrad's own test runs, kept out of the published artifacts: the jqwik
 * lifecycle hook that prints how many properties and tries ran and fails a module whose property
 * classes ran nothing ({@link dev.jgrad.testhooks.PropertyRunSummary}), and the check that fails a
 * test leaving a tape or an unrolled scope open on its thread
 * ({@link dev.jgrad.testhooks.OpenScopeCheck}). Users' test suites get the generators and checks
 * from {@code jgrad-testing} instead, which registers nothing.
 */
package dev.jgrad.testhooks;
