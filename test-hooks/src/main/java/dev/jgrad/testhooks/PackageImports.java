package dev.jgrad.testhooks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The package dependency rules each library module states in its package notes, checked on the imports of its sources. */
public final class PackageImports {
    private PackageImports() {
    }

    /**
     * The imports in the Java sources of one package folder (not its subfolders) that name a class of one of
     * {@code packages} or of a package below it, as {@code "File.java: import …"}.
     *
     * @param folder   a package's source folder, such as {@code src/main/java/dev/jgrad/tensor}
     * @param packages the packages the sources must not import from, such as {@code dev.jgrad.autodiff}
     * @return the offending imports, in file order; empty when the rule holds
     * @throws IllegalArgumentException when the folder holds no Java sources (a wrong path would pass unseen)
     */
    public static List<String> from(Path folder, String... packages) {
        List<String> found = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.list(folder)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder.toAbsolutePath(), e);
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no Java sources in " + folder.toAbsolutePath());
        }
        for (Path f : sources) {
            try {
                for (String line : Files.readAllLines(f)) {
                    String l = line.strip();
                    for (String p : packages) {
                        if (l.matches("import (static )?" + p.replace(".", "\\.") + "\\..*")) {
                            found.add(f.getFileName() + ": " + l);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f.toAbsolutePath(), e);
            }
        }
        return found;
    }
}
