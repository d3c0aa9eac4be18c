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
 * summation order], written out here as a scalar loop of {@link Math#fma}, at offsets inside larger
 * storage, for any thread count; and it takes only the shapes it is meant for.
 */
class VectorGemmTest {
    @BeforeEach
    void vectorApiPresent() {
        assumeTrue(SimdLoops.LOOPS != null, "runs only with --add-modules jdk.incubator.vector");
    }

    /**
     * Operands embedded at offsets in arrays with sentinel values around them; with {@code tb}, B is
     * stored {@code [n, k]} as a whole tensor of its own (the product is {@code A·Bᵀ}).
     */
    private record Case(boolean tb, int m, int n, int k, int ao, int bo, int co, double[] a, double[] b, double[] c, Tensor bTensor) {
        static Case of(int m, int n, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int ao = 3;
            int bo = 5;
            int co = 7;
            return new Case(false, m, n, k, ao, bo, co, fill(r, ao + m * k + 2), fill(r, bo + k * n + 4), fill(r, co + m * n + 6), null);
        }

        static Case transposed(int m, int n, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            double[] b = fill(r, n * k);
            return new Case(true, m, n, k, 3, 0, 7, fill(r, 3 + m * k + 2), b, fill(r, 7 + m * n + 6), Tensor.of(DType.F32, b, n, k));
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

        float[] runF() {
            float[] out = toFloat(c);
            boolean ran = tb ? VectorGemm.sgemmTransposed(m, n, k, toFloat(a), ao, bTensor, out, co)
                    : VectorGemm.sgemm(m, n, k, toFloat(a), ao, toFloat(b), bo, out, co);
            assertTrue(ran, "the kernel ran");
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
        assertArrayEquals(c.expectedF(), c.runF());
    }

    @Test
    void shapesItIsNotMeantForAreLeftToTheCaller() {
        float[] c = new float[72 * 32];
        assertFalse(VectorGemm.sgemm(28, 32, 4, new float[28 * 4], 0, new float[4 * 32], 0, c, 0), "28 rows");
        assertFalse(VectorGemm.sgemm(32, 28, 4, new float[32 * 4], 0, new float[4 * 28], 0, c, 0), "28 columns");
        assertFalse(VectorGemm.sgemm(72, 32, 4, new float[72 * 4], 0, new float[4 * 32], 0, c, 0), "72 rows, more than a batch");
        Tensor a = Tensor.zeros(DType.F32, 32, 4);
        Tensor b = Tensor.zeros(DType.F32, 4, 32);
        Tensor out = Tensor.zeros(DType.F32, 32, 32);
        assertFalse(SimdLoops.LOOPS.gemm(true, false, 32, 32, 4, a, 0, b, 0, out, 0), "A transposed");
        Tensor out64 = Tensor.zeros(DType.F64, 32, 32);
        assertFalse(SimdLoops.LOOPS.gemm(false, false, 32, 32, 4, a.cast(DType.F64), 0, b.cast(DType.F64), 0, out64, 0), "float64");
        assertArrayEquals(new float[72 * 32], c, "nothing written");
    }

    @Test
    void aTransposedRightOperandIsReadThroughItsOwnCopyFromItsSecondUse() {
        Case w1 = Case.transposed(16, 64, 23, 21);
        Case w2 = Case.transposed(16, 64, 23, 22);   // another weight of the same shape
        float[] untouched = toFloat(w1.c);
        float[] first = untouched.clone();
        assertFalse(VectorGemm.sgemmTransposed(16, 64, 23, toFloat(w1.a), w1.ao, w1.bTensor, first, w1.co), "first use: left to the BLAS");
        assertArrayEquals(untouched, first, "nothing written");
        assertEquals(null, w1.bTensor.transposedF32, "no copy for a single use");
        assertFalse(VectorGemm.sgemmTransposed(16, 64, 23, toFloat(w2.a), w2.ao, w2.bTensor, toFloat(w2.c), w2.co));
        for (int use = 2; use <= 3; use++) {   // alternating: each weight is read through its own copy
            assertArrayEquals(w1.expectedF(), w1.runF(), "weight 1, use " + use);
            assertArrayEquals(w2.expectedF(), w2.runF(), "weight 2, use " + use);
        }
        Tensor a = Tensor.zeros(DType.F32, 16, 23);
        Tensor twoMatrices = Tensor.randn(Rng.seeded(3), DType.F32, 1, 2, 64, 23);
        for (int use = 0; use < 2; use++) {
            assertFalse(VectorGemm.sgemmTransposed(16, 64, 23, a.f32(), 0, twoMatrices, new float[16 * 64], 0), "one matrix of a larger tensor");
        }
        if (VectorGemm.USABLE) {
            assertFalse(SimdLoops.LOOPS.gemm(false, true, 16, 64, 23, a, 0, twoMatrices, 64 * 23, Tensor.zeros(DType.F32, 16, 64), 0),
                    "a matrix at an offset");
        }
        assertEquals(null, twoMatrices.transposedF32);
    }

    @Test
    void nanAndInfinityPropagateAsIeeeArithmeticSays() {
        Case c = Case.of(32, 32, 8, 14);
        c.a[c.ao + 3] = Double.NaN;                 // A(0, 3): row 0 of C becomes NaN
        c.b[c.bo + 5] = Double.POSITIVE_INFINITY;   // B(0, 5) against A(i, 0): column 5 infinite or NaN
        float[] got = c.runF();
        assertArrayEquals(c.expectedF(), got);
        assertTrue(Float.isNaN(got[c.co + 1]));
        assertTrue(Float.isInfinite(got[c.co + 2 * 32 + 5]) || Float.isNaN(got[c.co + 2 * 32 + 5]));
    }

    /**
     * Through {@link Kernels#matmul} on the native backend: {@code A·B} at once, {@code A·Wᵀ} from W's
     * second use. At this inner dimension (768) OpenBLAS's own bits differ from the kernel's, which is
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
            Case ab = new Case(false, 32, 256, 768, 0, 0, 0, a.toDoubleArray(), b.toDoubleArray(), new double[32 * 256], null);
            Case awT = new Case(true, 32, 256, 768, 0, 0, 0, a.toDoubleArray(), w.toDoubleArray(), new double[32 * 256], w);
            float[] openBlasAb = new float[32 * 256];
            Blas.nativeKernel().sgemm(false, false, 32, 256, 768, a.f32(), 0, 768, b.f32(), 0, 256, openBlasAb, 0, 256);
            float[] openBlasAwT = new float[32 * 256];
            Blas.nativeKernel().sgemm(false, true, 32, 256, 768, a.f32(), 0, 768, w.f32(), 0, 768, openBlasAwT, 0, 256);
            assumeFalse(Arrays.equals(openBlasAb, ab.expectedF()) || Arrays.equals(openBlasAwT, awT.expectedF()),
                    "this OpenBLAS sums in the kernel's order here");
            assertArrayEquals(ab.expectedF(), Kernels.matmul(a, b, false, false).f32(), "A·B");
            assertArrayEquals(openBlasAwT, Kernels.matmul(a, w, false, true).f32(), "A·Wᵀ on W's first use: OpenBLAS");
            assertArrayEquals(awT.expectedF(), Kernels.matmul(a, w, false, true).f32(), "A·Wᵀ on W's second use");
        } finally {
            Parallelism.setThreads(threads);
            Blas.use(before);
        }
    }
}
