package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import org.junit.jupiter.api.Test;

/**
 * The steps of an {@link Unrolled} loop inside a {@link Workspace} scope (Note [Step-local storage]):
 * what a step neither carries out nor a derivative rule reads is taken back at the step's end, what a
 * rule reads once the backward walk has run that rule, and the all-steps results when the loop
 * closes; the bits are those computed without a workspace.
 *
 * <p>The cell is {@code h' = σ(h·V) ⊙ tanh(h·U + x·W)} with {@code [8, 128]} states (1,024
 * elements, the fewest a workspace lends), so every count below is of one state-sized tensor, except
 * the hoisted {@code x·W} of all steps and the weights' gradients.
 */
class UnrolledStepTest {
    private static final int BATCH = 8;
    private static final int HIDDEN = 128;
    private static final int IN = 16;
    private static final int STEPS = 6;
    private static final long STATE_BYTES = (long) BATCH * HIDDEN * 8;

    private final Variable xs = Variable.constant(Tensor.randn(Rng.seeded(1), DType.F64, 1, STEPS * BATCH, IN));
    private final Variable w = Variable.leaf("W", Tensor.randn(Rng.seeded(2), DType.F64, 0.3, IN, HIDDEN));
    private final Variable u = Variable.leaf("U", Tensor.randn(Rng.seeded(3), DType.F64, 0.1, HIDDEN, HIDDEN));
    private final Variable v = Variable.leaf("V", Tensor.randn(Rng.seeded(4), DType.F64, 0.1, HIDDEN, HIDDEN));

    /** The final state; inside {@code scope}, checks what stays lent after the loop, after the walk when {@code backward}. */
    private Variable run(Workspace.Scope scope, boolean backward) {
        Variable h = Variable.constant(Tensor.zeros(DType.F64, BATCH, HIDDEN));
        try (Unrolled steps = Unrolled.over(xs, STEPS)) {
            for (int t = 0; t < STEPS; t++) {
                try (Unrolled.Step step = steps.step(t)) {
                    Variable c = h.matmul(u).plus(step.input().matmul(w)).tanh();
                    h = step.carry(h.matmul(v).sigmoid().times(c));
                }
            }
        }
        if (scope != null) {
            // Per step: the carried state, and with a tape σ and tanh, which their own rules and ⊙'s read. The slice of the
            // hoisted x·W, h·U, the sum and h·V were taken back at the step's end, the hoisted x·W when the loop closed.
            int perStep = backward ? 3 : 1;
            assertEquals(STEPS * perStep * STATE_BYTES, scope.lentBytes(), "lent after the loop");
        }
        if (backward) {
            Variable loss = h.square().sum();
            loss.backward();
            if (scope != null) {
                long gradients = (long) (IN * HIDDEN + 2 * HIDDEN * HIDDEN) * 8;
                assertEquals((STEPS + 1) * STATE_BYTES + gradients, scope.lentBytes(),
                        "lent after the walk: the states, h² of the loss and the weights' gradients");
            }
        }
        return h;
    }

    private double[][] gradients(Workspace.Scope scope) {
        w.zeroGrad();
        u.zeroGrad();
        v.zeroGrad();
        try (Tape tape = Tape.record()) {
            run(scope, true);
        }
        return new double[][] {w.grad().toDoubleArray(), u.grad().toDoubleArray(), v.grad().toDoubleArray()};
    }

    @Test
    void aStepKeepsWhatItCarriesAndWhatRulesReadAndTheGradientsKeepTheirBits() {
        double[][] plain = gradients(null);
        Workspace ws = new Workspace(64L << 20);
        for (int round = 0; round < 2; round++) {
            try (Workspace.Scope scope = ws.open()) {
                double[][] lent = gradients(scope);
                for (int i = 0; i < plain.length; i++) {
                    assertArrayEquals(plain[i], lent[i], "round " + round + " gradient of " + "WUV".charAt(i));
                }
            }
        }
    }

