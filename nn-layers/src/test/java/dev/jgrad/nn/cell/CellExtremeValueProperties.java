package dev.jgrad.nn.cell;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Saturation: inputs of ±1e4 drive every gate to 0 or 1, where a naive sigmoid or tanh overflows.
 * Every cell's hidden state is then still finite and in [−1, 1] (a convex mix of the previous state
 * and a tanh, or a gate times a tanh), and so are the gradients, in float64 and float32.
 */
class CellExtremeValueProperties {

    @Property(tries = 20)
    void saturatedCellsStayFiniteAndBounded(@ForAll CellKind kind, @ForAll boolean f32, @ForAll long seed) {
        DType dtype = f32 ? DType.F32 : DType.F64;
        Rng rng = Rng.seeded(seed);
        RecurrentCell cell = kind.create(3, 4, true, dtype, rng);
        Tensor x = Tensor.randn(rng, dtype, 1e4, 2, 3);
        State s = cell.initialState(2, dtype);
        try (Tape t = Tape.record()) {
            for (int step = 0; step < 3; step++) {
                s = cell.step(Variable.constant(x), s);
                Tensor h = s.h().value();
                for (int i = 0; i < h.size(); i++) {
                    assertTrue(Double.isFinite(h.at(i)) && Math.abs(h.at(i)) <= 1.0, kind + " h = " + h);
                }
            }
            s.h().times(Variable.constant(Tensor.randn(rng, dtype, 1.0, 2, 4))).sum().backward();
        }
        for (Parameter p : cell.parameters().values()) {
            if (p.grad() != null) {
                assertFalse(p.grad().hasNonFinite(), kind + " " + p.name() + " gradient " + p.grad());
            }
        }
        assertNotNull(List.copyOf(cell.parameters().values()).get(0).grad());
    }
}
