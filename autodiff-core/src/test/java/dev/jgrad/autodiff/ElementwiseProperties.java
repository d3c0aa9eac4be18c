package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;

import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/**
 * First- and second-order gradient properties of the elementwise ops and their fluent compositions,
 * each checked through a random cotangent ({@code sum(f(x) ⊙ c)}) with the public GradCheck at its
 * default tolerances, over generated shapes (rank 0–4) and broadcast-compatible shape pairs.
 */
class ElementwiseProperties {

    // ------------------------------------------------------------------ binary, broadcasting

    @Property
    void add(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).plus(x.get(1)), in, seed);
    }

    @Property
    void sub(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).minus(x.get(1)), in, seed);
    }

    @Property
    void mul(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).times(x.get(1)), in, seed);
    }

    @Property
    void div(@ForAll("broadcastOperandsNonzeroDivisor") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).div(x.get(1)), in, seed);
    }

    /** A value used as both operands: the tape must add the two contributions. */
    @Property
    void mulBySelf(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).times(x.get(0)), List.of(a), seed);
    }

    // ------------------------------------------------------------------ unary and scalar compositions

    @Property
    void neg(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).neg(), List.of(a), seed);
    }

    @Property
    void plusScalar(@ForAll("any") Tensor a, @ForAll @DoubleRange(min = -3, max = 3) double c, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).plus(c), List.of(a), seed);
    }

    @Property
    void minusScalar(@ForAll("any") Tensor a, @ForAll @DoubleRange(min = -3, max = 3) double c, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).minus(c), List.of(a), seed);
    }

    @Property
    void timesScalar(@ForAll("any") Tensor a, @ForAll @DoubleRange(min = -3, max = 3) double c, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).times(c), List.of(a), seed);
    }

    @Property
    void divByScalar(@ForAll("any") Tensor a, @ForAll("nonzeroScalar") double c, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).div(c), List.of(a), seed);
    }

    @Property
    void oneMinus(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).oneMinus(), List.of(a), seed);
    }

    @Property
    void pow(@ForAll("positive") Tensor a, @ForAll("exponents") double p, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).pow(p), List.of(a), seed);
    }

    @Property
    void square(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).square(), List.of(a), seed);
    }

    @Property
    void exp(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).exp(), List.of(a), seed);
    }

    @Property
    void log(@ForAll("positive") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).log(), List.of(a), seed);
    }

    @Property
    void tanh(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).tanh(), List.of(a), seed);
    }

    @Property
    void sigmoid(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sigmoid(), List.of(a), seed);
    }

    /** Inputs stay at least 0.01 from relu's kink at 0, far beyond the finite-difference step 1e-6. */
    @Property
    void relu(@ForAll("awayFromZero") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).relu(), List.of(a), seed);
    }

    /** Compositions exercise rules that use the forward output (sigmoid, tanh) under grad-of-grad. */
    @Property
    void gruLikeGate(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> {
            Variable z = x.get(0).plus(x.get(1)).sigmoid();
            return z.times(x.get(1)).plus(z.oneMinus().times(x.get(0).tanh()));
        }, in, seed);
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -2, 2);
    }

    @Provide
    Arbitrary<Tensor> positive() {
        return TensorArbitraries.shapes().flatMap(TensorArbitraries::positive);
    }

    @Provide
    Arbitrary<Tensor> awayFromZero() {
        return TensorArbitraries.shapes().flatMap(s -> TensorArbitraries.awayFromZero(s, 0.01, 2));
    }

    @Provide
    Arbitrary<List<Tensor>> broadcastOperands() {
        return TensorArbitraries.broadcastPairs().flatMap(p -> Combinators.combine(
                TensorArbitraries.tensors(p.left(), -2, 2), TensorArbitraries.tensors(p.right(), -2, 2)).as(List::of));
    }

    /** Divisors of magnitude in [0.5, 2], either sign: far from the pole at 0. */
    @Provide
    Arbitrary<List<Tensor>> broadcastOperandsNonzeroDivisor() {
        return TensorArbitraries.broadcastPairs().flatMap(p -> Combinators.combine(
                TensorArbitraries.tensors(p.left(), -2, 2), TensorArbitraries.awayFromZero(p.right(), 0.5, 2)).as(List::of));
    }

    @Provide
    Arbitrary<Double> nonzeroScalar() {
        return Combinators.combine(Arbitraries.doubles().between(0.25, 4), Arbitraries.of(1.0, -1.0)).as((m, s) -> m * s);
    }

    /** Integer, fractional and negative exponents (on positive bases). */
    @Provide
    Arbitrary<Double> exponents() {
        return Arbitraries.oneOf(Arbitraries.of(-2.0, -1.0, 0.5, 1.0, 2.0, 3.0), Arbitraries.doubles().between(-2.5, 3.5));
    }
}
