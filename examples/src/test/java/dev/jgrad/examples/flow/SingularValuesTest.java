package dev.jgrad.examples.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.Rng;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SingularValuesTest {
    @Test
    void diagonalGivesSortedAbsoluteValues() {
        double[][] a = {{3, 0, 0}, {0, -7, 0}, {0, 0, 0.5}};
        assertArrayEquals(new double[] {7, 3, 0.5}, SingularValues.of(a), 1e-14);
    }

    @Test
    void orthogonalMatrixHasUnitSingularValues() {
        double c = Math.cos(0.7);
        double s = Math.sin(0.7);
        double[][] rotation = {{c, -s}, {s, c}};
        assertArrayEquals(new double[] {1, 1}, SingularValues.of(rotation), 1e-14);
        double[][] q = orthogonal(Rng.seeded(3), 6);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, SingularValues.of(q), 1e-13);
    }

    @Test
    void rankOneHasOneNonZeroValueEqualToTheNormProduct() {
        double[] u = {1, -2, 2};      // ‖u‖ = 3
        double[] v = {3, 0, 4, 0};    // ‖v‖ = 5
        double[][] a = new double[3][4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                a[i][j] = u[i] * v[j];
            }
        }
        double[] s = SingularValues.of(a);
        assertEquals(3, s.length);
        assertEquals(15, s[0], 1e-13);
        assertEquals(0, s[1], 1e-13);
        assertEquals(0, s[2], 1e-13);
    }

    @Test
    void wideAndTallMatricesAgreeWithTheirTranspose() {
        double[][] a = {{1, 2, 3, 4}, {0, -1, 5, 2}};
        double[][] at = {{1, 0}, {2, -1}, {3, 5}, {4, 2}};
        assertArrayEquals(SingularValues.of(at), SingularValues.of(a), 1e-13);
    }

    @Test
    void rejectsEmptyRaggedAndNonFiniteMatrices() {
        assertThrows(IllegalArgumentException.class, () -> SingularValues.of(new double[0][]));
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> SingularValues.of(new double[][] {{1, 2}, {3}}));
        assertTrue(ragged.getMessage().contains("singularValues"), ragged.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> SingularValues.of(new double[][] {{1, Double.NaN}}));
        assertTrue(nan.getMessage().contains("[1, 2]"), nan.getMessage());
    }

    /** U·diag(s)·Vᵀ with random orthogonal U, V has exactly the singular values s. */
    @Property(tries = 40)
    void recoversPrescribedSingularValues(@ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int n,
            @ForAll @IntRange(min = 0, max = 4) int extraRows) {
        Rng rng = Rng.seeded(seed);
        int m = n + extraRows;
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            // Spread over six decades: small values must keep their relative accuracy.
            s[i] = Math.pow(10, rng.uniform(-3, 3));
        }
        double[][] u = orthogonal(rng, m);
        double[][] v = orthogonal(rng, n);
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += u[i][k] * s[k] * v[j][k];
                }
                a[i][j] = sum;
            }
        }
        double[] expected = s.clone();
        java.util.Arrays.sort(expected);
        double[] got = SingularValues.of(a);
        for (int i = 0; i < n; i++) {
            double want = expected[n - 1 - i];
            assertEquals(want, got[i], 1e-10 * expected[n - 1] + 1e-9 * want, "σ" + i);
        }
    }

    /** A random orthogonal matrix: Gram–Schmidt on Gaussian columns. */
    static double[][] orthogonal(Rng rng, int n) {
        double[][] q = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] col = new double[n];
            for (int i = 0; i < n; i++) {
                col[i] = rng.nextGaussian();
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < j; k++) {
                    double d = 0;
                    for (int i = 0; i < n; i++) {
                        d += col[i] * q[i][k];
                    }
                    for (int i = 0; i < n; i++) {
                        col[i] -= d * q[i][k];
                    }
                }
            }
            double norm = 0;
            for (double x : col) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                q[i][j] = col[i] / norm;
            }
        }
        return q;
    }
}
