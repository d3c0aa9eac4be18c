package dev.jgrad.nn.cell;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Every cell of the library, built the same way, for tests that apply to all of them. */
public enum CellKind {
    GRU_RESET_BEFORE, GRU_RESET_AFTER, LSTM, RNN, MGU;

    public RecurrentCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        return switch (this) {
            case GRU_RESET_BEFORE -> GRUCell.create(in, hidden, bias, dtype, rng);
            case GRU_RESET_AFTER -> TorchGRUCell.create(in, hidden, bias, dtype, rng);
            case LSTM -> LSTMCell.create(in, hidden, bias, dtype, rng);
            case RNN -> RNNCell.create(in, hidden, bias, dtype, rng);
            case MGU -> MGUCell.create(in, hidden, dtype, rng);
        };
    }

    /** Number of state parts (h, or h and c). */
    public int stateParts() {
        return this == LSTM ? 2 : 1;
    }

    /** A random non-zero state, so the hidden-to-hidden weights get non-trivial gradients. */
    public List<Tensor> randomState(int batch, int hidden, Rng rng) {
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < stateParts(); i++) {
            parts.add(Tensor.uniform(rng, DType.F64, -0.9, 0.9, batch, hidden));
        }
        return parts;
    }
}
