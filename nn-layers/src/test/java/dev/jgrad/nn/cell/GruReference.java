package dev.jgrad.nn.cell;

import dev.jgrad.tensor.Tensor;
import java.util.Map;

/**
 * The GRU's forward equations for one example written with plain loops over {@code double}, an
 * implementation independent of the tape, plus the small matrix algebra the Jacobian tests need.
 */
final class GruReference {
    private GruReference() {
    }

    /** Gate values of one step; {@code hiddenProj} is {@code W_hn h + b_hn} (RESET_AFTER only). */
    record Step(double[] z, double[] r, double[] candidate, double[] hNext, double[] hiddenProj) {
    }

    static Step step(GRU.Variant variant, Map<String, Tensor> w, double[] x, double[] h) {
        int hs = h.length;
        double[] z = new double[hs];
        double[] r = new double[hs];
        double[] c = new double[hs];
        double[] hp = new double[hs];
        double[] next = new double[hs];
        if (variant == GRU.Variant.RESET_BEFORE) {
            double[] zPre = plus(xw(x, w.get("W_xz")), xw(h, w.get("W_hz")), w.get("b_z"));
            double[] rPre = plus(xw(x, w.get("W_xr")), xw(h, w.get("W_hr")), w.get("b_r"));
            for (int i = 0; i < hs; i++) {
                z[i] = sigmoid(zPre[i]);
                r[i] = sigmoid(rPre[i]);
            }
            double[] rh = new double[hs];
            for (int i = 0; i < hs; i++) {
                rh[i] = r[i] * h[i];
            }
            double[] cPre = plus(xw(x, w.get("W_xh")), xw(rh, w.get("W_hh")), w.get("b_h"));
            for (int i = 0; i < hs; i++) {
                c[i] = Math.tanh(cPre[i]);
            }
        } else {
            double[] gi = wx(w.get("weight_ih"), x, w.get("bias_ih"));
            double[] gh = wx(w.get("weight_hh"), h, w.get("bias_hh"));
            for (int i = 0; i < hs; i++) {
                r[i] = sigmoid(gi[i] + gh[i]);
                z[i] = sigmoid(gi[hs + i] + gh[hs + i]);
                hp[i] = gh[2 * hs + i];
                c[i] = Math.tanh(gi[2 * hs + i] + r[i] * hp[i]);
            }
        }
        for (int i = 0; i < hs; i++) {
            next[i] = z[i] * h[i] + (1 - z[i]) * c[i];
        }
        return new Step(z, r, c, next, hp);
    }

    static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    /** {@code v·W} for {@code W [n, m]}. */
    private static double[] xw(double[] v, Tensor w) {
        int n = w.shape().dim(0);
        int m = w.shape().dim(1);
        double[] out = new double[m];
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                out[j] += v[i] * w.get(i, j);
            }
        }
        return out;
    }

    /** {@code W·v + b} for {@code W [m, n]}; {@code b} may be null. */
    private static double[] wx(Tensor w, double[] v, Tensor b) {
        int m = w.shape().dim(0);
        int n = w.shape().dim(1);
        double[] out = new double[m];
        for (int i = 0; i < m; i++) {
            out[i] = b == null ? 0 : b.at(i);
            for (int j = 0; j < n; j++) {
                out[i] += w.get(i, j) * v[j];
            }
        }
        return out;
    }

    private static double[] plus(double[] a, double[] b, Tensor bias) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i] + (bias == null ? 0 : bias.at(i));
        }
        return out;
    }

    // ------------------------------------------------------------------ matrices (double[rows][cols])

    static double[][] matrix(Tensor t) {
        int m = t.shape().dim(0);
        int n = t.shape().dim(1);
        double[][] a = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = t.get(i, j);
            }
        }
        return a;
    }

    /** Rows {@code from..to−1} of a matrix: one gate block of a PyTorch weight. */
    static double[][] rows(double[][] a, int from, int to) {
        double[][] out = new double[to - from][];
        for (int i = from; i < to; i++) {
            out[i - from] = a[i].clone();
        }
        return out;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    /** {@code diag(d)·a}. */
    static double[][] diagMul(double[] d, double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
            for (int j = 0; j < c[i].length; j++) {
                c[i][j] *= d[i];
            }
        }
        return c;
    }

    static double[][] diag(double[] d) {
        double[][] c = new double[d.length][d.length];
        for (int i = 0; i < d.length; i++) {
            c[i][i] = d[i];
        }
        return c;
    }

    static double[][] add(double[][]... ms) {
        double[][] c = new double[ms[0].length][ms[0][0].length];
        for (double[][] m : ms) {
            for (int i = 0; i < c.length; i++) {
                for (int j = 0; j < c[0].length; j++) {
                    c[i][j] += m[i][j];
                }
            }
        }
        return c;
    }

    /** Elementwise {@code f(a_i, b_i)}. */
    static double[] map(double[] a, double[] b, java.util.function.DoubleBinaryOperator f) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = f.applyAsDouble(a[i], b[i]);
        }
        return c;
    }

    static double maxAbsDiff(double[][] a, Tensor b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                m = Math.max(m, Math.abs(a[i][j] - b.get(i, j)));
            }
        }
        return m;
    }
}
