package dev.jgrad.testing.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.LSTMCell;
import dev.jgrad.nn.cell.MGUCell;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.cell.TorchGRUCell;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The cell checks pass for the library's cells and fail for cells whose backward pass is wrong. */
class CellChecksTest {

    @Provide
    Arbitrary<Function<Rng, RecurrentCell>> cells() {
        return Arbitraries.of(
                rng -> GRUCell.create(3, 4, true, DType.F64, rng),
                rng -> TorchGRUCell.create(3, 4, true, DType.F64, rng),
                rng -> LSTMCell.create(3, 4, true, DType.F64, rng),   // two state parts
                rng -> MGUCell.create(3, 4, DType.F64, rng));
    }

    @Property(tries = 8)
    void theLibrarysCellsPass(@ForAll("cells") Function<Rng, RecurrentCell> cell, @ForAll long seed) {
        CellChecks.assertGradients(cell.apply(Rng.seeded(seed)), seed);
    }

    /** Cutting the recurrence hides h_T's dependence on earlier steps from the tape; finite differences still see it. */
    @Test
    void aDetachedRecurrenceFailsTheParameterCheck() {
        RecurrentCell cell = detachingState(MGUCell.create(3, 4, DType.F64, Rng.seeded(7)));
        AssertionError e = assertThrows(AssertionError.class, () -> CellChecks.assertParameterGradients(cell, 1));
        assertTrue(e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
    }

    @Test
    void aDetachedRecurrenceFailsTheStateCheck() {
        RecurrentCell cell = detachingState(LSTMCell.create(3, 4, true, DType.F64, Rng.seeded(7)));
        AssertionError e = assertThrows(AssertionError.class, () -> CellChecks.assertInputAndStateGradients(cell, 1));
        assertTrue(e.getMessage().contains("analytic") && e.getMessage().contains("numeric"), e.getMessage());
    }

    @Test
    void randomStatesHaveTheCellsShapesAndNoZeros() {
        RecurrentCell lstm = LSTMCell.create(3, 4, true, DType.F64, Rng.seeded(7));
        var parts = CellChecks.randomState(lstm, 2, Rng.seeded(3));
        assertTrue(parts.size() == 2, "h and c");
        for (var p : parts) {
            assertTrue(p.shape().equals(lstm.initialState(2, DType.F64).h().shape()), p.shape().toString());
            for (int i = 0; i < p.size(); i++) {
                assertTrue(p.at(i) != 0 && Math.abs(p.at(i)) <= 0.9, "element " + i + " = " + p.at(i));
            }
        }
    }

    /** A cell that steps {@code inner} on a state cut off from the graph: its forward values are the inner cell's. */
    private static RecurrentCell detachingState(RecurrentCell inner) {
        return new RecurrentCell() {
            @Override
            public State step(Variable x, State s) {
                return inner.step(x, s.detach());
            }

            @Override
            public State initialState(int batch, DType dtype) {
                return inner.initialState(batch, dtype);
            }

            @Override
            public int inputSize() {
                return inner.inputSize();
            }

            @Override
            public int hiddenSize() {
                return inner.hiddenSize();
            }

            @Override
            public Map<String, Parameter> parameters() {
                return inner.parameters();
            }
        };
    }
}
