package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache sizes read from a sysfs-like directory, and "unknown" where it is missing or incomplete; the kept heap
 * counted from live objects, without the collector's fillers.
 */
class MachineFactsTest {
    private static void index(Path dir, int n, int level, String type, String size) throws IOException {
        Path index = Files.createDirectories(dir.resolve("index" + n));
        Files.writeString(index.resolve("level"), level + "\n");
        Files.writeString(index.resolve("type"), type + "\n");
        Files.writeString(index.resolve("size"), size + "\n");
    }

    @Test
    void dataAndUnifiedCachesByLevelInKibOrWholeMib(@TempDir Path dir) throws IOException {
        index(dir, 3, 3, "Unified", "32768K");
        index(dir, 0, 1, "Data", "48K");
        index(dir, 1, 1, "Instruction", "32K");
        index(dir, 2, 2, "Unified", "1280K");
        index(dir, 4, 4, "Unified", "2M");
        Files.createDirectories(dir.resolve("power"));   // sysfs has other entries beside the indexN ones
        assertEquals("L1d 48 KiB, L2 1280 KiB, L3 32 MiB, L4 2 MiB", MachineFacts.caches(dir));
    }

    @Test
    void unknownWithoutTheDirectoryOrWithAnIndexMissingOrMisreadingAFile(@TempDir Path dir) throws IOException {
        assertEquals("unknown", MachineFacts.caches(dir.resolve("absent")));
        assertEquals("unknown", MachineFacts.caches(dir));
        index(dir, 0, 1, "Data", "32K");
        Files.delete(dir.resolve("index0").resolve("size"));
        assertEquals("unknown", MachineFacts.caches(dir));
        Files.writeString(dir.resolve("index0").resolve("size"), "32 kilobytes\n");
        assertEquals("unknown", MachineFacts.caches(dir));
    }

    @Test
    void liveBytesAreTheHistogramsTotalLessItsFillers() {
        String histogram = """
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:          1032      241585136  [D (java.base@25.0.3)
                   2:            19       12758288  [Ljdk.internal.vm.FillerElement; (java.base@25.0.3)
                   3:         24212        1738056  [B (java.base@25.0.3)
                   4:             3             96  jdk.internal.vm.FillerObject (java.base@25.0.3)
                Total         25266      256081576
                """;
        assertEquals(256081576L - 12758288 - 96, MachineFacts.liveBytes(histogram));
        assertThrows(IllegalArgumentException.class, () -> MachineFacts.liveBytes("   1:  3  96  [D (java.base@25.0.3)\n"));
    }

    @Test
    void theKeptHeapCountsAnArrayWhileItIsHeld() {
        double without = MachineFacts.keptHeapMib();
        long[] held = new long[32 << 17];   // 32 MiB
        double with = MachineFacts.keptHeapMib();
        held[held.length - 1] = 1;
        assertEquals(32.0, with - without, 2.0, "kept heap " + without + " then " + with + " MiB");
        assertEquals(1, held[held.length - 1]);
    }
}
