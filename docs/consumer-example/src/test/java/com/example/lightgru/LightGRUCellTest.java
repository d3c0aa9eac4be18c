package com.example.lightgru;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import dev.jgrad.testing.nn.CellChecks;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class LightGRUCellTest {

    /** Parameter, input and state gradients, first and second order, against finite differences. */
    @Test
    void gradientsMatchFiniteDifferences() {
        CellChecks.assertGradients(LightGRUCell.create(3, 4, DType.F64, Rng.seeded(7)), 1);
    }

    /** The same for any initial weights. */
    @Property(tries = 5)
    void gradientsMatchForAnyWeights(@ForAll long seed) {
        CellChecks.assertGradients(LightGRUCell.create(3, 4, DType.F64, Rng.seeded(seed)), seed);
    }

    /** h' mixes h and tanh(...), so from h = 0 it never leaves [-1, 1], whatever the inputs. */
    @Property(tries = 100)
    void theStateStaysWithinOne(@ForAll("inputs") Tensor x) {
        LightGRUCell cell = LightGRUCell.create(3, 4, DType.F64, Rng.seeded(7));
        State s = cell.initialState(2, DType.F64);
        for (int t = 0; t < 5; t++) {
            s = cell.step(Variable.constant(x), s);
        }
        Tensor h = s.h().value();
        for (int i = 0; i < h.size(); i++) {
            assertTrue(Math.abs(h.at(i)) <= 1, "h[" + i + "] = " + h.at(i));
        }
    }

    @Provide
    Arbitrary<Tensor> inputs() {
        return TensorArbitraries.tensors(Shape.of(2, 3), -10, 10);
    }
}
