package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Kernels#update}, the optimizers' step on one parameter. */
class UpdateKernelTest {
    /**
     * The rule sees every element once, in chunks in increasing order from 0, as float64 copies of the
     * value and the gradient at the same indices; its results are rounded once to the value's dtype,
     * and neither input changes.
     */
    @Test
    void theRuleSeesEveryElementOnceInOrderAndItsResultsAreRoundedOnce() {
        for (DType dt : DType.values()) {
            for (int n : new int[] {1, 1023, 1024, 1025, 3000}) {
                Tensor w = Tensor.randn(Rng.seeded(n), dt, 1, n);
                Tensor g = Tensor.randn(Rng.seeded(n + 1), dt, 1, n);
                double[] wBefore = w.toDoubleArray();
                double[] gBefore = g.toDoubleArray();
                List<int[]> chunks = new ArrayList<>();
                double third = 1.0 / 3;
                Tensor out = Kernels.update(w, g, (wc, gc, at, len) -> {
                    chunks.add(new int[] {at, len});
                    for (int i = 0; i < len; i++) {
                        assertEquals(wBefore[at + i], wc[i], "value element " + (at + i));
                        assertEquals(gBefore[at + i], gc[i], "gradient element " + (at + i));
                        wc[i] = wc[i] + third * gc[i];
                    }
                });
                int next = 0;
                for (int[] c : chunks) {
                    assertEquals(next, c[0], dt + " n=" + n + ": chunks in order, none skipped");
                    assertTrue(c[1] >= 1, "a chunk holds an element");
                    next += c[1];
                }
                assertEquals(n, next, dt + " n=" + n + ": every element once");
                assertEquals(dt, out.dtype());
                assertEquals(w.shape(), out.shape());
                for (int i = 0; i < n; i++) {
                    double exact = wBefore[i] + third * gBefore[i];
                    assertEquals(dt == DType.F32 ? (float) exact : exact, out.at(i), dt + " element " + i);
                }
                assertArrayEquals(wBefore, w.toDoubleArray(), "the value is not changed");
                assertArrayEquals(gBefore, g.toDoubleArray(), "the gradient is not changed");
            }
        }
    }

    /** A parameter outlives the step that updates it: its new value is not lent by the step's workspace. */
    @Test
    void theNewValueOutlivesTheWorkspaceScopeItWasComputedIn() {
        Tensor w = Tensor.randn(Rng.seeded(3), DType.F32, 1, 64, 64);
        Tensor out;
        try (Workspace.Scope step = new Workspace(1 << 20).open()) {
            out = Kernels.update(w, w, (wc, gc, at, len) -> {
                for (int i = 0; i < len; i++) wc[i] -= 0.5 * gc[i];
            });
        }
        assertEquals((float) (w.at(7) - 0.5 * w.at(7)), out.at(7), "readable after the scope closed");
    }

    @Test
    void aGradientOfAnotherShapeIsRefusedNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.update(
                Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 3, 2), (wc, gc, at, len) -> { }));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
