package dev.jgrad.spark;

import dev.jgrad.testhooks.ShadedJarLicences;

/**
 * jgrad-spark.jar carries the licences of everything it bundles, and its NOTICE names exactly that: examples'
 * libraries without Jackson, which comes with Spark ({@link ShadedJarLicences}, after packaging, on the jar itself).
 */
class ShadedJarLicencesIT extends ShadedJarLicences {
    ShadedJarLicencesIT() {
        super("jgrad-spark.jar");
    }
}
