package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The matmul kernel against the naive double loop at chosen sizes: empty, tiny, odd, prime, beyond every block. */
class GemmTest {
    private static final int[][] SIZES = {
            {0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {1, 7, 1}, {5, 3, 7}, {4, 4, 4}, {13, 17, 19},
            {3, 257, 5}, {9, 259, 17}, {6, 11, 513}, {2, 520, 530}, {67, 31, 41},
    };

    @ParameterizedTest(name = "{0} transA={1} transB={2}")
    @CsvSource({"F64,false,false", "F64,false,true", "F64,true,false", "F64,true,true",
            "F32,false,false", "F32,false,true", "F32,true,false", "F32,true,true"})
    void matchesNaiveLoopAtChosenSizes(DType dtype, boolean ta, boolean tb) {
        Rng rng = Rng.seeded(42);
        for (int[] s : SIZES) {
            check(rng, dtype, s[0], s[1], s[2], ta, tb);
        }
    }

    @Test
    void javaKernelResultIsBitIdenticalForAnyThreadCount() {
        int saved = Parallelism.threads();
        Blas.Backend savedBackend = Blas.backend();
        Blas.use(Blas.Backend.JAVA);
        try {
            for (DType dtype : DType.values()) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        Rng rng = Rng.seeded(7);
                        // Both split directions: by rows, and by columns when there are fewer 4-row groups
                        // than threads (5 rows: 2 groups, so 3, 5 and 8 threads split the columns).
                        for (int[] s : new int[][] {{131, 263, 37}, {33, 261, 299}, {5, 261, 299}}) {
                            Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]});
                            Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]});
                            Parallelism.setThreads(1);
                            double[] one = Kernels.matmul(a, b, ta, tb).toDoubleArray();
                            for (int t : new int[] {2, 3, 5, 8}) {
                                Parallelism.setThreads(t);
                                double[] many = Kernels.matmul(a, b, ta, tb).toDoubleArray();
                                assertArrayEquals(one, many, 0.0, dtype + " " + Arrays.toString(s) + " ta=" + ta + " tb=" + tb
                                        + ": " + t + " threads differ from 1");
                            }
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(saved);
            Blas.use(savedBackend);
        }
    }

    /**
     * Split over two threads, each backend computes every element, at shapes on either side of where the split changes
     * direction: OpenBLAS's products by 64-column groups below 256 rows and by 8-row groups from 256 rows, and the
     * Vector API kernel's tall products, split by B's panels, with more columns than rows.
     */
    @Test
    void aProductSplitOverTwoThreadsComputesEveryElement() {
        int[][] shapes = {{201, 100, 128}, {255, 40, 210}, {256, 40, 210}, {512, 64, 544}};
        int saved = Parallelism.threads();
        Parallelism.setThreads(2);
        try {
            for (DType dtype : DType.values()) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        Rng rng = Rng.seeded(11);
                        for (int[] s : shapes) {
                            check(rng, dtype, s[0], s[1], s[2], ta, tb);
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    /**
     * The blocked kernel gives each row of a product the bits the small-size loop gives that row alone (Note [Matmul
     * summation order]): inner dimensions of whole 4-term groups, a shorter last group, and one whole {@link Gemm#KC}
     * block, each of whose rows alone is a product of little work.
     */
    @Test
    void theBlockedKernelGivesEachRowTheBitsOfTheSmallSizeLoop() {
        int m = 64, n = 64;
        for (DType dtype : DType.values()) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int k : new int[] {4, 8, 11, Gemm.KC}) {
                    assertTrue((long) n * k <= Gemm.SMALL_WORK && (long) m * n * k > Gemm.SMALL_WORK, "a row alone on the small-size loop");
                    Rng rng = Rng.seeded(k);
                    Tensor a = Tensor.randn(rng, dtype, 1, m, k);
                    Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {n, k} : new int[] {k, n});
                    BlasBackends.on(Blas.Backend.JAVA, () -> {
                        Tensor whole = Tensor.zeros(dtype, m * n);
                        Gemm.product(a, 0, false, b, 0, tb, whole, 0, m, n, k);
                        for (int i = 0; i < m; i++) {
                            Tensor row = Tensor.zeros(dtype, n);
                            Gemm.product(a, i * k, false, b, 0, tb, row, 0, 1, n, k);
                            for (int j = 0; j < n; j++) {
                                assertEquals(whole.at(i * n + j), row.at(j), 0.0,
                                        dtype + " k=" + k + " tb=" + tb + ": row " + i + ", column " + j + " alone");
                            }
                        }
                    });
                }
            }
        }
    }

    /**
     * {@link Gemm#start} hands a product of {@link Gemm#NATIVE_PARALLEL_MIN_WORK} multiply-adds or more to the other
     * kernel thread and runs a smaller one at once, returning null; either way with the bits of {@link Gemm#product}.
     */
    @Test
    void aStartedProductIsHandedOverFromItsThresholdAndRunAtOnceBelowIt() {
        for (DType dtype : DType.values()) {
            for (int m : new int[] {127, 128}) {
                int n = 128, k = 128;
                boolean handedOver = (long) m * n * k >= Gemm.NATIVE_PARALLEL_MIN_WORK;
                Rng rng = Rng.seeded(m);
                Tensor a = Tensor.randn(rng, dtype, 1, m, k);
                Tensor b = Tensor.randn(rng, dtype, 1, k, n);
                BlasBackends.on(Blas.Backend.JAVA, 2, () -> {
                    Tensor expected = Tensor.zeros(dtype, m * n);
                    Gemm.product(a, 0, false, b, 0, false, expected, 0, m, n, k);
                    Tensor c = Tensor.zeros(dtype, m * n);
                    Parallelism.awaitStarted();
                    Parallelism.Started started = Gemm.start(a, 0, false, b, 0, false, c, 0, m, n, k, false);
                    String what = dtype + " " + m + " × " + k + " · " + k + " × " + n;
                    assertEquals(handedOver, started != null, what + (handedOver ? " was run at once" : " was handed over"));
                    if (started != null) {
                        started.join();
                    }
                    assertArrayEquals(expected.toDoubleArray(), c.toDoubleArray(), 0.0, what);
                });
            }
        }
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Gemm.start(Tensor.zeros(DType.F64, 2, 0), 0, false, Tensor.zeros(DType.F64, 0, 2), 0, false,
                        Tensor.zeros(DType.F64, 2, 2), 0, 2, 2, 0, false));
        assertTrue(empty.getMessage().contains("empty inner dimension"), empty.getMessage());
    }

    @Test
    void infinityTimesZeroGivesNaNAndNaNPropagates() {
        // 3 x 2 · 2 x 3 runs on the small-size path; 96 x 2 · 2 x 96 reaches the native kernel when it is in use.
        for (int rows : new int[] {3, 96}) {
            for (Blas.Backend backend : BlasBackends.available()) {
                for (DType dtype : DType.values()) {
                    double[] av = new double[rows * 2];
                    av[0] = Double.POSITIVE_INFINITY;
                    av[2] = 2;
                    av[3] = 1;
                    av[4] = Double.NaN;
                    Tensor a = Tensor.of(dtype, av, rows, 2);
                    double[] bv = new double[2 * rows];
                    java.util.Arrays.fill(bv, rows, 2 * rows, 1);
                    Tensor b = Tensor.of(dtype, bv, 2, rows);
                    Tensor c = BlasBackends.on(backend, () -> Kernels.matmul(a, b, false, false));
                    String what = backend + " " + dtype + " " + rows + " rows";
                    for (int j = 0; j < rows; j++) {
                        assertTrue(Double.isNaN(c.get(0, j)), what + ": inf·0 must be NaN, got " + c.get(0, j));
                        assertEquals(1.0, c.get(1, j), 0.0, what + ": clean row");
                        assertTrue(Double.isNaN(c.get(2, j)), what + ": NaN row must stay NaN, got " + c.get(2, j));
                    }
                }
            }
        }
    }

    /**
     * Note [Products of zeros]: a written product of an A of zeros (+0 and −0) by a finite B is +0 everywhere and runs
     * no kernel (no product is traced), where one nonzero in A, or a B with an infinity or a NaN, runs the product as
     * usual: {@code 0·∞} is NaN on every backend. A product added to C still adds, so a −0 in C becomes +0.
     */
    @Test
    void aProductOfZerosByAFiniteOperandIsPositiveZeroWithoutAKernel() {
        for (Blas.Backend backend : BlasBackends.available()) {
            for (DType dtype : DType.values()) {
                for (boolean ta : new boolean[] {false, true}) {
                    int m = 32, k = 64, n = 48;
                    String what = backend + " " + dtype + " ta=" + ta;
                    double[] av = new double[m * k];
                    for (int i = 0; i < av.length; i += 3) av[i] = -0.0;
                    Tensor zeros = Tensor.of(dtype, av, ta ? new int[] {k, m} : new int[] {m, k});
                    Tensor b = Tensor.randn(Rng.seeded(5), dtype, 1, k, n);
                    List<MatmulTrace.Product> traced = new java.util.ArrayList<>();
                    Tensor c = BlasBackends.on(backend, () -> {
                        Tensor[] out = new Tensor[1];
                        traced.addAll(MatmulTrace.during(() -> out[0] = Kernels.matmul(zeros, b, ta, false)));
                        return out[0];
                    });
                    assertEquals(List.of(), traced, what + ": a product of zeros ran a kernel");
                    for (int i = 0; i < m * n; i++) {
                        assertEquals(0L, Double.doubleToRawLongBits(c.at(i)), what + ": element " + i + " is " + c.at(i) + ", not +0");
                    }

                    av[av.length - 1] = 1;   // one nonzero, last: A is scanned to its end
                    Tensor oneNonzero = Tensor.of(dtype, av, ta ? new int[] {k, m} : new int[] {m, k});
                    List<MatmulTrace.Product> ran = MatmulTrace.during(() -> BlasBackends.on(backend, () -> Kernels.matmul(oneNonzero, b, ta, false)));
                    assertEquals(1, ran.size(), what + ": one nonzero, and no kernel ran");
                    assertMatchesReference(backend, oneNonzero, b, ta, false);

                    double[] bv = b.toDoubleArray();
                    bv[7 * n + 5] = Double.POSITIVE_INFINITY;   // row 7, column 5 of B
                    bv[bv.length - 1] = Double.NaN;             // the last value: B is scanned to its end
                    Tensor nonFinite = Tensor.of(dtype, bv, k, n);
                    Tensor d = BlasBackends.on(backend, () -> Kernels.matmul(zeros, nonFinite, ta, false));
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            boolean nan = j == 5 || j == n - 1;
                            assertEquals(nan, Double.isNaN(d.get(i, j)), what + ": element (" + i + ", " + j + ") of 0·B with 0·∞ and 0·NaN is " + d.get(i, j));
                        }
                    }

                    double[] firstNaN = b.toDoubleArray();
                    firstNaN[0] = Double.NaN;                   // B's first value: a NaN found at offset 0 still counts
                    Tensor nanFirst = Tensor.of(dtype, firstNaN, k, n);
                    Tensor e = BlasBackends.on(backend, () -> Kernels.matmul(zeros, nanFirst, ta, false));
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            assertEquals(j == 0, Double.isNaN(e.get(i, j)), what + ": element (" + i + ", " + j + ") of 0·B with B's first value NaN is " + e.get(i, j));
                        }
                    }

                    double[] negativeZeros = new double[m * n];
                    Arrays.fill(negativeZeros, -0.0);
                    Tensor added = Tensor.of(dtype, negativeZeros, m, n);
                    Gemm.gemm(zeros, 0, ta, b, 0, false, added, 0, m, n, k);
                    for (int i = 0; i < m * n; i++) {
                        assertEquals(0L, Double.doubleToRawLongBits(added.at(i)), what + ": −0 + a product of zeros is " + added.at(i) + ", not +0");
                    }
                }
            }
        }
    }

    /**
     * {@link Gemm#product} writes its whole region over whatever was there, and nothing beside it, with the bits
     * {@link Gemm#gemm} gives added to zeros: on each backend, one and two threads, and each kernel (the small-size
     * loop, the blocked loop, OpenBLAS split by rows and by columns, the Vector API kernel at 64 rows), for an empty
     * inner dimension, and for a sum of zero products only (whose zero must be +0, as zeros plus it gives).
     */
    @Test
    void aProductWritesOverItsRegionWithTheBitsOfAProductAddedToZeros() {
        int[][] shapes = {{3, 5, 4}, {40, 300, 50}, {260, 300, 130}, {24, 300, 700}, {64, 512, 512}, {5, 0, 7}};
        int saved = Parallelism.threads();
        try {
            for (Blas.Backend backend : BlasBackends.available()) {
                for (int threads : new int[] {1, 2}) {
                    Parallelism.setThreads(threads);
                    for (DType dtype : DType.values()) {
                        for (boolean ta : new boolean[] {false, true}) {
                            for (boolean tb : new boolean[] {false, true}) {
                                Rng rng = Rng.seeded(3);
                                for (int[] s : shapes) {
                                    int m = s[0], k = s[1], n = s[2];
                                    Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {k, m} : new int[] {m, k});
                                    Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {n, k} : new int[] {k, n});
                                    String what = backend + " " + threads + " threads " + dtype + " " + Arrays.toString(s) + " ta=" + ta + " tb=" + tb;
                                    BlasBackends.on(backend, () -> assertProductOverwrites(a, ta, b, tb, m, n, k, what));
                                    Tensor zeros = Tensor.zeros(dtype, ta ? new int[] {k, m} : new int[] {m, k});
                                    Tensor negative = Kernels.affine(Tensor.zeros(dtype, b.shape().dims()), 0, -1);
                                    BlasBackends.on(backend, () -> assertProductOverwrites(zeros, ta, negative, tb, m, n, k, what + ", 0·(−1) only"));
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

    private static void assertProductOverwrites(Tensor a, boolean ta, Tensor b, boolean tb, int m, int n, int k, String what) {
        int margin = 3;
        Tensor added = Tensor.zeros(a.dtype(), m * n + 2 * margin);
        Gemm.gemm(a, 0, ta, b, 0, tb, added, margin, m, n, k);
        Tensor written = Tensor.zeros(a.dtype(), m * n + 2 * margin);
        if (written.f64() != null) {
            Arrays.fill(written.f64(), Double.NaN);
        } else {
            Arrays.fill(written.f32(), Float.NaN);
        }
        Gemm.product(a, 0, ta, b, 0, tb, written, margin, m, n, k);
        for (int i = 0; i < margin; i++) {
            assertTrue(Double.isNaN(written.at(i)) && Double.isNaN(written.at(margin + m * n + i)), what + ": wrote outside its region");
        }
        if (written.f64() != null) {
            assertArrayEquals(Arrays.copyOfRange(added.f64(), margin, margin + m * n),
                    Arrays.copyOfRange(written.f64(), margin, margin + m * n), what);
        } else {
            assertArrayEquals(Arrays.copyOfRange(added.f32(), margin, margin + m * n),
                    Arrays.copyOfRange(written.f32(), margin, margin + m * n), what);
        }
    }

    @Test
    void rejectsMismatchedShapesNamingBoth() {
        Tensor a = Tensor.zeros(DType.F64, 2, 3);
        Tensor b = Tensor.zeros(DType.F64, 4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.matmul(a, b, false, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"),
                e.getMessage());
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> Kernels.matmul(Tensor.zeros(DType.F64, 2, 3, 4), Tensor.zeros(DType.F64, 3, 4, 5), false, false));
        assertTrue(batch.getMessage().contains("batch"), batch.getMessage());
        IllegalArgumentException dtypes = assertThrows(IllegalArgumentException.class,
                () -> Kernels.matmul(Tensor.zeros(DType.F64, 2, 3), Tensor.zeros(DType.F32, 3, 2), false, false));
        assertTrue(dtypes.getMessage().contains("matmul"), dtypes.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Parallelism.setThreads(0));
    }

    /**
     * The Java kernel's first product on a thread grows that thread's buffers (B's packed rows, the
     * running sums) to what it needs, whatever other threads grew theirs to, and a later product with
     * wider column blocks grows them again: the same bits as on a thread that has run products before,
     * for each dtype and storage order.
     */
    @Test
    void aThreadsBuffersGrowToEachProductItRuns() throws InterruptedException {
        for (DType dtype : DType.values()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Rng rng = Rng.seeded(9);
                    Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {261, 33} : new int[] {33, 261});
                    Tensor[] bs = {Tensor.randn(rng, dtype, 1, tb ? new int[] {20, 261} : new int[] {261, 20}),
                            Tensor.randn(rng, dtype, 1, tb ? new int[] {299, 261} : new int[] {261, 299})};
                    double[][] fresh = new double[bs.length][];
                    FreshThread.run(() -> {
                        for (int i = 0; i < bs.length; i++) {
                            fresh[i] = javaProduct(a, bs[i], ta, tb);
                        }
                    });
                    for (int i = 0; i < bs.length; i++) {
                        assertArrayEquals(javaProduct(a, bs[i], ta, tb), fresh[i], 0.0,
                                dtype + " ta=" + ta + " tb=" + tb + ", product " + i + " on a fresh thread");
                    }
                }
            }
        }
    }

    private static double[] javaProduct(Tensor a, Tensor b, boolean ta, boolean tb) {
        return BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a, b, ta, tb)).toDoubleArray();
    }

    static void check(Rng rng, DType dtype, int m, int k, int n, boolean ta, boolean tb) {
        Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {k, m} : new int[] {m, k});
        Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {n, k} : new int[] {k, n});
        assertMatchesReference(a, b, ta, tb);
    }

    /** The product on every available backend against the naive loop, within the rounding bound. */
    static void assertMatchesReference(Tensor a, Tensor b, boolean ta, boolean tb) {
        for (Blas.Backend backend : BlasBackends.available()) {
            BlasBackends.on(backend, () -> assertMatchesReference(backend, a, b, ta, tb));
        }
    }

    private static void assertMatchesReference(Blas.Backend backend, Tensor a, Tensor b, boolean ta, boolean tb) {
        Tensor c = Kernels.matmul(a, b, ta, tb);
        Shape os = Kernels.matmulShape(a.shape(), b.shape(), ta, tb);
        assertEquals(os, c.shape());
        assertEquals(a.dtype(), c.dtype());
        double[] ref = GemmReference.product(a, b, ta, tb, os);
        double[] mag = GemmReference.magnitude(a, b, ta, tb, os);
        int k = ta ? a.shape().dim(-2) : a.shape().dim(-1);
        for (int i = 0; i < ref.length; i++) {
            double tol = GemmReference.tolerance(a.dtype(), k, mag[i]);
            double got = c.at(i);
            if (!(Math.abs(got - ref[i]) <= tol)) {
                fail(backend + " " + a.dtype() + " " + a.shape() + (ta ? "ᵀ" : "") + " x " + b.shape() + (tb ? "ᵀ" : "")
                        + ": element " + i + " is " + got + ", naive loop gives " + ref[i] + " (bound " + tol + ")");
            }
        }
    }
}
