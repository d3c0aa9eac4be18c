package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The register-blocked Vector API product: bit for bit the summation order of Note [Vector product
 * summation order], written out here as a scalar loop of {@link Math#fma}, with A and C at offsets
 * inside larger storage and B read through its panels, for any thread count; and it takes only the
 * shapes it is meant for.
 */
class VectorGemmTest {
    @BeforeEach
    void vectorApiPresent() {
        assumeTrue(SimdLoops.LOOPS != null, "runs only with --add-modules jdk.incubator.vector");
    }

    /**
     * A and C embedded at offsets in arrays with sentinel values around them; B a whole tensor of its
     * own, stored {@code [k, n]}, or with {@code tb} {@code [n, k]} (the product is {@code A·Bᵀ}).
     */
    private record Case(boolean tb, int m, int n, int k, int ao, int bo, int co, double[] a, double[] b, double[] c, Tensor bTensor) {
        static Case of(int m, int n, int k, long seed) {
            return of(false, m, n, k, seed);
        }

        static Case transposed(int m, int n, int k, long seed) {
            return of(true, m, n, k, seed);
        }

        private static Case of(boolean tb, int m, int n, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            double[] b = fill(r, n * k);
            Tensor bTensor = tb ? Tensor.of(DType.F32, b, n, k) : Tensor.of(DType.F32, b, k, n);
            return new Case(tb, m, n, k, 3, 0, 7, fill(r, 3 + m * k + 2), b, fill(r, 7 + m * n + 6), bTensor);
        }

        private static double[] fill(SplittableRandom r, int len) {
            double[] x = new double[len];
            for (int i = 0; i < len; i++) {
                x[i] = r.nextDouble(-2, 2);
            }
            return x;
        }

        double a(int i, int p) {
            return a[ao + i * k + p];
        }

        double b(int p, int j) {
            return b[bo + (tb ? j * k + p : p * n + j)];
        }

        /** C with every element replaced by {@code C + fma-chain}, float32 arithmetic throughout. */
        float[] expectedF() {
            float[] out = toFloat(c);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int p = 0; p < k; p++) {
                        acc = Math.fma((float) a(i, p), (float) b(p, j), acc);
                    }
                    out[co + i * n + j] += acc;
                }
            }
            return out;
        }

        /** Whether the kernel took the product, C as it left it: on B's first use it must not. */
        boolean run(float[] out) {
            float[] panels = VectorGemm.panelsFor(tb, m, n, k, bTensor);
            if (panels != null) {
                VectorGemm.multiply(m, n, k, toFloat(a), ao, panels, out, co);
            }
            return panels != null;
        }

        /** The product from B's second use on (a first use made first when none was). */
        float[] runF() {
            if (bTensor.panelUses + bTensor.transposedUses == 0) {
                assertFalse(run(toFloat(c)), "first use: left to the BLAS");
            }
            float[] out = toFloat(c);
            assertTrue(run(out), "the kernel ran");
            return out;
        }

    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    @ParameterizedTest(name = "{0}x{2}·{2}x{1}")
    @CsvSource({"16, 64, 37", "8, 96, 5", "64, 32, 19", "8, 32, 1", "32, 256, 256"})
    void float32HasTheDocumentedBits(int m, int n, int k) {
        Case c = Case.of(m, n, k, 11);
        assertArrayEquals(c.expectedF(), c.runF(), "A·B");
        Case t = Case.transposed(m, n, k, 12);
        assertArrayEquals(t.expectedF(), t.runF(), "A·Bᵀ");
    }

    /** Panel q of width W holds B's columns qW..qW+W-1 row after row, from either storage order. */
    @Test
    void panelsHoldTheColumnsOfBRowAfterRow() {
        int w = 2 * jdk.incubator.vector.FloatVector.SPECIES_512.length();
        int n = 2 * w;
        int k = 3;
        float[] b = new float[k * n];       // B(p, j) = 1000p + j, stored [k, n]
        float[] bt = new float[n * k];      // the same B stored transposed, [n, k]
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                b[p * n + j] = 1000 * p + j;
                bt[j * k + p] = 1000 * p + j;
            }
        }
        float[] expected = new float[n * k];
        for (int q = 0; q < n / w; q++) {
            for (int p = 0; p < k; p++) {
                for (int v = 0; v < w; v++) {
                    expected[q * k * w + p * w + v] = 1000 * p + q * w + v;
                }
            }
        }
        assertArrayEquals(expected, VectorGemm.panels(b, n, k, false), "from [k, n]");
        assertArrayEquals(expected, VectorGemm.panels(bt, n, k, true), "from [n, k]");
    }

    @Test
    void shapesItIsNotMeantForAreLeftToTheCaller() {
        Tensor b32 = Tensor.zeros(DType.F32, 4, 32);
        Tensor b28 = Tensor.zeros(DType.F32, 4, 28);
        Tensor a = Tensor.zeros(DType.F32, 32, 4);
        Tensor a64 = a.cast(DType.F64);
        Tensor b64 = b32.cast(DType.F64);
        for (int use = 0; use < 2; use++) {
            assertEquals(null, VectorGemm.panelsFor(false, 28, 32, 4, b32), "28 rows");
            assertEquals(null, VectorGemm.panelsFor(false, 32, 28, 4, b28), "28 columns");
            assertEquals(null, VectorGemm.panelsFor(false, 72, 32, 4, b32), "72 rows, more than a batch");
            assertEquals(null, SimdLoops.LOOPS.gemmPanels(true, false, 32, 32, 4, a, b32, 0), "A transposed");
            assertEquals(null, SimdLoops.LOOPS.gemmPanels(false, false, 32, 32, 4, a64, b64, 0), "float64");
        }
    }

    @ParameterizedTest(name = "transposed {0}")
    @CsvSource({"false", "true"})
    void aRightOperandIsReadThroughItsOwnPanelsFromItsSecondUse(boolean tb) {
        Case w1 = tb ? Case.transposed(16, 64, 23, 21) : Case.of(16, 64, 23, 21);
        Case w2 = tb ? Case.transposed(16, 64, 23, 22) : Case.of(16, 64, 23, 22);   // another weight of the same shape
        float[] untouched = toFloat(w1.c);
        float[] first = untouched.clone();
        assertFalse(w1.run(first), "first use: left to the BLAS");
        assertArrayEquals(untouched, first, "nothing written");
        assertEquals(null, tb ? w1.bTensor.transposedPanelsF32 : w1.bTensor.panelsF32, "no copy for a single use");
        assertFalse(w2.run(toFloat(w2.c)));
        for (int use = 2; use <= 3; use++) {   // alternating: each weight is read through its own copy
            assertArrayEquals(w1.expectedF(), w1.runF(), "weight 1, use " + use);
            assertArrayEquals(w2.expectedF(), w2.runF(), "weight 2, use " + use);
        }
        assertEquals(null, tb ? w1.bTensor.panelsF32 : w1.bTensor.transposedPanelsF32, "no copy for the other orientation");
        Tensor a = Tensor.zeros(DType.F32, 16, 23);
        Tensor twoMatrices = Tensor.randn(Rng.seeded(3), DType.F32, 1, 2, 64, 23);
        for (int use = 0; use < 2; use++) {
            assertEquals(null, VectorGemm.panelsFor(tb, 16, 64, 23, twoMatrices), "one matrix of a larger tensor");
        }
        if (VectorGemm.USABLE) {
            Tensor b = tb ? twoMatrices : twoMatrices.reshape(2, 23, 64);
            assertEquals(null, SimdLoops.LOOPS.gemmPanels(false, tb, 16, 64, 23, a, b, 64 * 23), "a matrix at an offset");
        }
        assertEquals(null, twoMatrices.transposedPanelsF32);
        assertEquals(null, twoMatrices.panelsF32);
    }

    @Test
    void nanAndInfinityPropagateAsIeeeArithmeticSays() {
        Case finite = Case.of(32, 32, 8, 14);
        double[] b = finite.b.clone();
        b[5] = Double.POSITIVE_INFINITY;            // B(0, 5) against A(i, 0): column 5 infinite or NaN
        Case c = new Case(false, 32, 32, 8, finite.ao, finite.bo, finite.co, finite.a, b, finite.c, Tensor.of(DType.F32, b, 8, 32));
        c.a[c.ao + 3] = Double.NaN;                 // A(0, 3): row 0 of C becomes NaN
        float[] got = c.runF();
        assertArrayEquals(c.expectedF(), got);
        assertTrue(Float.isNaN(got[c.co + 1]));
        assertTrue(Float.isInfinite(got[c.co + 2 * 32 + 5]) || Float.isNaN(got[c.co + 2 * 32 + 5]));
    }

    /**
     * Through {@link Kernels#matmul} on the native backend: {@code A·B} and {@code A·Wᵀ} from B's and
     * W's second use. At this inner dimension (768) OpenBLAS's own bits differ from the kernel's, which is
     * what shows which one ran; on a library where they happen to agree the test has nothing to tell.
     */
    @Test
    void theNativeBackendRunsFittingProductsOnThisKernel() {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        Blas.Backend before = Blas.backend();
        int threads = Parallelism.threads();
        try {
            Blas.use(Blas.Backend.NATIVE);
            Parallelism.setThreads(1);   // on more, OpenBLAS would compute A·Wᵀ in blocks of rows, with other bits than the whole
            Tensor a = Tensor.randn(Rng.seeded(5), DType.F32, 1, 32, 768);
            Tensor b = Tensor.randn(Rng.seeded(6), DType.F32, 1, 768, 256);
            Tensor w = Tensor.randn(Rng.seeded(7), DType.F32, 1, 256, 768);
            Case ab = new Case(false, 32, 256, 768, 0, 0, 0, a.toDoubleArray(), b.toDoubleArray(), new double[32 * 256], b);
            Case awT = new Case(true, 32, 256, 768, 0, 0, 0, a.toDoubleArray(), w.toDoubleArray(), new double[32 * 256], w);
            float[] openBlasAb = new float[32 * 256];
            Blas.nativeKernel().sgemm(false, false, 32, 256, 768, a.f32(), 0, 768, b.f32(), 0, 256, openBlasAb, 0, 256);
            float[] openBlasAwT = new float[32 * 256];
            Blas.nativeKernel().sgemm(false, true, 32, 256, 768, a.f32(), 0, 768, w.f32(), 0, 768, openBlasAwT, 0, 256);
            assumeFalse(Arrays.equals(openBlasAb, ab.expectedF()) || Arrays.equals(openBlasAwT, awT.expectedF()),
                    "this OpenBLAS sums in the kernel's order here");
            assertArrayEquals(openBlasAb, Kernels.matmul(a, b, false, false).f32(), "A·B on B's first use: OpenBLAS");
            assertArrayEquals(ab.expectedF(), Kernels.matmul(a, b, false, false).f32(), "A·B on B's second use");
            assertArrayEquals(openBlasAwT, Kernels.matmul(a, w, false, true).f32(), "A·Wᵀ on W's first use: OpenBLAS");
            assertArrayEquals(awT.expectedF(), Kernels.matmul(a, w, false, true).f32(), "A·Wᵀ on W's second use");
            for (int t : new int[] {1, 2}) {   // the use is counted once per product, not once per thread's block
                Parallelism.setThreads(t);
                Tensor fresh = Tensor.randn(Rng.seeded(7), DType.F32, 1, 256, 768);   // W's values, not used yet
                assertArrayEquals(openBlasAwT, Kernels.matmul(a, fresh, false, true).f32(), "first use on " + t + " threads: OpenBLAS");
                assertArrayEquals(awT.expectedF(), Kernels.matmul(a, fresh, false, true).f32(), "second use on " + t + " threads: the kernel");
            }
        } finally {
            Parallelism.setThreads(threads);
            Blas.use(before);
        }
    }
}
