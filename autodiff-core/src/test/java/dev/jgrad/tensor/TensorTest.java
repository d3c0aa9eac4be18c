package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link Tensor}'s factories, element access, comparisons and printed form, at their edges. */
class TensorTest {

    @Test
    void toStringPrintsDtypeShapeAndValuesToSixSignificantDigits() {
        assertEquals("F64[2, 3] [[1.00000, 2.00000, 3.00000], [4.00000, 5.00000, 6.00000]]",
                Tensor.of(DType.F64, new double[] {1, 2, 3, 4, 5, 6}, 2, 3).toString());
        assertEquals("F32[1] [0.500000]", Tensor.of(DType.F32, new double[] {0.5}, 1).toString());
        assertEquals("F64[] 2.50000", Tensor.scalar(DType.F64, 2.5).toString());
        assertEquals("F64[0] []", Tensor.zeros(DType.F64, 0).toString());
        assertEquals("F64[1001] [1001 values]", Tensor.zeros(DType.F64, 1001).toString());
    }

    /**
     * A value {@link Tensor#derived} computed on a workspace's storage is not handed out again once its
     * scope has closed: the next call computes it afresh. One on storage of its own is kept and returned again.
     */
    @Test
    void aDerivedValueOnAWorkspacesStorageIsComputedAgainAfterItsScope() {
        Tensor w = Tensor.randn(Rng.seeded(2), DType.F64, 1, 64, 64);
        double[] expected = Kernels.affine(w, 2, 0).toDoubleArray();
        Workspace ws = new Workspace(16 << 20);
        Tensor inScope;
        try (Workspace.Scope scope = ws.open()) {
            inScope = w.derived("doubled", () -> Kernels.affine(w, 2, 0));
        }
        Tensor after = w.derived("doubled", () -> Kernels.affine(w, 2, 0));
        assertNotSame(inScope, after);
        assertArrayEquals(expected, after.toDoubleArray());
        assertSame(after, w.derived("doubled", () -> {
            throw new AssertionError("a value on storage of its own computed again");
        }));
    }

    /** Values that do not fill the shape are refused, naming both counts, in either dtype. */
    @Test
    void ofRefusesValuesThatDoNotFillTheShape() {
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new double[3], 2, 2));
        assertEquals("tensor: 3 values do not fill shape [2, 2] (4 elements)", d.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 2));
        assertEquals("tensor: 5 values do not fill shape [2, 2] (4 elements)", f.getMessage());
    }

    /** An index at or past a dimension, or below 0, is refused, naming the index and the shape, rather than read from another row. */
    @Test
    void getRefusesAnIndexOutsideEachDimension() {
        Tensor t = Tensor.of(DType.F64, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(4.0, t.get(1, 0));
        for (int[] index : new int[][] {{0, 3}, {2, 0}, {-1, 0}, {0, -1}}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.get(index));
            assertEquals("get: index " + Arrays.toString(index) + " is outside shape [2, 3]", e.getMessage());
        }
    }

    /** {@code |a − b| ≤ atol + rtol·|b|}, inclusive, relative to the second tensor; NaN and other shapes are never close. */
    @Test
    void allCloseIsInclusiveRelativeToTheExpectedValuesAndFalseForNaNOrAnotherShape() {
        Tensor b = Tensor.of(DType.F64, new double[] {8, -4}, 2);
        assertTrue(Tensor.of(DType.F64, new double[] {9, -4.5}, 2).allClose(b, 0.125, 0), "1 = 0.125·8 and 0.5 = 0.125·|−4|");
        assertFalse(Tensor.of(DType.F64, new double[] {8, -5}, 2).allClose(b, 0.125, 0), "1 > 0.125·|−4|");
        assertTrue(Tensor.of(DType.F64, new double[] {8.5, -4}, 2).allClose(b, 0, 0.5), "0.5 = atol");
        assertFalse(Tensor.of(DType.F64, new double[] {8.5, -4}, 2).allClose(b, 0, 0.25), "0.5 > atol");
        Tensor four = Tensor.of(DType.F64, new double[] {4}, 1);
        Tensor eight = Tensor.of(DType.F64, new double[] {8}, 1);
        assertTrue(four.allClose(eight, 0.5, 0), "4 = 0.5·8");
        assertFalse(eight.allClose(four, 0.5, 0), "4 > 0.5·4: relative to the second tensor");
        assertFalse(Tensor.of(DType.F64, new double[] {Double.NaN, -4}, 2).allClose(b, 1, 1), "NaN");
        assertFalse(Tensor.of(DType.F64, new double[] {8, -4}, 1, 2).allClose(b, 1, 1), "another shape");
        assertTrue(b.allClose(b, 0, 0));
    }

    @Test
    void maxAbsDiffIsNaNWhenADifferenceIsAndRefusesAnotherShape() {
        Tensor a = Tensor.of(DType.F64, new double[] {1, Double.NaN, 3}, 3);
        Tensor b = Tensor.of(DType.F64, new double[] {1, 2, 7}, 3);
        assertTrue(Double.isNaN(a.maxAbsDiff(b)));
        assertEquals(4.0, Tensor.of(DType.F64, new double[] {1, 2, 3}, 3).maxAbsDiff(b));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.maxAbsDiff(Tensor.zeros(DType.F64, 1, 3)));
        assertEquals("maxAbsDiff: shapes [3] and [1, 3] differ", e.getMessage());
    }

    @Test
    void arangeCountsFromZero() {
        for (DType dtype : DType.values()) {
            assertArrayEquals(new double[] {0, 1, 2, 3}, Tensor.arange(dtype, 4).toDoubleArray());
            assertEquals(0, Tensor.arange(dtype, 0).size());
        }
    }

    /** One uniform draw per element in row-major order, 1 below {@code p}: the ends give all zeros and all ones, and {@code p} outside [0, 1] is refused. */
    @Test
    void bernoulliDrawsOnceAnElementAndRefusesAProbabilityOutsideTheUnitInterval() {
        Tensor t = Tensor.bernoulli(Rng.seeded(4), DType.F32, 0.3, 2, 50);
        Rng replay = Rng.seeded(4);
        for (int i = 0; i < 100; i++) {
            assertEquals(replay.nextDouble() < 0.3 ? 1.0 : 0.0, t.at(i), "element " + i);
        }
        assertEquals(0.0, Arrays.stream(Tensor.bernoulli(Rng.seeded(1), DType.F64, 0, 100).toDoubleArray()).sum(), "p = 0");
        assertEquals(100.0, Arrays.stream(Tensor.bernoulli(Rng.seeded(1), DType.F64, 1, 100).toDoubleArray()).sum(), "p = 1");
        for (double p : new double[] {-0.1, 1.1, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.bernoulli(Rng.seeded(1), DType.F64, p, 3));
            assertEquals("bernoulli: probability " + p + " is outside [0, 1]", e.getMessage());
        }
    }
}
