package dev.jgrad.tensor;

import java.util.Locale;
import java.util.Objects;

/**
 * Which kernel computes matrix products ({@link Kernels#matmul}): OpenBLAS called through the
 * foreign-function API ({@link Backend#NATIVE}) or jgrad's own pure-Java kernel
 * ({@link Backend#JAVA}).
 *
 * <p>The choice is made once per process, at the first product, from the system property
 * {@code jgrad.blas}: {@code auto} (the default: native when the library loads, Java otherwise),
 * {@code native} (fail with the reason when it does not load) or {@code java}; {@link #use} changes it
 * later. The native library is the OpenBLAS bundled in the {@code org.bytedeco:openblas} jar
 * (Linux x86-64); {@code -Djgrad.blas.library=system} takes the system's {@code libopenblas.so.0}
 * instead, and any other value names a {@code libopenblas} file. {@link #description()} says which
 * was loaded. The bundled copy chooses its kernels for the CPU whatever {@code OPENBLAS_CORETYPE} and
 * {@code OPENBLAS_L2_SIZE} say; {@code -Djgrad.blas.coretype=NAME} forces one of its cores (Note
 * [OpenBLAS's environment] on {@code NativeBlas}). Calling it needs
 * native access: the JVM option {@code --enable-native-access=ALL-UNNAMED} (or the module name), or
 * {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest; without it the JDK
 * prints a warning.
 *
 * <p>Note [Backends and bits]: both backends compute {@code Σ_p A(i,p)·B(p,j)} in their own order,
 * so their results differ in the last bits. Each is deterministic for a fixed thread count: the Java
 * kernel for any thread count (Note [Matmul summation order] on {@code Gemm}). The native backend
 * runs OpenBLAS on one thread and splits a large product into blocks of rows or columns itself,
 * one per kernel thread (Note [Kernel threads] on {@link Parallelism}); OpenBLAS sums a block in
 * another order than the whole product, so its results depend on the thread count. The
 * products of a batch's rows that the Vector API kernel takes ({@link #VECTOR_PRODUCTS}, Note
 * [Vector product summation order] on {@code VectorGemm}) do not. Small products (under
 * {@link #NATIVE_MIN_WORK} multiply-adds) run on the Java kernel under either backend, where a
 * native call costs more than the arithmetic. Products with a one-hot operand ({@link Tensor#oneHot},
 * {@link Kernels#oneHot}) run on neither: they read the other operand at the ones, with the Java
 * kernel's bits ({@code -Djgrad.blas.onehot=off} multiplies them out; Note [One-hot products] on
 * {@code OneHotProducts}).
 */
public final class Blas {
    /** Products below this many multiply-adds stay on the Java kernel: a native call costs about a microsecond. */
    public static final long NATIVE_MIN_WORK = 1L << 13;
    /**
     * Whether the native backend runs the products that fit its blocks on the Vector API kernel
     * ({@code VectorGemm}) instead of OpenBLAS: when the Vector API is in use and the system property
     * {@code jgrad.blas.vector} is not {@code off}.
     */
    static final boolean VECTOR_PRODUCTS = SimdLoops.LOOPS != null && SimdLoops.LOOPS.gemmUsable()
            && !"off".equalsIgnoreCase(System.getProperty("jgrad.blas.vector", "auto").trim());

    /** A matrix-product kernel. */
    public enum Backend {
        /** OpenBLAS through the foreign-function API. */
        NATIVE,
        /** jgrad's pure-Java kernel, the bit-exact reference. */
        JAVA;

        /**
         * Parses {@code auto}, {@code native} or {@code java} (any case); null for {@code auto}.
         *
         * @param name the value of {@code jgrad.blas}
         * @return the backend, or null for {@code auto}
         */
        public static Backend parse(String name) {
            return switch (Objects.requireNonNull(name, "name").trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> null;
                case "native" -> NATIVE;
                case "java" -> JAVA;
                default -> throw new IllegalArgumentException("unknown BLAS backend '" + name + "'; use auto, native or java");
            };
        }
    }

