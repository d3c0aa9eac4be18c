package com.example.lightgru;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;

/**
 * A light GRU: the GRU without its reset gate (Ravanelli et al., 2018, here with a tanh candidate).
 * <pre>
 * z  = σ(x·W_xz + h·W_hz + b_z)
 * h̃  = tanh(x·W_xh + h·W_hh + b_h)
 * h' = z ⊙ h + (1 − z) ⊙ h̃
 * </pre>
 */
public final class LightGRUCell implements RecurrentCell {
    private final int in;
    private final int hidden;
    private final Parameter wxz, whz, bz, wxh, whh, bh;
    private final Map<String, Parameter> params;

    private LightGRUCell(int in, int hidden, DType dtype, Rng rng) {
        this.in = in;
        this.hidden = hidden;
        double k = 1.0 / Math.sqrt(hidden);
        wxz = Parameter.uniform("W_xz", rng, dtype, k, in, hidden);
        whz = Parameter.uniform("W_hz", rng, dtype, k, hidden, hidden);
        bz = Parameter.uniform("b_z", rng, dtype, k, hidden);
        wxh = Parameter.uniform("W_xh", rng, dtype, k, in, hidden);
        whh = Parameter.uniform("W_hh", rng, dtype, k, hidden, hidden);
        bh = Parameter.uniform("b_h", rng, dtype, k, hidden);
        params = Module.named(wxz, whz, bz, wxh, whh, bh);
    }

    public static LightGRUCell create(int in, int hidden, DType dtype, Rng rng) {
        return new LightGRUCell(in, hidden, dtype, rng);
    }

    @Override
    public State step(Variable x, State s) {
        checkStep(x, s);
        Variable h = s.h();
        Variable z = x.matmul(wxz.variable()).plus(h.matmul(whz.variable())).plus(bz.variable()).sigmoid();
        Variable hTilde = x.matmul(wxh.variable()).plus(h.matmul(whh.variable())).plus(bh.variable()).tanh();
        return State.of(z.times(h).plus(z.oneMinus().times(hTilde)));
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