    /**
     * The gate {@code (x·W) ⊙ σ(x·V')} depends on the inputs alone, so all of it is hoisted: σ's rule
     * reads its all-steps output, and ⊙'s rule both factors, {@code x·W} among them, which no rule of
     * its own node reads. Dropping those results as the loop closes must wait for the rules, with steps
     * and with a loop that opens none ({@code steps.input(t)}).
     */
    @Test
    void hoistedResultsThatRulesReadOutliveTheLoopUntilTheWalk() {
        Variable v2 = Variable.leaf("V'", Tensor.randn(Rng.seeded(5), DType.F64, 0.3, IN, HIDDEN));
        for (boolean withSteps : new boolean[] {true, false}) {
            double[][] bits = new double[2][];
            for (int lent = 0; lent < 2; lent++) {
                w.zeroGrad();
                u.zeroGrad();
                v2.zeroGrad();
                try (Workspace.Scope scope = lent == 1 ? new Workspace(64L << 20).open() : null; Tape tape = Tape.record()) {
                    Variable h = Variable.constant(Tensor.zeros(DType.F64, BATCH, HIDDEN));
                    try (Unrolled steps = Unrolled.over(xs, STEPS)) {
                        for (int t = 0; t < STEPS; t++) {
                            if (withSteps) {
                                try (Unrolled.Step step = steps.step(t)) {
                                    h = step.carry(gated(step.input(), v2, h));
                                }
                            } else {
                                h = gated(steps.input(t), v2, h);
                            }
                        }
                    }
                    h.sum().backward();
                    bits[lent] = v2.grad().toDoubleArray();
                }
            }
            assertArrayEquals(bits[0], bits[1], "steps " + withSteps);
        }
    }

    private Variable gated(Variable x, Variable v2, Variable h) {
        return h.matmul(u).plus(x.matmul(w).times(x.matmul(v2).sigmoid())).tanh();
    }

    /**
     * A value its owner drops outside any step (as {@code RecurrentStack} drops its stacked outputs)
     * stays readable by the two rules that saved it, tanh's and the product's, and is taken back once
     * the walk has run both.
     */
    @Test
    void aDroppedValueLivesUntilTheWalkHasRunTheRulesThatReadIt() {
        Variable a = Variable.constant(Tensor.randn(Rng.seeded(6), DType.F64, 1, BATCH, HIDDEN));
        double[][] bits = new double[2][];
        for (int lent = 0; lent < 2; lent++) {
            u.zeroGrad();
            v.zeroGrad();
            try (Workspace.Scope scope = lent == 1 ? new Workspace(64L << 20).open() : null; Tape tape = Tape.record()) {
                Variable hidden = a.matmul(u).tanh();
                Variable out = hidden.matmul(v);
                Workspace.drop(hidden.value());
                out.sum().backward();
                if (scope != null) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> hidden.value().get(0, 0));
                    assertTrue(e.getMessage().contains("Workspace.drop"), e.getMessage());
                }
                bits[lent] = u.grad().toDoubleArray();
            }
        }
        assertArrayEquals(bits[0], bits[1]);
    }

    @Test
    void withoutATapeALoopHoldsOnlyTheStatesItCarried() {
        double[] plain;
        try (Tape.Scope off = Tape.noGrad()) {
            plain = run(null, false).value().toDoubleArray();
            try (Workspace.Scope scope = new Workspace(64L << 20).open()) {
                assertArrayEquals(plain, run(scope, false).value().toDoubleArray());
            }
        }
    }

    @Test
    void aValueOfAStepThatWasNotCarriedRefusesReadsAfterTheStep() {
        try (Workspace.Scope scope = new Workspace(64L << 20).open(); Unrolled steps = Unrolled.over(xs, STEPS)) {
            Variable h = Variable.constant(Tensor.zeros(DType.F64, BATCH, HIDDEN));
            Variable sum;
            Variable next;
            try (Unrolled.Step step = steps.step(0)) {
                sum = h.matmul(u).plus(step.input().matmul(w));
                next = step.carry(sum.tanh());
                assertDoesNotThrow(() -> sum.value().get(0, 0), "readable inside its step");
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sum.value().get(0, 0));
            assertTrue(e.getMessage().contains("loop step") && e.getMessage().contains("carry it"), e.getMessage());
            assertDoesNotThrow(() -> next.value().get(0, 0), "the carried state stays readable");
        }
    }

    @Test
    void stepsOpenOneAtATime() {
        try (Unrolled steps = Unrolled.over(xs, STEPS); Unrolled.Step first = steps.step(0)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> steps.step(1));
            assertTrue(e.getMessage().contains("step 0 is still open"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> steps.step(STEPS));
        }
    }
}
