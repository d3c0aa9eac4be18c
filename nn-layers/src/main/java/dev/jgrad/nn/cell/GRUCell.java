package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.block;
import static dev.jgrad.nn.cell.Projection.xw;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;

/**
 * The gated recurrent unit (Cho et al., 2014), in either of its two published variants.
 *
 * <p><b>Note [GRU reset gate].</b> Both variants compute an update gate {@code z}, a reset gate
 * {@code r}, a candidate {@code h̃} and the same interpolation {@code h' = z ⊙ h + (1 − z) ⊙ h̃}. They
 * differ in where the reset gate acts:
 * <ul>
 *   <li>{@link Variant#RESET_BEFORE} (Cho et al.; d2l; the default) resets the state <i>before</i> the
 *       hidden projection: {@code h̃ = tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)}. Parameters in d2l's
 *       names and {@code x·W} layout: {@code W_xz [I, H], W_hz [H, H], b_z [H]} and likewise
 *       {@code _r} and {@code _h}.</li>
 *   <li>{@link Variant#RESET_AFTER} (PyTorch {@code nn.GRU}, cuDNN, Keras {@code reset_after=True})
 *       resets <i>after</i> it: {@code n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))},
 *       {@code h' = (1 − z) ⊙ n + z ⊙ h}. Parameters in PyTorch's names and {@code x·Wᵀ} layout:
 *       {@code weight_ih [3H, I]}, {@code weight_hh [3H, H]}, {@code bias_ih [3H]}, {@code bias_hh [3H]},
 *       gate blocks in the order r, z, n. Because the hidden projection no longer depends on
 *       {@code r}, it is computed for all three gates in one matmul per step (as this class does);
 *       {@code b_hn} sits inside the reset, so it cannot be merged into {@code b_in}.</li>
 * </ul>
 * Both are "the GRU", and they give different numbers for the same weights, so the variant is
 * always named. Their recurrence Jacobians {@code ∂h'/∂h} differ too; both are derived and checked
 * in the tests ({@code GruRecurrenceJacobianProperties}).
 *
 * <p>All weights and biases are initialised U(−1/√H, 1/√H), as PyTorch does.
 */
public final class GRUCell implements RecurrentCell {

    /** Where the reset gate is applied; see Note [GRU reset gate]. */
    public enum Variant {
        /** Cho et al. / d2l: {@code h̃ = tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)}. */
        RESET_BEFORE,
        /** PyTorch / cuDNN / Keras reset_after: {@code n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))}. */
        RESET_AFTER
    }

    /** The update gate {@code z} and reset gate {@code r}, each {@code [B, H]}. */
    public record Gates(Variable z, Variable r) {
    }

    private final Variant variant;
    private final int in;
    private final int hidden;
    // RESET_BEFORE parameters (x·W layout); null in the other variant.
    private final Parameter wxz, whz, bz, wxr, whr, br, wxh, whh, bh;
    // RESET_AFTER parameters (x·Wᵀ layout, gate blocks r, z, n); null in the other variant.
    private final PackedWeights packed;
    private final Map<String, Parameter> params;

    private GRUCell(Variant variant, int in, int hidden, boolean bias, DType dtype, Rng rng) {
        if (in <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("GRUCell: sizes must be positive, got input " + in + ", hidden " + hidden);
        }
        this.variant = variant;
        this.in = in;
        this.hidden = hidden;
        double k = 1.0 / Math.sqrt(hidden);
        if (variant == Variant.RESET_BEFORE) {
            wxz = Parameter.uniform("W_xz", rng, dtype, k, in, hidden);
            whz = Parameter.uniform("W_hz", rng, dtype, k, hidden, hidden);
            bz = bias ? Parameter.uniform("b_z", rng, dtype, k, hidden) : null;
            wxr = Parameter.uniform("W_xr", rng, dtype, k, in, hidden);
            whr = Parameter.uniform("W_hr", rng, dtype, k, hidden, hidden);
            br = bias ? Parameter.uniform("b_r", rng, dtype, k, hidden) : null;
            wxh = Parameter.uniform("W_xh", rng, dtype, k, in, hidden);
            whh = Parameter.uniform("W_hh", rng, dtype, k, hidden, hidden);
            bh = bias ? Parameter.uniform("b_h", rng, dtype, k, hidden) : null;
            packed = null;
            params = Module.named(wxz, whz, bz, wxr, whr, br, wxh, whh, bh);
        } else {
            packed = PackedWeights.create("GRUCell", 3, in, hidden, bias, dtype, rng);
            wxz = whz = bz = wxr = whr = br = wxh = whh = bh = null;
            params = packed.named();
        }
    }

