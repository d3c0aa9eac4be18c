package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Note [One-hot products]: a product with a one-hot operand reads the other operand at the ones, runs
 * no GEMM, and has the pure-Java kernel's bits on either backend, for all four placements of the
 * one-hot operand, with and without accumulating into C; a product it cannot take that way (a NaN or
 * an infinity, rows that are not one-hot) runs densely as before.
 */
class OneHotProductsTest {
    /** Inner sizes across the Java kernel's 4-term groups and its KC blocks; few classes, so that rows collide in a group. */
    private static final int[] INNER = {1, 3, 5, 64, 67, 130, 513};

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyPlacementHasTheJavaKernelsBitsOnEveryBackend(DType dtype) {
        Rng rng = Rng.seeded(5);
        for (Blas.Backend backend : BlasBackends.available()) {
            for (int classes : new int[] {2, 3, 28, 130}) {
                for (int rows : INNER) {
                    for (int other : new int[] {1, 7, 44}) {   // 44: whole vectors and a tail in both dtypes
                        Tensor x = oneHot(rng, dtype, rows, classes);
                        Tensor w = withSignedZeros(Tensor.randn(rng, dtype, 1, classes, other));
                        Tensor wt = withSignedZeros(Tensor.randn(rng, dtype, 1, other, classes));
                        Tensor g = withSignedZeros(Tensor.randn(rng, dtype, 1, rows, other));
                        Tensor gt = withSignedZeros(Tensor.randn(rng, dtype, 1, other, rows));
                        // X·W, X·Wᵀ: gathers of rows
                        check(backend, x, false, w, false, rng);
                        check(backend, x, false, wt, true, rng);
                        // W·Xᵀ, Wᵀ·Xᵀ: gathers of columns
                        check(backend, wt, false, x, true, rng);
                        check(backend, w, true, x, true, rng);
                        // Xᵀ·G, Xᵀ·Gᵀ: scatter-adds into rows
                        check(backend, x, true, g, false, rng);
                        check(backend, x, true, gt, true, rng);
                        // Gᵀ·X, G·X: scatter-adds into columns
                        check(backend, g, true, x, false, rng);
                        check(backend, gt, false, x, false, rng);
                    }
                }
            }
        }
    }

    @Test
    void rowsSlicedJoinedOrReshapedStayOneHotAndColumnsDoNot() {
        Rng rng = Rng.seeded(6);
        Tensor x = oneHot(rng, DType.F64, 24, 5);
        Tensor w = Tensor.randn(rng, DType.F64, 1, 5, 9);
        Tensor sliced = Kernels.slice(x, 0, 7, 19);
        Tensor joined = Kernels.concat(List.of(Kernels.slice(x, 0, 0, 4), x), 0);
        Tensor stacked = Kernels.oneHot(DType.F64, new int[] {1, 0, 4, 2, 3, 3}, 5, 3, 2).reshape(6, 5);
        for (Tensor rows : List.of(sliced, joined, stacked)) {
            Tensor want = dense(rows, w, false, false, null);
            Tensor[] got = new Tensor[1];
            assertTrue(MatmulTrace.during(() -> got[0] = Kernels.matmul(rows, w, false, false)).isEmpty(),
                    rows.shape() + ": a product of one-hot rows ran as a GEMM");
            assertBits(want, got[0], rows.shape() + " · W");
        }
        Tensor columns = Kernels.slice(x, 1, 0, 4);   // rows with their one cut off are not one-hot
        assertEquals(1, MatmulTrace.during(() -> Kernels.matmul(columns, Kernels.slice(w, 0, 0, 4), false, false)).size());
        Tensor regrouped = x.reshape(12, 10);          // two rows per row: not one-hot either
        assertEquals(1, MatmulTrace.during(() -> Kernels.matmul(regrouped, Tensor.randn(rng, DType.F64, 1, 10, 3), false, false)).size());
        Tensor mixed = Kernels.concat(List.of(x, Tensor.zeros(DType.F64, 2, 5)), 0);
        assertEquals(1, MatmulTrace.during(() -> Kernels.matmul(mixed, w, false, false)).size());
    }

