package dev.jgrad.nn.cell;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Random states for tests that run every cell kind. */
public final class CellStates {
    private CellStates() {
    }

    /** A random non-zero state, so the hidden-to-hidden weights get non-trivial gradients. */
    public static List<Tensor> random(CellKind kind, int batch, int hidden, Rng rng) {
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < kind.stateParts(); i++) {
            parts.add(Tensor.uniform(rng, DType.F64, -0.9, 0.9, batch, hidden));
        }
        return parts;
    }
}
