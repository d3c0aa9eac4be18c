package dev.jgrad.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks made before a command writes anything: no output may overwrite an input, and its folder must exist. */
public final class OutputFiles {
    private OutputFiles() {
    }

    /**
     * Refuses, as a usage error (exit code 2), an output that is the same file as one of the inputs
     * (the same path, or another path to the same file through links).
     *
     * @param outputOption the output's option name, e.g. {@code --output}
     * @param inputs       each input's option name and path; null paths are skipped
     */
    public static void refuseOverwritingInputs(CommandSpec spec, String outputOption, Path output, Map<String, Path> inputs) {
        inputs.forEach((option, input) -> {
            if (input != null && sameFile(output, input)) {
                throw new ParameterException(spec.commandLine(), outputOption + " " + output + " is the " + option
                        + " file; writing it would destroy the input: choose another " + outputOption);
            }
        });
    }

    /** Whether two paths name the same file: equal once made absolute and normal, or the same existing file. */
    public static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Refuses (exit code 1, as for any file that cannot be written) an output whose folder does not
     * exist, is not a folder or cannot be written to, naming that folder rather than the temporary
     * file an atomic write would have created in it.
     */
    public static void requireWritableFolderOf(String outputOption, Path output) {
        Path folder = output.getParent() != null ? output.getParent() : Path.of(".");
        String why = !Files.exists(folder, LinkOption.NOFOLLOW_LINKS) && !Files.exists(folder) ? "does not exist"
                : !Files.isDirectory(folder) ? "is not a folder"
                : !Files.isWritable(folder) ? "is not writable" : null;
        if (why != null) {
            throw new IllegalArgumentException("cannot write " + outputOption + " " + output + ": the folder " + folder + " " + why);
        }
    }
}
