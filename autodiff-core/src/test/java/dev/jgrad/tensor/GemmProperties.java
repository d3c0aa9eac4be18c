package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.testing.MatmulShapes;
import dev.jgrad.testing.TensorArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The matmul kernel against the naive double loop over generated shapes, flags, dtypes and batches. */
class GemmProperties {
    @Property(tries = 40)
    void matchesNaiveLoop(@ForAll @IntRange(min = 0, max = 70) int m, @ForAll @IntRange(min = 0, max = 300) int k,
                          @ForAll @IntRange(min = 0, max = 70) int n, @ForAll boolean ta, @ForAll boolean tb,
                          @ForAll DType dtype, @ForAll long seed) {
        GemmTest.check(Rng.seeded(seed), dtype, m, k, n, ta, tb);
    }

    @Property
    void batchedBroadcastMatchesNaiveLoop(@ForAll("batched") MatmulShapes s, @ForAll DType dtype, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        GemmTest.assertMatchesReference(Tensor.randn(rng, dtype, 1, s.a().dims()), Tensor.randn(rng, dtype, 1, s.b().dims()),
                s.transA(), s.transB());
    }

    /** On the Java kernel, a row of the product does not depend on which rows it was computed with (grouping invariance). */
    @Property(tries = 30)
    void eachRowEqualsTheProductOfThatRowAlone(@ForAll @IntRange(min = 1, max = 11) int m,
                                               @ForAll @IntRange(min = 1, max = 40) int k,
                                               @ForAll @IntRange(min = 1, max = 40) int n, @ForAll DType dtype,
                                               @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Tensor a = Tensor.randn(rng, dtype, 1, m, k);
        Tensor b = Tensor.randn(rng, dtype, 1, k, n);
        Tensor c = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(a, b, false, false));
        double[] av = a.toDoubleArray();
        for (int i = 0; i < m; i++) {
            Tensor row = Tensor.of(dtype, java.util.Arrays.copyOfRange(av, i * k, (i + 1) * k), 1, k);
            Tensor ci = BlasBackends.on(Blas.Backend.JAVA, () -> Kernels.matmul(row, b, false, false));
            for (int j = 0; j < n; j++) {
                assertEquals(c.get(i, j), ci.get(0, j), 0.0, "row " + i + " col " + j);
            }
        }
    }

    @Provide
    Arbitrary<MatmulShapes> batched() {
        return TensorArbitraries.batchedMatmulShapes();
    }
}
