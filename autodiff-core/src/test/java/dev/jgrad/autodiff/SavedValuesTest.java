package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Note [Saved values] on {@link Op}: what the tape keeps alive. A recorded value that no derivative
 * rule reads is garbage once the user drops it, while the tape is still open; a value a rule reads
 * stays reachable; the gradients are the same either way; and a closed tape is not retained by
 * anything once its values are dropped (no graph leaks from one training step into the next).
 */
class SavedValuesTest {
    private static final Rng RNG = Rng.seeded(11);
    private static final Variable W = Variable.leaf("W", Tensor.randn(RNG, DType.F64, 1, 3, 4));
    private static final Variable B = Variable.leaf("b", Tensor.randn(RNG, DType.F64, 1, 4));
    private static final Variable U = Variable.leaf("U", Tensor.randn(RNG, DType.F64, 1, 4, 4));
    private static final Tensor X = Tensor.randn(RNG, DType.F64, 1, 2, 3);
    private static final Tensor C = Tensor.randn(RNG, DType.F64, 1, 2, 4);

    /** Runs the collector until {@code ref} is cleared or ten rounds have passed; true when cleared. */
    private static boolean collected(WeakReference<?> ref) {
        for (int i = 0; i < 10 && ref.get() != null; i++) {
            System.gc();
            byte[] pressure = new byte[1 << 20];
            assertNotNull(pressure);
        }
        return ref.get() == null;
    }

    /** The gradients of {@code loss} with respect to W and b, as {@code backward} leaves them. */
    private static List<Tensor> gradients(Supplier<Variable> loss) {
        W.zeroGrad();
        B.zeroGrad();
        try (Tape tape = Tape.record()) {
            loss.get().backward();
        }
        return List.of(W.grad(), B.grad());
    }

    @Test
    void aValueNoRuleReadsIsCollectedWhileTheTapeIsOpen() {
        Variable x = Variable.constant(X);
        W.zeroGrad();
        B.zeroGrad();
        try (Tape tape = Tape.record()) {
            Variable xw = x.matmul(W);                          // read by no rule: add's rule needs nothing
            WeakReference<Tensor> xwValue = new WeakReference<>(xw.value());
            Variable s = xw.plus(B).sigmoid();                  // σ's rule reads its output
            WeakReference<Tensor> sValue = new WeakReference<>(s.value());
            Variable loss = s.sum();                           // sum's rule needs nothing: only the tape holds σ's output
            xw = null;
            s = null;
            assertTrue(collected(xwValue), "x·W was kept alive by the tape although no derivative rule reads it");
            assertNotNull(sValue.get(), "σ's output was dropped although its rule reads it");
            loss.backward();
        }
        List<Tensor> expected = gradients(() -> x.matmul(W).plus(B).sigmoid().sum());
        assertArrayEquals(expected.get(0).toDoubleArray(), W.grad().toDoubleArray(), 0);
        assertArrayEquals(expected.get(1).toDoubleArray(), B.grad().toDoubleArray(), 0);
    }

    /** References to one training step's tape and saved output, taken in a frame of its own so no local slot outlives it. */
    private record Step(WeakReference<Tape> tape, WeakReference<Tensor> output) {
        static Step run() {
            try (Tape tape = Tape.record()) {
                Variable s = Variable.constant(X).matmul(W).plus(B).sigmoid();
                s.times(Variable.constant(C)).sum().backward();
                return new Step(new WeakReference<>(tape), new WeakReference<>(s.value()));
            }
        }
    }

    /** One truncated-BPTT batch of {@code h' = σ(h·U + b)}: its tape (weakly) and the state it hands on, not detached. */
    private record Batch(WeakReference<Tape> tape, Variable state) {
        static Batch run(Variable h) {
            try (Tape tape = Tape.record()) {
                Variable next = h.matmul(U).plus(B).sigmoid();
                next.times(Variable.constant(C)).sum().backward();
                return new Batch(new WeakReference<>(tape), next);
            }
        }
    }

    /**
     * The user forgets to detach the carried state: the second batch's tape uses the first's output.
     * That value is a constant on the second tape, so once the user drops the first batch its whole
     * graph must be collectable while the second batch's state is still alive (otherwise every batch
     * would chain all earlier graphs).
     */
    @Test
    void aStateCarriedWithoutDetachDoesNotKeepTheEarlierTapeAlive() {
        Batch first = Batch.run(Variable.constant(X).matmul(W));
        Batch second = Batch.run(first.state());
        WeakReference<Tape> firstTape = first.tape();
        first = null;
        assertTrue(collected(firstTape), "the second tape kept the first one's graph alive through the carried state");
        assertNotNull(second.state().value());
    }

    @Test
    void aClosedTapeIsNotRetainedAfterBackward() {
        W.zeroGrad();
        Step step = Step.run();
        assertNotNull(W.grad());
        assertTrue(collected(step.tape()), "the tape outlived its step: something still references it");
        assertNull(step.output().get(), "a saved value outlived its tape");
    }

