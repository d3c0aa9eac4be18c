package dev.jgrad.examples.flow;

import java.util.Arrays;

/**
 * Singular values of small dense matrices by one-sided Jacobi rotations (Hestenes' method).
 *
 * <p>For {@code A} of shape {@code [m, n]} with {@code m ≥ n} (a wider matrix is transposed first,
 * which leaves its singular values unchanged), plane rotations are applied to pairs of columns
 * until every pair is orthogonal: {@code A·V = U·Σ} with {@code V} orthogonal, so the column norms
 * are the singular values. Each rotation zeroes the off-diagonal entry {@code γ = aᵢ·aⱼ} of
 * {@code AᵀA} exactly as a two-sided Jacobi step would, but never forms {@code AᵀA}, so small
 * singular values keep their relative accuracy. Meant for the few-dozen-wide Jacobians of the
 * gradient-flow study, not for large matrices ({@code O(n³)} per sweep).
 */
public final class SingularValues {
    private static final int MAX_SWEEPS = 60;

    private SingularValues() {
    }

    /**
     * The singular values of {@code a} (rows of equal length), in descending order; there are
     * {@code min(m, n)} of them.
     *
     * @throws IllegalArgumentException for an empty or ragged matrix, or one holding NaN or ±∞
     */
    public static double[] of(double[][] a) {
        int m = a.length;
        if (m == 0 || a[0].length == 0) {
            throw new IllegalArgumentException("singularValues: empty matrix [" + m + ", " + (m == 0 ? 0 : a[0].length) + "]");
        }
        int n = a[0].length;
        for (double[] row : a) {
            if (row.length != n) {
                throw new IllegalArgumentException("singularValues: ragged matrix, rows of length " + n + " and " + row.length);
            }
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("singularValues: matrix [" + m + ", " + n + "] holds a non-finite value " + v);
                }
            }
        }
        boolean wide = n > m;
        int rows = wide ? n : m;
        int cols = wide ? m : n;
        // Column-major copy: cols[j] is column j of A (or of Aᵀ when A is wide).
        double[][] c = new double[cols][rows];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (wide) {
                    c[i][j] = a[i][j];
                } else {
                    c[j][i] = a[i][j];
                }
            }
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < cols - 1; p++) {
                for (int q = p + 1; q < cols; q++) {
                    double alpha = dot(c[p], c[p]);
                    double beta = dot(c[q], c[q]);
                    double gamma = dot(c[p], c[q]);
                    // Converged pair: the columns are orthogonal to working precision.
                    if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double cs = 1 / Math.sqrt(1 + t * t);
                    double sn = cs * t;
                    for (int k = 0; k < rows; k++) {
                        double x = c[p][k];
                        double y = c[q][k];
                        c[p][k] = cs * x - sn * y;
                        c[q][k] = sn * x + cs * y;
                    }
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] s = new double[cols];
        for (int j = 0; j < cols; j++) {
            s[j] = Math.sqrt(dot(c[j], c[j]));
        }
        Arrays.sort(s);
        for (int i = 0; i < cols / 2; i++) {
            double tmp = s[i];
            s[i] = s[cols - 1 - i];
            s[cols - 1 - i] = tmp;
        }
        return s;
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }
}
