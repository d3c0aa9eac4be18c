package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.xwT;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;

/**
 * A cell's weights in PyTorch's packed layout, shared by {@link RNNCell} (G = 1),
 * {@link TorchGRUCell} (G = 3, blocks r, z, n) and {@link LSTMCell} (G = 4,
 * blocks i, f, g, o): {@code weight_ih [G·H, I]}, {@code weight_hh [G·H, H]} and, with biases,
 * {@code bias_ih [G·H]}, {@code bias_hh [G·H]}, all drawn U(−1/√H, 1/√H) in that order, as PyTorch
 * does. Each projection computes all G gate blocks in one matmul, or one gate's block from that
 * gate's rows of the weights.
 */
record PackedWeights(Parameter weightIh, Parameter weightHh, Parameter biasIh, Parameter biasHh) {

    /**
     * Draws the weights of a {@code gates}-block cell from {@code rng}.
     *
     * @throws IllegalArgumentException naming {@code cell} when a size is not positive
     */
    static PackedWeights create(String cell, int gates, int in, int hidden, boolean bias, DType dtype, Rng rng) {
        if (in <= 0 || hidden <= 0) {
            throw new IllegalArgumentException(cell + ": sizes must be positive, got input " + in + ", hidden " + hidden);
        }
        double k = 1.0 / Math.sqrt(hidden);
        Parameter wIh = Parameter.uniform("weight_ih", rng, dtype, k, gates * hidden, in);
        Parameter wHh = Parameter.uniform("weight_hh", rng, dtype, k, gates * hidden, hidden);
        Parameter bIh = bias ? Parameter.uniform("bias_ih", rng, dtype, k, gates * hidden) : null;
        Parameter bHh = bias ? Parameter.uniform("bias_hh", rng, dtype, k, gates * hidden) : null;
        return new PackedWeights(wIh, wHh, bIh, bHh);
    }

    /** The parameters by their PyTorch names, absent biases left out. */
    Map<String, Parameter> named() {
        return Module.named(weightIh, weightHh, biasIh, biasHh);
    }

    /** {@code x·W_ihᵀ + b_ih}: {@code [B, I] → [B, G·H]}. */
    Variable input(Variable x) {
        return xwT(x, weightIh, biasIh);
    }

    /** Gate block {@code k} of {@code x·W_ihᵀ + b_ih}, from that block's rows of the weight and bias: {@code [B, I] → [B, H]}. */
    Variable input(Variable x, int k) {
        return xwT(x, gate(weightIh, k), biasIh == null ? null : gate(biasIh, k));
    }

    /** Gate block {@code k} of {@code h·W_hhᵀ + b_hh}, from that block's rows of the weight and bias: {@code [B, H] → [B, H]}. */
    Variable hidden(Variable h, int k) {
        return xwT(h, gate(weightHh, k), biasHh == null ? null : gate(biasHh, k));
    }

    /**
     * Rows {@code k·H … (k+1)·H − 1} of a packed weight or bias: gate k's own. In an unrolled loop this
     * slice is computed once for all steps (Note [Loop invariants] on {@code Unrolled}).
     */
    private Variable gate(Parameter p, int k) {
        int h = weightHh.value().shape().dim(1);
        return p.variable().slice(0, k * h, (k + 1) * h);
    }

    /** {@code h·W_hhᵀ + b_hh}: {@code [B, H] → [B, G·H]}. */
    Variable hidden(Variable h) {
        return xwT(h, weightHh, biasHh);
    }
}
