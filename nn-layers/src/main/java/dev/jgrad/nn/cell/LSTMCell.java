package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.block;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Map;
import java.util.Objects;

/**
 * The long short-term memory cell (Hochreiter and Schmidhuber, 1997, with the forget gate of Gers
 * et al.), in PyTorch's layout: {@code weight_ih [4H, I]}, {@code weight_hh [4H, H]},
 * {@code bias_ih [4H]}, {@code bias_hh [4H]}, gate blocks in the order i, f, g, o, all initialised
 * U(−1/√H, 1/√H). The state is {@code (h, c)}:
 * <pre>
 * i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 * c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 * </pre>
 */
public final class LSTMCell implements RecurrentCell {
    private final int in;
    private final int hidden;
    private final PackedWeights w;
    private final Map<String, Parameter> params;

    private LSTMCell(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        this.w = PackedWeights.create("LSTMCell", 4, in, hidden, bias, dtype, rng);
        this.in = in;
        this.hidden = hidden;
        this.params = w.named();
    }

    /**
     * An LSTM cell with input size {@code in} and hidden size {@code hidden}, initialised U(−1/√H, 1/√H).
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param bias   whether the cell has biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public static LSTMCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return new LSTMCell(in, hidden, bias, dtype, rng);
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

    /** {@code (h, c)}, both zeros {@code [batch, H]}. */
    @Override
    public State initialState(int batch, DType dtype) {
        Variable zeros = Variable.constant(Tensor.zeros(dtype, batch, hidden));
        return State.of(zeros, zeros);
    }

    @Override
    public State step(Variable x, State s) {
        checkStep(x, s);
        if (s.parts().size() != 2) {
            throw new IllegalArgumentException("LSTMCell.step: state needs (h, c), got " + s.parts().size() + " part(s)");
        }
        Variable h = s.h();
        Variable c = s.part(1);
        // All four gate pre-activations in two matmuls, [B, 4H] with blocks i, f, g, o.
        Variable pre = w.input(x).plus(w.hidden(h));
        Variable i = block(pre, 0, hidden).sigmoid();
        Variable f = block(pre, 1, hidden).sigmoid();
        Variable g = block(pre, 2, hidden).tanh();
        Variable o = block(pre, 3, hidden).sigmoid();
        Variable cNext = f.times(c).plus(i.times(g));
        return State.of(o.times(cNext.tanh()), cNext);
    }
}
