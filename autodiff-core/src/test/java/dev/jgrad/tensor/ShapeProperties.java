package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.testing.ShapePair;
import dev.jgrad.testing.TensorArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Shape arithmetic the ops rely on (Note [Broadcasting]), the broadcasting kernels' adjointness, and
 * the generators' own promises (a generator that broke its contract would make every op property
 * vacuous or flaky).
 */
class ShapeProperties {

    @Property
    void broadcastIsSymmetricAndBothOperandsBroadcastToIt(@ForAll("pairs") ShapePair p) {
        Shape b = Shape.broadcast(p.left(), p.right(), "test");
        assertEquals(b, Shape.broadcast(p.right(), p.left(), "test"));
        assertTrue(p.left().broadcastsTo(b), p.left() + " → " + b);
        assertTrue(p.right().broadcastsTo(b), p.right() + " → " + b);
        assertEquals(Math.max(p.left().rank(), p.right().rank()), b.rank());
    }

    /**
     * The pair generator really exercises broadcasting: rank differences, stretched 1-dimensions and
     * identical pairs each make up a fair share of the pairs (checked by jqwik's coverage statistics).
     */
    // Coverage is a share of a random sample, and 2000 cheap tries make it precise enough for these bounds
    // to hold on every seed (the measured shares are in docs/measurements/generator-coverage.txt).
    @Property(tries = 2000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void broadcastPairsCoverEveryKind(@ForAll("pairs") ShapePair p) {
        Shape b = p.broadcast();
        boolean rankDiffers = p.left().rank() != p.right().rank();
        boolean stretched = stretches(p.left(), b) || stretches(p.right(), b);
        Statistics.label("rank differs").collect(rankDiffers);
        Statistics.label("1-dimension stretched").collect(stretched);
        Statistics.label("identical").collect(p.left().equals(p.right()));
        Statistics.label("rank differs").coverage(c -> c.check(true).percentage(x -> x >= 10));
        Statistics.label("1-dimension stretched").coverage(c -> c.check(true).percentage(x -> x >= 15));
        Statistics.label("identical").coverage(c -> c.check(true).percentage(x -> x >= 5));
    }

    /** Whether {@code s} has a 1 where {@code b} (its broadcast) has more, aligned at the right. */
    private static boolean stretches(Shape s, Shape b) {
        int off = b.rank() - s.rank();
        for (int i = 0; i < s.rank(); i++) {
            if (s.dim(i) == 1 && b.dim(i + off) > 1) {
                return true;
            }
        }
        return false;
    }

    /** Batched matmul shapes broadcast their batch dimensions in a fair share of cases. */
    // 2000 tries for the same reason as broadcastPairsCoverEveryKind.
    @Property(tries = 2000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void batchedMatmulShapesBroadcastBatches(@ForAll("batched") dev.jgrad.testing.MatmulShapes m) {
        int ra = m.a().rank();
        int rb = m.b().rank();
        Shape ba = Shape.of(java.util.Arrays.copyOf(m.a().dims(), ra - 2));
        Shape bb = Shape.of(java.util.Arrays.copyOf(m.b().dims(), rb - 2));
        Statistics.label("batch broadcast").collect(!ba.equals(bb));
        Statistics.label("batch broadcast").coverage(c -> c.check(true).percentage(x -> x >= 20));
        Statistics.label("transA").collect(m.transA());
        Statistics.label("transA").coverage(c -> c.check(true).percentage(x -> x >= 25));
    }

    /** unravel inverts the row-major offset Σ index·stride. */
    @Property
    void unravelInvertsStrides(@ForAll("shapes") Shape s) {
        int[] st = s.strides();
        for (int flat = 0; flat < s.size(); flat++) {
            int[] ix = s.unravel(flat);
            int back = 0;
            for (int i = 0; i < ix.length; i++) {
                back += ix[i] * st[i];
            }
            assertEquals(flat, back);
        }
    }

    /** ⟨broadcastTo(x), y⟩ = ⟨x, sumTo(y)⟩: sumTo is the adjoint the tape uses to undo broadcasting. */
    @Property
    void sumToIsTheAdjointOfBroadcastTo(@ForAll("pairs") ShapePair p, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Shape big = p.broadcast();
        Tensor x = Tensor.uniform(rng, DType.F64, -1, 1, p.left().dims());
        Tensor y = Tensor.uniform(rng, DType.F64, -1, 1, big.dims());
        Tensor bx = Kernels.broadcastTo(x, big);
        Tensor sy = Kernels.sumTo(y, p.left());
        assertEquals(p.left(), sy.shape());
        double lhs = 0;
        for (int i = 0; i < bx.size(); i++) {
            lhs += bx.at(i) * y.at(i);
        }
        double rhs = 0;
        for (int i = 0; i < x.size(); i++) {
            rhs += x.at(i) * sy.at(i);
        }
        assertEquals(lhs, rhs, 1e-12);
    }

    @Property
    void distinctTensorsHaveNoTies(@ForAll("distinct") Tensor t) {
        double[] v = t.toDoubleArray();
        java.util.Arrays.sort(v);
        for (int i = 1; i < v.length; i++) {
            assertTrue(v[i] - v[i - 1] >= 0.7 * 4.0 / v.length - 1e-12, "gap " + (v[i] - v[i - 1]) + " in " + t);
        }
        for (double x : v) {
            assertTrue(x >= -2 && x <= 2, "value " + x + " outside [−2, 2]");
        }
    }

    @Property
    void generatedShapesRespectTheirBounds(@ForAll("shapes") Shape s) {
        assertTrue(s.rank() <= 4);
        for (int d : s.dims()) {
            assertTrue(d >= 1 && d <= TensorArbitraries.maxDim(s.rank()), s.toString());
        }
    }

    @Property(tries = 20)
    void rngResumesExactlyFromItsState(@ForAll long seed, @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 50) int skip) {
        Rng a = Rng.seeded(seed);
        for (int i = 0; i < skip; i++) {
            a.nextGaussian();
        }
        Rng b = Rng.fromState(a.state());
        for (int i = 0; i < 20; i++) {
            assertEquals(a.nextLong(), b.nextLong());
        }
        assertArrayEquals(Tensor.randn(Rng.seeded(seed), DType.F64, 1, 5).toDoubleArray(),
                Tensor.randn(Rng.seeded(seed), DType.F64, 1, 5).toDoubleArray(), "same seed, same values");
    }

    @Provide
    Arbitrary<ShapePair> pairs() {
        return TensorArbitraries.broadcastPairs();
    }

    @Provide
    Arbitrary<dev.jgrad.testing.MatmulShapes> batched() {
        return TensorArbitraries.batchedMatmulShapes();
    }

    @Provide
    Arbitrary<Shape> shapes() {
        return TensorArbitraries.shapes();
    }

    @Provide
    Arbitrary<Tensor> distinct() {
        return TensorArbitraries.shapes().flatMap(s -> TensorArbitraries.distinct(s, -2, 2));
    }
}
