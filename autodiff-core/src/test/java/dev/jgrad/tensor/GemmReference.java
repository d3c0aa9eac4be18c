package dev.jgrad.tensor;

import java.util.Arrays;

/** The naive triple loop in double that the matmul kernel is checked against, with its error bound. */
final class GemmReference {
    private GemmReference() {
    }

    /** {@code op(A)·op(B)} for row-major batched operands, batch dimensions broadcast, in double. */
    static double[] product(Tensor a, Tensor b, boolean ta, boolean tb, Shape out) {
        return eval(a, b, ta, tb, out, false);
    }

    /** {@code |op(A)|·|op(B)|}, the scale of the rounding error each output element may carry. */
    static double[] magnitude(Tensor a, Tensor b, boolean ta, boolean tb, Shape out) {
        return eval(a, b, ta, tb, out, true);
    }

    private static double[] eval(Tensor a, Tensor b, boolean ta, boolean tb, Shape out, boolean abs) {
        double[] av = a.toDoubleArray();
        double[] bv = b.toDoubleArray();
        int m = out.dim(-2);
        int n = out.dim(-1);
        int k = ta ? a.shape().dim(-2) : a.shape().dim(-1);
        int r = out.rank();
        int batches = out.size() / Math.max(1, m * n);
        if (m * n == 0) batches = 0;
        double[] c = new double[out.size()];
        int[] bd = Arrays.copyOf(out.dims(), r - 2);
        for (int bi = 0; bi < batches; bi++) {
            int[] idx = new int[r - 2];
            for (int t = bd.length - 1, q = bi; t >= 0; t--) {
                idx[t] = q % bd[t];
                q /= bd[t];
            }
            int ao = matrixOffset(a.shape(), idx);
            int bo = matrixOffset(b.shape(), idx);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double x = av[ao + (ta ? p * m + i : i * k + p)];
                        double y = bv[bo + (tb ? j * k + p : p * n + j)];
                        s += abs ? Math.abs(x * y) : x * y;
                    }
                    c[bi * m * n + i * n + j] = s;
                }
            }
        }
        return c;
    }

    /** The storage offset of the matrix at broadcast batch index {@code idx} (right-aligned). */
    private static int matrixOffset(Shape s, int[] idx) {
        int rank = s.rank() - 2;
        int mat = s.dim(-1) * s.dim(-2);
        int off = 0;
        for (int t = 0; t < rank; t++) {
            int d = s.dim(t);
            int i = idx[idx.length - rank + t];
            off = off * d + (d == 1 ? 0 : i);
        }
        return off * mat;
    }

    /**
     * The forward-error bound for a length-k dot product summed in the dtype's precision,
     * {@code γ_k · Σ|a||b|} with {@code γ_k ≈ k·u}, plus the rounding of the inputs' products; doubled
     * for margin, never tuned to the kernel's output.
     */
    static double tolerance(DType dtype, int k, double magnitude) {
        double u = dtype == DType.F64 ? 0x1p-53 : 0x1p-24;
        return 2 * (k + 2) * u * magnitude + Double.MIN_NORMAL;
    }
}