    private static volatile Backend active;
    private static NativeBlas library;
    private static String failure;

    private Blas() {
    }

    /**
     * The backend products run on now (choosing it from {@code jgrad.blas} on first use).
     *
     * @return {@link Backend#NATIVE} or {@link Backend#JAVA}
     */
    public static Backend backend() {
        Backend b = active;
        if (b == null) {
            b = choose();
        }
        return b;
    }

    /**
     * Makes {@code backend} the one products run on, for the whole process.
     *
     * @param backend the backend to use from now on
     * @throws IllegalStateException when {@code backend} is {@link Backend#NATIVE} and OpenBLAS cannot
     *                               be loaded; the message says why
     */
    public static synchronized void use(Backend backend) {
        Objects.requireNonNull(backend, "backend");
        if (backend == Backend.NATIVE && !loadNative()) {
            throw new IllegalStateException("native BLAS is not available: " + failure);
        }
        active = backend;
    }

    /**
     * Makes the backend named {@code auto}, {@code native} or {@code java} (any case) the one products
     * run on: {@code auto} is {@link #useBest}, the others {@link #use(Backend)}.
     *
     * @param name the backend's name, as {@code jgrad.blas} and the {@code --blas} options take it
     * @throws IllegalArgumentException when the name is none of these
     * @throws IllegalStateException    when {@code native} is named and OpenBLAS cannot be loaded
     */
    public static synchronized void use(String name) {
        Backend backend = Backend.parse(name);
        if (backend == null) {
            useBest();
        } else {
            use(backend);
        }
    }

    /** Chooses {@code NATIVE} when OpenBLAS loads and {@code JAVA} otherwise (the default, {@code auto}). */
    public static synchronized void useBest() {
        active = loadNative() ? Backend.NATIVE : Backend.JAVA;
    }

    /**
     * Whether OpenBLAS can be loaded in this process (loading it if that has not been tried).
     *
     * @return true when OpenBLAS is loaded or loads now
     */
    public static synchronized boolean nativeAvailable() {
        return loadNative();
    }

    /**
     * What runs products, for printing beside every measured figure: OpenBLAS's version, build and
     * core with where it came from, or the Java kernel with the reason native BLAS is not in use.
     *
     * @return one line naming the backend and its build, or why native BLAS is not in use
     */
    public static synchronized String description() {
        Backend b = backend();
        if (b == Backend.NATIVE) {
            return "native " + library.description()
                    + (VECTOR_PRODUCTS ? "; products of at most " + VectorGemm.MAX_ROWS + " or at least " + VectorGemm.TALL_MIN_ROWS
                            + " rows (" + VectorGemm.MID_MIN_ROWS + " by a right operand of at most " + (VectorGemm.MID_B_BYTES >> 20)
                            + " MiB), in whole 8-row blocks and 512-bit panels, on a Vector API kernel" : "");
        }
        return "java (pure-Java kernel" + (loadNative() ? ", chosen over the loadable " + library.description() : "; native BLAS unavailable: " + failure) + ")";
    }

    /** The loaded OpenBLAS when products run natively, else null. */
    static NativeBlas nativeKernel() {
        Backend b = active;
        if (b == null) {
            b = choose();
        }
        return b == Backend.NATIVE ? library : null;
    }

    private static synchronized Backend choose() {
        if (active != null) {
            return active;
        }
        try {
            use(System.getProperty("jgrad.blas", "auto"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property jgrad.blas: " + e.getMessage(), e);
        }
        return active;
    }

    /** Loads OpenBLAS once; false (with {@link #failure} set) when it cannot be loaded. */
    private static boolean loadNative() {
        if (library == null && failure == null) {
            try {
                library = NativeBlas.load();
                library.setThreads(1);   // jgrad splits products itself (Note [Kernel threads] on Parallelism)
            } catch (IllegalStateException | LinkageError e) {
                failure = e.getMessage();
            }
        }
        return library != null;
    }
}
