package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Choosing, describing and trusting the native matmul backend (Note [Backends and bits] on {@link Blas}). */
class BlasTest {

    @Test
    void anOpenBlasLoadsOnLinuxX86AndSaysWhichAndFromWhere() {
        if (BlasBackends.bundledPlatform()) {
            assertTrue(Blas.nativeAvailable(), "the org.bytedeco:openblas jar ships libopenblas for this platform: " + Blas.description());
            String d = BlasBackends.on(Blas.Backend.NATIVE, Blas::description);
            String from = switch (System.getProperty("jgrad.blas.library", "")) {
                case "bundled" -> "bundled org.bytedeco:openblas";
                case "system" -> "system libopenblas.so.0";
                default -> d.contains("system libopenblas.so.0") ? "system libopenblas.so.0" : "bundled org.bytedeco:openblas";
            };
            assertTrue(d.startsWith("native OpenBLAS 0.3.") && d.contains("core ") && d.contains(from), d);
        }
    }

    @Test
    void theSuiteRunsOnTheKernelsTheBuildAskedFor() {
        // The build runs the library suites twice: on auto (native BLAS, Vector API) and on the fallbacks.
        Blas.Backend asked = Blas.Backend.parse(System.getProperty("jgrad.blas", "auto"));
        Blas.Backend expected = asked != null ? asked : Blas.nativeAvailable() ? Blas.Backend.NATIVE : Blas.Backend.JAVA;
        assertEquals(expected, Blas.backend());
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module, Kernels.elementwiseLoops().startsWith("Vector API"), Kernels.elementwiseLoops());
    }

    @Test
    void theJavaBackendSaysWhyNativeIsNotInUse() {
        String d = BlasBackends.on(Blas.Backend.JAVA, Blas::description);
        assertTrue(d.startsWith("java (pure-Java kernel"), d);
        assertTrue(d.contains(Blas.nativeAvailable() ? "chosen over" : "unavailable"), d);
    }

    /** The native backend's description names the Vector API kernel exactly when products that fit it run on it. */
    @Test
    void theNativeBackendSaysWhetherTheVectorApiKernelRunsItsProducts() {
        if (Blas.nativeAvailable()) {
            String d = BlasBackends.on(Blas.Backend.NATIVE, Blas::description);
            assertEquals(Blas.VECTOR_PRODUCTS, d.contains("on a Vector API kernel"), d);
        }
    }

    /** {@code use(name)}, as {@code --blas} calls it: {@code auto} takes OpenBLAS when it loads, the others their backend. */
    @Test
    void useByNameTakesTheBestOnAutoAndTheNamedBackendOtherwise() {
        Blas.Backend saved = Blas.backend();
        try {
            Blas.use("java");
            assertEquals(Blas.Backend.JAVA, Blas.backend());
            Blas.use(" Auto");
            assertEquals(Blas.nativeAvailable() ? Blas.Backend.NATIVE : Blas.Backend.JAVA, Blas.backend());
            Blas.use("JAVA");
            Blas.useBest();
            assertEquals(Blas.nativeAvailable() ? Blas.Backend.NATIVE : Blas.Backend.JAVA, Blas.backend());
            if (Blas.nativeAvailable()) {
                Blas.use("java");
                Blas.use("native");
                assertEquals(Blas.Backend.NATIVE, Blas.backend());
            }
            assertThrows(IllegalArgumentException.class, () -> Blas.use("mkl"));
        } finally {
            Blas.use(saved);
        }
    }

    @Test
    void parsesTheThreeNamesAndRejectsOthersByName() {
        assertNull(Blas.Backend.parse("auto"));
        assertEquals(Blas.Backend.NATIVE, Blas.Backend.parse(" Native"));
        assertEquals(Blas.Backend.JAVA, Blas.Backend.parse("JAVA"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Blas.Backend.parse("mkl"));
        assertEquals("unknown BLAS backend 'mkl'; use auto, native or java", e.getMessage());
    }

    @Test
    void theJavaBackendRunsTheJavaKernel() {
        // Above the native threshold the two kernels differ in the last bits, so equality with the noted order shows which ran.
        Rng rng = Rng.seeded(5);
        Tensor a = Tensor.randn(rng, DType.F32, 1, 40, 300);
        Tensor b = Tensor.randn(rng, DType.F32, 1, 300, 50);
        Tensor viaBackend = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a, b, false, false));
        Tensor direct = Tensor.allocate(DType.F32, Shape.matrix(40, 50));
        Blas.Backend saved = Blas.backend();
        Blas.use(Blas.Backend.JAVA);
        try {
            Gemm.gemm(a, 0, false, b, 0, false, direct, 0, 40, 50, 300);
        } finally {
            Blas.use(saved);
        }
        assertArrayEquals(direct.toFloatArray(), viaBackend.toFloatArray(), 0f);
        if (Blas.nativeAvailable()) {
            Tensor nat = BlasBackends.on(Blas.Backend.NATIVE, () -> Kernels.matmul(a, b, false, false));
            assertEquals(0.0, nat.maxAbsDiff(viaBackend), 1e-3, "the backends agree to rounding");
        }
    }

    /**
     * On the native backend, products of fewer than {@link Blas#NATIVE_MIN_WORK} multiply-adds run on the
     * Java kernel (a native call costs more than their arithmetic): one just below it gives the Java
     * kernel's bits, one of exactly that much work OpenBLAS's, which differ in the last bits here.
     */
    @Test
    void productsUnderTheNativeThresholdStayOnTheJavaKernel() {
        if (!Blas.nativeAvailable()) {
            return;
        }
        for (DType dtype : DType.values()) {
            Rng rng = Rng.seeded(9);
            for (long work : new long[] {Blas.NATIVE_MIN_WORK - 4, Blas.NATIVE_MIN_WORK}) {
                int inner = (int) (work / 4); // [2, inner]·[inner, 2]
                Tensor a = Tensor.randn(rng, dtype, 1, 2, inner);
                Tensor b = Tensor.randn(rng, dtype, 1, inner, 2);
                Tensor onJava = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a, b, false, false));
                Tensor onNative = BlasBackends.on(Blas.Backend.NATIVE, () -> Kernels.matmul(a, b, false, false));
                double diff = onJava.maxAbsDiff(onNative);
                if (work < Blas.NATIVE_MIN_WORK) {
                    assertEquals(0.0, diff, 0.0, dtype + ": " + work + " multiply-adds, under the threshold, ran natively");
                } else {
                    assertTrue(diff > 0, dtype + ": " + work + " multiply-adds, at the threshold, gave the Java kernel's bits");
                }
            }
        }
    }

    /**
     * Native products are split into blocks of rows or columns, one per thread (Note [Kernel threads] on
     * {@code Parallelism}): every block must land where it belongs, the same thread count must give
     * the same bits again, and the products the Vector API kernel takes (its summation order
     * does not depend on the rows around it) the same bits on any thread count. The shapes are the
     * GRU benchmark's (recurrent step, its backward forms, a weight gradient over many steps, one the
     * Vector API kernel takes 64 rows at a time), one whose rows are too many for a batch and too few
     * for that, and odd ones.
     */
    @Test
    void nativeProductsSplitOverThreadsAreRightAndRepeatable() {
        if (!Blas.nativeAvailable()) {
            return;
        }
        int saved = Parallelism.threads();
        try {
            for (DType dtype : DType.values()) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        Rng rng = Rng.seeded(3);
                        for (int[] s : new int[][] {{64, 512, 1536}, {32, 768, 256}, {512, 2048, 1536}, {512, 512, 512}, {40, 256, 512},
                                {128, 256, 512}, {131, 263, 37}, {5, 261, 299}, {7, 1031, 899}}) {
                            Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]});
                            Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]});
                            Tensor exact = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a.cast(DType.F64), b.cast(DType.F64), ta, tb));
                            double tolerance = (dtype == DType.F64 ? 1e-12 : 1e-4) * Math.sqrt(s[1]);
                            boolean vectorKernel = Blas.VECTOR_PRODUCTS && VectorGemm.fits(s[0], s[2], s[1], dtype);
                            // A weight's panels are made on its second use and change the kernel (VectorGemm): make them now.
                            BlasBackends.on(Blas.Backend.NATIVE, () -> Kernels.matmul(a, b, ta, tb));
                            Tensor one = null;
                            for (int threads : new int[] {1, 2, 3, 5}) {
                                Parallelism.setThreads(threads);
                                String what = dtype + " " + java.util.Arrays.toString(s) + " ta=" + ta + " tb=" + tb + " on " + threads + " threads";
                                Tensor first = BlasBackends.on(Blas.Backend.NATIVE, () -> Kernels.matmul(a, b, ta, tb));
                                Tensor again = BlasBackends.on(Blas.Backend.NATIVE, () -> Kernels.matmul(a, b, ta, tb));
                                assertEquals(0.0, first.cast(DType.F64).maxAbsDiff(exact), tolerance, what);
                                assertEquals(0.0, first.maxAbsDiff(again), 0.0, what + ", again");
                                if (threads == 1) {
                                    one = again;
                                } else if (vectorKernel) {
                                    assertEquals(0.0, one.maxAbsDiff(again), 0.0, what + " against one thread");
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(saved);
        }
    }
}
