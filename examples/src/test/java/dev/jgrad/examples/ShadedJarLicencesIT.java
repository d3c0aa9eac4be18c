package dev.jgrad.examples;

import dev.jgrad.testhooks.ShadedJarLicences;

/**
 * gru-examples.jar carries the licences of everything it bundles, and its NOTICE names exactly that
 * ({@link ShadedJarLicences}, after packaging, on the jar itself).
 */
class ShadedJarLicencesIT extends ShadedJarLicences {
    ShadedJarLicencesIT() {
        super("gru-examples.jar");
    }
}
