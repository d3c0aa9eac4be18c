package dev.jgrad.examples.bench;

import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.Kernels;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The facts that make a benchmark figure interpretable: processors available to the JVM, the CPU
 * model with its family, model number and stepping, and the SIMD extensions that decide a kernel's
 * speed (from {@code /proc/cpuinfo}; "unknown" elsewhere), the sizes of its data caches, which tell
 * whether a step's working set fits (from {@code /sys}), the JDK, the matrix-product backend
 * (OpenBLAS with its version and the core it chose, or the Java kernel) and the loops that compute
 * exp, tanh and σ.
 *
 * @param isa    the extensions among {@link #NOTABLE_FLAGS} this CPU reports
 * @param caches the first processor's data and unified caches by level, as {@link #caches(Path)} gives them
 */
public record MachineFacts(int cores, String cpu, List<String> isa, String caches, String jdk, String blas, String elementwise) {
    /** The {@code /proc/cpuinfo} flags that change what a GEMM or an elementwise loop can do. */
    static final List<String> NOTABLE_FLAGS = List.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16");

    /** Reads the facts of this machine and JVM (loading the native BLAS if it has not been tried). */
    public static MachineFacts detect() {
        Map<String, String> first = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon >= 0) {
                    first.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the CPU stays "unknown" and no extensions are listed, which the table shows as such.
        }
        String model = first.getOrDefault("model name", "unknown");
        if (first.containsKey("cpu family")) {
            // The model name alone ("AMD EPYC") does not tell one generation from the next.
            model += " (family " + first.get("cpu family") + " model " + first.get("model") + " stepping " + first.get("stepping") + ")";
        }
        Set<String> flags = Set.of(first.getOrDefault("flags", "").split("\\s+"));
        return new MachineFacts(Runtime.getRuntime().availableProcessors(), model, NOTABLE_FLAGS.stream().filter(flags::contains).toList(),
                caches(Path.of("/sys/devices/system/cpu/cpu0/cache")), System.getProperty("java.vm.name") + " " + Runtime.version(),
                Blas.description(), Kernels.elementwiseLoops());
    }

    /** Lines for the head of a table. */
    public String describe() {
        return "machine: " + cores + " cores, " + cpu + ", " + (isa.isEmpty() ? "no AVX2" : String.join(" ", isa)) + ", caches " + caches
                + ", JDK " + jdk + "\nmatmul: " + blas + "\nexp/tanh/sigmoid: " + elementwise;
    }

    /** The facts as JSON fields. */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", cores);
        m.put("cpu", cpu);
        m.put("isa", isa);
        m.put("caches", caches);
        m.put("runtime", "JDK " + jdk);
        m.put("blas", blas);
        m.put("elementwise", elementwise);
        return m;
    }

    /**
     * The data and unified caches a Linux {@code cache} directory of sysfs lists ({@code index0},
     * {@code index1}, … each with {@code level}, {@code type} and {@code size}), smallest level first:
     * {@code "L1d 32 KiB, L2 1 MiB, L3 32 MiB"}; "unknown" where there is no such directory. Instruction
     * caches are left out: no kernel's speed turns on them.
     *
     * @param dir the directory, {@code /sys/devices/system/cpu/cpu0/cache} on Linux
     * @return the caches, or "unknown"
     */
    static String caches(Path dir) {
        Map<Integer, String> byLevel = new TreeMap<>();
        try (var entries = Files.list(dir)) {
            for (Path index : entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                String type = Files.readString(index.resolve("type")).trim();
                if (type.equals("Instruction")) {
                    continue;
                }
                int level = Integer.parseInt(Files.readString(index.resolve("level")).trim());
                byLevel.put(level, "L" + level + (type.equals("Data") ? "d " : " ") + size(Files.readString(index.resolve("size")).trim()));
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";   // not Linux, or a sysfs without these files
        }
        return byLevel.isEmpty() ? "unknown" : String.join(", ", byLevel.values());
    }

    /** A sysfs cache size ({@code "32K"}, {@code "1024K"}, {@code "32M"}) in KiB or, when whole, MiB; any other form throws. */
    private static String size(String sysfs) {
        long n = Long.parseLong(sysfs.substring(0, sysfs.length() - 1));
        long kib = switch (sysfs.charAt(sysfs.length() - 1)) {
            case 'K' -> n;
            case 'M' -> n * 1024;
            default -> throw new IllegalArgumentException("cache size " + sysfs);
        };
        return kib >= 1024 && kib % 1024 == 0 ? kib / 1024 + " MiB" : kib + " KiB";
    }

    /**
     * The objects that survive a full collection, in MiB: what the program keeps between steps. HotSpot's class
     * histogram collects and then counts them, less the filler objects the collector leaves in space it did not
     * compact: the heap's "used" figure counts those too, and they come and go from one step to the next while the live
     * objects stay (docs/measurements/2026-12-06-xeon/kept-heap-live/). Where the histogram is not available, the heap in
     * use after {@link System#gc()}. Meant for outside timed regions (either costs a full collection).
     */
    public static double keptHeapMib() {
        long live;
        try {
            live = liveBytes((String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()}));
        } catch (JMException | RuntimeException e) {
            System.gc();
            live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        return live / (1024.0 * 1024.0);
    }

    /**
     * The bytes of a {@code GC.class_histogram}: its total less the lines of the collector's filler classes
     * ({@code jdk.internal.vm.Filler*} and arrays of them).
     *
     * @throws IllegalArgumentException when the text has no total line
     */
    static long liveBytes(String histogram) {
        long fillers = 0;
        for (String line : histogram.lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals("Total")) {
                return Long.parseLong(f[2]) - fillers;
            }
            if (f.length >= 4 && f[3].replaceFirst("^\\[+L", "").startsWith("jdk.internal.vm.Filler")) {
                fillers += Long.parseLong(f[2]);
            }
        }
        throw new IllegalArgumentException("a class histogram without its Total line");
    }

    /** The garbage collectors' accumulated collection time in this JVM, in milliseconds. */
    public static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    /**
     * The JIT compilers' accumulated compilation time in this JVM, in milliseconds (summed over their
     * threads), or 0 where the JVM does not measure it.
     */
    public static long compilationMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** Heap bytes allocated by all threads of this JVM so far, or −1 where the JVM does not count them. */
    public static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads && threads.isThreadAllocatedMemoryEnabled()) {
            return threads.getTotalThreadAllocatedBytes();
        }
        return -1;
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
