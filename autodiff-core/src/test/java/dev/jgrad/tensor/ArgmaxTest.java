package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.autodiff.Variable;
import org.junit.jupiter.api.Test;

/** {@link Kernels#argmax}: the index of the largest element along an axis, first on ties, NaN counting as largest. */
class ArgmaxTest {

    @Test
    void alongEachAxisOfAMatrix() {
        Tensor a = Tensor.matrix(new double[] {1, 7, 3}, new double[] {9, -2, 4});
        assertArrayEquals(new int[] {1, 0}, Kernels.argmax(a, 1));
        assertArrayEquals(new int[] {1, 0, 1}, Kernels.argmax(a, 0));
        assertArrayEquals(new int[] {1, 0}, Kernels.argmax(a, -1));
    }

    /** Row-major order of the shape without the axis: [2, 3, 2] along axis 1 gives [2, 2] indices. */
    @Test
    void alongTheMiddleAxis() {
        Tensor a = Tensor.of(new double[] {0, 5, 2, 1, 1, 9, /**/ 3, 0, 3, 4, -1, 4}, 2, 3, 2);
        assertArrayEquals(new int[] {1, 2, 0, 1}, Kernels.argmax(a, 1));
    }

    /** Tensor and Variable offer the same search, so a user finds it beside the values. */
    @Test
    void tensorAndVariableSearchTheSame() {
        Tensor a = Tensor.matrix(new double[] {1, 7, 3}, new double[] {9, -2, 4});
        assertArrayEquals(new int[] {1, 0}, a.argmax(1));
        assertArrayEquals(new int[] {1, 0, 1}, a.argmax(0));
        assertArrayEquals(new int[] {1, 0}, Variable.constant(a).argmax(-1));
    }

    @Test
    void tiesGiveTheFirstAndNaNWins() {
        assertArrayEquals(new int[] {1}, Kernels.argmax(Tensor.vector(0, 3, 3, 1), 0));
        assertArrayEquals(new int[] {2}, Kernels.argmax(Tensor.vector(0, 3, Double.NaN, 4), 0));
        assertArrayEquals(new int[] {0}, Kernels.argmax(Tensor.of(DType.F32, new double[] {Double.NEGATIVE_INFINITY}, 1), 0));
    }

    @Test
    void refusesAnEmptyOrMissingAxis() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.argmax(Tensor.zeros(DType.F64, 2, 0), 1));
        assertEquals("argmax: axis 1 of shape [2, 0] is empty", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.argmax(Tensor.vector(1, 2), 1));
        assertEquals("argmax: axis 1 is out of range for shape [2]", e.getMessage());
    }

    /** Greedy decoding's use: the argmax of each row of logits equals the index of that row's max. */
    @Test
    void agreesWithMaxOnRandomRows() {
        Rng rng = Rng.seeded(3);
        Tensor logits = Tensor.randn(rng, DType.F64, 1, 50, 7);
        int[] idx = Kernels.argmax(logits, 1);
        Tensor max = Kernels.max(logits, new int[] {1}, false);
        for (int r = 0; r < 50; r++) {
            assertEquals(max.at(r), logits.get(r, idx[r]));
        }
    }
}
