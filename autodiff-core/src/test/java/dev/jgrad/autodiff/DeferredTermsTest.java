package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.GradientAccumulator;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Note [Deferred gradient terms] on {@link Variable}: a weight used at every step receives its gradient
 * as one product of the stacked rows, slices of a sequence are placed into one buffer, and a deferred
 * term anything else reads has the value its op gives.
 */
class DeferredTermsTest {
    private static final int STEPS = 6;
    private static final int BATCH = 5;

    @Test
    void aWeightUsedAtEveryStepGetsOneStackedProduct() {
        for (DType dt : DType.values()) {
            Rng rng = Rng.seeded(4);
            Variable w = Variable.leaf("W", Tensor.randn(rng, dt, 1, 7, 3));
            List<Tensor> xs = new ArrayList<>();
            List<Tensor> cs = new ArrayList<>();
            try (Tape tape = Tape.record()) {
                Variable loss = null;
                for (int t = 0; t < STEPS; t++) {
                    xs.add(Tensor.randn(rng, dt, 1, BATCH, 7));
                    cs.add(Tensor.randn(rng, dt, 1, BATCH, 3));
                    Variable term = Variable.constant(xs.get(t)).matmul(w).times(Variable.constant(cs.get(t))).sum();
                    loss = loss == null ? term : loss.plus(term);
                }
                loss.backward();
            }
            // dL/dW = Σ_t x_tᵀ·c_t, computed as [x_5; …; x_0]ᵀ·[c_5; …; c_0] (the walk meets the last step first):
            // the same bits as that one product.
            Tensor stacked = Kernels.matmul(Kernels.concat(xs.reversed(), 0), Kernels.concat(cs.reversed(), 0), true, false);
            assertArrayEquals(stacked.toDoubleArray(), w.grad().toDoubleArray(), 0.0, dt.toString());
            Tensor stepByStep = null;
            for (int t = 0; t < STEPS; t++) {
                Tensor p = Kernels.matmul(xs.get(t), cs.get(t), true, false);
                stepByStep = stepByStep == null ? p : Kernels.binary(Kernels.Binary.ADD, stepByStep, p);
            }
            assertEquals(0.0, stepByStep.maxAbsDiff(w.grad()), dt == DType.F32 ? 1e-5 : 1e-13, "equal to the step-by-step sum to rounding");
        }
    }

    @Test
    void slicesOfOneSequenceArePlacedIntoOneGradient() {
        Rng rng = Rng.seeded(5);
        Variable x = Variable.leaf("x", Tensor.randn(rng, DType.F64, 1, STEPS * BATCH, 4));
        List<Tensor> cs = new ArrayList<>();
        try (Tape tape = Tape.record()) {
            Variable loss = null;
            for (int t = 0; t < STEPS; t++) {
                cs.add(Tensor.randn(rng, DType.F64, 1, BATCH, 4));
                Variable term = x.slice(0, t * BATCH, (t + 1) * BATCH).times(Variable.constant(cs.get(t))).sum();
                loss = loss == null ? term : loss.plus(term);
            }
            loss.backward();
        }
        assertArrayEquals(Kernels.concat(cs, 0).toDoubleArray(), x.grad().toDoubleArray(), 0.0);
    }

    /**
     * Anomaly detection reads every gradient a rule returns, deferred ones too: a weight's product
     * and a slice's placement are then computed by their ops' own forwards, with those values.
     */
    @Test
    void deferredTermsReadByAnomalyDetectionHaveTheirOpsValues() {
        Rng rng = Rng.seeded(7);
        Tensor x = Tensor.randn(rng, DType.F64, 1, 5, 3);
        Tensor c = Tensor.randn(rng, DType.F64, 1, 5, 4);
        Variable w = Variable.leaf("W", Tensor.randn(rng, DType.F64, 1, 3, 4));
        Variable seq = Variable.leaf("seq", Tensor.randn(rng, DType.F64, 1, 9, 4));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable.constant(x).matmul(w).plus(seq.slice(0, 2, 7)).times(Variable.constant(c)).sum().backward();
        }
        assertArrayEquals(Kernels.matmul(x, c, true, false).toDoubleArray(), w.grad().toDoubleArray(), 0.0);
        assertArrayEquals(Kernels.unslice(c, 0, 2, 9).toDoubleArray(), seq.grad().toDoubleArray(), 0.0);
    }

    /**
     * A placement that fits is deferred, up to both ends of the total ([0, 2) and [2, 4) of 4): the
     * accumulator adds it into a buffer of its own rather than receiving a zero-padded tensor made first
     * (which, as a first plain term, it would hold by reference: GradientAccumulator's class comment).
     */
    @Test
    void placementsThatFitAreDeferredUpToBothEnds() {
        Tensor g = Tensor.vector(1.0, 2.0);
        for (int start = 0; start <= 2; start++) {
            Variable term = Variable.cotangent(g).unslice(0, start, 4);
            GradientAccumulator total = GradientAccumulator.create();
            term.addTo(total);
            Tensor sum = total.sum();
            assertNotSame(sum, term.value(), "the placement at " + start + " was made before it was added");
            assertArrayEquals(Kernels.unslice(g, 0, start, 4).toDoubleArray(), sum.toDoubleArray(), 0.0);
        }
    }

    /**
     * A placement that does not fit, returned by a user's rule, is refused by unslice itself, as
     * outside a backward walk, not later by the gradient total it was deferred into.
     */
    @Test
    void placementsThatDoNotFitAreRefusedByUnslice() {
        for (int start : new int[] {-1, 3}) {
            CustomOp misplaced = new CustomOp() {
                public String name() { return "misplaced"; }
                public Op.Saves saves() { return Op.Saves.NOTHING; }
                public Variable forward(Variable... in) { return in[0].slice(0, 0, 2); }
                public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.unslice(0, start, 4)}; }
            };
            Variable x = Variable.leaf("x", Tensor.vector(1, 2, 3, 4));
            try (Tape tape = Tape.record()) {
                Variable y = misplaced.apply(x).sum();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, y::backward);
                assertEquals("unslice: [2] at " + start + " does not fit length 4 along axis 0", e.getMessage());
            }
        }
    }

    @Test
    void aDeferredTermReadByARuleHasItsOpsValue() {
        // Broadcasting undone by the tape reads the product itself: x [2, 5, 3] · W [3, 4] gives W a batched term.
        Rng rng = Rng.seeded(6);
        Variable w = Variable.leaf("W", Tensor.randn(rng, DType.F64, 1, 3, 4));
        Tensor x = Tensor.randn(rng, DType.F64, 1, 5, 3);
        Tensor c = Tensor.randn(rng, DType.F64, 1, 5, 4);
        Variable h;
        try (Tape tape = Tape.record()) {
            h = Variable.constant(x).matmul(w);
            // gradients() with respect to a recorded node returns the total the walk read, not a deferred stand-in
            List<Variable> g = tape.gradients(List.of(h.times(Variable.constant(c)).sum()), List.of(Variable.constant(Tensor.scalar(1.0))),
                    List.of(h, w), false);
            assertArrayEquals(c.toDoubleArray(), g.get(0).value().toDoubleArray(), 0.0);
            assertArrayEquals(Kernels.matmul(x, c, true, false).toDoubleArray(), g.get(1).value().toDoubleArray(), 0.0);
            assertFalse(g.get(1).requiresGrad());
        }
    }
}
