package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;

/**
 * One time step of a recurrent network, {@code (x_t [B, I], s_{t−1}) → s_t}. Implement
 * {@link #step} with the cell's forward equations only; gradients come from the tape. See
 * {@link MGUCell} for a complete example in a few lines.
 */
public interface RecurrentCell extends Module {

    /**
     * The size {@code I} of each step's input {@code [B, I]}.
     *
     * @return the input size
     */
    int inputSize();

    /**
     * The size {@code H} of the hidden state {@code [B, H]}.
     *
     * @return the hidden size
     */
    int hiddenSize();

    /**
     * The all-zeros state for a batch of {@code batch}, as PyTorch uses when no initial state is
     * given: by default one {@code [batch, H]} part, the hidden state; a cell with more state (the
     * LSTM's cell state) overrides this.
     *
     * @param batch the batch size {@code B}
     * @param dtype the state's dtype
     * @return the zero state
     */
    default State initialState(int batch, DType dtype) {
        return State.of(Variable.constant(Tensor.zeros(dtype, batch, hiddenSize())));
    }

    /**
     * One step: {@code x [B, I]} and the previous state give the next state.
     *
     * @param x the step's input {@code [B, I]}
     * @param s the previous state
     * @return the next state
     */
    State step(Variable x, State s);

    /**
     * Validates a step's input against the cell's sizes, naming the cell and the shapes.
     *
     * @param x the step's input
     * @param s the previous state
     */
    default void checkStep(Variable x, State s) {
        if (x.shape().rank() != 2 || x.shape().dim(1) != inputSize()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".step: input " + x.shape() + " is not [B, "
                    + inputSize() + "]");
        }
        Variable h = s.h();
        if (h.shape().rank() != 2 || h.shape().dim(0) != x.shape().dim(0) || h.shape().dim(1) != hiddenSize()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".step: hidden state " + h.shape()
                    + " is not [" + x.shape().dim(0) + ", " + hiddenSize() + "] for input " + x.shape());
        }
    }
}
