package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Values at the edges of the floating-point range: the stable ops stay finite with the right limits
 * (and so do their gradients), the unstable ones give the IEEE results, and anomaly detection reports
 * those. Each runs in both dtypes where it matters.
 */
class ExtremeValueTest {

    private static Variable leaf(DType dt, double... v) {
        return Variable.leaf(Tensor.of(dt, v, v.length));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void sigmoidSaturatesFiniteInUnitIntervalWithFiniteGradient(DType dt) {
        Variable x = leaf(dt, -800, -1e4, -Double.MAX_VALUE, 800, 1e4, Double.MAX_VALUE, 0);
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = x.sigmoid();
            Tensor v = y.value();
            for (int i = 0; i < v.size(); i++) {
                assertTrue(v.at(i) >= 0 && v.at(i) <= 1, "sigmoid element " + i + " = " + v.at(i));
            }
            assertEquals(0.0, v.at(0));
            assertEquals(0.0, v.at(2));
            assertEquals(1.0, v.at(3));
            assertEquals(1.0, v.at(5));
            assertEquals(0.5, v.at(6));
            y.sum().backward(); // anomaly detection would throw on a non-finite gradient
        }
        Tensor g = x.grad();
        for (int i = 0; i < 6; i++) {
            assertEquals(0.0, g.at(i), "σ' vanishes when saturated, element " + i);
        }
        assertEquals(0.25, g.at(6));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void tanhSaturatesToPlusMinusOneWithZeroGradient(DType dt) {
        Variable x = leaf(dt, -1e3, 1e3, -1e30, 1e30);
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = x.tanh();
            assertEquals(-1.0, y.value().at(0));
            assertEquals(1.0, y.value().at(1));
            assertEquals(-1.0, y.value().at(2));
            assertEquals(1.0, y.value().at(3));
            y.sum().backward();
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(0.0, x.grad().at(i));
        }
    }

