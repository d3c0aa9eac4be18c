package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
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
    private int threadsBefore;

    @BeforeEach
    void vectorApiPresentAndOneKernelThread() {
        assumeTrue(SimdLoops.LOOPS != null, "runs only with --add-modules jdk.incubator.vector");
        threadsBefore = Parallelism.threads();
        Parallelism.setThreads(1);
    }

    @AfterEach
    void restoreThreads() {
        if (SimdLoops.LOOPS != null) {
            Parallelism.setThreads(threadsBefore);
        }
    }

    /** Operands embedded at offsets in arrays with sentinel values around them. */
    private record Case(int m, int n, int k, int ao, int bo, int co, double[] a, double[] b, double[] c) {
        static Case of(int m, int n, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int ao = 3;
            int bo = 5;
            int co = 7;
            return new Case(m, n, k, ao, bo, co, fill(r, ao + m * k + 2), fill(r, bo + k * n + 4), fill(r, co + m * n + 6));
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
            return b[bo + p * n + j];
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
            assertTrue(VectorGemm.sgemm(m, n, k, toFloat(a), ao, toFloat(b), bo, out, co), "the shape fits");
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
    void withMoreKernelThreadsTheProductIsLeftToTheBlas() {
        Case c = Case.of(32, 256, 64, 13);
        Parallelism.setThreads(2);
        assertFalse(VectorGemm.sgemm(32, 256, 64, new float[32 * 64], 0, new float[64 * 256], 0, new float[32 * 256], 0));
        Parallelism.setThreads(1);
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
    void aTransposedRightOperandIsReadThroughItsCopyFromItsSecondUse() {
        int m = 16;
        int n = 64;
        int k = 23;
        Tensor a = Tensor.randn(Rng.seeded(1), DType.F32, 1, m, k);
        Tensor b = Tensor.randn(Rng.seeded(2), DType.F32, 1, n, k);   // stored [n, k]: the product is A·Bᵀ
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a.f32[i * k + p], b.f32[j * k + p], acc);
                }
                expected[i * n + j] = acc;
            }
        }
        Tensor first = Tensor.zeros(DType.F32, m, n);
        assertFalse(SimdLoops.LOOPS.gemm(false, true, m, n, k, a, 0, b, 0, first, 0), "first use: left to the BLAS");
        assertArrayEquals(new float[m * n], first.f32, "nothing written");
        assertEquals(null, b.transposedF32, "no copy for a single use");
        for (int use = 2; use <= 3; use++) {
            Tensor c = Tensor.zeros(DType.F32, m, n);
            assertTrue(SimdLoops.LOOPS.gemm(false, true, m, n, k, a, 0, b, 0, c, 0), "use " + use);
            assertArrayEquals(expected, c.f32, "use " + use);
        }
        Tensor twoMatrices = Tensor.randn(Rng.seeded(3), DType.F32, 1, 2, n, k);
        for (int use = 0; use < 2; use++) {
            assertFalse(SimdLoops.LOOPS.gemm(false, true, m, n, k, a, 0, twoMatrices, 0, Tensor.zeros(DType.F32, m, n), 0),
                    "one matrix of a larger tensor");
            assertFalse(SimdLoops.LOOPS.gemm(false, true, m, n, k, a, 0, twoMatrices, n * k, Tensor.zeros(DType.F32, m, n), 0),
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

    @Test
    void theNativeBackendRunsFittingProductsOnThisKernel() {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        Blas.Backend before = Blas.backend();
        try {
            Blas.use(Blas.Backend.NATIVE);
            Case c = Case.of(32, 64, 48, 15);
            Tensor a = Tensor.of(DType.F32, java.util.Arrays.copyOfRange(c.a, c.ao, c.ao + 32 * 48), 32, 48);
            Tensor b = Tensor.of(DType.F32, java.util.Arrays.copyOfRange(c.b, c.bo, c.bo + 48 * 64), 48, 64);
            Tensor product = Kernels.matmul(a, b, false, false);
            Case plain = new Case(32, 64, 48, 0, 0, 0, a.toDoubleArray(), b.toDoubleArray(), new double[32 * 64]);
            float[] expected = plain.expectedF();
            float[] got = toFloat(product.toDoubleArray());
            assertArrayEquals(expected, got);
            assertEquals(32 * 64, got.length);
        } finally {
            Blas.use(before);
        }
    }
}
