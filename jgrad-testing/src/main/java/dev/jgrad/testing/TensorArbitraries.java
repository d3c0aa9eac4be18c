package dev.jgrad.testing;

import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * jqwik generators of shapes and float64 tensors for property tests of tensor ops. Everything shrinks
 * (shapes towards fewer and smaller dimensions, values towards the low end of their range), so a
 * failing property reports a small counterexample.
 *
 * <p>Sizes are kept small on purpose: gradient checks build Jacobians by finite differences, whose
 * cost grows with the product of input and output sizes. Dimensions shrink as rank grows
 * ({@link #maxDim}), so no generated shape has more than 5·5 = 25 or 3·3·3 = 27 or 2⁴ = 16 elements.
 *
 * <pre>{@code
 * @Provide Arbitrary<Tensor> logits() { return TensorArbitraries.tensors(TensorArbitraries.shapes(1, 3), -3, 3); }
 * }</pre>
 */
public final class TensorArbitraries {
    private TensorArbitraries() {
    }

    /**
     * The largest dimension generated for a shape of this rank: 5 up to rank 2, 3 at rank 3, 2 at rank 4.
     *
     * @param rank a rank from 0 to 4
     * @return the largest dimension generated at that rank
     */
    public static int maxDim(int rank) {
        return rank <= 2 ? 5 : rank == 3 ? 3 : 2;
    }

    // ------------------------------------------------------------------ shapes

    /**
     * Shapes of rank 0 to 4 with every dimension in [1, {@link #maxDim}(rank)].
     *
     * @return the generator
     */
    public static Arbitrary<Shape> shapes() {
        return shapes(0, 4);
    }

    /**
     * Shapes of rank in [minRank, maxRank] (at most 4) with every dimension in [1, {@link #maxDim}(rank)].
     *
     * @param minRank the smallest rank, at least 0
     * @param maxRank the largest rank, at most 4
     * @return the generator
     */
    public static Arbitrary<Shape> shapes(int minRank, int maxRank) {
        return Arbitraries.integers().between(minRank, maxRank).flatMap(TensorArbitraries::shapesOfRank);
    }

    /**
     * Shapes of exactly this rank, dimensions in [1, {@link #maxDim}(rank)].
     *
     * @param rank the rank, from 0 to 4
     * @return the generator
     */
    public static Arbitrary<Shape> shapesOfRank(int rank) {
        return Arbitraries.integers().between(1, maxDim(rank)).list().ofSize(rank).map(TensorArbitraries::shapeOf);
    }

    /**
     * Pairs of shapes that broadcast: a result shape of rank 0 to 4 with every dimension at least 2,
     * from which each operand drops some leading dimensions (rank differences) and turns some of the
     * rest into 1 (stretched dimensions: a 1 here always stretches). Identical pairs are included
     * (nothing dropped, nothing set to 1). autodiff-core's ShapeProperties checks each kind is well represented.
     *
     * @return the generator
     */
    public static Arbitrary<ShapePair> broadcastPairs() {
        Arbitrary<List<Boolean>> ones = Arbitraries.of(true, false).list().ofSize(4);
        Arbitrary<Integer> drop = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 4)));
        // ranks 1–3 weighted up: a rank-0 result has nothing to stretch
        Arbitrary<Integer> rank = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(2, Arbitraries.just(1)),
                Tuple.of(3, Arbitraries.just(2)), Tuple.of(2, Arbitraries.just(3)), Tuple.of(1, Arbitraries.just(4)));
        Arbitrary<Shape> results = rank.flatMap(r ->
                Arbitraries.integers().between(2, Math.max(2, maxDim(r))).list().ofSize(r).map(TensorArbitraries::shapeOf));
        return Combinators.combine(results, drop, drop, ones, ones)
                .as((full, dropA, dropB, onesA, onesB) -> new ShapePair(operand(full, dropA, onesA), operand(full, dropB, onesB)));
    }

    /**
     * Operand shapes for a 2-D matrix product {@code op(A)·op(B)} with m, k, n in [1, 4] and both
     * transpose flags generated.
     *
     * @return the generator
     */
    public static Arbitrary<MatmulShapes> matmulShapes() {
        return matmulShapes(Arbitraries.just(Shape.scalar()), Arbitraries.just(List.of(false, false)), Arbitraries.just(0));
    }

    /**
     * Operand shapes for a batched matrix product: a batch shape of rank 1 or 2 (dimensions in
     * [1, 3]), from which each operand may drop leading batch dimensions or hold 1 where the other
     * has more (broadcast batch dimensions), m, k, n in [1, 4] and both transpose flags.
     *
     * @return the generator
     */
    public static Arbitrary<MatmulShapes> batchedMatmulShapes() {
        Arbitrary<Shape> batch = Arbitraries.integers().between(1, 2)
                .flatMap(r -> Arbitraries.integers().between(1, 3).list().ofSize(r).map(TensorArbitraries::shapeOf));
        return matmulShapes(batch, Arbitraries.of(true, false, false).list().ofSize(4), Arbitraries.integers().between(0, 2));
    }

    private static Arbitrary<MatmulShapes> matmulShapes(Arbitrary<Shape> batch, Arbitrary<List<Boolean>> ones, Arbitrary<Integer> drop) {
        Arbitrary<Integer> dim = Arbitraries.integers().between(1, 4);
        Arbitrary<List<Boolean>> flags = Arbitraries.of(true, false).list().ofSize(2);
        Arbitrary<List<Integer>> mkn = dim.list().ofSize(3);
        return Combinators.combine(batch, mkn, flags, ones, ones, drop, drop).as((bs, d, f, onesA, onesB, dropA, dropB) -> {
            int m = d.get(0);
            int k = d.get(1);
            int n = d.get(2);
            boolean ta = f.get(0);
            boolean tb = f.get(1);
            Shape ba = operand(bs, dropA, onesA);
            Shape bb = operand(bs, dropB, onesB);
            return new MatmulShapes(append(ba, ta ? k : m, ta ? m : k), append(bb, tb ? n : k, tb ? k : n), ta, tb);
        });
    }

    private static Shape operand(Shape full, int drop, List<Boolean> ones) {
        int[] d = full.dims();
        int keep = Math.max(0, d.length - drop);
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            int src = d.length - keep + i;
            out[i] = ones.get(src % ones.size()) ? 1 : d[src];
        }
        return Shape.of(out);
    }

    private static Shape append(Shape s, int x, int y) {
        int[] d = s.dims();
        int[] e = new int[d.length + 2];
        System.arraycopy(d, 0, e, 0, d.length);
        e[d.length] = x;
        e[d.length + 1] = y;
        return Shape.of(e);
    }

    private static Shape shapeOf(List<Integer> dims) {
        return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
    }

    // ------------------------------------------------------------------ tensors

    /**
     * F64 tensors of the shape with every value in [lo, hi] (jqwik's edge cases lo, hi and 0 included).
     *
     * @param shape the tensors' shape
     * @param lo    the smallest value
     * @param hi    the largest value
     * @return the generator
     */
    public static Arbitrary<Tensor> tensors(Shape shape, double lo, double hi) {
        return Arbitraries.doubles().between(lo, hi).list().ofSize(shape.size()).map(v -> tensorOf(v, shape));
    }

    /**
     * F64 tensors of generated shapes with values in [lo, hi].
     *
     * @param shapes the shapes' generator, e.g. {@link #shapes()}
     * @param lo     the smallest value
     * @param hi     the largest value
     * @return the generator
     */
    public static Arbitrary<Tensor> tensors(Arbitrary<Shape> shapes, double lo, double hi) {
        return shapes.flatMap(s -> tensors(s, lo, hi));
    }

    /**
     * Positive F64 tensors with values in [0.5, 2]: safe for log, division and real powers, and far from their poles.
     *
     * @param shape the tensors' shape
     * @return the generator
     */
    public static Arbitrary<Tensor> positive(Shape shape) {
        return tensors(shape, 0.5, 2.0);
    }

    /**
     * F64 tensors whose values have magnitude in [margin, hi] with either sign: kept away from a kink
     * at 0 (relu), so a finite difference of step eps &lt; margin never straddles it.
     *
     * @param shape  the tensors' shape
     * @param margin the smallest magnitude
     * @param hi     the largest magnitude
     * @return the generator
     */
    public static Arbitrary<Tensor> awayFromZero(Shape shape, double margin, double hi) {
        Arbitrary<Double> magnitude = Arbitraries.doubles().between(margin, hi);
        Arbitrary<Double> signed = Combinators.combine(magnitude, Arbitraries.of(1.0, -1.0)).as((m, s) -> m * s);
        return signed.list().ofSize(shape.size()).map(v -> tensorOf(v, shape));
    }

    /**
     * F64 tensors whose values are pairwise at least {@code 0.7·(hi − lo)/size} apart, so no two
     * elements tie (max, whose gradient is not differentiable at a tie): a random permutation of
     * evenly spaced levels in [lo, hi], each jittered by at most 15% of the spacing.
     *
     * @param shape the tensors' shape
     * @param lo    the low end of the levels' range
     * @param hi    the high end of the levels' range
     * @return the generator
     */
    public static Arbitrary<Tensor> distinct(Shape shape, double lo, double hi) {
        int n = shape.size();
        List<Integer> levels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            levels.add(i);
        }
        Arbitrary<List<Double>> jitter = Arbitraries.doubles().between(-0.15, 0.15).list().ofSize(n);
        return Combinators.combine(Arbitraries.shuffle(levels), jitter).as((perm, j) -> {
            double step = (hi - lo) / n;
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = lo + step * (perm.get(i) + 0.5 + j.get(i));
            }
            return Tensor.of(v, shape.dims());
        });
    }

    /**
     * Cotangents for {@code sum(f(x) ⊙ c)} checks: every element of magnitude in [0.25, 1.5] with
     * random sign, never 0, so each output element's derivative is weighted into the check.
     *
     * @param shape the output's shape
     * @return the generator
     */
    public static Arbitrary<Tensor> cotangents(Shape shape) {
        return awayFromZero(shape, 0.25, 1.5);
    }

    /**
     * Seeds for an {@link dev.jgrad.tensor.Rng}, to draw a cotangent once an output shape is known ({@link CotangentChecks}).
     *
     * @return the generator of any {@code long}
     */
    public static Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    private static Tensor tensorOf(List<Double> values, Shape shape) {
        return Tensor.of(values.stream().mapToDouble(Double::doubleValue).toArray(), shape.dims());
    }
}