    /** Note [Freed graphs]: the values saved for backward are garbage once backward() has used them, while the loss is still held. */
    @Test
    void backwardFreesTheGraphItWalksWhileTheLossIsHeld() {
        W.zeroGrad();
        try (Tape tape = Tape.record()) {
            Variable s = Variable.constant(X).matmul(W).plus(B).sigmoid();   // σ's rule reads its output
            WeakReference<Tensor> saved = new WeakReference<>(s.value());
            Variable loss = s.times(Variable.constant(C)).sum();
            s = null;
            assertFalse(collected(saved), "before backward the tape must keep σ's output for its rule");
            loss.backward();
            assertTrue(collected(saved), "after backward the loss still held σ's output through the graph");
            assertEquals(1, loss.value().size(), "the values of variables the caller holds stay readable");
            IllegalStateException again = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(again.getMessage().startsWith("backward: the graph through sum F64[] was freed by an earlier backward()")
                    && again.getMessage().contains("Tape.gradients"), again.getMessage());
        }
    }

    /**
     * A second backward() through a value the first one freed is refused also when it reaches that
     * value through an op the first did not walk (the freed node itself, not its consumer, is what is gone).
     */
    @Test
    void backwardThroughANodeFreedByAnotherBackwardIsRefused() {
        Variable x = Variable.leaf("x", Tensor.scalar(0.5));
        try (Tape tape = Tape.record()) {
            Variable y = x.exp();
            Variable a = y.sin();
            Variable b = y.cos();
            a.backward();
            IllegalStateException e = assertThrows(IllegalStateException.class, b::backward);
            assertEquals("backward: the graph through tape position 0 was freed by an earlier backward(), which keeps only what one "
                    + "backward pass needs; to differentiate one graph several times, use Tape.gradients(...)", e.getMessage());
        }
        assertEquals(Math.cos(Math.exp(0.5)) * Math.exp(0.5), x.grad().item(), 1e-15, "the refused walk added nothing");
    }

    /** An identity op whose rule hands {@code g} on doubled after running {@code seen} on it. */
    private static CustomOp doubling(String name, java.util.function.Consumer<Variable> seen) {
        return new CustomOp() {
            public String name() { return name; }
            public Op.Saves saves() { return Op.Saves.NOTHING; }
            public Variable forward(Variable... in) { return in[0].times(1.0); }
            public Variable[] backward(Variable[] in, Variable out, Variable g) {
                seen.accept(g);
                return new Variable[] {g.times(2.0)};
            }
        };
    }

    /**
     * The backward walk drops each node's gradient total once it has handed it to the node's rule: by
     * the time the rule of an earlier op runs, the total of a later op is garbage, so a walk holds the
     * gradients of its frontier rather than of the whole tape.
     */
    @Test
    void gradientTotalsAreReleasedDuringTheWalk() {
        List<WeakReference<Tensor>> laterTotal = new java.util.ArrayList<>();
        boolean[] releasedInTime = new boolean[1];
        CustomOp earlier = doubling("earlier", g -> releasedInTime[0] = collected(laterTotal.get(0)));
        CustomOp later = doubling("later", g -> laterTotal.add(new WeakReference<>(g.value())));
        Variable x = Variable.leaf("x", Tensor.randn(RNG, DType.F64, 1, 64));
        try (Tape tape = Tape.record()) {
            later.apply(earlier.apply(x)).times(3.0).sum().backward();
        }
        assertTrue(releasedInTime[0], "the walk still held a later op's gradient total when an earlier op's rule ran");
        assertArrayEquals(Tensor.full(DType.F64, 12.0, 64).toDoubleArray(), x.grad().toDoubleArray(), 0.0);
    }

    /**
     * Saves holds one bit per input for the first 32 inputs; beyond them (a concat of 40 values, a user
     * op of many inputs) an input's value is kept only when every input's is ({@code ~0}).
     */
    @Test
    void savedInputsBeyondThe32nd() {
        for (int j : new int[] {0, 31, 32, 40}) {
            assertTrue(Op.Saves.INPUTS.input(j), "INPUTS, input " + j);
            assertFalse(Op.Saves.NOTHING.input(j), "NOTHING, input " + j);
            assertEquals(j == 0, Op.Saves.FIRST.input(j), "FIRST, input " + j);
            assertEquals(j == 31, new Op.Saves(false, 1 << 31).input(j), "bit 31, input " + j);
        }
    }

    @Test
    void gradientsKeepTheGraphForAnotherWalk() {
        try (Tape tape = Tape.record()) {
            Variable w = Variable.leaf("w", Tensor.randn(RNG, DType.F64, 1, 3, 4));
            Variable loss = Variable.constant(X).matmul(w).sigmoid().times(Variable.constant(C)).sum();
            Variable first = tape.gradients(loss, List.of(w), false).get(0);
            Variable second = tape.gradients(loss, List.of(w), false).get(0);
            assertArrayEquals(first.value().toDoubleArray(), second.value().toDoubleArray(), 0.0);
            loss.backward();   // and a freeing backward after them still works
            assertArrayEquals(first.value().toDoubleArray(), w.grad().toDoubleArray(), 0.0);
        }
    }
}
