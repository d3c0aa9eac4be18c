package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tape's behaviour: accumulation, detach, no-grad scopes, long chains, the general VJP, gradients
 * with respect to intermediate values, grad-of-grad and Hessian-vector products on functions with
 * known derivatives, and anomaly reports.
 */
class TapeTest {

    private static void assertTensor(double[] expected, Tensor actual, double tol) {
        assertEquals(expected.length, actual.size(), "size of " + actual);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.at(i), tol, "element " + i + " of " + actual);
        }
    }

    // ------------------------------------------------------------------ accumulation and stopping

    /** y = x·x + 3x uses x three times: dy/dx = 2x + 3, all three contributions added. */
    @Test
    void gradientsAccumulateOverSeveralUses() {
        Variable x = Variable.leaf("x", Tensor.vector(1.5, -2.0));
        try (Tape tape = Tape.record()) {
            x.times(x).plus(x.times(3)).sum().backward();
        }
        assertTensor(new double[] {6.0, -1.0}, x.grad(), 0);
    }

    /** Two backward calls add into .grad(); zeroGrad forgets. */
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Variable x = Variable.leaf("x", Tensor.vector(1.0, 2.0));
        try (Tape tape = Tape.record()) {
            x.square().sum().backward(); // 2x
            x.times(5).sum().backward(); // 5
        }
        assertTensor(new double[] {7.0, 9.0}, x.grad(), 0);
        x.zeroGrad();
        assertNull(x.grad());
    }

    /** f = x.detach()·x: the tape sees only the second factor, so df/dx = x (not 2x). */
    @Test
    void detachStopsGradients() {
        Variable x = Variable.leaf("x", Tensor.vector(3.0, -1.0));
        try (Tape tape = Tape.record()) {
            Variable d = x.detach();
            assertFalse(d.requiresGrad());
            x.detach().times(x).sum().backward();
        }
        assertTensor(new double[] {3.0, -1.0}, x.grad(), 0);
    }

    @Test
    void nothingIsRecordedUnderNoGradOrOutsideATape() {
        Variable x = Variable.leaf("x", Tensor.vector(1.0, 2.0));
        Variable outside = x.exp().times(x);
        assertFalse(outside.requiresGrad(), "outside a tape, results are constants");
        assertFalse(Tape.isRecording());
        try (Tape tape = Tape.record()) {
            x.exp();
            int before = tape.size();
            assertEquals(1, before);
            try (Tape.Scope s = Tape.noGrad()) {
                assertFalse(Tape.isRecording());
                Variable y = x.exp().times(x).sum();
                assertFalse(y.requiresGrad());
            }
            assertEquals(before, tape.size(), "noGrad must record nothing");
            assertTrue(Tape.isRecording(), "closing noGrad restores recording");
            x.exp();
            assertEquals(before + 1, tape.size());
        }
        assertFalse(Tape.isRecording());
    }

    /** Recording is per thread: another thread sees no tape and records nothing on this one. */
    @Test
    void recordingIsScopedToTheThread() throws InterruptedException {
        Variable x = Variable.leaf(Tensor.vector(1.0));
        try (Tape tape = Tape.record()) {
            boolean[] seen = new boolean[2];
            Thread other = new Thread(() -> {
                seen[0] = Tape.isRecording();
                seen[1] = x.exp().requiresGrad();
            });
            other.start();
            other.join();
            assertFalse(seen[0]);
            assertFalse(seen[1]);
            assertEquals(0, tape.size());
        }
    }

    /** Nested tapes restore the enclosing one; closing out of order never revives a closed tape. */
    @Test
    void nestedTapesAndOutOfOrderClose() {
        Tape outer = Tape.record();
        Tape inner = Tape.record();
        inner.close();
        assertTrue(Tape.isRecording(), "closing the inner tape restores the outer one");
        inner.close(); // idempotent
        outer.close();
        assertFalse(Tape.isRecording());

        Tape a = Tape.record();
        Tape b = Tape.record();
        a.close(); // out of order: b is still current
        assertTrue(Tape.isRecording());
        b.close();
        assertFalse(Tape.isRecording(), "the closed outer tape must not become current again");
        Variable x = Variable.leaf(Tensor.vector(1.0));
        x.exp();
        assertEquals(0, a.size());
    }

    /** Operations on constants only record nothing even inside a tape. */
    @Test
    void constantsAreNotRecorded() {
        try (Tape tape = Tape.record()) {
            Variable c = Variable.constant(Tensor.vector(1, 2));
            Variable y = c.exp().plus(c);
            assertEquals(0, tape.size());
            assertThrows(IllegalStateException.class, y::backward);
        }
    }

    /** 50,000 recorded ops: backward walks the tape iteratively, with no recursion to overflow the stack. */
    @Test
    void longChainBackpropagatesWithoutStackOverflow() {
        int n = 50_000;
        Variable x = Variable.leaf("x", Tensor.scalar(1.0));
        try (Tape tape = Tape.record()) {
            Variable y = x;
            for (int i = 0; i < n; i++) {
                y = y.times(1.0001); // dy/dx = 1.0001^n
            }
            assertEquals(n, tape.size());
            y.backward();
        }
        assertEquals(Math.pow(1.0001, n), x.grad().item(), 1e-9 * Math.pow(1.0001, n));
    }

    // ------------------------------------------------------------------ general VJP

    /**
     * outputs u = a⊙b, v = exp(a) with cotangents cu, cv: ∂/∂a = cu⊙b + cv⊙exp(a), ∂/∂b = cu⊙a;
     * a leaf not reached gets zeros; leaf .grad() is untouched.
     */
    @Test
    void vjpWithSeveralOutputsAndGivenCotangents() {
        Variable a = Variable.leaf("a", Tensor.vector(0.5, -1.0, 2.0));
        Variable b = Variable.leaf("b", Tensor.vector(3.0, 0.25, -2.0));
        Variable unused = Variable.leaf("unused", Tensor.vector(7.0));
        double[] cu = {1.0, -2.0, 0.5};
        double[] cv = {0.3, 0.7, -1.1};
        try (Tape tape = Tape.record()) {
            Variable u = a.times(b);
            Variable v = a.exp();
            List<Variable> g = tape.gradients(List.of(u, v),
                    List.of(Variable.constant(Tensor.vector(cu)), Variable.constant(Tensor.vector(cv))),
                    List.of(a, b, unused), false);
            double[] ga = new double[3];
            double[] gb = new double[3];
            for (int i = 0; i < 3; i++) {
                ga[i] = cu[i] * b.value().at(i) + cv[i] * Math.exp(a.value().at(i));
                gb[i] = cu[i] * a.value().at(i);
            }
            assertTensor(ga, g.get(0).value(), 1e-15);
            assertTensor(gb, g.get(1).value(), 1e-15);
            assertTensor(new double[] {0.0}, g.get(2).value(), 0);
        }
        assertNull(a.grad(), "gradients() must not touch leaf .grad()");
        assertNull(b.grad());
    }

    @Test
    void vjpRejectsMismatchedCotangentCount() {
        Variable a = Variable.leaf(Tensor.vector(1.0));
        try (Tape tape = Tape.record()) {
            Variable u = a.exp();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> tape.gradients(List.of(u), List.of(), List.of(a), false));
            assertTrue(e.getMessage().contains("1 outputs but 0 cotangents"), e.getMessage());
        }
    }

    /** h = tanh(x); y = sum(h²): ∂y/∂h = 2h, taken at the intermediate h. */
    @Test
    void gradientWithRespectToAnIntermediateValue() {
        Variable x = Variable.leaf("x", Tensor.vector(0.3, -0.8));
        try (Tape tape = Tape.record()) {
            Variable h = x.tanh();
            Variable y = h.square().sum();
            List<Variable> g = tape.gradients(y, List.of(h, x), false);
            double h0 = Math.tanh(0.3);
            double h1 = Math.tanh(-0.8);
            assertTensor(new double[] {2 * h0, 2 * h1}, g.get(0).value(), 1e-15);
            assertTensor(new double[] {2 * h0 * (1 - h0 * h0), 2 * h1 * (1 - h1 * h1)}, g.get(1).value(), 1e-15);
        }
    }

    // ------------------------------------------------------------------ higher order

    /** f = x³: f' = 3x², f'' = 6x, f''' = 6, each by differentiating the previous recorded gradient. */
    @Test
    void gradOfGradOfCube() {
        Variable x = Variable.leaf("x", Tensor.vector(2.0, -0.5));
        try (Tape tape = Tape.record()) {
            Variable y = x.pow(3).sum();
            Variable d1 = tape.gradients(y, List.of(x), true).get(0);
            assertTensor(new double[] {12.0, 0.75}, d1.value(), 1e-12);
            Variable d2 = tape.gradients(d1.sum(), List.of(x), true).get(0);
            assertTensor(new double[] {12.0, -3.0}, d2.value(), 1e-12);
            Variable d3 = tape.gradients(d2.sum(), List.of(x), false).get(0);
            assertTensor(new double[] {6.0, 6.0}, d3.value(), 1e-12);
        }
    }

    /** f(x) = xᵀAx has gradient (A + Aᵀ)x and Hessian A + Aᵀ: the Hessian-vector product gives (A + Aᵀ)v. */
    @Test
    void hessianVectorProductOfQuadraticForm() {
        Rng rng = Rng.seeded(42);
        int n = 4;
        Tensor a = Tensor.randn(rng, DType.F64, 1.0, n, n);
        Tensor xv = Tensor.randn(rng, DType.F64, 1.0, n, 1);
        Tensor v = Tensor.randn(rng, DType.F64, 1.0, n, 1);
        Variable x = Variable.leaf("x", xv);
        Variable am = Variable.constant(a);
        try (Tape tape = Tape.record()) {
            Variable f = x.matmul(am.matmul(x), true, false).sum(); // xᵀ A x
            Variable grad = tape.gradients(f, List.of(x), true).get(0);
            Variable hv = tape.gradients(List.of(grad), List.of(Variable.constant(v)), List.of(x), false).get(0);
            double[] expectedGrad = new double[n];
            double[] expectedHv = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double sym = a.get(i, j) + a.get(j, i);
                    expectedGrad[i] += sym * xv.at(j);
                    expectedHv[i] += sym * v.at(j);
                }
            }
            assertTensor(expectedGrad, grad.value(), 1e-12);
            assertTensor(expectedHv, hv.value(), 1e-12);
        }
    }

    // ------------------------------------------------------------------ anomaly detection

    @Test
    void anomalyInForwardNamesOpPhaseShapesLabelAndSite() {
        Variable x = Variable.leaf("x", Tensor.matrix(new double[][] {{1.0, -1.0}, {0.5, 2.0}}));
        try (Tape tape = Tape.record().withAnomalyDetection().label("epoch 3, batch 17")) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> x.log());
            String m = e.getMessage();
            assertEquals("log", e.opName());
            assertTrue(m.startsWith("log produced NaN in its forward pass at element [0, 1] of its output F64[2, 2]"), m);
            assertTrue(m.contains("inputs F64[2, 2]"), m);
            assertTrue(m.contains("during epoch 3, batch 17"), m);
            assertTrue(m.contains("recorded at " + getClass().getName() + ".lambda$anomalyInForward"), m);
            assertTrue(m.contains("TapeTest.java:"), m);
            assertEquals(0, tape.size(), "the failing op is not recorded");
        }
    }

    /**
     * sqrt-like pow(0.5) at 0 is finite forward but its derivative 0.5·x^(−0.5) is +∞: the backward
     * phase is reported, naming the op, the input and the site where the op was recorded.
     */
    @Test
    void anomalyInBackwardNamesRuleInputAndRecordingSite() {
        Variable x = Variable.leaf("x", Tensor.vector(4.0, 0.0));
        try (Tape tape = Tape.record().withAnomalyDetection().label("step 9")) {
            Variable y = x.pow(0.5).sum(); int siteLine = new Throwable().getStackTrace()[0].getLineNumber();
            NonFiniteException e = assertThrows(NonFiniteException.class, y::backward);
            String m = e.getMessage();
            assertEquals("pow", e.opName());
            assertTrue(m.startsWith("the derivative rule of pow produced +Infinity in the gradient of input 0 F64[2] at element [1]"), m);
            assertTrue(m.contains("during step 9"), m);
            assertTrue(m.contains("TapeTest.java:" + siteLine), m);
        }
        assertNull(x.grad(), "a failed backward must not write a non-finite gradient");
    }

    @Test
    void anomalyReportsOverflowOfExp() {
        Variable x = Variable.leaf(Tensor.vector(1.0, 800.0));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> x.exp());
            assertTrue(e.getMessage().startsWith("exp produced +Infinity in its forward pass at element [1]"), e.getMessage());
        }
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> Variable.leaf(Tensor.vector(0.0)).log());
            assertTrue(e.getMessage().startsWith("log produced -Infinity"), e.getMessage());
        }
    }

    /** Without anomaly detection the same values flow through silently (IEEE results), no stack traces captured. */
    @Test
    void withoutAnomalyDetectionNonFiniteValuesPass() {
        Variable x = Variable.leaf(Tensor.vector(0.0, -1.0));
        try (Tape tape = Tape.record()) {
            Tensor y = x.log().value();
            assertEquals(Double.NEGATIVE_INFINITY, y.at(0));
            assertTrue(Double.isNaN(y.at(1)));
            assertNotNull(y);
        }
    }
}
