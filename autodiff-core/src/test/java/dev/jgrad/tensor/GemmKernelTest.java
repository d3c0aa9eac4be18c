package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The blocked Java kernel computes exactly the summation order of Note [Matmul summation order], bit for bit: this pins the
 * order itself (the thread-count and row-grouping tests only compare the kernel with itself), so a faster loop shape
 * cannot change results silently. Sizes cross every block edge: k around {@link Gemm#KC} and its 4-term groups, n beyond
 * {@link Gemm#JB_F32} and {@link Gemm#JB_F64}, odd and even m (row pairs and the single-row path).
 */
class GemmKernelTest {
    private static final int[][] SIZES = {
            {2, 1, 600}, {3, 3, 5}, {5, 64, 70}, {4, 67, 513}, {7, 130, 530}, {6, 203, 129}, {9, 65, 1030}, {1, 300, 64},
    };

    @ParameterizedTest(name = "{0} transA={1} transB={2}")
    @CsvSource({"F64,false,false", "F64,false,true", "F64,true,false", "F64,true,true",
            "F32,false,false", "F32,false,true", "F32,true,false", "F32,true,true"})
    void blockedKernelFollowsTheNotedSummationOrderExactly(DType dtype, boolean ta, boolean tb) {
        Rng rng = Rng.seeded(11);
        for (int[] s : SIZES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            Tensor a = Tensor.randn(rng, dtype, 1, ta ? new int[] {k, m} : new int[] {m, k});
            Tensor b = Tensor.randn(rng, dtype, 1, tb ? new int[] {n, k} : new int[] {k, n});
            double[] got = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a, b, ta, tb)).toDoubleArray();
            double[] want = notedOrder(a, b, ta, tb, m, n, k);
            for (int i = 0; i < got.length; i++) {
                if (Double.doubleToRawLongBits(got[i]) != Double.doubleToRawLongBits(want[i])) {
                    fail(dtype + " " + a.shape() + (ta ? "ᵀ" : "") + " x " + b.shape() + (tb ? "ᵀ" : "") + ": element " + i + " is "
                            + got[i] + ", the noted order gives " + want[i]);
                }
            }
        }
    }

    /**
     * The Note written out one element at a time: {@code C = 0 + t_1 + t_2 + …}, one {@code t} per {@code KC} block, each
     * {@code t = ((0 + (x₀y₀ + x₁y₁ + x₂y₂ + x₃y₃)) + (next four)) + …} then the block's last products one by one; in
     * float32 every operation rounds to float.
     */
    private static double[] notedOrder(Tensor a, Tensor b, boolean ta, boolean tb, int m, int n, int k) {
        double[] av = a.toDoubleArray();
        double[] bv = b.toDoubleArray();
        boolean f32 = a.dtype() == DType.F32;
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double cd = 0;
                float cf = 0;
                for (int pc = 0; pc < k; pc += Gemm.KC) {
                    int end = Math.min(k, pc + Gemm.KC);
                    double td = 0;
                    float tf = 0;
                    int p = pc;
                    for (; p + 4 <= end; p += 4) {
                        if (f32) {
                            float g = (float) (av[ai(ta, i, p, m, k)] * bv[bj(tb, p, j, n, k)]);
                            for (int q = 1; q < 4; q++) g += (float) av[ai(ta, i, p + q, m, k)] * (float) bv[bj(tb, p + q, j, n, k)];
                            tf += g;
                        } else {
                            double g = av[ai(ta, i, p, m, k)] * bv[bj(tb, p, j, n, k)];
                            for (int q = 1; q < 4; q++) g += av[ai(ta, i, p + q, m, k)] * bv[bj(tb, p + q, j, n, k)];
                            td += g;
                        }
                    }
                    for (; p < end; p++) {
                        if (f32) {
                            tf += (float) av[ai(ta, i, p, m, k)] * (float) bv[bj(tb, p, j, n, k)];
                        } else {
                            td += av[ai(ta, i, p, m, k)] * bv[bj(tb, p, j, n, k)];
                        }
                    }
                    cf += tf;
                    cd += td;
                }
                out[i * n + j] = f32 ? cf : cd;
            }
        }
        return out;
    }

    private static int ai(boolean ta, int i, int p, int m, int k) {
        return ta ? p * m + i : i * k + p;
    }

    private static int bj(boolean tb, int p, int j, int n, int k) {
        return tb ? j * k + p : p * n + j;
    }
}
