package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.MGUCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The README's "write your own cell, check its gradients" snippet, verbatim, so it keeps compiling and passing. */
class ReadmeCellSnippetTest {
    @Test
    void readmeSnippetChecksAUserCell() {
        // --- README snippet begins
        MGUCell cell = MGUCell.create(3, 4, DType.F64, Rng.seeded(7));
        Variable x = Variable.constant(Tensor.randn(Rng.seeded(1), DType.F64, 1.0, 2, 3));
        ModuleGradCheck.assertGradients(cell, ModuleGradCheck.contracted(() -> {
            State s = cell.initialState(2, DType.F64);
            for (int t = 0; t < 3; t++) {
                s = cell.step(x, s);                       // three steps of the equations
            }
            return s.h();
        }, Rng.seeded(2)));                                // Σ h_T ⊙ c for a random cotangent c
        // --- README snippet ends
    }

    @Test
    void theSameCheckFailsWhenTheCellsGradientIsWrong() {
        MGUCell cell = MGUCell.create(3, 4, DType.F64, Rng.seeded(7));
        Variable x = Variable.constant(Tensor.randn(Rng.seeded(1), DType.F64, 1.0, 2, 3));
        // Detaching the state inside the recurrence hides h's dependence on earlier steps from the tape:
        // the finite differences still see it, so the check must fail.
        AssertionError e = assertThrows(AssertionError.class, () -> ModuleGradCheck.assertGradients(cell, ModuleGradCheck.contracted(() -> {
            State s = cell.initialState(2, DType.F64);
            for (int t = 0; t < 3; t++) {
                s = cell.step(x, State.of(s.h().detach()));
            }
            return s.h();
        }, Rng.seeded(2))));
        assertTrue(e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
    }
}
