package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.Objects;

/**
 * The minimal gated unit (Zhou et al., 2016): a GRU with one gate doing both jobs. This class is
 * the worked example of writing a cell: declare the parameters, list them in {@link #parameters()},
 * and write {@link #step} as the equations; the tape supplies the backward pass.
 * <pre>
 * f  = σ(x·W_xf + h·W_hf + b_f)
 * h̃  = tanh(x·W_xh + (f ⊙ h)·W_hh + b_h)
 * h' = (1 − f) ⊙ h + f ⊙ h̃
 * </pre>
 * Weights in the {@code x·W} layout ({@code W_x* [I, H]}, {@code W_h* [H, H]}, {@code b_* [H]}),
 * initialised U(−1/√H, 1/√H).
 */
public final class MGUCell implements RecurrentCell {
    private final int in;
    private final int hidden;
    private final Parameter wxf, whf, bf, wxh, whh, bh;
    private final Map<String, Parameter> params;

    private MGUCell(int in, int hidden, DType dtype, Rng rng) {
        if (in <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("MGUCell: sizes must be positive, got input " + in + ", hidden " + hidden);
        }
        this.in = in;
        this.hidden = hidden;
        double k = 1.0 / Math.sqrt(hidden);
        wxf = Parameter.uniform("W_xf", rng, dtype, k, in, hidden);
        whf = Parameter.uniform("W_hf", rng, dtype, k, hidden, hidden);
        bf = Parameter.uniform("b_f", rng, dtype, k, hidden);
        wxh = Parameter.uniform("W_xh", rng, dtype, k, in, hidden);
        whh = Parameter.uniform("W_hh", rng, dtype, k, hidden, hidden);
        bh = Parameter.uniform("b_h", rng, dtype, k, hidden);
        params = Module.named(wxf, whf, bf, wxh, whh, bh);
    }

    /**
     * A minimal gated unit with input size {@code in} and hidden size {@code hidden}, initialised U(−1/√H, 1/√H).
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public static MGUCell create(int in, int hidden, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return new MGUCell(in, hidden, dtype, rng);
    }

    @Override
    public State step(Variable x, State s) {
        checkStep(x, s);
        Variable h = s.h();
        Variable f = x.matmul(wxf.variable()).plus(h.matmul(whf.variable())).plus(bf.variable()).sigmoid();
        Variable hTilde = x.matmul(wxh.variable()).plus(f.times(h).matmul(whh.variable())).plus(bh.variable()).tanh();
        return State.of(f.oneMinus().times(h).plus(f.times(hTilde)));
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }
}
