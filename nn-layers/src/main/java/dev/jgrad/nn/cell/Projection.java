package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;

/** The affine projections cells are written with, in both weight layouts. */
final class Projection {
    private Projection() {
    }

    /** {@code v·W + b} for a weight in the {@code x·W} layout {@code [in, H]}; no bias when {@code b} is null. */
    static Variable xw(Variable v, Parameter w, Parameter b) {
        Variable y = v.matmul(w.variable());
        return b == null ? y : y.plus(b.variable());
    }

    /**
     * {@code v·W[k]ᵀ + b[k]} for gate block {@code k} of a PyTorch-layout weight {@code [G·H, in]} whose
     * rows hold G gate blocks of {@code size} rows each; no bias when {@code b} is null.
     */
    static Variable block(Variable v, Parameter w, Parameter b, int k, int size) {
        Variable y = v.matmul(w.variable().slice(0, k * size, (k + 1) * size), false, true);
        return b == null ? y : y.plus(b.variable().slice(0, k * size, (k + 1) * size));
    }
}
