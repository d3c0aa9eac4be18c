package dev.jgrad.tensor;

/**
 * The 2-D matrix-multiply kernel behind {@link Kernels#matmul}: {@code C = op(A) · op(B)} for one
 * pair of row-major matrices inside larger storage. Loops are ordered i–p–j so the innermost loop
 * streams a row of B and a row of C with unit stride, which the JIT vectorises; a transposed B is
 * first packed into a small row-major panel so the same loop applies.
 */
final class Gemm {
    private Gemm() {
    }

    static void gemm(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k) {
        if (a.d != null) {
            double[] bb = b.d;
            int boff = bo;
            if (tb) {
                bb = new double[k * n];
                for (int j = 0; j < n; j++) {
                    for (int p = 0; p < k; p++) bb[p * n + j] = b.d[bo + j * k + p];
                }
                boff = 0;
            }
            double[] A = a.d;
            double[] C = c.d;
            for (int i = 0; i < m; i++) {
                int ci = co + i * n;
                for (int p = 0; p < k; p++) {
                    double av = ta ? A[ao + p * m + i] : A[ao + i * k + p];
                    int bp = boff + p * n;
                    for (int j = 0; j < n; j++) C[ci + j] += av * bb[bp + j];
                }
            }
        } else {
            float[] bb = b.f;
            int boff = bo;
            if (tb) {
                bb = new float[k * n];
                for (int j = 0; j < n; j++) {
                    for (int p = 0; p < k; p++) bb[p * n + j] = b.f[bo + j * k + p];
                }
                boff = 0;
            }
            float[] A = a.f;
            float[] C = c.f;
            for (int i = 0; i < m; i++) {
                int ci = co + i * n;
                for (int p = 0; p < k; p++) {
                    float av = ta ? A[ao + p * m + i] : A[ao + i * k + p];
                    int bp = boff + p * n;
                    for (int j = 0; j < n; j++) C[ci + j] += av * bb[bp + j];
                }
            }
        }
    }
}
