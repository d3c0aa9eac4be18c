package dev.jgrad.nn.layer;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Inverted dropout: its mask comes only from the generator passed in, keeps the expectation, and passes the gradient through it. */
class DropoutTest {

    /** The gradient, to second order, with the mask drawn from the same generator state at every evaluation. */
    @Property
    void gradientThroughTheMask(@ForAll("any") Tensor x, @ForAll("probabilities") double p, @ForAll long seed, @ForAll long maskSeed) {
        Dropout d = new Dropout(p);
        assertBothOrders(in -> d.forward(in.get(0), Rng.seeded(maskSeed)), List.of(x), seed);
    }

    /** Each element is 0 or x/(1 − p), and the gradient of Σ y is the mask itself. */
    @Example
    void elementsAreDroppedOrScaledAndTheGradientIsTheMask() {
        Dropout d = new Dropout(0.25);
        Variable x = Variable.leaf(Tensor.full(DType.F64, 2.0, 4, 50));
        Variable y;
        try (Tape tape = Tape.record()) {
            y = d.forward(x, Rng.seeded(5));
            y.sum().backward();
        }
        for (int i = 0; i < x.value().size(); i++) {
            double v = y.value().at(i);
            assertTrue(v == 0 || v == 2.0 / 0.75, "element " + i + " = " + v);
            assertEquals(v / 2.0, x.grad().at(i), 1e-15, "gradient " + i);
        }
    }

    /** The same generator state gives the same mask (a resumed run drops the same elements); a different state does not. */
    @Example
    void theMaskComesOnlyFromTheGenerator() {
        Dropout d = new Dropout(0.5);
        Variable x = Variable.constant(Tensor.ones(DType.F32, 3, 40));
        Rng rng = Rng.seeded(9);
        rng.nextLong();
        long state = rng.state();
        Tensor first = d.forward(x, rng).value();
        Tensor again = d.forward(x, Rng.fromState(state)).value();
        assertArrayEquals(first.toFloatArray(), again.toFloatArray());
        assertEquals(DType.F32, first.dtype());
        Tensor next = d.forward(x, rng).value();
        assertTrue(first.maxAbsDiff(next) > 0, "the generator moved on, so the next mask differs");
    }

    /**
     * The kept fraction and the mean: with n = 20,000 draws at p = 0.3 the kept count has standard
     * deviation √(n·0.3·0.7) ≈ 65, so 5σ is ±325 around 14,000; the mean of the output is the kept
     * fraction over 0.7, so the same bound holds it within 5σ/(0.7·n) ≈ 0.023 of 1.
     */
    @Example
    void keepsAboutOneMinusPAndTheExpectation() {
        int n = 20_000;
        Tensor y = new Dropout(0.3).forward(Variable.constant(Tensor.ones(DType.F64, n)), Rng.seeded(11)).value();
        int kept = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            kept += y.at(i) != 0 ? 1 : 0;
            sum += y.at(i);
        }
        assertEquals(0.7 * n, kept, 325);
        assertEquals(1.0, sum / n, 0.023);
    }

    @Example
    void theEdgesAndEvaluation() {
        Variable x = Variable.leaf(Tensor.vector(1, -2, 3));
        assertSame(x, new Dropout(0).forward(x, Rng.seeded(1)), "p = 0 drops nothing and draws nothing");
        assertSame(x, new Dropout(0.9).forward(x), "evaluation is the identity");
        try (Tape tape = Tape.record()) {
            Variable y = new Dropout(1).forward(x, Rng.seeded(1));
            for (int i = 0; i < 3; i++) {
                assertEquals(0.0, y.value().at(i), 0.0, "p = 1 drops everything (−2·0 is −0)");
            }
            y.sum().backward();
        }
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray(), "p = 1: a zero gradient, no NaN");
        for (double bad : new double[] {-0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(bad));
            assertEquals("Dropout: drop probability " + bad + " is outside [0, 1]", e.getMessage());
        }
        assertTrue(new Dropout(0.2).parameters().isEmpty());
    }

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -2, 2);
    }

    @Provide
    Arbitrary<Double> probabilities() {
        return Arbitraries.oneOf(Arbitraries.of(0.0, 0.5, 1.0), Arbitraries.doubles().between(0.05, 0.95));
    }
}
