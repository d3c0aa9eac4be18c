package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.testing.TensorArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The in-place running sum must equal the allocating left-to-right sum bit for bit, and must never
 * write into a tensor anyone else holds: its terms, or a sum it has already published.
 */
class GradientAccumulatorProperties {

    @Property(tries = 40)
    void sumIsBitIdenticalToTheAllocatingChainAndTouchesNoTerm(@ForAll("seeds") long seed,
            @ForAll @IntRange(min = 1, max = 6) int terms, @ForAll boolean f32) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int[] dims = {1 + rng.nextInt(4), 1 + rng.nextInt(8)};
        Tensor[] ts = new Tensor[terms];
        double[][] before = new double[terms][];
        for (int i = 0; i < terms; i++) {
            ts[i] = Tensor.uniform(rng, dt, -1e3, 1e3, dims);
            before[i] = ts[i].toDoubleArray();
        }
        GradientAccumulator acc = GradientAccumulator.create();
        Tensor expected = null;
        Tensor published = null;
        double[] publishedValues = null;
        for (int i = 0; i < terms; i++) {
            acc.add(ts[i]);
            expected = expected == null ? ts[i] : Kernels.binary(Kernels.Binary.ADD, expected, ts[i]);
            if (i == terms / 2) {
                // publishing midway: the published tensor must stay as it was while later terms arrive
                published = acc.sum();
                publishedValues = published.toDoubleArray();
            }
        }
        Tensor sum = acc.sum();
        assertArrayEquals(expected.toDoubleArray(), sum.toDoubleArray(), 0.0);
        assertArrayEquals(publishedValues, published.toDoubleArray(), 0.0);
        for (int i = 0; i < terms; i++) {
            assertArrayEquals(before[i], ts[i].toDoubleArray(), 0.0, "term " + i + " was written");
        }
        if (terms == 1) {
            assertSame(ts[0], sum, "a single term needs no copy");
        }
    }

    @Provide
    Arbitrary<Long> seeds() {
        return TensorArbitraries.seeds();
    }

    @Test
    void emptyAccumulatorHasNoSum() {
        GradientAccumulator acc = GradientAccumulator.create();
        assertTrue(acc.isEmpty());
        assertNull(acc.sum());
    }

    @Test
    void mismatchedTermsAreRejectedNamingBothShapes() {
        GradientAccumulator acc = GradientAccumulator.create();
        acc.add(Tensor.zeros(DType.F64, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> acc.add(Tensor.zeros(DType.F64, 3, 2)));
        assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> acc.add(Tensor.zeros(DType.F32, 2, 3)));
        assertTrue(d.getMessage().contains("F32") && d.getMessage().contains("F64"), d.getMessage());
    }
}
