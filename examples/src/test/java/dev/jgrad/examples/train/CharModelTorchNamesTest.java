package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.io.TorchStateDict;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trained character model under the names PyTorch gives the same model (nn.Embedding, nn.GRU, nn.Linear), and back. */
class CharModelTorchNamesTest {

    @Test
    void namesAreThoseOfThePyTorchModule() {
        CharModel m = CharModel.create(CellKind.GRU_RESET_AFTER, 9, 5, 8, 2, DType.F32, Rng.seeded(1));
        assertEquals(List.of("embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "output.weight", "output.bias"),
                List.copyOf(TorchStateDict.toTorch(m).keySet()));
        CharModel copy = CharModel.create(CellKind.GRU_RESET_AFTER, 9, 5, 8, 2, DType.F32, Rng.seeded(2));
        TorchStateDict.load(copy, TorchStateDict.toTorch(m));
        m.stateDict().forEach((k, v) -> assertSame(v, copy.stateDict().get(k), k));
        // without an embedding (one-hot inputs) the LSTM model has no embedding.weight
        CharModel lstm = CharModel.create(CellKind.LSTM, 9, 8, 1, DType.F64, Rng.seeded(1));
        assertEquals(List.of("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "output.weight", "output.bias"),
                List.copyOf(TorchStateDict.toTorch(lstm).keySet()));
    }

    /** The default cell is the Cho / d2l GRU, which nn.GRU does not compute: refused, not silently misnamed. */
    @Test
    void theDefaultResetBeforeGruHasNoPyTorchNames() {
        CharModel m = CharModel.create(CellKind.GRU, 9, 8, 1, DType.F32, Rng.seeded(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchStateDict.toTorch(m));
        assertTrue(e.getMessage().contains("RESET_AFTER"), e.getMessage());
    }

    /** toDType follows through the model: its one-hot inputs and initial states take the parameters' new dtype. */
    @Test
    void castToFloat64AndRun() {
        CharModel m = CharModel.create(CellKind.GRU, 9, 8, 1, DType.F32, Rng.seeded(1));
        m.toDType(DType.F64);
        assertEquals(DType.F64, m.dtype());
        assertEquals(DType.F64, m.forward(new int[][] {{1, 2, 3}}, null).logits().dtype());
    }
}
