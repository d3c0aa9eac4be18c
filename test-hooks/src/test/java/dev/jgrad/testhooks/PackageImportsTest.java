package dev.jgrad.testhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageImportsTest {
    @TempDir
    Path dir;

    @Test
    void findsImportsFromTheForbiddenPackagesAndTheirSubpackagesOnly() throws IOException {
        Files.writeString(dir.resolve("A.java"), """
                package x.low;

                import x.high.Thing;
                import static x.high.sub.Other.make;
                import x.higher.Fine;
                import java.util.List;
                """);
        Files.writeString(dir.resolve("B.java"), "package x.low;\n\nimport x.low.Peer;\n");
        Files.writeString(dir.resolve("notes.txt"), "import x.high.Ignored;\n");
        assertEquals(List.of("A.java: import x.high.Thing;", "A.java: import static x.high.sub.Other.make;"),
                PackageImports.from(dir, "x.high"));
        assertEquals(List.of(), PackageImports.from(dir, "x.other"));
    }

    @Test
    void aFolderWithoutSourcesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PackageImports.from(dir, "x.high"));
    }
}
