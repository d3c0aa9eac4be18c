package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.Objects;

/**
 * The plain (Elman) recurrent cell with tanh, in PyTorch's layout:
 * {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)} with {@code weight_ih [H, I]},
 * {@code weight_hh [H, H]}, {@code bias_ih [H]}, {@code bias_hh [H]}, initialised U(−1/√H, 1/√H).
 */
public final class RNNCell implements RecurrentCell {
    private final int in;
    private final int hidden;
    private final PackedWeights w;
    private final Map<String, Parameter> params;

    private RNNCell(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        this.w = PackedWeights.create("RNNCell", 1, in, hidden, bias, dtype, rng);
        this.in = in;
        this.hidden = hidden;
        this.params = w.named();
    }

    /**
     * A tanh RNN cell with input size {@code in} and hidden size {@code hidden}, initialised U(−1/√H, 1/√H).
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param bias   whether the cell has biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public static RNNCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return new RNNCell(in, hidden, bias, dtype, rng);
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    @Override
    public State step(Variable x, State s) {
        checkStep(x, s);
        return State.of(w.input(x).plus(w.hidden(s.h())).tanh());
    }
}
