package dev.jgrad.nn.cell;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Parameter counts as the literature states them. */
class ParameterCountTest {

    @Property(tries = 20)
    void countsMatchTheFormulas(@ForAll @IntRange(min = 1, max = 9) int in, @ForAll @IntRange(min = 1, max = 9) int h) {
        Rng rng = Rng.seeded(in * 31L + h);
        long ih = (long) in * h;
        long hh = (long) h * h;
        // Cho et al. / d2l: three gates, each with an input weight, a hidden weight and one bias.
        assertEquals(3 * (ih + hh + h), GRUCell.create(in, h, true, DType.F64, rng).parameterCount());
        assertEquals(3 * (ih + hh), GRUCell.create(in, h, false, DType.F64, rng).parameterCount());
        // PyTorch nn.GRU: separate input and hidden biases, 6H.
        assertEquals(3 * (ih + hh) + 6L * h, TorchGRUCell.create(in, h, true, DType.F64, rng).parameterCount());
        assertEquals(3 * (ih + hh), TorchGRUCell.create(in, h, false, DType.F64, rng).parameterCount());
        assertEquals(4 * (ih + hh) + 8L * h, LSTMCell.create(in, h, true, DType.F64, rng).parameterCount());
        assertEquals(4 * (ih + hh), LSTMCell.create(in, h, false, DType.F64, rng).parameterCount());
        assertEquals(ih + hh + 2L * h, RNNCell.create(in, h, true, DType.F64, rng).parameterCount());
        assertEquals(ih + hh, RNNCell.create(in, h, false, DType.F64, rng).parameterCount());
        // Minimal gated unit: two of the GRU's three blocks.
        assertEquals(2 * (ih + hh + h), MGUCell.create(in, h, DType.F64, rng).parameterCount());
        assertEquals(ih + h, new Linear(in, h, true, DType.F64, rng).parameterCount());
        // Stacked layers: layer 0 reads the input, layers ≥ 1 read H.
        assertEquals(3 * (ih + hh) + 6L * h + 2 * (3 * (hh + hh) + 6L * h),
                RecurrentStack.gru(GRU.Variant.RESET_AFTER, in, h, 3, true, DType.F64, rng).parameterCount());
    }

    @Property(tries = 10)
    void initialisationStaysInsidePyTorchsBound(@ForAll CellKind kind, @ForAll @IntRange(min = 1, max = 16) int h) {
        double bound = 1 / Math.sqrt(h);
        RecurrentCell cell = kind.create(4, h, true, DType.F64, Rng.seeded(h));
        cell.parameters().forEach((name, p) -> {
            for (int i = 0; i < p.value().size(); i++) {
                assertTrue(Math.abs(p.value().at(i)) <= bound, name + " element " + i + " = " + p.value().at(i));
            }
        });
    }
}
