package dev.jgrad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.testhooks.PackageImports;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * autodiff-core's layering, on the imports of its main sources: {@code tensor} (values and kernels) knows nothing of
 * the tape, and {@code autodiff} (the tape and its ops) nothing of the gradient checks built on it.
 */
class PackageDependencyTest {
    private static final Path MAIN = Path.of("src/main/java/dev/jgrad");

    @Test
    void tensorsKnowNothingOfTheTape() {
        assertEquals(List.of(), PackageImports.from(MAIN.resolve("tensor"), "dev.jgrad.autodiff", "dev.jgrad.check"));
    }

    @Test
    void theTapeKnowsNothingOfTheChecks() {
        assertEquals(List.of(), PackageImports.from(MAIN.resolve("autodiff"), "dev.jgrad.check"));
    }
}
