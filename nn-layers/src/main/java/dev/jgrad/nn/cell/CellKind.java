package dev.jgrad.nn.cell;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Every recurrent cell of the library by name: what a command line's {@code --cell} chooses, and what tests run over.
 * A stack of one kind is {@code RecurrentStack.of(kind, …)}: {@code layer} uses {@code cell}, never the reverse.
 */
public enum CellKind {
    /** {@link GRUCell}: Cho / d2l, reset gate before the hidden matmul (Note [GRU reset gate] on {@link GRU}). */
    GRU("gru"),
    /** {@link TorchGRUCell}: PyTorch / cuDNN, reset gate after the hidden matmul. */
    GRU_RESET_AFTER("gru-reset-after"),
    /** {@link LSTMCell}. */
    LSTM("lstm"),
    /** {@link RNNCell}, the plain tanh RNN. */
    RNN("rnn"),
    /** {@link MGUCell}, the minimal gated unit (always with biases). */
    MGU("mgu");

    private final String cliName;

    CellKind(String cliName) {
        this.cliName = cliName;
    }

    /**
     * The name a command line uses, such as {@code gru-reset-after}.
     *
     * @return the name, in lower case with hyphens
     */
    public String cliName() {
        return cliName;
    }

    /**
     * The kind called {@code name} on a command line.
     *
     * @param name a name as {@link #cliName()} gives it
     * @return the kind
     * @throws IllegalArgumentException listing the names when none is {@code name}
     */
    public static CellKind parse(String name) {
        Objects.requireNonNull(name, "name");
        for (CellKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown cell '" + name + "' (expected "
                + Arrays.stream(values()).map(CellKind::cliName).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * A cell of this kind reading {@code in} features into {@code hidden} units, its weights drawn from {@code rng}.
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param bias   whether the cell has biases (the MGU has none either way)
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public RecurrentCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        return switch (this) {   // each cell's create refuses a null dtype or rng by name
            case GRU -> GRUCell.create(in, hidden, bias, dtype, rng);
            case GRU_RESET_AFTER -> TorchGRUCell.create(in, hidden, bias, dtype, rng);
            case LSTM -> LSTMCell.create(in, hidden, bias, dtype, rng);
            case RNN -> RNNCell.create(in, hidden, bias, dtype, rng);
            case MGU -> MGUCell.create(in, hidden, dtype, rng);
        };
    }

    /**
     * Number of state parts: 2 for the LSTM (h and c), 1 for the others.
     *
     * @return 1 or 2
     */
    public int stateParts() {
        return this == LSTM ? 2 : 1;
    }

    @Override
    public String toString() {
        return cliName;
    }
}
