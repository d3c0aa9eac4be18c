package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jgrad.check.GradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Values and gradients known in closed form, where a property would be vaguer. */
class ClosedFormTest {

    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);

    private static void assertValues(double[] expected, Tensor actual, double tol) {
        assertEquals(expected.length, actual.size(), "size of " + actual);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.at(i), tol, "element " + i + " of " + actual);
        }
    }

    /** softmax([0, ln 2]) = [1, 2] / 3; logSoftmax = [−ln 3, ln 2 − ln 3]. */
    @Test
    void softmaxOfZeroAndLnTwo() {
        Variable x = Variable.constant(Tensor.vector(0, LN2));
        assertValues(new double[] {1.0 / 3, 2.0 / 3}, x.softmax(0).value(), 1e-15);
        assertValues(new double[] {-LN3, LN2 - LN3}, x.logSoftmax(0).value(), 1e-15);
    }

    /**
     * Softmax Jacobian diag(y) − y yᵀ applied to cotangent g = [1, 0]: y ⊙ (g − ⟨g, y⟩) = [1/3·(1 − 1/3), 2/3·(0 − 1/3)] = [2/9, −2/9].
     */
    @Test
    void softmaxGradientAtZeroAndLnTwo() {
        Variable x = Variable.leaf(Tensor.vector(0, LN2));
        try (Tape tape = Tape.record()) {
            x.softmax(0).backward(Tensor.vector(1, 0));
        }
        assertValues(new double[] {2.0 / 9, -2.0 / 9}, x.grad(), 1e-15);
    }

    /** CE([[0, ln 2]], target 1) = ln 3 − ln 2; ∂/∂logits = softmax − onehot = [1/3, −1/3]. */
    @Test
    void crossEntropyOfZeroAndLnTwo() {
        Variable x = Variable.leaf(Tensor.matrix(new double[] {0, LN2}));
        try (Tape tape = Tape.record()) {
            Variable ce = x.crossEntropy(new int[] {1});
            assertEquals(LN3 - LN2, ce.value().item(), 1e-15);
            ce.backward();
        }
        assertValues(new double[] {1.0 / 3, -1.0 / 3}, x.grad(), 1e-15);
    }

    @Test
    void elementaryDerivativesAtKnownPoints() {
        Variable x = Variable.leaf(Tensor.vector(0, 0, 3, 1, 2, -1.5, 0));
        try (Tape tape = Tape.record()) {
            Variable[] parts = {
                x.slice(0, 0, 1).sigmoid(), // σ'(0) = 1/4
                x.slice(0, 1, 2).tanh(), // tanh'(0) = 1
                x.slice(0, 2, 3).pow(2), // 2·3 = 6
                x.slice(0, 3, 4).log(), // 1/1
                x.slice(0, 4, 5).exp(), // e²
                x.slice(0, 5, 6).relu(), // 0 for negative input
                x.slice(0, 6, 7).relu(), // 0 at the kink by convention (step is x > 0)
            };
            Variable.concat(0, parts).sum().backward();
        }
        assertValues(new double[] {0.25, 1, 6, 1, Math.exp(2), 0, 0}, x.grad(), 1e-15);
    }

    /** d/dx xᵖ at x = 0 for integer p ≥ 0: 0, 1, 0, 0 — finite, including x⁰ whose naive rule 0·0⁻¹ is NaN. */
    @Test
    void powAtZero() {
        double[] expected = {0, 1, 0, 0};
        for (int p = 0; p <= 3; p++) {
            Variable x = Variable.leaf(Tensor.vector(0.0));
            try (Tape tape = Tape.record().withAnomalyDetection()) {
                x.pow(p).sum().backward();
            }
            assertEquals(expected[p], x.grad() == null ? 0.0 : x.grad().item(), 0, "p = " + p);
        }
    }

    @Test
    void matmulOfSmallMatrices() {
        Tensor c = Variable.constant(Tensor.matrix(new double[] {1, 2}, new double[] {3, 4}))
                .matmul(Variable.constant(Tensor.matrix(new double[] {5, 6}, new double[] {7, 8}))).value();
        assertValues(new double[] {19, 22, 43, 50}, c, 0);
    }

    /** max over ties shares the gradient: [3, 1, 3] → ∂max/∂x = [1/2, 0, 1/2]. */
    @Test
    void maxTiesShareTheGradient() {
        Variable x = Variable.leaf(Tensor.vector(3, 1, 3));
        try (Tape tape = Tape.record()) {
            Variable m = x.max();
            assertEquals(3.0, m.value().item());
            m.backward();
        }
        assertValues(new double[] {0.5, 0, 0.5}, x.grad(), 0);
    }

    /** a [2, 3] + b [3] with cotangent g: ∂/∂b = column sums of g (broadcast undone by the tape), ∂/∂a = g. */
    @Test
    void broadcastGradientIsSummedBack() {
        Variable a = Variable.leaf(Tensor.zeros(DType.F64, 2, 3));
        Variable b = Variable.leaf(Tensor.zeros(DType.F64, 3));
        Tensor g = Tensor.matrix(new double[] {1, 2, 3}, new double[] {10, 20, 30});
        try (Tape tape = Tape.record()) {
            a.plus(b).backward(g);
        }
        assertValues(new double[] {11, 22, 33}, b.grad(), 0);
        assertValues(new double[] {1, 2, 3, 10, 20, 30}, a.grad(), 0);
    }

    /** gather rows [0, 0, 2] of a 3×2 table: row 0 receives two cotangent rows, row 1 none. */
    @Test
    void gatherWithRepeatedIndicesAddsGradients() {
        Variable t = Variable.leaf(Tensor.zeros(DType.F64, 3, 2));
        try (Tape tape = Tape.record()) {
            t.indexSelect(0, new int[] {0, 0, 2}).backward(Tensor.matrix(new double[] {1, 2}, new double[] {3, 4}, new double[] {5, 6}));
        }
        assertValues(new double[] {4, 6, 0, 0, 5, 6}, t.grad(), 0);
    }

    @Test
    void meanAndSumValues() {
        Variable x = Variable.constant(Tensor.matrix(new double[] {1, 2, 3}, new double[] {4, 5, 6}));
        assertValues(new double[] {21}, x.sum().value(), 0);
        assertValues(new double[] {3.5}, x.mean().value(), 0);
        assertValues(new double[] {2, 5}, x.mean(false, 1).value(), 0);
        assertEquals(List.of(1, 3), List.of(x.sum(true, 0).shape().dim(0), x.sum(true, 0).shape().dim(1)));
        assertValues(new double[] {3, 6}, x.max(false, -1).value(), 0);
    }

    /**
     * The population variance and standard deviation (dividing by n): of [[1, 3], [2, 6]] over all
     * elements (mean 3, squared deviations 4, 0, 1, 9) 3.5 and √3.5; per row, 1 and 4, 1 and 2.
     * The gradient checks cannot see a wrong constant factor (it scales the value and its gradient
     * alike), so the values are pinned here.
     */
    @Test
    void varianceAndStandardDeviationValues() {
        Variable x = Variable.constant(Tensor.matrix(new double[] {1, 3}, new double[] {2, 6}));
        assertValues(new double[] {3.5}, x.var().value(), 1e-15);
        assertValues(new double[] {Math.sqrt(3.5)}, x.std().value(), 1e-15);
        assertValues(new double[] {1, 4}, x.var(1).value(), 1e-15);
        assertValues(new double[] {1, 2}, x.std(1).value(), 1e-15);
        assertEquals(List.of(2, 1), List.of(x.std(true, 1).shape().dim(0), x.std(true, 1).shape().dim(1)));
        assertValues(new double[] {0.5, 1.5}, x.std(0).value(), 1e-15);
    }

    /** Arithmetic with a constant on either side. */
    @Test
    void scalarArithmeticValues() {
        Variable x = Variable.constant(Tensor.vector(1.0, -2.0, 4.0));
        assertValues(new double[] {3.5, 0.5, 6.5}, x.plus(2.5).value(), 0);
        assertValues(new double[] {-1.5, -4.5, 1.5}, x.minus(2.5).value(), 0);
        assertValues(new double[] {1.5, 4.5, -1.5}, Variable.minus(2.5, x).value(), 0);
        assertValues(new double[] {2.5, -5.0, 10.0}, x.times(2.5).value(), 0);
        assertValues(new double[] {0.5, -1.0, 2.0}, x.div(2.0).value(), 0);
        assertValues(new double[] {2.0, -1.0, 0.5}, Variable.div(2.0, x).value(), 0);
        assertValues(new double[] {0.0, 3.0, -3.0}, x.oneMinus().value(), 0);
    }

    /** cast F64 → F32: value rounded to float; gradient is the cotangent cast back to float64. */
    @Test
    void castRoundTripsValuesAndGradients() {
        Variable x = Variable.leaf(Tensor.vector(0.1, 1.0 / 3, -2.5));
        try (Tape tape = Tape.record()) {
            Variable y = x.cast(DType.F32);
            assertEquals(DType.F32, y.dtype());
            assertValues(new double[] {0.1f, 1.0f / 3, -2.5f}, y.value(), 0);
            y.backward(Tensor.of(new float[] {0.7f, -1.25f, 3f}, 3));
        }
        assertEquals(DType.F64, x.grad().dtype());
        assertValues(new double[] {0.7f, -1.25f, 3f}, x.grad(), 0);

        Variable f = Variable.leaf(Tensor.of(new float[] {1.5f, -0.25f}, 2));
        try (Tape tape = Tape.record()) {
            f.cast(DType.F64).backward(Tensor.vector(1.0 / 3, 2.0));
        }
        assertEquals(DType.F32, f.grad().dtype());
        assertValues(new double[] {(float) (1.0 / 3), 2.0f}, f.grad(), 0);
        assertSame(f, f.cast(DType.F32), "casting to the same dtype is the identity");
    }

    /**
     * Second order through cast: z = Σ c ⊙ cast₆₄(cast₃₂(x)²) has gradient 2c⊙x and Hessian diag(2c), so the
     * Hessian-vector product with v is 2c⊙v, up to float32 rounding of the intermediate (relative 2⁻²³ per op).
     */
    @Test
    void castIsTwiceDifferentiable() {
        Tensor xv = Tensor.vector(0.5, -1.5, 2.0);
        Tensor c = Tensor.vector(1.0, -0.5, 0.25);
        Tensor v = Tensor.vector(0.3, 0.9, -1.2);
        Variable x = Variable.leaf(xv);
        try (Tape tape = Tape.record()) {
            Variable z = x.cast(DType.F32).square().cast(DType.F64).times(Variable.constant(c)).sum();
            Variable g = tape.gradients(z, List.of(x), true).get(0);
            Variable hv = tape.gradients(List.of(g), List.of(Variable.constant(v)), List.of(x), false).get(0);
            for (int i = 0; i < 3; i++) {
                assertEquals(2 * c.at(i) * xv.at(i), g.value().at(i), 4 * DType.F32.epsilon());
                assertEquals(2 * c.at(i) * v.at(i), hv.value().at(i), 4 * DType.F32.epsilon());
            }
        }
    }

    /** One GRU step (Cho variant), composed of matmul, broadcast bias, sigmoid, tanh, oneMinus, softmax and log. */
    @Test
    void gruStepGradientsOfBothOrders() {
        Rng rng = Rng.seeded(1);
        Tensor x = Tensor.randn(rng, DType.F64, 1, 2, 3);
        Tensor h = Tensor.randn(rng, DType.F64, 1, 2, 4);
        Tensor w = Tensor.randn(rng, DType.F64, 0.5, 3, 4);
        Tensor u = Tensor.randn(rng, DType.F64, 0.5, 4, 4);
        Tensor b = Tensor.randn(rng, DType.F64, 0.5, 4);
        dev.jgrad.check.DifferentiableFunction step = in -> {
            Variable z = in.get(0).matmul(in.get(2)).plus(in.get(1).matmul(in.get(3))).plus(in.get(4)).sigmoid();
            Variable ht = in.get(0).matmul(in.get(2)).plus(z.times(in.get(1)).matmul(in.get(3))).tanh();
            return z.times(in.get(1)).plus(z.oneMinus().times(ht)).softmax(1).log();
        };
        dev.jgrad.testing.CotangentChecks.assertBothOrders(step, List.of(x, h, w, u, b), 99);
        GradCheck.assertGradients(step, List.of(x, h, w, u, b), GradCheck.Options.defaults().randomDirections(5));
    }
}
