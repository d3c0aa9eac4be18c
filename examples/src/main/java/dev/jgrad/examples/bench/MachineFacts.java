package dev.jgrad.examples.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The facts that make a benchmark figure interpretable: processors available to the JVM, the CPU
 * model and its SIMD flags (from {@code /proc/cpuinfo}; "unknown" elsewhere) and the JDK.
 */
public record MachineFacts(int cores, String cpu, boolean avx2, boolean fma, boolean avx512f, String jdk) {
    /** Reads the facts of this machine and JVM. */
    public static MachineFacts detect() {
        String model = "unknown";
        Set<String> flags = Set.of();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals("unknown")) model = value;
                if (key.equals("flags") && flags.isEmpty()) flags = Set.of(value.split("\\s+"));
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the facts stay "unknown"/false, which the table shows as such.
        }
        return new MachineFacts(Runtime.getRuntime().availableProcessors(), model, flags.contains("avx2"),
                flags.contains("fma"), flags.contains("avx512f"),
                System.getProperty("java.vm.name") + " " + Runtime.version());
    }

    /** One line for the head of a table. */
    public String describe() {
        return "machine: " + cores + " cores, " + cpu + ", avx2=" + yes(avx2) + " fma=" + yes(fma) + " avx512f=" + yes(avx512f)
                + ", JDK " + jdk;
    }

    /** The facts as JSON fields. */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", cores);
        m.put("cpu", cpu);
        m.put("avx2", avx2);
        m.put("fma", fma);
        m.put("avx512f", avx512f);
        m.put("runtime", "JDK " + jdk);
        return m;
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    /**
     * The heap in use after a full collection, in MiB: what the program keeps between steps. Meant for
     * outside timed regions ({@link System#gc()} costs a full collection).
     */
    public static double keptHeapMib() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }

    /**
     * The peak resident set size of this process in MiB ({@code VmHWM} of {@code /proc/self/status}),
     * or NaN where that file does not exist.
     */
    public static double peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux.
        }
        return Double.NaN;
    }
}
