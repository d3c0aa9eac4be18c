package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.affine;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.Objects;

/**
 * The GRU of Cho et al. (2014) as d2l writes it, the reset gate applied <i>before</i> the hidden
 * projection ({@link GRU.Variant#RESET_BEFORE}; see Note [GRU reset gate] in {@link GRU}):
 * <pre>
 * z  = σ(x·W_xz + h·W_hz + b_z)
 * r  = σ(x·W_xr + h·W_hr + b_r)
 * h̃  = tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)
 * h' = z ⊙ h + (1 − z) ⊙ h̃  = h̃ + z ⊙ (h − h̃)
 * </pre>
 * The last line is computed in its second form, from h̃ to h by the fraction z: {@code hTilde.lerp(h, z)},
 * one op that keeps for backward only values the other rules keep anyway.
 * Parameters in d2l's names and the {@code x·W} layout: {@code W_x· [I, H]}, {@code W_h· [H, H]},
 * {@code b_· [H]} (left out when built without biases), drawn U(−1/√H, 1/√H) as PyTorch does, in the
 * order {@code W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h}.
 */
public final class GRUCell implements GRU {
    private final int in;
    private final int hidden;
    // bz, br and bh are null for a cell built without biases, as PyTorch's are for bias=False.
    private final Parameter wxz, whz, bz, wxr, whr, br, wxh, whh, bh;
    private final Map<String, Parameter> params;

    private GRUCell(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        if (in <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("GRUCell: sizes must be positive, got input " + in + ", hidden " + hidden);
        }
        this.in = in;
        this.hidden = hidden;
        double k = 1.0 / Math.sqrt(hidden);
        wxz = Parameter.uniform("W_xz", rng, dtype, k, in, hidden);
        whz = Parameter.uniform("W_hz", rng, dtype, k, hidden, hidden);
        bz = bias ? Parameter.uniform("b_z", rng, dtype, k, hidden) : null;
        wxr = Parameter.uniform("W_xr", rng, dtype, k, in, hidden);
        whr = Parameter.uniform("W_hr", rng, dtype, k, hidden, hidden);
        br = bias ? Parameter.uniform("b_r", rng, dtype, k, hidden) : null;
        wxh = Parameter.uniform("W_xh", rng, dtype, k, in, hidden);
        whh = Parameter.uniform("W_hh", rng, dtype, k, hidden, hidden);
        bh = bias ? Parameter.uniform("b_h", rng, dtype, k, hidden) : null;
        params = Module.named(wxz, whz, bz, wxr, whr, br, wxh, whh, bh);
    }

    /**
     * A Cho / d2l GRU cell with input size {@code in} and hidden size {@code hidden}, with or without biases.
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param bias   whether the cell has biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public static GRUCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return new GRUCell(in, hidden, bias, dtype, rng);
    }

    @Override
    public Activations activations(Variable x, Variable h) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(h, "h");
        Variable z = affine(x, wxz, h, whz, bz).sigmoid();
        Variable r = affine(x, wxr, h, whr, br).sigmoid();
        Variable hTilde = affine(x, wxh, r.times(h), whh, bh).tanh();
        Variable hNext = hTilde.lerp(h, z);
        return new Activations(z, r, hTilde, hNext);
    }

    @Override
    public Variant variant() {
        return Variant.RESET_BEFORE;
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
