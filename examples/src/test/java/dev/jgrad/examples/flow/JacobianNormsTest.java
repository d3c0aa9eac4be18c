package dev.jgrad.examples.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.Jacobian;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class JacobianNormsTest {
    /** Linear RNN h_t = h_{t−1}·W + x_t·U: ∂h_T/∂h_t = (W^(T−t))ᵀ, so its norm is ‖W^(T−t)‖_F. */
    @Property(tries = 20)
    void linearRnnGivesNormsOfMatrixPowers(@ForAll long seed, @ForAll @IntRange(min = 1, max = 5) int hidden,
            @ForAll @IntRange(min = 1, max = 8) int steps) {
        Rng rng = Rng.seeded(seed);
        Tensor w = Tensor.randn(rng, DType.F64, 0.6, hidden, hidden);
        Tensor u = Tensor.randn(rng, DType.F64, 1, 2, hidden);
        Tensor x = Tensor.randn(rng, DType.F64, 1, 1, steps, 2);
        Variable wv = Variable.constant(w);
        Variable uv = Variable.constant(u);
        try (Tape tape = Tape.record()) {
            List<List<Variable>> states = new ArrayList<>();
            Variable h = Variable.leaf("h0", Tensor.randn(rng, DType.F64, 1, 1, hidden));
            states.add(List.of(h));
            for (int t = 0; t < steps; t++) {
                h = h.matmul(wv).plus(Variable.constant(x).slice(1, t, t + 1).reshape(1, 2).matmul(uv));
                states.add(List.of(h));
            }
            double[] norms = JacobianNorms.finalWrtStates(tape, h, states);
            double[][] power = identity(hidden);
            for (int t = steps; t >= 0; t--) {
                assertEquals(frobenius(power), norms[t], 1e-12 * Math.max(1, frobenius(power)), "t = " + t);
                power = multiply(power, toArray(w, hidden));
            }
        }
    }

    /** A tanh RNN with a batch of 3: each row's norm equals that of its own Jacobian, taken one sequence at a time. */
    @Test
    void batchRowsAreSeparateSequencesAndTheNormIsTheirMean() {
        Rng rng = Rng.seeded(5);
        int hidden = 4;
        int steps = 5;
        Variable w = Variable.constant(Tensor.randn(rng, DType.F64, 0.8, hidden, hidden));
        Tensor x = Tensor.randn(rng, DType.F64, 1, 3, steps, hidden);
        Tensor h0 = Tensor.randn(rng, DType.F64, 1, 3, hidden);
        double[] norms;
        try (Tape tape = Tape.record()) {
            List<List<Variable>> states = new ArrayList<>();
            Variable h = Variable.leaf(h0);
            states.add(List.of(h));
            for (int t = 0; t < steps; t++) {
                h = h.matmul(w).plus(Variable.constant(x).slice(1, t, t + 1).reshape(3, hidden)).tanh();
                states.add(List.of(h));
            }
            norms = JacobianNorms.finalWrtStates(tape, h, states);
        }
        // Reference: per sequence, rerun from the state at t (computed without a tape) with Jacobian.of.
        for (int t = 0; t <= steps; t++) {
            double sum = 0;
            for (int b = 0; b < 3; b++) {
                Tensor xb = Tensor.of(x.toDoubleArray(), 3, steps, hidden);
                Variable xs = Variable.constant(xb).slice(0, b, b + 1);
                Variable hb = Variable.constant(h0).slice(0, b, b + 1);
                for (int k = 0; k < t; k++) {
                    hb = hb.matmul(w).plus(xs.slice(1, k, k + 1).reshape(1, hidden)).tanh();
                }
                int from = t;
                Tensor j = Jacobian.of(hs -> {
                    Variable hh = hs;
                    for (int k = from; k < steps; k++) {
                        hh = hh.matmul(w).plus(xs.slice(1, k, k + 1).reshape(1, hidden)).tanh();
                    }
                    return hh;
                }, hb.value());
                sum += frobenius(j.toDoubleArray());
            }
            assertEquals(sum / 3, norms[t], 1e-12, "t = " + t);
        }
    }

    /** With L = Σ h_T ⊙ c for a linear RNN, ∂L/∂h_t = c·(W^(T−t))ᵀ. */
    @Test
    void lossGradientOfLinearRnnIsTheCotangentTimesMatrixPowers() {
        Rng rng = Rng.seeded(11);
        int hidden = 3;
        int steps = 4;
        Tensor w = Tensor.randn(rng, DType.F64, 0.7, hidden, hidden);
        Tensor c = Tensor.randn(rng, DType.F64, 1, 1, hidden);
        try (Tape tape = Tape.record()) {
            List<List<Variable>> states = new ArrayList<>();
            Variable h = Variable.leaf(Tensor.randn(rng, DType.F64, 1, 1, hidden));
            states.add(List.of(h));
            for (int t = 0; t < steps; t++) {
                h = h.matmul(Variable.constant(w));
                states.add(List.of(h));
            }
            Variable loss = h.times(Variable.constant(c)).sum();
            double[] norms = JacobianNorms.lossWrtStates(tape, loss, states);
            double[][] wa = toArray(w, hidden);
            double[] g = c.toDoubleArray();
            for (int t = steps; t >= 0; t--) {
                assertEquals(norm(g), norms[t], 1e-12, "t = " + t);
                g = times(wa, g); // ∂L/∂h_{t−1} = W · ∂L/∂h_t (row convention h·W)
            }
        }
    }

    static double[][] identity(int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            a[i][i] = 1;
        }
        return a;
    }

    static double[][] toArray(Tensor t, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = t.get(i, j);
            }
        }
        return a;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    static double[] times(double[][] a, double[] v) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < v.length; j++) {
                r[i] += a[i][j] * v[j];
            }
        }
        return r;
    }

    static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }

    static double frobenius(double[] a) {
        return norm(a);
    }

    static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
