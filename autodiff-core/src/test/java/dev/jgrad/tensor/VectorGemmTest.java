package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The register-blocked Vector API product: bit for bit the summation order of Note [Vector product
 * summation order], written out here as a scalar loop of {@link Math#fma}, with A and C at offsets
 * inside larger storage, A stored as it is or transposed, A taller than a chunk of rows, and B read
 * through its panels, for any thread count; and it takes only the shapes it is meant for.
 */
class VectorGemmTest {
    @BeforeEach
    void vectorApiPresent() {
        assumeTrue(SimdLoops.LOOPS != null, "runs only with --add-modules jdk.incubator.vector");
    }

    /**
     * A and C embedded at offsets in arrays with sentinel values around them, A stored {@code [m, k]}
     * or with {@code ta} {@code [k, m]} (the product is {@code Aᵀ·B} of that A); B a whole tensor of
     * its own, stored {@code [k, n]}, or with {@code tb} {@code [n, k]} (the product is {@code A·Bᵀ});
     * all three of B's dtype, whose values the double arrays hold.
     */
    private record Case(boolean ta, boolean tb, int m, int n, int k, int ao, int co, double[] a, double[] b, double[] c,
                        Tensor bTensor) {
        static Case of(DType dtype, boolean tb, int m, int n, int k, long seed) {
            return of(dtype, false, tb, m, n, k, seed);
        }

        static Case of(DType dtype, boolean ta, boolean tb, int m, int n, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return of(dtype, ta, tb, m, n, k, fill(r, 3 + m * k + 2, dtype), fill(r, n * k, dtype), fill(r, 7 + m * n + 6, dtype));
        }

        static Case of(DType dtype, boolean ta, boolean tb, int m, int n, int k, double[] a, double[] b, double[] c) {
            Tensor bTensor = tb ? Tensor.of(dtype, b, n, k) : Tensor.of(dtype, b, k, n);
            return new Case(ta, tb, m, n, k, 3, 7, a, b, c, bTensor);
        }

        private static double[] fill(SplittableRandom r, int len, DType dtype) {
            double[] x = new double[len];
            for (int i = 0; i < len; i++) {
                x[i] = dtype == DType.F32 ? (float) r.nextDouble(-2, 2) : r.nextDouble(-2, 2);
            }
            return x;
        }

        double a(int i, int p) {
            return a[ta ? ao + p * m + i : ao + i * k + p];
        }

        double b(int p, int j) {
            return b[tb ? j * k + p : p * n + j];
        }

        /** C with every element replaced by {@code C + fma-chain}, in B's dtype throughout. */
        double[] expected() {
            boolean f32 = bTensor.dtype() == DType.F32;
            double[] out = c.clone();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = co + i * n + j;
                    if (f32) {
                        float acc = 0f;
                        for (int p = 0; p < k; p++) {
                            acc = Math.fma((float) a(i, p), (float) b(p, j), acc);
                        }
                        out[at] = (float) out[at] + acc;
                    } else {
                        double acc = 0;
                        for (int p = 0; p < k; p++) {
                            acc = Math.fma(a(i, p), b(p, j), acc);
                        }
                        out[at] += acc;
                    }
                }
            }
            return out;
        }

        /** C as the kernel left it, null when it did not take the product. */
        double[] run() {
            return run(n);
        }

        /**
         * C as the kernel left it when it computed the columns before {@code split} and then the rest,
         * as two threads do ({@code split} a multiple of the panel width); null when it did not take the product.
         */
        double[] run(int split) {
            Object held = VectorGemm.panelsFor(ta, tb, m, n, k, bTensor);
            try {
                Object panels = KeptPanels.data(held);
                if (panels instanceof float[] p) {
                    float[] out = toFloat(c);
                    VectorGemm.multiply(m, split, n, k, toFloat(a), ao, ta, p, out, co, n, true);
                    VectorGemm.multiply(m, 0, split, k, toFloat(a), ao, ta, p, out, co, n, true);
                    return toDouble(out);
                } else if (panels != null) {
                    double[] out = c.clone();
                    VectorGemm.multiply(m, split, n, k, a, ao, ta, (double[]) panels, out, co, n, true);
                    VectorGemm.multiply(m, 0, split, k, a, ao, ta, (double[]) panels, out, co, n, true);
                    return out;
                }
                return null;
            } finally {
                KeptPanels.release(held);
            }
        }

        /** The product on B's first use, then checked to be the same on its second, when the panels are kept. */
        double[] runTwice() {
            double[] first = run();
            assertTrue(first != null, "the kernel ran");
            assertArrayEquals(first, run(), "the same bits through the kept panels");
            return first;
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /**
     * Every storage order of A and B; A taller than a chunk ({@link VectorGemm#MID_MIN_ROWS} rows on), in whole chunks or not;
     * columns, or the later part's columns, wider than a chunk's sums ({@link VectorGemm#sumColumns}), in whole groups or not.
     */
    @ParameterizedTest(name = "{0} {1}x{3}·{3}x{2}")
    @CsvSource({"F32, 16, 64, 37", "F32, 8, 96, 5", "F32, 64, 32, 19", "F32, 8, 32, 1", "F32, 32, 256, 256", "F32, 520, 64, 37",
            "F32, 576, 32, 3", "F32, 136, 64, 37", "F32, 8, 2208, 3", "F32, 16, 2048, 2", "F64, 16, 64, 37", "F64, 8, 48, 5", "F64, 64, 16, 19",
            "F64, 8, 16, 1", "F64, 32, 256, 256", "F64, 512, 32, 19", "F64, 520, 16, 2", "F64, 128, 32, 19", "F64, 8, 1104, 3",
            "F64, 16, 1024, 2"})
    void theProductHasTheDocumentedBits(DType dtype, int m, int n, int k) {
        long seed = 11;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Case c = Case.of(dtype, ta, tb, m, n, k, seed++);
                String form = (ta ? "Aᵀ" : "A") + "·" + (tb ? "Bᵀ" : "B");
                assertArrayEquals(c.expected(), c.runTwice(), form);
                int panels = n / VectorGemm.width(dtype);
                if (panels > 1) {
                    int split = panels / 2 * VectorGemm.width(dtype);
                    assertArrayEquals(c.expected(), c.run(split), form + ", its panels in two parts, the later first");
                }
            }
        }
    }

    /**
     * A weight that was handed the storage of the panels of the weight it replaced keeps its own from
     * its first use, in that storage, in either orientation (Note [Panels handed on]); one without
     * packs for its first product alone, and keeps nothing.
     */
    @ParameterizedTest
    @CsvSource({"F32", "F64"})
    void aWeightHandedStorageKeepsItsPanelsFromItsFirstUse(DType dtype) {
        int n = 2 * VectorGemm.width(dtype);
        int k = 5;
        for (boolean transposed : new boolean[] {false, true}) {
            int[] dims = transposed ? new int[] {n, k} : new int[] {k, n};
            Tensor b = Tensor.uniform(Rng.seeded(3), dtype, -1, 1, dims);
            Object spare = dtype == DType.F32 ? new float[n * k] : new double[n * k];
            if (transposed) {
                b.spareTransposedPanels = spare;
            } else {
                b.sparePanels = spare;
            }
            Object held = VectorGemm.panelsFor(false, transposed, 8, n, k, b);
            assertSame(spare, KeptPanels.data(held), "packed into the storage handed on, transposed " + transposed);
            assertSame(held, transposed ? b.transposedPanels : b.panels, "and kept with the weight");
            Object fresh = VectorGemm.pack(b, transposed, n, k, dtype == DType.F32 ? new float[n * k] : new double[n * k]);
            assertArrayEquals(asDoubles(fresh), asDoubles(spare), "the weight's own panels");
            KeptPanels.release(held);

            Tensor other = Tensor.uniform(Rng.seeded(4), dtype, -1, 1, dims);
            Object first = VectorGemm.panelsFor(false, transposed, 8, n, k, other);
            assertFalse(first instanceof KeptPanels, "without storage handed on, a first use keeps nothing");
            assertEquals(null, transposed ? other.transposedPanels : other.panels);
        }
    }

    /**
     * Panel q of width W holds B's columns qW..qW+W-1 row after row, from either storage order: for a
     * B stored {@code [n, k]}, in whole 8 × 8 tiles and the rows of k beyond them.
     */
    @ParameterizedTest(name = "{0}, k = {1}")
    @CsvSource({"F32, 3", "F32, 8", "F32, 19", "F64, 3", "F64, 8", "F64, 19"})
    void panelsHoldTheColumnsOfBRowAfterRow(DType dtype, int k) {
        int w = VectorGemm.width(dtype);
        int n = 2 * w;
        double[] b = new double[k * n];       // B(p, j) = 1000p + j, stored [k, n]
        double[] bt = new double[n * k];      // the same B stored transposed, [n, k]
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                b[p * n + j] = 1000 * p + j;
                bt[j * k + p] = 1000 * p + j;
            }
        }
        double[] expected = new double[n * k];
        for (int q = 0; q < n / w; q++) {
            for (int p = 0; p < k; p++) {
                for (int v = 0; v < w; v++) {
                    expected[q * k * w + p * w + v] = 1000 * p + q * w + v;
                }
            }
        }
        Object empty = dtype == DType.F32 ? new float[n * k] : new double[n * k];
        Object fromKn = VectorGemm.pack(Tensor.of(dtype, b, k, n), false, n, k, empty);
        assertArrayEquals(expected, asDoubles(fromKn), "from [k, n]");
        Object fromNk = VectorGemm.pack(Tensor.of(dtype, bt, n, k), true, n, k, dtype == DType.F32 ? new float[n * k] : new double[n * k]);
        assertArrayEquals(expected, asDoubles(fromNk), "from [n, k]");
    }

    private static double[] asDoubles(Object panels) {
        return panels instanceof float[] f ? toDouble(f) : (double[]) panels;
    }

    @Test
    void shapesItIsNotMeantForAreLeftToTheCaller() {
        Tensor b32 = Tensor.zeros(DType.F32, 4, 32);
        Tensor b28 = Tensor.zeros(DType.F32, 4, 28);
        Tensor b16 = Tensor.zeros(DType.F32, 4, 16);
        Tensor b8 = Tensor.zeros(DType.F64, 4, 8);
        for (int use = 0; use < 2; use++) {
            assertEquals(null, VectorGemm.panelsFor(false, false, 28, 32, 4, b32), "28 rows");
            assertEquals(null, VectorGemm.panelsFor(false, false, 32, 28, 4, b28), "28 columns");
            assertEquals(null, VectorGemm.panelsFor(false, false, 32, 16, 4, b16), "16 float32 columns, half a block");
            assertEquals(null, VectorGemm.panelsFor(false, false, 32, 8, 4, b8), "8 float64 columns, half a block");
            assertEquals(null, VectorGemm.panelsFor(false, false, 72, 32, 4, b32), "72 rows: more than a chunk, fewer than MID_MIN_ROWS");
            assertEquals(null, VectorGemm.panelsFor(true, false, 128, 512, 520, Tensor.zeros(DType.F32, 520, 512)),
                    "128 rows by a B of 520 × 512 float32 values: fewer than TALL_MIN_ROWS, and more than MID_B_BYTES");
            assertEquals(null, VectorGemm.panelsFor(false, false, 512, 32, 1032, Tensor.zeros(DType.F32, 1032, 32)),
                    "512 rows in chunks of 64 rows by 1032 float32 values: more than TALL_CHUNK_BYTES");
            assertEquals(null, VectorGemm.panelsFor(false, false, 512, 16, 520, Tensor.zeros(DType.F64, 520, 16)),
                    "512 rows in chunks of 64 rows by 520 float64 values");
        }
    }

    /** Each bound of {@link VectorGemm#fits} is inclusive: a product exactly at it is taken, one a block past it is not. */
    @Test
    void theBoundsOfTheShapesItTakesAreInclusive() {
        DType f32 = DType.F32;
        assertTrue(VectorGemm.fits(VectorGemm.MAX_ROWS, 32, 4, f32), "a chunk of rows");
        assertTrue(VectorGemm.fits(VectorGemm.TALL_MIN_ROWS, 288, 1024, f32), "TALL_MIN_ROWS rows, by a B above MID_B_BYTES");
        assertFalse(VectorGemm.fits(VectorGemm.TALL_MIN_ROWS - 8, 288, 1024, f32), "8 rows fewer, by that B");
        int kAtMid = (int) (VectorGemm.MID_B_BYTES / (512 * f32.bytes()));   // a B of 512 columns taking MID_B_BYTES exactly
        assertTrue(VectorGemm.fits(VectorGemm.MID_MIN_ROWS, 512, kAtMid, f32), "MID_MIN_ROWS rows by a B of MID_B_BYTES");
        assertFalse(VectorGemm.fits(VectorGemm.MID_MIN_ROWS - 8, 512, kAtMid, f32), "8 rows fewer");
        assertFalse(VectorGemm.fits(VectorGemm.MID_MIN_ROWS, 512, kAtMid + 1, f32), "a B one row above MID_B_BYTES");
        int kAtChunk = (int) (VectorGemm.TALL_CHUNK_BYTES / (VectorGemm.MAX_ROWS * f32.bytes()));   // a chunk of A taking TALL_CHUNK_BYTES
        assertTrue(VectorGemm.fits(VectorGemm.TALL_MIN_ROWS, 32, kAtChunk, f32), "chunks of A of TALL_CHUNK_BYTES");
        assertFalse(VectorGemm.fits(VectorGemm.TALL_MIN_ROWS, 32, kAtChunk + 1, f32), "one value a row more");
    }

    @ParameterizedTest(name = "{0} transposed {1}")
    @CsvSource({"F32, false", "F32, true", "F64, false", "F64, true"})
    void aRightOperandKeepsItsOwnPanelsFromItsSecondUse(DType dtype, boolean tb) {
        Case w1 = Case.of(dtype, tb, 16, 64, 23, 21);
        Case w2 = Case.of(dtype, tb, 16, 64, 23, 22);   // another weight of the same shape
        KeptPanels second = null;
        for (int use = 1; use <= 3; use++) {   // alternating: each weight is read through its own panels
            assertArrayEquals(w1.expected(), w1.run(), "weight 1, use " + use);
            assertArrayEquals(w2.expected(), w2.run(), "weight 2, use " + use);
            if (use == 1) {
                assertEquals(null, kept(w1.bTensor, tb), "no copy kept for a single use");
            } else if (use == 2) {
                second = kept(w1.bTensor, tb);
            }
        }
        assertSame(second, kept(w1.bTensor, tb), "the copy made at the second use is read again at the third");
        Case otherOrientation = withB(Case.of(dtype, !tb, 16, 64, 23, 24), w1.bTensor);   // the same storage read as Bᵀ, or as B
        assertArrayEquals(otherOrientation.expected(), otherOrientation.run(), "the other orientation's first use");
        assertEquals(null, kept(w1.bTensor, !tb), "each orientation counts its own uses: no copy for the other's first");
        assertTrue(kept(w1.bTensor, tb) != null, "a copy kept from the second use");
        Tensor twoMatrices = Tensor.randn(Rng.seeded(3), dtype, 1, 2, 64, 23);
        for (int use = 0; use < 2; use++) {
            assertEquals(null, VectorGemm.panelsFor(false, tb, 16, 64, 23, twoMatrices), "one matrix of a larger tensor");
        }
        if (VectorGemm.USABLE) {
            Tensor b = tb ? twoMatrices : twoMatrices.reshape(2, 23, 64);
            assertEquals(null, SimdLoops.LOOPS.gemmPanels(false, tb, 16, 64, 23, b, 64 * 23), "a matrix at an offset");
        }
        assertEquals(null, twoMatrices.transposedPanels);
        assertEquals(null, twoMatrices.panels);
        if (VectorGemm.USABLE) {
            Tensor once = Case.of(dtype, tb, 16, 64, 23, 23).bTensor();
            for (int use = 0; use < 3; use++) {
                assertTrue(SimdLoops.LOOPS.gemmPanels(true, tb, 512, 64, 23, once, 0) != null, "Aᵀ·B on the kernel");
            }
            assertEquals(null, kept(once, tb), "no copy kept for the B of a product with A transposed");
        }
    }

    /** A weight marked {@link Tensor#readAgainAndAgain} keeps its panels from its first use, in either orientation, with the same bits. */
    @ParameterizedTest(name = "{0} transposed {1}")
    @CsvSource({"F32, false", "F32, true", "F64, false", "F64, true"})
    void aWeightReadAgainAndAgainKeepsItsPanelsFromItsFirstUse(DType dtype, boolean tb) {
        Case w = Case.of(dtype, tb, 16, 64, 23, 24);
        w.bTensor().readAgainAndAgain();
        assertArrayEquals(w.expected(), w.run(), "first use");
        KeptPanels first = kept(w.bTensor(), tb);
        assertTrue(first != null, "a copy kept from the first use");
        assertArrayEquals(w.expected(), w.run(), "second use");
        assertSame(first, kept(w.bTensor(), tb), "and read again");
    }

    /** The kept panels of {@code w} in the orientation {@code tb} reads, or null. */
    private static KeptPanels kept(Tensor w, boolean tb) {
        return tb ? w.transposedPanels : w.panels;
    }

    /** {@code w − g/2}, through the optimizers' update. */
    private static Tensor stepped(Tensor w) {
        Tensor g = Tensor.randn(Rng.seeded(41), w.dtype(), 1, w.shape().dims());
        return Kernels.update(w, g, (v, gc, at, len) -> {
            for (int i = 0; i < len; i++) {
                v[i] -= 0.5 * gc[i];
            }
        });
    }

    /** A case of the same A and C as {@code c}, its B the tensor {@code b}. */
    private static Case withB(Case c, Tensor b) {
        return new Case(c.ta(), c.tb(), c.m(), c.n(), c.k(), c.ao(), c.co(), c.a(), b.toDoubleArray(), c.c(), b);
    }

    @ParameterizedTest(name = "{0} transposed {1}")
    @CsvSource({"F32, false", "F32, true", "F64, false", "F64, true"})
    void anUpdatedWeightTakesOverItsPredecessorsPanels(DType dtype, boolean tb) {
        Case old = Case.of(dtype, tb, 16, 64, 23, 31);
        old.runTwice();
        KeptPanels before = kept(old.bTensor(), tb);
        assertTrue(before != null, "kept from the second use");
        Case next = withB(old, stepped(old.bTensor()));
        assertEquals(null, kept(old.bTensor(), tb), "the replaced weight let go of its copy");
        assertArrayEquals(next.expected(), next.runTwice(), "the new weight's products");
        assertSame(before.data, kept(next.bTensor(), tb).data, "the new weight's copy in the old one's storage");
        assertArrayEquals(old.expected(), old.runTwice(), "the replaced weight, still read, packs its own copy again");
        assertNotSame(before.data, kept(old.bTensor(), tb).data);
        assertArrayEquals(next.expected(), next.run(), "and leaves the new weight's alone");
    }

    /**
     * A block derived from a weight on a workspace's storage, as a recorded loop's invariant is, is not
     * kept with the weight, but the same block of the weight that replaced it packs its panels into the
     * storage of the old block's (Note [Panels handed on]).
     */
    @ParameterizedTest(name = "{0} transposed {1}")
    @CsvSource({"F32, false", "F32, true", "F64, false", "F64, true"})
    void aBlockOfAnUpdatedWeightTakesOverItsPredecessorsPanels(DType dtype, boolean tb) {
        Case shape = Case.of(dtype, tb, 16, 64, 23, 33);
        int rows = tb ? 64 : 23;
        Tensor packed = Tensor.uniform(Rng.seeded(5), dtype, -1, 1, 2 * rows, tb ? 23 : 64);
        Workspace workspace = new Workspace(64L << 20);
        Tensor block;
        Object storage;
        try (Workspace.Scope step = workspace.open()) {
            block = packed.derived("top", () -> Kernels.slice(packed, 0, 0, rows));
            assertTrue(block.loan() != null, "on the workspace's storage");
            block.readAgainAndAgain();
            Case c = withB(shape, block);
            assertArrayEquals(c.expected(), c.run());
            storage = kept(block, tb).data;
        }
        Tensor next = stepped(packed);
        try (Workspace.Scope step = workspace.open()) {
            Tensor nextBlock = next.derived("top", () -> Kernels.slice(next, 0, 0, rows));
            assertNotSame(block, nextBlock, "a block on a workspace's storage is not kept");
            nextBlock.readAgainAndAgain();
            Case c = withB(shape, nextBlock);
            assertArrayEquals(c.expected(), c.run(), "the new block's products");
            assertSame(storage, kept(nextBlock, tb).data, "its copy in the old block's storage");
        }
    }

    @ParameterizedTest(name = "{0} transposed {1}")
    @CsvSource({"F32, false", "F64, true"})
    void panelsAProductIsReadingAreNotHandedOn(DType dtype, boolean tb) {
        Case old = Case.of(dtype, tb, 16, 64, 23, 32);
        old.runTwice();
        Object held = VectorGemm.panelsFor(false, tb, 16, 64, 23, old.bTensor());
        assertSame(kept(old.bTensor(), tb), held, "a product holds the kept copy");
        Case next;
        try {
            next = withB(old, stepped(old.bTensor()));
        } finally {
            KeptPanels.release(held);
        }
        assertSame(held, kept(old.bTensor(), tb), "still the replaced weight's");
        assertArrayEquals(next.expected(), next.runTwice());
        assertNotSame(((KeptPanels) held).data, kept(next.bTensor(), tb).data, "the new weight's copy in storage of its own");
        assertArrayEquals(old.expected(), old.run());
    }

    /**
     * A thread's first product grows its own buffers (a chunk of A's rows packed, B's panels for one
     * product, the block a sum is added into C through) to what it needs, whatever other threads grew
     * theirs to: a batch by a B on its first use, A taller than a chunk, A transposed, each on a thread
     * of its own.
     */
    @ParameterizedTest
    @CsvSource({"F32", "F64"})
    void aThreadsFirstProductGrowsItsOwnBuffers(DType dtype) throws InterruptedException {
        int width = VectorGemm.width(dtype);
        for (Case c : List.of(Case.of(dtype, false, false, 16, 2 * width, 23, 30), Case.of(dtype, false, false, 520, 2 * width, 37, 31),
                Case.of(dtype, true, false, 136, 2 * width, 19, 32))) {
            double[][] got = new double[1][];
            FreshThread.run(() -> got[0] = c.run());
            assertArrayEquals(c.expected(), got[0], (c.ta() ? "Aᵀ·B, " : "A·B, ") + c.m() + " rows, on a fresh thread");
        }
    }

    /** Products through {@link Kernels#matmul} let go of the copy when done, so an update can take it over. */
    @Test
    void kernelProductsLetGoOfTheirPanels() {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        for (int t = 1; t <= 2; t++) {
            String on = t + " threads";
            BlasBackends.on(Blas.Backend.NATIVE, t, () -> {
                Tensor a = Tensor.randn(Rng.seeded(5), DType.F64, 1, 64, 512);
                Tensor w = Tensor.randn(Rng.seeded(6), DType.F64, 1, 512, 512);
                for (int use = 0; use < 3; use++) {
                    Kernels.matmul(a, w, false, true);
                    Kernels.matmul(a, w, false, false);
                }
                KeptPanels p = w.panels;
                KeptPanels pt = w.transposedPanels;
                assertTrue(p != null && pt != null, "both copies kept");
                Tensor next = stepped(w);
                assertEquals(null, w.panels, on);
                assertEquals(null, w.transposedPanels, on);
                Tensor expected = Kernels.matmul(a, Tensor.of(next.toDoubleArray(), 512, 512), false, true);
                for (int use = 0; use < 2; use++) {
                    assertArrayEquals(expected.toDoubleArray(), Kernels.matmul(a, next, false, true).toDoubleArray());
                }
                assertSame(pt.data, next.transposedPanels.data, on);
            });
        }
    }

    @ParameterizedTest
    @CsvSource({"F32", "F64"})
    void nanAndInfinityPropagateAsIeeeArithmeticSays(DType dtype) {
        Case finite = Case.of(dtype, false, 32, 32, 8, 14);
        double[] b = finite.b.clone();
        b[5] = Double.POSITIVE_INFINITY;            // B(0, 5) against A(i, 0): column 5 infinite or NaN
        double[] a = finite.a.clone();
        a[finite.ao + 3] = Double.NaN;              // A(0, 3): row 0 of C becomes NaN
        Case c = Case.of(dtype, false, false, 32, 32, 8, a, b, finite.c);
        double[] got = c.runTwice();
        assertArrayEquals(c.expected(), got);
        assertTrue(Double.isNaN(got[c.co + 1]));
        assertTrue(Double.isInfinite(got[c.co + 2 * 32 + 5]) || Double.isNaN(got[c.co + 2 * 32 + 5]));
    }

    /**
     * Through {@link Kernels#matmul} on the native backend: {@code A·B}, {@code A·Wᵀ} and a weight
     * gradient's {@code Aᵀ·G} of 512 rows on the kernel from B's and W's first use, with the same bits on any thread count. At this inner dimension
     * (768) OpenBLAS's own bits differ from the kernel's, which is what shows which one ran; on a
     * library where they happen to agree the test has nothing to tell.
     */
    @ParameterizedTest
    @CsvSource({"F32", "F64"})
    void theNativeBackendRunsFittingProductsOnThisKernel(DType dtype) {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        Blas.Backend before = Blas.backend();
        int threads = Parallelism.threads();
        try {
            Blas.use(Blas.Backend.NATIVE);
            Tensor a = Tensor.randn(Rng.seeded(5), dtype, 1, 32, 768);
            Tensor b = Tensor.randn(Rng.seeded(6), dtype, 1, 768, 256);
            Tensor w = Tensor.randn(Rng.seeded(7), dtype, 1, 256, 768);
            Case ab = new Case(false, false, 32, 256, 768, 0, 0, a.toDoubleArray(), b.toDoubleArray(), new double[32 * 256], b);
            Case awT = new Case(false, true, 32, 256, 768, 0, 0, a.toDoubleArray(), w.toDoubleArray(), new double[32 * 256], w);
            Tensor at = Tensor.randn(Rng.seeded(8), dtype, 1, 512, 512);   // stacks of 512 rows, as a weight gradient's
            Tensor g = Tensor.randn(Rng.seeded(9), dtype, 1, 512, 256);
            Case atG = new Case(true, false, 512, 256, 512, 0, 0, at.toDoubleArray(), g.toDoubleArray(), new double[512 * 256], g);
            double[] openBlasAb = openBlas(a, b, false).toDoubleArray();
            double[] openBlasAwT = openBlas(a, w, true).toDoubleArray();
            assumeFalse(Arrays.equals(openBlasAb, ab.expected()) || Arrays.equals(openBlasAwT, awT.expected()),
                    "this OpenBLAS sums in the kernel's order here");
            for (int t : new int[] {1, 2, 3}) {   // 8 or 16 panels: one thread's share, halves, and uneven thirds
                Parallelism.setThreads(t);
                Tensor freshB = Tensor.randn(Rng.seeded(6), dtype, 1, 768, 256);   // B's and W's values, not used yet
                Tensor freshW = Tensor.randn(Rng.seeded(7), dtype, 1, 256, 768);
                for (int use = 1; use <= 2; use++) {
                    String when = "use " + use + " on " + t + " threads";
                    assertArrayEquals(ab.expected(), Kernels.matmul(a, freshB, false, false).toDoubleArray(), "A·B, " + when);
                    assertArrayEquals(awT.expected(), Kernels.matmul(a, freshW, false, true).toDoubleArray(), "A·Wᵀ, " + when);
                    assertArrayEquals(atG.expected(), Kernels.matmul(at, g, true, false).toDoubleArray(), "Aᵀ·G, 512 rows, " + when);
                }
            }
        } finally {
            Parallelism.setThreads(threads);
            Blas.use(before);
        }
    }

    /**
     * {@code -Djgrad.blas.vector=off}, read once per JVM, leaves every product to OpenBLAS: a product
     * that fits this kernel then has OpenBLAS's own bits (which at this shape differ from the kernel's
     * where {@link #theNativeBackendRunsFittingProductsOnThisKernel} is not skipped).
     */
    @Test
    void theSwitchOffLeavesEveryProductToOpenBlas() throws Exception {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        String[] jvm = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"};
        String on = ChildJvm.output(SwitchedOff.class, jvm);
        assertTrue(on.contains("vector products true"), on);
        String off = ChildJvm.output(SwitchedOff.class, jvm[0], jvm[1], jvm[2], "-Djgrad.blas.vector=off");
        assertTrue(off.contains("vector products false, OpenBLAS's bits true"), off);
    }

    /** {@link #theSwitchOffLeavesEveryProductToOpenBlas}'s program: {@code A·B} of {@code [32, 768]} by {@code [768, 256]} against OpenBLAS alone. */
    static final class SwitchedOff {
        public static void main(String[] args) {
            Blas.use(Blas.Backend.NATIVE);
            Tensor a = Tensor.randn(Rng.seeded(5), DType.F64, 1, 32, 768);
            Tensor b = Tensor.randn(Rng.seeded(6), DType.F64, 1, 768, 256);
            boolean same = Arrays.equals(openBlas(a, b, false).toDoubleArray(), Kernels.matmul(a, b, false, false).toDoubleArray());
            System.out.println("vector products " + Blas.VECTOR_PRODUCTS + ", OpenBLAS's bits " + same);
        }
    }

    /** {@code A·B}, or {@code A·Bᵀ} with {@code tb}, on the native library alone, for A {@code [32, 768]}. */
    private static Tensor openBlas(Tensor a, Tensor b, boolean tb) {
        Tensor c = Tensor.zeros(a.dtype(), 32, 256);
        int ldb = tb ? 768 : 256;
        if (a.dtype() == DType.F32) {
            Blas.nativeKernel().sgemm(false, tb, 32, 256, 768, a.f32(), 0, 768, b.f32(), 0, ldb, c.f32(), 0, 256, true);
        } else {
            Blas.nativeKernel().dgemm(false, tb, 32, 256, 768, a.f64(), 0, 768, b.f64(), 0, ldb, c.f64(), 0, 256, true);
        }
        return c;
    }
}
