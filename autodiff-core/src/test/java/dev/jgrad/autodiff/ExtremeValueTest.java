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
