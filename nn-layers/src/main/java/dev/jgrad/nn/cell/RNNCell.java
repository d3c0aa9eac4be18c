package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.xwT;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;

/**
 * The plain (Elman) recurrent cell with tanh, in PyTorch's layout:
 * {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)} with {@code weight_ih [H, I]},
 * {@code weight_hh [H, H]}, {@code bias_ih [H]}, {@code bias_hh [H]}, initialised U(−1/√H, 1/√H).
 */
public final class RNNCell implements RecurrentCell {
    private final int in;
    private final int hidden;
    private final Parameter weightIh, weightHh, biasIh, biasHh;
    private final Map<String, Parameter> params;

    private RNNCell(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        if (in <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("RNNCell: sizes must be positive, got input " + in + ", hidden " + hidden);
        }
        this.in = in;
        this.hidden = hidden;
        double k = 1.0 / Math.sqrt(hidden);
        weightIh = Parameter.uniform("weight_ih", rng, dtype, k, hidden, in);
        weightHh = Parameter.uniform("weight_hh", rng, dtype, k, hidden, hidden);
        biasIh = bias ? Parameter.uniform("bias_ih", rng, dtype, k, hidden) : null;
        biasHh = bias ? Parameter.uniform("bias_hh", rng, dtype, k, hidden) : null;
        params = Module.named(weightIh, weightHh, biasIh, biasHh);
    }

    public static RNNCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
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
        return State.of(xwT(x, weightIh, biasIh).plus(xwT(s.h(), weightHh, biasHh)).tanh());
    }
}
