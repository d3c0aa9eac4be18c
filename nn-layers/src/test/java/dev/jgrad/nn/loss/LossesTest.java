package dev.jgrad.nn.loss;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.check.Jacobian;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LossesTest {

    private static int[] targets(Rng rng, int n, int v) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rng.nextInt(v);
        }
        return t;
    }

    @Property(tries = 30)
    void sequenceCrossEntropyIsTheMeanNegativeLogLikelihood(@ForAll @IntRange(min = 1, max = 3) int b,
            @ForAll @IntRange(min = 1, max = 4) int t, @ForAll @IntRange(min = 2, max = 6) int v, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Tensor logits = Tensor.randn(rng, DType.F64, 2.0, b, t, v);
        int[] y = targets(rng, b * t, v);
        double expected = 0;
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < t; s++) {
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(logits.get(i, s, k));
                }
                expected += -Math.log(Math.exp(logits.get(i, s, y[i * t + s])) / z);
            }
        }
        expected /= b * t;
        Variable x = Variable.leaf(logits);
        try (Tape tape = Tape.record()) {
            Variable loss = Losses.crossEntropy(x, y);
            assertEquals(expected, loss.value().item(), 1e-12);
            loss.backward();
        }
        // Closed-form gradient: (softmax(logits) − onehot(target)) / N.
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < t; s++) {
                double z = 0;
                for (int k = 0; k < v; k++) {
                    z += Math.exp(logits.get(i, s, k));
                }
                for (int k = 0; k < v; k++) {
                    double g = (Math.exp(logits.get(i, s, k)) / z - (k == y[i * t + s] ? 1 : 0)) / (b * t);
                    assertEquals(g, x.grad().get(i, s, k), 1e-12);
                }
            }
        }
        double c = rng.uniform(-2, 2);
        GradCheckReport r = GradCheck.check(in -> Losses.crossEntropy(in.get(0), y).times(c), List.of(logits));
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void uniformLogitsGiveLogVAndPerplexityV() {
        Tensor logits = Tensor.full(DType.F64, 0.3, 2, 3, 7);
        double loss = Losses.crossEntropy(Variable.constant(logits), new int[] {0, 1, 2, 3, 4, 6}).value().item();
        assertEquals(Math.log(7), loss, 1e-14);
        assertEquals(7.0, Losses.perplexity(loss), 1e-12);
        assertEquals(1.0, Losses.perplexity(0.0));
    }

    @Test
    void extremeLogitsStayFinite() {
        Tensor logits = Tensor.of(new double[] {1e4, -1e4, 0, -1e4, 1e4, 0}, 2, 3);
        Variable x = Variable.leaf(logits);
        try (Tape tape = Tape.record()) {
            Variable loss = Losses.crossEntropy(x, new int[] {0, 0});
            // Row 0 predicts its target with certainty (0); row 1 misses by 2e4 nats.
            assertEquals(1e4, loss.value().item(), 1e-9);
            loss.backward();
        }
        assertFalse(x.grad().hasNonFinite());
        Tensor f32 = Losses.crossEntropy(Variable.constant(logits.cast(DType.F32)), new int[] {0, 0}).value();
        assertEquals(DType.F32, f32.dtype());
        assertEquals(1e4, f32.item(), 1e-2);
    }

    @Test
    void badTargetsAndShapesAreRejected() {
        Variable x = Variable.constant(Tensor.zeros(DType.F64, 2, 3, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(x, new int[5]));
        assertTrue(e.getMessage().contains("[2, 3, 4]") && e.getMessage().contains("5 targets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(x, new int[] {0, 1, 2, 3, 4, 0}));
        assertTrue(e.getMessage().contains("target 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(x, new int[] {0, 1, -1, 3, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(Variable.constant(Tensor.zeros(DType.F64, 4)), new int[4]));
    }

    /** Value against a loop, the gradient against its closed form 2(ŷ − y)/N, and against finite differences. */
    @Property(tries = 30)
    void meanSquaredErrorIsTheMeanOfSquaredDifferences(@ForAll @IntRange(min = 1, max = 4) int b,
            @ForAll @IntRange(min = 1, max = 3) int k, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Tensor prediction = Tensor.randn(rng, DType.F64, 1.0, b, k);
        Tensor target = Tensor.randn(rng, DType.F64, 1.0, b, k);
        int n = b * k;
        double expected = 0;
        for (int i = 0; i < n; i++) {
            double d = prediction.at(i) - target.at(i);
            expected += d * d / n;
        }
        assertEquals(expected, Losses.meanSquaredError(Variable.constant(prediction), target).value().item(), 1e-12);
        Tensor gradient = Jacobian.of(v -> Losses.meanSquaredError(v, target), prediction);
        for (int i = 0; i < n; i++) {
            assertEquals(2 * (prediction.at(i) - target.at(i)) / n, gradient.at(i), 1e-12);
        }
        double c = rng.uniform(-2, 2);
        GradCheckReport r = GradCheck.check(in -> Losses.meanSquaredError(in.get(0), target).times(c), List.of(prediction));
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void meanSquaredErrorRefusesDifferentShapesNamingBoth() {
        Variable prediction = Variable.constant(Tensor.zeros(DType.F64, 2, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.meanSquaredError(prediction, Tensor.zeros(DType.F64, 1, 2)));
        assertTrue(e.getMessage().contains("[2, 1]") && e.getMessage().contains("[1, 2]"), e.getMessage());
    }
}
