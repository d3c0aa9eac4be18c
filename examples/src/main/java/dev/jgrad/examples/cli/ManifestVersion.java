package dev.jgrad.examples.cli;

import picocli.CommandLine;

/**
 * {@code --version}: the {@code Implementation-Version} the build writes into the jar's manifest
 * (the POM's version), so the program never states a version it was not built as.
 */
public final class ManifestVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {line(ManifestVersion.class.getPackage().getImplementationVersion())};
    }

    /** The version line for a manifest's {@code Implementation-Version} (null: not run from the jar). */
    public static String line(String implementationVersion) {
        return line("gru-examples", implementationVersion);
    }

    /**
     * The version line of {@code program}, run from {@code program.jar}, for its manifest's
     * {@code Implementation-Version} (null: not run from the jar).
     */
    public static String line(String program, String implementationVersion) {
        return implementationVersion != null ? program + " " + implementationVersion
                : program + " (version unknown: not run from " + program + ".jar)";
    }
}
