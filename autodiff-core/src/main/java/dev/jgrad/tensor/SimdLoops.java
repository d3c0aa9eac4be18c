package dev.jgrad.tensor;

import java.util.Locale;

/**
 * The transcendental elementwise loops (exp, log, tanh, sigmoid) run through the Vector API
 * ({@code jdk.incubator.vector}) when that incubating module is in the JVM
 * ({@code --add-modules jdk.incubator.vector}): C2 vectorises plain arithmetic loops by itself but not
 * {@code Math.exp} or {@code Math.tanh}, while the Vector API's transcendental lanes call the JDK's
 * vector math library. Without the module, or with {@code -Djgrad.vector=off}, {@link #LOOPS}
 * is null and {@link Kernels} runs its scalar loops.
 *
 * <p>Every element is computed by the same lane function wherever it sits (a masked vector covers a
 * range's tail), so results do not depend on how a range is split between threads. They do differ
 * from the scalar loops' in the last bits: a run is reproducible with the same setting.
 */
interface SimdLoops {
    /** The Vector API loops, or null when they are not in use. */
    SimdLoops LOOPS = load();

    /** {@code o[i] = op(x[i])} for {@code i ∈ [lo, hi)}; false (nothing written) when {@code op} has no vector form here. */
    boolean unary(Kernels.Unary op, double[] x, double[] o, int lo, int hi);

    /** The float32 form of {@link #unary(Kernels.Unary, double[], double[], int, int)}. */
    boolean unary(Kernels.Unary op, float[] x, float[] o, int lo, int hi);

    /** Whether the Vector API loops are in use, for printing beside measured figures. */
    static String describe() {
        if (LOOPS != null) {
            return "Vector API (" + LOOPS + ")";
        }
        if ("off".equalsIgnoreCase(System.getProperty("jgrad.vector", "auto").trim())) {
            return "scalar (jgrad.vector=off)";
        }
        return "scalar (run with --add-modules jdk.incubator.vector for vector loops)";
    }

    private static SimdLoops load() {
        String setting = System.getProperty("jgrad.vector", "auto").trim().toLowerCase(Locale.ROOT);
        if (setting.equals("off") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            return (SimdLoops) Class.forName("dev.jgrad.tensor.VectorLoops").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