    /**
     * One-hot rows of a rank-3 tensor sliced and joined along either axis before the last keep each row's one where its
     * values have it (the positions are copied in blocks of the axes after the cut, once per block of the axes before),
     * and rows joined along the last axis, which then hold two ones, are not one-hot.
     */
    @Test
    void oneHotRowsOfAHigherRankCutAlongEitherLeadingAxisKeepTheirOnes() {
        Rng rng = Rng.seeded(8);
        int[] idx = new int[24];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (int) Math.floor(rng.uniform(0, 5));
        }
        Tensor x = Tensor.oneHot(DType.F64, idx, 5, 4, 6);    // [4, 6, 5]
        Tensor w = Tensor.randn(rng, DType.F64, 1, 5, 7);
        List<Tensor> cuts = List.of(
                Kernels.slice(x, 0, 1, 3),
                Kernels.slice(x, 1, 2, 5),
                Kernels.concat(List.of(Kernels.slice(x, 0, 2, 4), x), 0),
                Kernels.concat(List.of(x, Kernels.slice(x, 1, 0, 2), Kernels.slice(x, 1, 3, 6)), 1));
        for (Tensor cut : cuts) {
            Tensor rows = cut.reshape(cut.size() / 5, 5);
            Tensor want = dense(rows, w, false, false, null);
            Tensor[] got = new Tensor[1];
            assertTrue(MatmulTrace.during(() -> got[0] = Kernels.matmul(rows, w, false, false)).isEmpty(),
                    cut.shape() + ": a product of one-hot rows ran as a GEMM");
            assertBits(want, got[0], cut.shape() + " · W");
        }
        Tensor twoOnes = Kernels.concat(List.of(x, x), 2).reshape(24, 10);
        Tensor w2 = Tensor.randn(rng, DType.F64, 1, 10, 3);
        Tensor[] got = new Tensor[1];
        assertEquals(1, MatmulTrace.during(() -> got[0] = Kernels.matmul(twoOnes, w2, false, false)).size(),
                "rows joined along their last axis hold two ones each and are multiplied out");
        assertBits(dense(twoOnes, w2, false, false, null), got[0], "[24, 10] · W");
    }

    @Test
    void oneHotRowsOfAClosedScopeRefuseAProductAsTheirValuesWould() {
        Workspace ws = new Workspace(1L << 20);
        Tensor x;
        int rows = Workspace.MIN_ELEMENTS / 4;   // large enough to be lent
        try (Workspace.Scope scope = ws.open()) {
            x = Kernels.oneHot(DType.F64, new int[rows], 4, rows);
        }
        Tensor w = Tensor.randn(Rng.seeded(8), DType.F64, 1, 4, 3);
        assertThrows(IllegalStateException.class, () -> Kernels.matmul(x, w, false, false));
        assertThrows(IllegalStateException.class, () -> Kernels.matmul(w, x, true, true));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void nonFiniteValuesSpreadAsTheDenseProductSpreadsThem(DType dtype) {
        Rng rng = Rng.seeded(7);
        for (Blas.Backend backend : BlasBackends.available()) {
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                Tensor x = oneHot(rng, dtype, 70, 4);
                Tensor w = poisoned(Tensor.randn(rng, dtype, 1, 4, 6), 5, bad);
                Tensor g = poisoned(Tensor.randn(rng, dtype, 1, 70, 6), 100, bad);
                Tensor c = Tensor.randn(rng, dtype, 1, 6, 4);
                Tensor wt = poisoned(Tensor.randn(rng, dtype, 1, 6, 4), 5, bad);
                BlasBackends.on(backend, () -> {
                    assertBits(dense(x, w, false, false, null), Kernels.matmul(x, w, false, false), backend + " X·W with " + bad);
                    assertBits(dense(wt, x, false, true, null), Kernels.matmul(wt, x, false, true), backend + " W·Xᵀ with " + bad);
                    assertBits(dense(x, g, true, false, null), Kernels.matmul(x, g, true, false), backend + " Xᵀ·G with " + bad);
                    assertBits(dense(g, x, true, false, null), Kernels.matmul(g, x, true, false), backend + " Gᵀ·X with " + bad);
                    // Accumulated: the dense kernels then add into C as it was, untouched by the attempt.
                    assertBits(dense(g, x, true, false, c), accumulated(g, x, true, false, c), backend + " C + Gᵀ·X with " + bad);
                });
                // A sum that overflows is an infinity in the scatter-add too; the dense product keeps its other elements.
                Tensor huge = Kernels.affine(Tensor.full(dtype, 1, 8, 3), dtype == DType.F64 ? 1e308 : 3e38, 0);
                Tensor same = Tensor.oneHot(dtype, new int[] {0, 0, 0, 0, 0, 0, 0, 0}, 2, 8);
                BlasBackends.on(backend, () -> assertBits(dense(huge, same, true, false, null), Kernels.matmul(huge, same, true, false),
                        backend + " an overflowing sum"));
            }
        }
    }

    /** A thread's first product of each kind grows its buffers to what the product needs, whatever the other threads grew theirs to. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aThreadsFirstProductsGrowItsOwnBuffers(DType dtype) throws InterruptedException {
        Rng rng = Rng.seeded(11);
        Tensor x = oneHot(rng, dtype, 67, 5);
        Tensor g = Tensor.randn(rng, dtype, 1, 67, 6);
        Tensor wt = Tensor.randn(rng, dtype, 1, 6, 5);
        FreshThread.run(() -> {
            for (Blas.Backend backend : BlasBackends.available()) {
                check(backend, x, true, g, false, rng);    // a scatter-add into rows
                check(backend, g, true, x, false, rng);    // into columns
                check(backend, x, false, wt, true, rng);   // a gather from Wᵀ, transposed into rows first
            }
        });
    }

    /**
     * Once a thread's buffers have grown to a scatter-add, more of the same size allocate nothing: the
     * buffers are reused, not made again, also when they are exactly the size asked for.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aRepeatedProductAllocatesNothingOnceItsBuffersHaveGrown(DType dtype) throws InterruptedException {
        Rng rng = Rng.seeded(12);
        Tensor x = oneHot(rng, dtype, 67, 5);
        Tensor g = Tensor.randn(rng, dtype, 1, 67, 6);
        Tensor gt = Tensor.randn(rng, dtype, 1, 6, 67);
        Tensor c = Tensor.randn(rng, dtype, 1, 6, 5);
        Tensor ct = Tensor.randn(rng, dtype, 1, 5, 6);
        Runnable products = () -> {
            Gemm.gemm(x, 0, true, g, 0, false, ct, 0, 5, 6, 67);   // Xᵀ·G: G's rows added into rows of C
            Gemm.gemm(gt, 0, false, x, 0, false, c, 0, 6, 5, 67);  // G·X: G's columns, transposed into rows first, into columns of C
        };
        assertEquals(0, FreshThread.allocatedAfterTheFirst(products, 5), "bytes allocated by five more products of one size");
    }

    /** {@code -Djgrad.blas.onehot=off}, read once per JVM, multiplies one-hot rows out as GEMMs, with the same bits. */
    @Test
    void theSwitchOffMultipliesOneHotRowsOut() throws Exception {
        String out = ChildJvm.output(SwitchedOff.class, "-Djgrad.blas.onehot=off");
        assertTrue(out.contains("GEMMs 2, same bits true"), out);
    }

    /** {@link #theSwitchOffMultipliesOneHotRowsOut}'s program: a gather and a scatter-add, traced, against the dense product. */
    static final class SwitchedOff {
        public static void main(String[] args) {
            Rng rng = Rng.seeded(15);
            Tensor x = oneHot(rng, DType.F64, 9, 4);
            Tensor w = Tensor.randn(rng, DType.F64, 1, 4, 3);
            Tensor g = Tensor.randn(rng, DType.F64, 1, 9, 3);
            Tensor[] got = new Tensor[2];
            int gemms = MatmulTrace.during(() -> {
                got[0] = Kernels.matmul(x, w, false, false);
                got[1] = Kernels.matmul(x, g, true, false);
            }).size();
            boolean same = java.util.Arrays.equals(dense(x, w, false, false, null).toDoubleArray(), got[0].toDoubleArray())
                    && java.util.Arrays.equals(dense(x, g, true, false, null).toDoubleArray(), got[1].toDoubleArray());
            System.out.println("GEMMs " + gemms + ", same bits " + same);
        }
    }

    /**
     * A NaN or an infinity at the very first element an operand's range starts at: the first row's one
     * at column 0, the other operand poisoned at its first element, every placement.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aNonFiniteFirstElementSendsEveryPlacementToTheDenseKernels(DType dtype) {
        Rng rng = Rng.seeded(13);
        int[] idx = {0, 3, 1, 3, 2, 0, 1};
        Tensor x = Tensor.oneHot(dtype, idx, 4, idx.length);
        for (Blas.Backend backend : BlasBackends.available()) {
            Tensor w = poisoned(Tensor.randn(rng, dtype, 1, 4, 6), 0, Double.NaN);
            Tensor wt = poisoned(Tensor.randn(rng, dtype, 1, 6, 4), 0, Double.POSITIVE_INFINITY);
            Tensor g = poisoned(Tensor.randn(rng, dtype, 1, idx.length, 6), 0, Double.NEGATIVE_INFINITY);
            Tensor gt = poisoned(Tensor.randn(rng, dtype, 1, 6, idx.length), 0, Double.NaN);
            BlasBackends.on(backend, () -> {
                assertBits(dense(x, w, false, false, null), Kernels.matmul(x, w, false, false), backend + " X·W");
                assertBits(dense(wt, x, false, true, null), Kernels.matmul(wt, x, false, true), backend + " W·Xᵀ");
                assertBits(dense(x, g, true, false, null), Kernels.matmul(x, g, true, false), backend + " Xᵀ·G");
                assertBits(dense(gt, x, false, false, null), Kernels.matmul(gt, x, false, false), backend + " G·X");
            });
        }
    }

    /** One-hot rows read from an offset into their storage, as a product over one time step's rows of a longer sequence reads them. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void oneHotRowsReadFromAnOffsetAreTheRowsThere(DType dtype) {
        Rng rng = Rng.seeded(14);
        int classes = 5;
        Tensor x = oneHot(rng, dtype, 30, classes);
        Tensor w = Tensor.randn(rng, dtype, 1, classes, 7);
        Tensor g = Tensor.randn(rng, dtype, 1, 12, 7);
        int from = 11 * classes;   // rows 11 to 22 of x
        for (Blas.Backend backend : BlasBackends.available()) {
            Tensor gathered = Tensor.zeros(dtype, 12, 7);
            Tensor scattered = Tensor.zeros(dtype, classes, 7);
            Tensor wantGathered = Tensor.zeros(dtype, 12, 7);
            Tensor wantScattered = Tensor.zeros(dtype, classes, 7);
            Tensor dx = copy(x, true);
            BlasBackends.on(backend, () -> {
                assertEquals(List.of(), MatmulTrace.during(() -> {
                    Gemm.product(x, from, false, w, 0, false, gathered, 0, 12, 7, classes);     // X[11:23]·W
                    Gemm.product(x, from, true, g, 0, false, scattered, 0, classes, 7, 12);     // X[11:23]ᵀ·G
                }), backend + ": products of one-hot rows at an offset ran as GEMMs");
            });
            BlasBackends.on(Blas.Backend.JAVA, () -> {
                Gemm.product(dx, from, false, w, 0, false, wantGathered, 0, 12, 7, classes);
                Gemm.product(dx, from, true, g, 0, false, wantScattered, 0, classes, 7, 12);
            });
            assertBits(wantGathered, gathered, backend + " X[11:23]·W");
            assertBits(wantScattered, scattered, backend + " X[11:23]ᵀ·G");
        }
    }

    /**
     * Note [Kept gather rows]: from a weight's second use, what gathers from it read is kept with it, and
     * every later product reads that with the Java kernel's bits; a weight with a NaN stays on the dense
     * kernels at every use.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aWeightGatheredFromAgainKeepsWhatItsGathersRead(DType dtype) {
        Rng rng = Rng.seeded(9);
        for (boolean tb : new boolean[] {false, true}) {
            Tensor w = withSignedZeros(tb ? Tensor.randn(rng, dtype, 1, 40, 28) : Tensor.randn(rng, dtype, 1, 28, 40));
            for (int use = 0; use < 3; use++) {
                Tensor x = oneHot(rng, dtype, 33, 28);
                Tensor want = dense(x, w, false, tb, null);
                Tensor[] got = new Tensor[1];
                assertEquals(List.of(), MatmulTrace.during(() -> got[0] = Kernels.matmul(x, w, false, tb)), "a gather");
                assertBits(want, got[0], "use " + use + " of W" + (tb ? "ᵀ" : ""));
                OneHotProducts.KeptRows kept = w.gatherRows;
                if (use == 0 && tb) {
                    assertNull(kept, "a first use transposes W into scratch");
                } else {
                    assertEquals(tb, kept.transposed());
                    assertTrue(kept.finite());
                    assertEquals(tb, kept.rows() != null, "only Wᵀ is copied");
                }
            }
            if (tb) {   // the kept copy is its own: a scatter-add that transposes its operand into this thread's scratch leaves it be
                Tensor x = oneHot(rng, dtype, 33, 28);
                Kernels.matmul(Tensor.randn(rng, dtype, 1, 6, 33), x, false, false);
                assertBits(dense(x, w, false, true, null), Kernels.matmul(x, w, false, true), "Wᵀ after a scatter-add's transpose");
            }
            if (tb) {   // the kept copy is what a later gather reads
                Object rows = w.gatherRows.rows();
                if (rows instanceof double[] d) java.util.Arrays.fill(d, 7.0);
                else java.util.Arrays.fill((float[]) rows, 7f);
                Tensor got = Kernels.matmul(oneHot(rng, dtype, 5, 28), w, false, true);
                assertArrayEquals(Tensor.full(dtype, 7, 5, 40).toDoubleArray(), got.toDoubleArray(), 0.0);
            }
            Tensor bad = poisoned(w, 17, Double.NaN);
            for (int use = 0; use < 3; use++) {
                Tensor x = oneHot(rng, dtype, 9, 28);
                Tensor[] got = new Tensor[1];
                assertEquals(1, MatmulTrace.during(() -> got[0] = Kernels.matmul(x, bad, false, tb)).size(), "use " + use + " with a NaN");
                assertBits(dense(x, bad, false, tb, null), got[0], "use " + use + " with a NaN");
                assertFalse(bad.gatherRows.finite());
            }
        }
    }

    /** A weight marked {@link Tensor#readAgainAndAgain} keeps what its gathers read from its first use, with the same bits. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void aWeightReadAgainAndAgainKeepsItsGatherRowsFromItsFirstUse(DType dtype) {
        Rng rng = Rng.seeded(10);
        Tensor w = Tensor.randn(rng, dtype, 1, 40, 28);
        w.readAgainAndAgain();
        Tensor x = oneHot(rng, dtype, 33, 28);
        assertBits(dense(x, w, false, true, null), Kernels.matmul(x, w, false, true), "first use of Wᵀ");
        assertTrue(w.gatherRows != null && w.gatherRows.rows() != null, "Wᵀ in rows kept at the first use");
    }

    /** The product through Gemm (one-hot path) on {@code backend}, fresh and added to a random C, against the Java kernel on dense copies. */
    private static void check(Blas.Backend backend, Tensor a, boolean ta, Tensor b, boolean tb, Rng rng) {
        String what = backend + " " + a.shape() + (ta ? "ᵀ" : "") + "·" + b.shape() + (tb ? "ᵀ" : "") + " " + a.dtype();
        int m = ta ? a.shape().dim(1) : a.shape().dim(0);
        int n = tb ? b.shape().dim(0) : b.shape().dim(1);
        Tensor c = withSignedZeros(Tensor.randn(rng, a.dtype(), 1, m, n));
        Tensor product = dense(a, b, ta, tb, null);
        Tensor sum = dense(a, b, ta, tb, c);
        BlasBackends.on(backend, () -> {
            Tensor[] got = new Tensor[2];
            List<MatmulTrace.Product> ran = MatmulTrace.during(() -> {
                got[0] = Kernels.matmul(a, b, ta, tb);
                got[1] = accumulated(a, b, ta, tb, c);
            });
            assertEquals(List.of(), ran, what + " ran as a GEMM");
            assertBits(product, got[0], what);
            assertBits(sum, got[1], "C + " + what);
        });
    }

    /** {@code c + op(a)·op(b)} through {@link Gemm#gemm}, into a copy of c. */
    private static Tensor accumulated(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c) {
        Tensor out = copy(c, false);
        int m = c.shape().dim(0);
        int n = c.shape().dim(1);
        Gemm.gemm(a, 0, ta, b, 0, tb, out, 0, m, n, ta ? a.shape().dim(0) : a.shape().dim(1));
        return out;
    }

    private static Tensor accumulated(Tensor a, Tensor b, boolean ta, boolean tb, Tensor c) {
        return accumulated(a, ta, b, tb, c);
    }

    /** The Java kernel's product on copies that are not marked one-hot, added to c when not null. */
    private static Tensor dense(Tensor a, Tensor b, boolean ta, boolean tb, Tensor c) {
        Tensor da = copy(a, true);
        Tensor db = copy(b, true);
        return BlasBackends.on(Blas.Backend.JAVA, () -> c == null ? Kernels.matmul(da, db, ta, tb) : accumulated(da, ta, db, tb, c));
    }

    /** A copy of t's values, with or without its one-hot rows' positions. */
    private static Tensor copy(Tensor t, boolean dropHot) {
        Tensor out = t.f64() != null ? new Tensor(t.shape(), t.f64().clone()) : new Tensor(t.shape(), t.f32().clone());
        out.hotColumns = dropHot ? null : t.hotColumns;
        return out;
    }

    private static Tensor oneHot(Rng rng, DType dtype, int rows, int classes) {
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) {
            idx[i] = (int) Math.floor(rng.uniform(0, classes));
        }
        return Tensor.oneHot(dtype, idx, classes, rows);
    }

    /** t with every seventh element −0.0 and every eleventh +0.0: where a sign of zero could change the bits. */
    private static Tensor withSignedZeros(Tensor t) {
        Tensor out = copy(t, true);
        for (int i = 0; i < out.size(); i++) {
            if (i % 7 == 3) out.set(i, -0.0);
            else if (i % 11 == 5) out.set(i, 0.0);
        }
        return out;
    }

    private static Tensor poisoned(Tensor t, int at, double value) {
        Tensor out = copy(t, true);
        out.set(at, value);
        return out;
    }

    private static void assertBits(Tensor want, Tensor got, String what) {
        double[] w = want.toDoubleArray();
        double[] g = got.toDoubleArray();
        assertEquals(want.shape(), got.shape(), what);
        for (int i = 0; i < w.length; i++) {
            if (Double.doubleToRawLongBits(w[i]) != Double.doubleToRawLongBits(g[i])
                    && !(Double.isNaN(w[i]) && Double.isNaN(g[i]))) {
                fail(what + ": element " + i + " is " + g[i] + ", the Java kernel gives " + w[i]);
            }
        }
    }
}