    /** A GRU cell of the given variant, input size {@code in}, hidden size {@code hidden}, with or without biases. */
    public static GRUCell create(Variant variant, int in, int hidden, boolean bias, DType dtype, Rng rng) {
        return new GRUCell(variant, in, hidden, bias, dtype, rng);
    }

    public Variant variant() {
        return variant;
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

    /** {@code h' = z ⊙ h + (1 − z) ⊙ h̃} with {@code (z, r) = gates(x, h)} and {@code h̃ = candidate(x, h, r)}. */
    @Override
    public State step(Variable x, State s) {
        checkStep(x, s);
        Variable h = s.h();
        Projections p = project(x, h);
        Gates g = gates(p);
        Variable hTilde = candidate(p, h, g.r());
        return State.of(g.z().times(h).plus(g.z().oneMinus().times(hTilde)));
    }

    /** The update and reset gates for input {@code x [B, I]} and state {@code h [B, H]}. */
    public Gates gates(Variable x, Variable h) {
        return gates(project(x, h));
    }

    /**
     * The candidate state for reset gate {@code r}: {@code tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)}
     * (RESET_BEFORE) or {@code tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))} (RESET_AFTER).
     */
    public Variable candidate(Variable x, Variable h, Variable r) {
        return candidate(project(x, h), h, r);
    }

    /**
     * The projections a step shares between its gates and candidate. RESET_AFTER: {@code gi = x·W_ihᵀ + b_ih}
     * and {@code gh = h·W_hhᵀ + b_hh}, each {@code [B, 3H]} with blocks r, z, n, one matmul each.
     * RESET_BEFORE: none (its candidate needs {@code r ⊙ h} before the hidden matmul); {@code x, h} kept.
     */
    private record Projections(Variable x, Variable h, Variable gi, Variable gh) {
    }

    private Projections project(Variable x, Variable h) {
        if (variant == Variant.RESET_BEFORE) {
            return new Projections(x, h, null, null);
        }
        return new Projections(x, h, packed.input(x), packed.hidden(h));
    }

    private Gates gates(Projections p) {
        if (variant == Variant.RESET_BEFORE) {
            Variable z = xw(p.x(), wxz, null).plus(xw(p.h(), whz, bz)).sigmoid();
            Variable r = xw(p.x(), wxr, null).plus(xw(p.h(), whr, br)).sigmoid();
            return new Gates(z, r);
        }
        Variable r = block(p.gi(), 0, hidden).plus(block(p.gh(), 0, hidden)).sigmoid();
        Variable z = block(p.gi(), 1, hidden).plus(block(p.gh(), 1, hidden)).sigmoid();
        return new Gates(z, r);
    }

    /** The candidate; {@code h} is passed separately so a caller can hold the projections' {@code h} fixed. */
    private Variable candidate(Projections p, Variable h, Variable r) {
        if (variant == Variant.RESET_BEFORE) {
            return xw(p.x(), wxh, null).plus(xw(r.times(h), whh, bh)).tanh();
        }
        return block(p.gi(), 2, hidden).plus(r.times(block(p.gh(), 2, hidden))).tanh();
    }
}
