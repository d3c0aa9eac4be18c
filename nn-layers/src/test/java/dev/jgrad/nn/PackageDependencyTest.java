package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.testhooks.PackageImports;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of nn-layers' packages (the package notes of {@code dev.jgrad.nn}), on the imports of the
 * main sources: a cell is its equations, so {@code cell} uses neither the layers built from cells nor what trains,
 * checks or stores them; and no package of modules uses {@code optim}, {@code io} or {@code parallel}.
 */
class PackageDependencyTest {
    private static final Path MAIN = Path.of("src/main/java/dev/jgrad/nn");

    @Test
    void cellsUseNoLayersTrainingChecksOrStorage() {
        assertEquals(List.of(), PackageImports.from(MAIN.resolve("cell"),
                "dev.jgrad.nn.layer", "dev.jgrad.nn.loss", "dev.jgrad.nn.optim", "dev.jgrad.nn.check", "dev.jgrad.nn.io",
                "dev.jgrad.nn.parallel"));
    }

    @Test
    void modulesUseNoOptimizersFilesOrTrainingThreads() {
        for (String pkg : List.of("cell", "layer", "loss")) {
            assertEquals(List.of(), PackageImports.from(MAIN.resolve(pkg), "dev.jgrad.nn.optim", "dev.jgrad.nn.io", "dev.jgrad.nn.parallel"), pkg);
        }
    }
}
