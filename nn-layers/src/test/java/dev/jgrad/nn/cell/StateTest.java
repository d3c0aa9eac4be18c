package dev.jgrad.nn.cell;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateTest {

    @Test
    void stateHoldsHFirstAndDetachCutsTheGraph() {
        Variable h = Variable.leaf(Tensor.vector(1, 2));
        Variable c = Variable.leaf(Tensor.vector(3, 4));
        State s;
        try (Tape t = Tape.record()) {
            s = State.of(h.times(2.0), c.tanh());
        }
        assertTrue(s.h().requiresGrad());
        assertEquals(2.0, s.h().value().at(0));
        State d = s.detach();
        assertEquals(2, d.parts().size());
        d.parts().forEach(v -> assertFalse(v.requiresGrad()));
        assertEquals(0.0, d.part(1).value().maxAbsDiff(s.part(1).value()));
        assertThrows(IllegalArgumentException.class, () -> new State(List.of()));
        List<Variable> parts = new ArrayList<>(List.of(h));
        State copy = new State(parts);
        parts.add(c);
        assertEquals(1, copy.parts().size(), "the record keeps its own copy");
    }

    @Test
    void initialStatesAreZerosOfTheRequestedShape() {
        for (CellKind kind : CellKind.values()) {
            RecurrentCell cell = kind.create(3, 5, true, DType.F32, Rng.seeded(1));
            State s = cell.initialState(2, DType.F32);
            assertEquals(kind.stateParts(), s.parts().size(), kind.name());
            for (Variable v : s.parts()) {
                assertEquals(DType.F32, v.dtype());
                assertEquals(0.0, v.value().maxAbsDiff(Tensor.zeros(DType.F32, 2, 5)));
            }
        }
    }

    @Test
    void cellsRejectInputsOfTheWrongShapeNamingThem() {
        for (CellKind kind : CellKind.values()) {
            RecurrentCell cell = kind.create(3, 5, true, DType.F64, Rng.seeded(1));
            State s = cell.initialState(2, DType.F64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cell.step(Variable.constant(Tensor.zeros(DType.F64, 2, 4)), s));
            assertTrue(e.getMessage().contains(".step") && e.getMessage().contains("[2, 4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> cell.step(Variable.constant(Tensor.zeros(DType.F64, 3, 3)), s));
            assertTrue(e.getMessage().contains("[2, 5]") && e.getMessage().contains("[3, 3]"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> TorchGRUCell.create(0, 4, true, DType.F64, Rng.seeded(1)));
        assertThrows(IllegalArgumentException.class, () -> LSTMCell.create(3, 0, true, DType.F64, Rng.seeded(1)));
    }

    @Test
    void duplicateParameterNamesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Module.named(new Parameter("w", Tensor.vector(1)), new Parameter("w", Tensor.vector(2))));
        assertTrue(e.getMessage().contains("w"), e.getMessage());
    }
}
