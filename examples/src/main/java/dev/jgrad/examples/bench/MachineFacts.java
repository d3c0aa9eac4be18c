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

/**
 * The facts that make a benchmark figure interpretable: processors available to the JVM, the CPU
 * model with its family, model number and stepping, and the SIMD extensions that decide a kernel's
 * speed (from {@code /proc/cpuinfo}; "unknown" elsewhere), the JDK, the matrix-product backend
 * (OpenBLAS with its version and the core it chose, or the Java kernel) and the loops that compute
 * exp, tanh and σ.
 *
 * @param isa the extensions among {@link #NOTABLE_FLAGS} this CPU reports
 */
public record MachineFacts(int cores, String cpu, List<String> isa, String jdk, String blas, String elementwise) {
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
                System.getProperty("java.vm.name") + " " + Runtime.version(), Blas.description(), Kernels.elementwiseLoops());
    }

    /** Lines for the head of a table. */
    public String describe() {
        return "machine: " + cores + " cores, " + cpu + ", " + (isa.isEmpty() ? "no AVX2" : String.join(" ", isa)) + ", JDK " + jdk
                + "\nmatmul: " + blas + "\nexp/tanh/sigmoid: " + elementwise;
    }

    /** The facts as JSON fields. */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", cores);
        m.put("cpu", cpu);
        m.put("isa", isa);
        m.put("runtime", "JDK " + jdk);
        m.put("blas", blas);
        m.put("elementwise", elementwise);
        return m;
    }

    /**
     * The heap in use after a full collection, in MiB: what the program keeps between steps. Meant for
     * outside timed regions ({@link System#gc()} costs a full collection).
     */
    public static double keptHeapMib() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
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
