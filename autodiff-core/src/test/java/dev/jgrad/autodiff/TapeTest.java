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

    /**
     * A tape filled to exactly its first capacity (256 ops) lists, checks and walks every op: its
     * bounds are the number recorded, never the capacity.
     */
    @Test
    void aTapeFilledToItsCapacity() {
        Variable x = Variable.leaf("x", Tensor.scalar(1.0));
        try (Tape tape = Tape.record()) {
            Variable y = x;
            for (int i = 0; i < 256; i++) {
                y = y.times(2);
            }
            assertEquals(256, tape.ops().size());
            y.backward();
        }
        assertEquals(Math.pow(2, 256), x.grad().item());
    }

    // ------------------------------------------------------------------ what backward accepts, and whom it reaches

    /**
     * A cotangent must have its output's shape and dtype: one that would broadcast ([3] for a [2, 3]
     * output, which would otherwise give silently wrong gradients) or has another dtype is refused by
     * backward and by gradients (every output's, not only the first), naming both, and nothing is lost:
     * the same graph then runs backward with the right cotangent.
     */
    @Test
    void cotangentsOfAnotherShapeOrDtypeAreRefused() {
        Variable w = Variable.leaf("w", Tensor.vector(1.0, 2.0, 3.0));
        Variable c = Variable.constant(Tensor.matrix(new double[][] {{1, 2, 3}, {4, 5, 6}}));
        try (Tape tape = Tape.record()) {
            Variable y = w.times(c); // [2, 3]
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.vector(1, 1, 1)));
            assertEquals("backward: cotangent F64[3] does not match output F64[2, 3]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(DType.F32, 2, 3)));
            assertEquals("backward: cotangent F32[2, 3] does not match output F64[2, 3]", e.getMessage());
            Variable z = w.exp(); // [3]
            e = assertThrows(IllegalArgumentException.class, () -> tape.gradients(List.of(z, y),
                    List.of(Variable.constant(Tensor.ones(DType.F64, 3)), Variable.constant(Tensor.vector(1, 1, 1))), List.of(w), false));
            assertEquals("backward: cotangent F64[3] does not match output F64[2, 3]", e.getMessage());
            assertNull(w.grad(), "a refused backward wrote a gradient");
            y.backward(Tensor.ones(DType.F64, 2, 3));
        }
        assertTensor(new double[] {5, 7, 9}, w.grad(), 0);
    }

    /**
     * A leaf can be the output: backward adds the cotangent to its own gradient (a scalar leaf gets
     * 1), and gradients of a leaf with respect to itself are the cotangent, with a graph or without.
     */
    @Test
    void aLeafAsTheOutput() {
        Variable x = Variable.leaf("x", Tensor.vector(1.0, 2.0));
        Variable s = Variable.leaf("s", Tensor.scalar(5.0));
        try (Tape tape = Tape.record()) {
            x.backward(Tensor.vector(3.0, -4.0));
            x.backward(Tensor.vector(1.0, 1.0));
            assertTensor(new double[] {4.0, -3.0}, x.grad(), 0);
            s.backward();
            assertEquals(1.0, s.grad().item());
            for (boolean createGraph : new boolean[] {false, true}) {
                List<Variable> g = tape.gradients(List.of(x), List.of(Variable.constant(Tensor.vector(0.5, 2.0))), List.of(x, s), createGraph);
                assertTensor(new double[] {0.5, 2.0}, g.get(0).value(), 0);
                assertTensor(new double[] {0.0}, g.get(1).value(), 0);
            }
            assertEquals(0, tape.size(), "nothing was recorded");
        }
    }

    /**
     * A constant passes no gradient on and gets none, also where a rule returns one for it (add's does);
     * as an output it contributes nothing.
     */
    @Test
    void constantsGetNoGradient() {
        Variable x = Variable.leaf("x", Tensor.vector(3.0, 4.0));
        Variable c = Variable.constant(Tensor.vector(1.0, 2.0));
        try (Tape tape = Tape.record()) {
            x.times(c).plus(c).sum().backward();
            List<Variable> g = tape.gradients(List.of(c), List.of(Variable.constant(Tensor.vector(1.0, 1.0))), List.of(c), false);
            assertTensor(new double[] {0.0, 0.0}, g.get(0).value(), 0);
        }
        assertNull(c.grad());
        assertTensor(new double[] {1.0, 2.0}, x.grad(), 0);
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

    /**
     * Without anomaly detection the same values flow through silently (IEEE results), forward and
     * backward, and no stack trace is captured for the ops recorded.
     */
    @Test
    void withoutAnomalyDetectionNonFiniteValuesPass() {
        Variable x = Variable.leaf(Tensor.vector(0.0, -1.0));
        try (Tape tape = Tape.record()) {
            Variable y = x.log();
            assertEquals(Double.NEGATIVE_INFINITY, y.value().at(0));
            assertTrue(Double.isNaN(y.value().at(1)));
            assertNull(y.origin, "a stack trace was captured without anomaly detection");
            y.backward(Tensor.vector(1.0, 1.0)); // 1/x: +∞ at 0
        }
        assertTensor(new double[] {Double.POSITIVE_INFINITY, -1.0}, x.grad(), 0);
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            assertNotNull(x.exp().origin, "anomaly detection must capture where each op was recorded");
        }
    }

    /**
     * The first non-finite element may be element 0, in the forward pass and in a rule's result; an
     * unlabelled tape's report has no label, and the shapes of several inputs are listed with separators.
     */
    @Test
    void anomalyReportsAtElementZeroWithoutALabel() {
        Variable a = Variable.leaf("a", Tensor.vector(1.0, 2.0));
        Variable b = Variable.leaf("b", Tensor.vector(0.0, 4.0));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> a.div(b));
            String m = e.getMessage();
            assertTrue(m.startsWith("div produced +Infinity in its forward pass at element [0] of its output F64[2]; inputs F64[2], F64[2]; recorded at "
                    + getClass().getName()), m);
            assertFalse(m.contains("during"), m);
            Variable y = b.sqrt().sum(); // √'(0) = +∞ at element 0
            e = assertThrows(NonFiniteException.class, y::backward);
            assertTrue(e.getMessage().startsWith("the derivative rule of sqrt produced +Infinity in the gradient of input 0 F64[2] at element [0]; "
                    + "inputs F64[2]; recorded at "), e.getMessage());
        }
    }

    /** A forward report says which inputs were non-finite already, so the op is not blamed for its input. */
    @Test
    void anomalyInForwardNamesInputsThatWereAlreadyNonFinite() {
        Variable a = Variable.leaf("a", Tensor.vector(1.0, Double.NaN));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> a.plus(Variable.constant(Tensor.vector(1.0, 1.0))));
            assertTrue(e.getMessage().startsWith("add produced NaN in its forward pass at element [1] of its output F64[2]; "
                    + "inputs F64[2], F64[2]; input 0 was already non-finite; recorded at "), e.getMessage());
        }
    }

    /**
     * Detection switched on after an op was recorded: that node has no recording site, and its rule's
     * report simply leaves the site out.
     */
    @Test
    void anomalyInTheRuleOfANodeRecordedBeforeDetectionWasOn() {
        Variable x = Variable.leaf(Tensor.vector(0.0, 1.0));
        try (Tape tape = Tape.record()) {
            Variable y = x.sqrt().sum();
            tape.withAnomalyDetection();
            NonFiniteException e = assertThrows(NonFiniteException.class, y::backward);
            assertEquals("the derivative rule of sqrt produced +Infinity in the gradient of input 0 F64[2] at element [0]; inputs F64[2]",
                    e.getMessage());
        }
    }

    /** leafGradients returns what backward would add, leaves every grad() alone, and frees the graph as backward does. */
    @Test
    void leafGradientsAreBackwardsSumsReturnedInsteadOfAdded() {
        Variable x = Variable.leaf("x", Tensor.vector(1.5, -2.0));
        Variable w = Variable.leaf("w", Tensor.vector(0.5, 4.0));
        Variable unused = Variable.leaf("unused", Tensor.vector(1.0));
        try (Tape tape = Tape.record()) {
            Variable y = x.times(w).plus(x.square()).sum();
            java.util.Map<Variable, Tensor> g = y.leafGradients(Tensor.scalar(DType.F64, 2.0));
            assertTensor(new double[] {2 * (0.5 + 3.0), 2 * (4.0 - 4.0)}, g.get(x), 0);   // 2·(w + 2x)
            assertTensor(new double[] {3.0, -4.0}, g.get(w), 0);                          // 2·x
            assertFalse(g.containsKey(unused));
            assertNull(x.grad());
            assertNull(w.grad());
            assertThrows(UnsupportedOperationException.class, () -> g.clear());
            assertThrows(IllegalStateException.class, () -> y.leafGradients(Tensor.scalar(DType.F64, 1.0)));
        }
        assertEquals(x.shape(), x.leafGradients(Tensor.vector(7, 8)).get(x).shape());
        assertTensor(new double[] {7, 8}, x.leafGradients(Tensor.vector(7, 8)).get(x), 0);
        assertNull(x.grad());
    }
}
