package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;

import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.ShapePair;
import dev.jgrad.testing.TensorArbitraries;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Gradient properties (first and second order, through a random cotangent) of the reductions — sum,
 * mean, max, min, logSumExp, norm, var and std over all elements and over generated axis sets, with
 * and without keepDims — of the
 * broadcasting pair broadcastTo / sumTo, and of dot.
 */
class ReductionProperties {

    /** A tensor, a non-empty set of its axes (some written negative) and a keepDims flag. */
    record Reduction(Tensor x, int[] axes, boolean keepDims) {
        @Override
        public String toString() {
            return "Reduction[" + x + ", axes " + java.util.Arrays.toString(axes) + ", keepDims " + keepDims + "]";
        }
    }

    @Property
    void sumAll(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sum(), List.of(a), seed);
    }

    @Property
    void sumAxes(@ForAll("reductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sum(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    @Property
    void meanAll(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).mean(), List.of(a), seed);
    }

    @Property
    void meanAxes(@ForAll("reductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).mean(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    /** Values are pairwise distinct (no ties), where max is differentiable. */
    @Property
    void maxAll(@ForAll("distinct") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).max(), List.of(a), seed);
    }

    @Property
    void maxAxes(@ForAll("distinctReductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).max(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    /** Axes given without keepDims, as sum(int...) takes them. */
    @Property
    void meanAndMaxWithoutKeepDims(@ForAll("distinctReductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).mean(r.axes()).plus(x.get(0).max(r.axes())), List.of(r.x()), seed);
    }

    @Property
    void minAll(@ForAll("distinct") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).min(), List.of(a), seed);
    }

    @Property
    void minAxes(@ForAll("distinctReductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> r.keepDims() ? x.get(0).min(true, r.axes()) : x.get(0).min(r.axes()), List.of(r.x()), seed);
    }

    @Property
    void logSumExpAll(@ForAll("wide") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).logSumExp(), List.of(a), seed);
    }

    @Property
    void logSumExpAxes(@ForAll("reductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).logSumExp(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    /** Elements at least 0.1 from 0, so no group has norm 0 (that kink is checked in KinkTest). */
    @Property
    void normAll(@ForAll("awayFromZero") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).norm(), List.of(a), seed);
    }

    @Property
    void normAxes(@ForAll("awayFromZeroReductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).norm(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    @Property
    void varAll(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).var(), List.of(a), seed);
    }

    @Property
    void varAxes(@ForAll("reductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).var(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    /** Distinct values: no group of two or more is constant, where std has its kink (a group of one is constant 0). */
    @Property
    void stdAll(@ForAll("distinct") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).std(), List.of(a), seed);
    }

    @Property
    void stdAxes(@ForAll("distinctReductions") Reduction r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).std(r.keepDims(), r.axes()), List.of(r.x()), seed);
    }

    /** A tensor and the shape to broadcast it to, or to sum it down to. */
    record Retarget(Tensor x, Shape target) {
    }

    @Property
    void broadcastTo(@ForAll("broadcastSources") Retarget r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).broadcastTo(r.target()), List.of(r.x()), seed);
    }

    @Property
    void sumTo(@ForAll("sumToSources") Retarget r, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sumTo(r.target()), List.of(r.x()), seed);
    }

    @Property
    void dot(@ForAll("sameShapePairs") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).dot(x.get(1)), in, seed);
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -2, 2);
    }

    @Provide
    Arbitrary<Tensor> wide() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -5, 5);
    }

    @Provide
    Arbitrary<Tensor> awayFromZero() {
        return TensorArbitraries.shapes().flatMap(s -> TensorArbitraries.awayFromZero(s, 0.1, 2));
    }

    @Provide
    Arbitrary<Reduction> awayFromZeroReductions() {
        return TensorArbitraries.shapes(1, 4).flatMap(s -> reductionsOf(TensorArbitraries.awayFromZero(s, 0.1, 2), s));
    }

    @Provide
    Arbitrary<Tensor> distinct() {
        return TensorArbitraries.shapes().flatMap(s -> TensorArbitraries.distinct(s, -2, 2));
    }

    @Provide
    Arbitrary<Reduction> reductions() {
        return TensorArbitraries.shapes(1, 4).flatMap(s -> reductionsOf(TensorArbitraries.tensors(s, -2, 2), s));
    }

    @Provide
    Arbitrary<Reduction> distinctReductions() {
        return TensorArbitraries.shapes(1, 4).flatMap(s -> reductionsOf(TensorArbitraries.distinct(s, -2, 2), s));
    }

    /** Non-empty axis subsets of the shape, each axis written as i or i − rank at random. */
    private static Arbitrary<Reduction> reductionsOf(Arbitrary<Tensor> tensors, Shape s) {
        int r = s.rank();
        Arbitrary<List<Boolean>> pick = Arbitraries.of(true, false).list().ofSize(r).filter(l -> l.contains(true));
        Arbitrary<List<Boolean>> negative = Arbitraries.of(true, false).list().ofSize(r);
        return Combinators.combine(tensors, pick, negative, Arbitraries.of(true, false)).as((x, p, neg, keep) -> {
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                if (p.get(i)) {
                    axes.add(neg.get(i) ? i - r : i);
                }
            }
            return new Reduction(x, axes.stream().mapToInt(Integer::intValue).toArray(), keep);
        });
    }

    @Provide
    Arbitrary<Retarget> broadcastSources() {
        return TensorArbitraries.broadcastPairs().flatMap((ShapePair p) ->
                TensorArbitraries.tensors(p.left(), -2, 2).map(t -> new Retarget(t, p.broadcast())));
    }

    @Provide
    Arbitrary<Retarget> sumToSources() {
        return TensorArbitraries.broadcastPairs().flatMap((ShapePair p) ->
                TensorArbitraries.tensors(p.broadcast(), -2, 2).map(t -> new Retarget(t, p.left())));
    }

    @Provide
    Arbitrary<List<Tensor>> sameShapePairs() {
        return TensorArbitraries.shapes().flatMap(s -> Combinators.combine(
                TensorArbitraries.tensors(s, -2, 2), TensorArbitraries.tensors(s, -2, 2)).as(List::of));
    }
}
