package dev.jgrad.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * OpenBLAS's {@code cblas_sgemm} and {@code cblas_dgemm}, called through the foreign-function API.
 *
 * <p>The library comes from the {@code org.bytedeco:openblas} jar on the class path (its
 * {@code linux-x86_64} classifier ships {@code libopenblas.so.0} and the three runtime libraries it
 * needs), extracted once into {@code ~/.cache/jgrad/} (or the temporary folder when the home folder
 * is not writable), or from the system or any file named by {@code jgrad.blas.library} ({@link #load}). The downcalls are {@linkplain Linker.Option#critical(boolean) critical}
 * with heap access, so OpenBLAS reads and writes the tensors' Java arrays in place: nothing is copied.
 *
 * <p>Note [OpenBLAS's environment]: OpenBLAS chooses its kernels for the CPU when it is opened,
 * unless {@code OPENBLAS_CORETYPE} forces a core or {@code OPENBLAS_L2_SIZE} overrides the cache
 * size. Machines set these for an older system OpenBLAS that misdetects or crashes on a new CPU, and
 * a forced {@code Haswell} halves the speed of products on an AVX-512 CPU. The bundled copy is a
 * release that knows current CPUs, so it is opened with both variables removed from the process
 * environment and put back right after ({@link ProcessEnvironment#with}); {@code jgrad.blas.coretype} forces its
 * core instead. A system or named library is the one such variables are meant for and sees them.
 */
final class NativeBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    /** Where the bundled libraries sit in the bytedeco jar, and the order they must be loaded in. */
    private static final String RESOURCE_DIR = "org/bytedeco/openblas/";
    private static final List<String> LINUX_LIBRARIES = List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0");
    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/openblas/pom.properties";
    private static final String SYSTEM_LIBRARY = "libopenblas.so.0";
    /** The variables that override OpenBLAS's choice of kernels (Note [OpenBLAS's environment]). */
    private static final List<String> CPU_OVERRIDES = List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE");

    private final MethodHandle sgemm;
    private final MethodHandle dgemm;
    private final MethodHandle setThreads;
    private final String description;
    private final String coreName;

    private NativeBlas(SymbolLookup lib, String source) throws Throwable {
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout a = ValueLayout.ADDRESS;
        Linker.Option critical = Linker.Option.critical(true);
        sgemm = linker.downcallHandle(find(lib, "cblas_sgemm"),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, ValueLayout.JAVA_FLOAT, a, i, a, i, ValueLayout.JAVA_FLOAT, a, i), critical);
        dgemm = linker.downcallHandle(find(lib, "cblas_dgemm"),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, ValueLayout.JAVA_DOUBLE, a, i, a, i, ValueLayout.JAVA_DOUBLE, a, i), critical);
        setThreads = linker.downcallHandle(find(lib, "openblas_set_num_threads"), FunctionDescriptor.ofVoid(i));
        MethodHandle config = linker.downcallHandle(find(lib, "openblas_get_config"), FunctionDescriptor.of(a));
        MethodHandle core = linker.downcallHandle(find(lib, "openblas_get_corename"), FunctionDescriptor.of(a));
        coreName = cString((MemorySegment) core.invokeExact());
        description = cString((MemorySegment) config.invokeExact()).trim() + " (core " + coreName + ", " + source + ")";
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("the library has no symbol " + name));
    }

    private static String cString(MemorySegment p) {
        return p.reinterpret(4096).getString(0);
    }

    /** What was loaded: OpenBLAS's own configuration string, its core and where it came from. */
    String description() {
        return description;
    }

    /** The kernel family OpenBLAS chose for this CPU, e.g. {@code Zen} or {@code SkylakeX}. */
    String coreName() {
        return coreName;
    }

    void setThreads(int n) {
        try {
            setThreads.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /**
     * {@code C += op(A)·op(B)}, or with {@code accumulate} false {@code C = op(A)·op(B)} without reading C (BLAS's
     * β = 0), on row-major float storage at the given offsets and leading dimensions.
     */
    void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
               float[] c, int co, int ldc, boolean accumulate) {
        try {
            sgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, 1f,
                    MemorySegment.ofArray(a).asSlice(4L * ao), lda, MemorySegment.ofArray(b).asSlice(4L * bo), ldb, accumulate ? 1f : 0f,
                    MemorySegment.ofArray(c).asSlice(4L * co), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /**
     * {@code C += op(A)·op(B)}, or with {@code accumulate} false {@code C = op(A)·op(B)} without reading C (BLAS's
     * β = 0), on row-major double storage at the given offsets and leading dimensions.
     */
    void dgemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int ao, int lda, double[] b, int bo, int ldb,
               double[] c, int co, int ldc, boolean accumulate) {
        try {
            dgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, 1.0,
                    MemorySegment.ofArray(a).asSlice(8L * ao), lda, MemorySegment.ofArray(b).asSlice(8L * bo), ldb, accumulate ? 1.0 : 0.0,
                    MemorySegment.ofArray(c).asSlice(8L * co), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_dgemm failed", t);
        }
    }

    /**
     * Loads OpenBLAS as the system property {@code jgrad.blas.library} says: unset or {@code bundled},
     * the copy bundled for this platform; {@code system}, the {@code libopenblas.so.0} the system's
     * dynamic linker finds (Debian's {@code libopenblas0-*} packages, say); any other value, that file.
     * The bundled copy is the default because its results are tested to be bit-identical for one and
     * two threads; Debian's OpenMP build of 0.3.21 was not (Note [Backends and bits] on {@link Blas}).
     *
     * @throws IllegalStateException with the reason when no library can be loaded
     */
    static NativeBlas load() {
        String which = System.getProperty("jgrad.blas.library", "bundled").trim();
        try {
            return switch (which) {
                case "", "bundled" -> loadBundled();
                case "system" -> {
                    SymbolLookup lib;
                    try {
                        lib = SymbolLookup.libraryLookup(SYSTEM_LIBRARY, Arena.global());
                    } catch (IllegalArgumentException notFound) {
                        throw new IllegalStateException("jgrad.blas.library=system: the dynamic linker finds no " + SYSTEM_LIBRARY);
                    }
                    yield new NativeBlas(lib, "system " + SYSTEM_LIBRARY);
                }
                default -> new NativeBlas(SymbolLookup.libraryLookup(Path.of(which), Arena.global()), which);
            };
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("jgrad.blas.library=" + which + ": " + t.getClass().getSimpleName() + ": " + t.getMessage(), t);
        }
    }

    private static NativeBlas loadBundled() throws Throwable {
        String platform = platform();
        if (!platform.equals("linux-x86_64")) {
            throw new IllegalStateException("no OpenBLAS is bundled for " + platform + " (set jgrad.blas.library to system or to a libopenblas file)");
        }
        String version = bundledVersion();
        Path dir = extractTo(version);
        Path complete = dir.resolve(".complete");
        if (!Files.exists(complete)) {
            for (String name : LINUX_LIBRARIES) {
                extract(RESOURCE_DIR + platform + "/" + name, dir.resolve(name));
            }
            Files.writeString(complete, version);
        }
        String forced = System.getProperty("jgrad.blas.coretype", "").trim();
        Map<String, String> inside = new LinkedHashMap<>();
        CPU_OVERRIDES.forEach(v -> inside.put(v, null));
        if (!forced.isEmpty()) {
            inside.put("OPENBLAS_CORETYPE", forced);
        }
        List<String> ignored = new ArrayList<>();
        for (String v : CPU_OVERRIDES) {
            String value = ProcessEnvironment.get(v);
            if (value != null) {
                ignored.add(v + "=" + value);
            }
        }
        SymbolLookup lib = ProcessEnvironment.with(inside, () -> {
            SymbolLookup last = null;
            for (String name : LINUX_LIBRARIES) {
                // Dependencies first, so the dynamic linker finds them by soname when OpenBLAS is opened.
                last = SymbolLookup.libraryLookup(dir.resolve(name), Arena.global());
            }
            return last;
        });
        String source = "bundled org.bytedeco:openblas " + version + (forced.isEmpty() ? "" : ", forced by jgrad.blas.coretype")
                + (ignored.isEmpty() ? "" : "; " + String.join(" ", ignored) + " in the environment not applied to it");
        NativeBlas blas = new NativeBlas(lib, source);
        if (!forced.isEmpty() && !forced.equalsIgnoreCase(blas.coreName)) {
            throw new IllegalStateException("jgrad.blas.coretype=" + forced + ": OpenBLAS has no such core (it chose " + blas.coreName + ")");
        }
        return blas;
    }

    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx" : os.startsWith("windows") ? "windows" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("aarch64") ? "arm64" : arch;
        return o + "-" + a;
    }

    private static String bundledVersion() throws IOException {
        try (InputStream in = NativeBlas.class.getClassLoader().getResourceAsStream(POM_PROPERTIES)) {
            if (in == null) {
                throw new IllegalStateException("org.bytedeco:openblas is not on the class path");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        }
    }

    /** {@code ~/.cache/jgrad/openblas-VERSION}, or the same under the temporary folder when home is not writable. */
    private static Path extractTo(String version) throws IOException {
        String leaf = "openblas-" + version;
        for (String base : new String[] {System.getProperty("user.home"), System.getProperty("java.io.tmpdir")}) {
            if (base == null) {
                continue;
            }
            Path dir = Path.of(base, base.equals(System.getProperty("user.home")) ? ".cache/jgrad" : "jgrad-" + System.getProperty("user.name"), leaf);
            try {
                Files.createDirectories(dir);
                if (Files.isWritable(dir)) {
                    return dir;
                }
            } catch (IOException e) {
                // try the next base folder
            }
        }
        throw new IOException("no writable folder to extract OpenBLAS into (tried ~/.cache/jgrad and the temporary folder)");
    }

    /** Copies a class-path resource to {@code target} through a temporary file and a rename, so concurrent JVMs never see half a file. */
    private static void extract(String resource, Path target) throws IOException {
        try (InputStream in = NativeBlas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the bundled OpenBLAS jar has no " + resource);
            }
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
