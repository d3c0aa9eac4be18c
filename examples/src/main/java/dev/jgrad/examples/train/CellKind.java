package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.GRU.Variant;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;

/** The recurrent cell of the language model, by its command-line name. */
public enum CellKind {
    /** The Cho / d2l GRU (reset gate before the hidden matmul). */
    GRU("gru"),
    /** The PyTorch / cuDNN GRU (reset gate after the hidden matmul). */
    GRU_RESET_AFTER("gru-reset-after"),
    LSTM("lstm"),
    /** The plain tanh RNN. */
    RNN("rnn");

    private final String cliName;

    CellKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** The kind called {@code name} on the command line. */
    public static CellKind parse(String name) {
        for (CellKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown cell '" + name + "' (expected gru, gru-reset-after, lstm or rnn)");
    }

    /** {@code layers} cells of this kind reading {@code in} features, with biases. */
    RecurrentStack layer(int in, int hidden, int layers, DType dtype, Rng rng) {
        return switch (this) {
            case GRU -> RecurrentStack.gru(Variant.RESET_BEFORE, in, hidden, layers, true, dtype, rng);
            case GRU_RESET_AFTER -> RecurrentStack.gru(Variant.RESET_AFTER, in, hidden, layers, true, dtype, rng);
            case LSTM -> RecurrentStack.lstm(in, hidden, layers, true, dtype, rng);
            case RNN -> RecurrentStack.rnn(in, hidden, layers, true, dtype, rng);
        };
    }

    @Override
    public String toString() {
        return cliName;
    }
}
