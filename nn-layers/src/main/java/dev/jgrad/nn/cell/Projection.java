package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;

/** The affine projections cells are written with, in both weight layouts. */
final class Projection {
    private Projection() {
    }

    /**
     * {@code x·W_x + (h·W_h + b)} for weights in the {@code x·W} layout ({@code W_x [I, H]},
     * {@code W_h [H, H]}); no bias when {@code b} is null. The bias joins the hidden term first, an
     * order the walkthrough mirrors to show bit-identical sums.
     */
    static Variable affine(Variable x, Parameter wx, Variable h, Parameter wh, Parameter b) {
        Variable xw = x.matmul(wx.variable());
        return xw.plus(b == null ? h.matmul(wh.variable()) : h.matmulPlus(wh.variable(), b.variable()));
    }

    /**
     * {@code v·Wᵀ + b} for a weight in PyTorch's layout {@code [G·H, in]} (G gate blocks stacked by
     * rows), all blocks in one matmul; no bias when {@code b} is null. The transpose is a matmul flag.
     */
    static Variable xwT(Variable v, Parameter w, Parameter b) {
        return xwT(v, w.variable(), b == null ? null : b.variable());
    }

    /** {@link #xwT(Variable, Parameter, Parameter)} for a weight and bias given as variables, such as one gate's blocks of them. */
    static Variable xwT(Variable v, Variable w, Variable b) {
        return b == null ? v.matmul(w, false, true) : v.matmulPlus(w, false, true, b);
    }

    /** Gate block {@code k} (columns {@code k·size … (k+1)·size − 1}) of a packed projection {@code [B, G·size]}. */
    static Variable block(Variable packed, int k, int size) {
        return packed.slice(1, k * size, (k + 1) * size);
    }
}