    /** Logits ±1e4: softmax is one-hot, logSoftmax the exact differences, no NaN anywhere (Note [Softmax max trick]). */
    @ParameterizedTest
    @EnumSource(DType.class)
    void softmaxFamilyOfHugeLogits(DType dt) {
        Variable x = Variable.leaf(Tensor.of(dt, new double[] {1e4, -1e4, 0, -1e4, -1e4, -1e4}, 2, 3));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Tensor sm = x.softmax(1).value();
            assertArrayEquals(new double[] {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3}, sm, 1e-7);
            Tensor ls = x.logSoftmax(1).value();
            double ln3 = Math.log(3);
            assertArrayEquals(new double[] {0, -2e4, -1e4, -ln3, -ln3, -ln3}, ls, 1e-6);
            Variable ce = x.crossEntropy(new int[] {1, 2});
            // row 0: logsumexp = 1e4, minus logit −1e4 → 2e4; row 1: ln 3. Mean over 2 rows.
            assertEquals((2e4 + ln3) / 2, ce.value().item(), 1e-3);
            ce.backward();
            // ∂/∂logits = (softmax − onehot) / N
            assertArrayEquals(new double[] {0.5, -0.5, 0, 1.0 / 6, 1.0 / 6, -1.0 / 3}, x.grad(), 1e-7);
        }
    }

    /** All-equal and infinite logits: a row of −∞ except one finite value is still one-hot, not NaN. */
    @Test
    void softmaxWithInfiniteLogits() {
        Tensor sm = Variable.constant(Tensor.vector(Double.NEGATIVE_INFINITY, 0, Double.NEGATIVE_INFINITY)).softmax(0).value();
        assertArrayEquals(new double[] {0, 1, 0}, sm, 0);
        Tensor ls = Variable.constant(Tensor.vector(Double.NEGATIVE_INFINITY, 0)).logSoftmax(0).value();
        assertEquals(Double.NEGATIVE_INFINITY, ls.at(0));
        assertEquals(0.0, ls.at(1));
    }

    /** exp and log at the edges give IEEE 754's results (they are not stabilised: anomaly detection is how to catch them). */
    @ParameterizedTest
    @EnumSource(DType.class)
    void expAndLogAtTheEdgesGiveIeeeResults(DType dt) {
        Tensor e = leaf(dt, 800, -800, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0).exp().value();
        assertEquals(Double.POSITIVE_INFINITY, e.at(0));
        assertEquals(0.0, e.at(1));
        assertEquals(Double.POSITIVE_INFINITY, e.at(2));
        assertEquals(0.0, e.at(3));
        assertEquals(1.0, e.at(4));
        Tensor l = leaf(dt, 0, -0.0, -1, Double.POSITIVE_INFINITY, Double.NaN, 1).log().value();
        assertEquals(Double.NEGATIVE_INFINITY, l.at(0));
        assertEquals(Double.NEGATIVE_INFINITY, l.at(1));
        assertTrue(Double.isNaN(l.at(2)));
        assertEquals(Double.POSITIVE_INFINITY, l.at(3));
        assertTrue(Double.isNaN(l.at(4)));
        assertEquals(0.0, l.at(5));
    }

    /** softplus is finite for every finite input: x for large x, e^x for very negative x, with gradient σ(x) in [0, 1]. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void softplusStaysFiniteWithGradientInTheUnitInterval(DType dt) {
        Variable x = leaf(dt, -800, -1e4, 800, 1e4, 0, -40, 30);
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = x.softplus();
            Tensor v = y.value();
            assertEquals(0.0, v.at(0));
            assertEquals(0.0, v.at(1));
            assertEquals(800.0, v.at(2));
            assertEquals(1e4, v.at(3));
            assertEquals(Math.log(2), v.at(4), dt == DType.F64 ? 1e-16 : 1e-7);
            assertEquals(Math.exp(-40), v.at(5), Math.exp(-40) * (dt == DType.F64 ? 1e-15 : 1e-6));
            assertEquals(30 + Math.exp(-30), v.at(6), dt == DType.F64 ? 1e-14 : 1e-5);
            y.sum().backward();
        }
        assertArrayEquals(new double[] {0, 0, 1, 1, 0.5, Math.exp(-40), 1}, x.grad(), 1e-12);
    }

    /** logSumExp of logits ±1e4 is exact (Note [Softmax max trick]); −∞ groups give −∞, a +∞ gives +∞. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void logSumExpOfHugeAndInfiniteValues(DType dt) {
        Variable x = Variable.leaf(Tensor.of(dt, new double[] {1e4, -1e4, 1e4, -1e4, -1e4, -1e4}, 2, 3));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = x.logSumExp(1);
            assertArrayEquals(new double[] {1e4 + Math.log(2), -1e4 + Math.log(3)}, y.value(), dt == DType.F64 ? 1e-12 : 1e-3);
            y.sum().backward();
        }
        // the gradient is the softmax of each row, exp(x − out); in float32 out ≈ 1e4 carries half an ulp of 1e4, about
        // 5e-4, into the exponent
        assertArrayEquals(new double[] {0.5, 0, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3}, x.grad(), dt == DType.F64 ? 1e-12 : 1e-3);
        double inf = Double.POSITIVE_INFINITY;
        Tensor special = Variable.constant(Tensor.of(dt, new double[] {-inf, -inf, inf, 0, -inf, 1}, 3, 2)).logSumExp(1).value();
        assertEquals(-inf, special.at(0));
        assertEquals(inf, special.at(1));
        assertEquals(1.0, special.at(2));
    }

    /** The norm scales each group by its largest magnitude first: 1e200 does not overflow on squaring, nor 1e-200 underflow. */
    @Test
    void normOfHugeAndTinyValues() {
        Variable x = Variable.leaf(Tensor.matrix(new double[] {3e200, 4e200}, new double[] {3e-200, 4e-200}));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable n = x.norm(1);
            assertEquals(5e200, n.value().at(0), 5e200 * 1e-15);
            assertEquals(5e-200, n.value().at(1), 5e-200 * 1e-15);
            n.sum().backward();
        }
        assertArrayEquals(new double[] {0.6, 0.8, 0.6, 0.8}, x.grad(), 1e-15);
        assertEquals(Double.POSITIVE_INFINITY, Variable.constant(Tensor.vector(1, Double.NEGATIVE_INFINITY)).norm().value().item());
        assertTrue(Double.isNaN(Variable.constant(Tensor.vector(1, Double.NaN)).norm().value().item()));
    }

    /** log1p and expm1 keep tiny arguments' digits, which log(1 + x) and exp(x) − 1 lose entirely. */
    @Test
    void log1pAndExpm1OfTinyValues() {
        Variable x = Variable.leaf(Tensor.vector(1e-20, -1e-20));
        try (Tape tape = Tape.record()) {
            assertArrayEquals(new double[] {1e-20, -1e-20}, x.log1p().value(), 1e-35);
            assertArrayEquals(new double[] {1e-20, -1e-20}, x.expm1().value(), 1e-35);
            x.log1p().plus(x.expm1()).sum().backward();
        }
        assertArrayEquals(new double[] {2, 2}, x.grad(), 1e-15);
        assertEquals(0.0, Variable.constant(Tensor.vector(1e-20)).plus(1).log().value().item(), "the naive form loses it");
    }

    /**
     * Issue 13: dividing by a constant below about 1e-308 must divide, not multiply by 1/c, which is
     * infinite there: x / 1e-310 is finite for small x, and so is its gradient 1 / c only where that is.
     */
    @Test
    void divisionByASubnormalConstant() {
        double c = 1e-310;
        Variable x = Variable.leaf(Tensor.vector(1e-310, 2e-311, -3e-312, 0));
        try (Tape tape = Tape.record()) {
            Variable y = x.div(c);
            assertArrayEquals(new double[] {1e-310 / c, 2e-311 / c, -3e-312 / c, 0}, y.value(), 0);
            assertEquals(1.0, y.value().at(0));
            assertEquals(0.2, y.value().at(1), 1e-3); // subnormal operands carry few digits
            y.backward(Tensor.vector(1e-310, 1e-310, 1e-310, 1e-310));
        }
        // the gradient g / c: finite for a cotangent as small as the constant
        assertArrayEquals(new double[] {1, 1, 1, 1}, x.grad(), 0);
        // float32 computes in double and rounds once, so c need not be a float
        Tensor f = Variable.constant(Tensor.of(DType.F32, new double[] {1e-30}, 1)).div(1e-40).value();
        assertEquals(1e10, f.at(0), 1e10 * 1e-6);
    }

    /** maximum and minimum keep ±∞ and propagate NaN (as PyTorch's); clamp keeps NaN; sin and cos of huge arguments stay in [−1, 1]. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void comparisonsAndPeriodicOpsAtTheEdges(DType dt) {
        double inf = Double.POSITIVE_INFINITY;
        Variable a = leaf(dt, -inf, inf, Double.NaN, 1, 3e38);
        Variable b = leaf(dt, 0, 0, 0, Double.NaN, -3e38);
        double big = dt == DType.F32 ? (float) 3e38 : 3e38;
        assertArrayEqualsWithNaN(new double[] {0, inf, Double.NaN, Double.NaN, big}, a.maximum(b).value());
        assertArrayEqualsWithNaN(new double[] {-inf, 0, Double.NaN, Double.NaN, -big}, a.minimum(b).value());
        assertArrayEqualsWithNaN(new double[] {-1, 1, Double.NaN, 1, 1}, a.clamp(-1, 1).value());
        Tensor s = leaf(dt, 1e30, -3e38, 1e8).sin().value();
        Tensor c = leaf(dt, 1e30, -3e38, 1e8).cos().value();
        for (int i = 0; i < 3; i++) {
            assertTrue(Math.abs(s.at(i)) <= 1 && Math.abs(c.at(i)) <= 1, "sin, cos of a huge argument: " + s + " " + c);
        }
    }

    /** √ of a negative is NaN, as IEEE 754 says; anomaly detection names sqrt. */
    @Test
    void sqrtOfANegative() {
        assertTrue(Double.isNaN(Variable.constant(Tensor.vector(-1)).sqrt().value().item()));
        Variable x = Variable.leaf(Tensor.vector(4, -1));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = org.junit.jupiter.api.Assertions.assertThrows(NonFiniteException.class, x::sqrt);
            assertTrue(e.getMessage().startsWith("sqrt produced NaN in its forward pass at element [1]"), e.getMessage());
        }
    }

    private static void assertArrayEqualsWithNaN(double[] expected, Tensor actual) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.at(i), 0.0, "element " + i + " of " + actual);
        }
    }

    /** Anomaly detection names each edge case: exp overflow, log of 0 and of a negative, 0/0. */
    @Test
    void anomalyDetectionReportsEachEdge() {
        List<Object[]> cases = List.of(
                new Object[] {"exp", "+Infinity"},
                new Object[] {"log", "-Infinity"},
                new Object[] {"log", "NaN"},
                new Object[] {"div", "NaN"});
        Variable big = Variable.leaf(Tensor.vector(800));
        Variable zero = Variable.leaf(Tensor.vector(0));
        Variable neg = Variable.leaf(Tensor.vector(-1));
        for (int i = 0; i < cases.size(); i++) {
            int k = i;
            try (Tape tape = Tape.record().withAnomalyDetection()) {
                NonFiniteException e = org.junit.jupiter.api.Assertions.assertThrows(NonFiniteException.class, () -> {
                    switch (k) {
                        case 0 -> big.exp();
                        case 1 -> zero.log();
                        case 2 -> neg.log();
                        default -> zero.div(zero);
                    }
                });
                assertEquals(cases.get(k)[0], e.opName());
                assertTrue(e.getMessage().startsWith(cases.get(k)[0] + " produced " + cases.get(k)[1]), e.getMessage());
            }
        }
    }

    /** A NaN input is reported as already non-finite, pointing upstream. */
    @Test
    void anomalyNotesNonFiniteInputs() {
        Variable x = Variable.leaf(Tensor.vector(Double.NaN, 1));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = org.junit.jupiter.api.Assertions.assertThrows(NonFiniteException.class, () -> x.exp());
            assertTrue(e.getMessage().contains("input 0 was already non-finite"), e.getMessage());
        }
        assertFalse(Tape.isRecording());
    }

    private static void assertArrayEquals(double[] expected, Tensor actual, double tol) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            assertFalse(Double.isNaN(actual.at(i)), "NaN at " + i + " in " + actual);
            assertEquals(expected[i], actual.at(i), tol, "element " + i + " of " + actual);
        }
    }
}
