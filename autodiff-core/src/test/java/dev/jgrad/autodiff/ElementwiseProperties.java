package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;

import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Shape;
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
 * First- and second-order gradient properties of the elementwise ops (arithmetic, maximum, minimum,
 * where, the transcendental and the piecewise ones) and their fluent compositions,
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

    /** Operands at least 0.01 apart wherever they meet: away from the tie where the gradient switches sides. */
    @Property
    void maximum(@ForAll("untiedOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).maximum(x.get(1)), in, seed);
    }

    @Property
    void minimum(@ForAll("untiedOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).minimum(x.get(1)), in, seed);
    }

    /** All three inputs differentiated, broadcasting: the weight has either operand's shape or none (a scalar). */
    @Property
    void lerp(@ForAll("lerpOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).lerp(x.get(1), x.get(2)), in, seed);
    }

    /** Three operands of one shape: the one-pass kernel. */
    @Property
    void lerpOfOneShape(@ForAll("sameShapeTriples") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).lerp(x.get(1), x.get(2)), in, seed);
    }

    /** Inputs 0 and 1 are the branches; the condition broadcasts with them. */
    @Property
    void where(@ForAll("conditioned") Conditioned c, @ForAll long seed) {
        assertBothOrders(x -> Variable.where(c.condition(), x.get(0), x.get(1)), c.operands(), seed);
    }

    @Property
    void maskedFill(@ForAll("conditioned") Conditioned c, @ForAll @DoubleRange(min = -3, max = 3) double fill, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).maskedFill(c.condition(), fill), List.of(c.operands().get(0)), seed);
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
    void scalarMinus(@ForAll("any") Tensor a, @ForAll @DoubleRange(min = -3, max = 3) double c, @ForAll long seed) {
        assertBothOrders(x -> Variable.minus(c, x.get(0)), List.of(a), seed);
    }

    /** {@code c / x} on divisors of magnitude in [0.5, 2], far from the pole. */
    @Property
    void scalarDiv(@ForAll("nonzeroDivisor") Tensor a, @ForAll("nonzeroScalar") double c, @ForAll long seed) {
        assertBothOrders(x -> Variable.div(c, x.get(0)), List.of(a), seed);
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

    /** tanh's derivative rule as an op, both inputs differentiated and broadcasting: its second order is tanh's third. */
    @Property
    void tanhGrad(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).tanhGrad(x.get(1)), in, seed);
    }

    /** σ's derivative rule as an op, both inputs differentiated and broadcasting: its second order is σ's third. */
    @Property
    void sigmoidGrad(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sigmoidGrad(x.get(1)), in, seed);
    }

    /** Inputs stay at least 0.01 from relu's kink at 0, far beyond the finite-difference step 1e-6. */
    @Property
    void relu(@ForAll("awayFromZero") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).relu(), List.of(a), seed);
    }

    /** On [0.5, 2], away from 0 where the derivative is infinite. */
    @Property
    void sqrt(@ForAll("positive") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sqrt(), List.of(a), seed);
    }

    /** Inputs stay at least 0.01 from the kink at 0 (checked there in KinkTest). */
    @Property
    void abs(@ForAll("awayFromZero") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).abs(), List.of(a), seed);
    }

    @Property
    void sin(@ForAll("wide") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).sin(), List.of(a), seed);
    }

    @Property
    void cos(@ForAll("wide") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).cos(), List.of(a), seed);
    }

    /** On [−0.5, 2], away from the pole at −1. */
    @Property
    void log1p(@ForAll("aboveMinusHalf") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).log1p(), List.of(a), seed);
    }

    @Property
    void expm1(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).expm1(), List.of(a), seed);
    }

    @Property
    void softplus(@ForAll("wide") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).softplus(), List.of(a), seed);
    }

    /** Every element at least 0.01 from both bounds (the bounds themselves are checked in KinkTest). */
    @Property
    void clamp(@ForAll("clamped") Clamped c, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).clamp(c.lo(), c.hi()), List.of(c.x()), seed);
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

    /** Two branches and a 0/1 condition whose shape broadcasts with both. */
    record Conditioned(Tensor condition, List<Tensor> operands) {
    }

    /** A tensor and clamp bounds none of its elements comes within 0.01 of. */
    record Clamped(Tensor x, double lo, double hi) {
    }

    @Provide
    Arbitrary<Tensor> wide() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -5, 5);
    }

    @Provide
    Arbitrary<Tensor> aboveMinusHalf() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -0.5, 2);
    }

    @Provide
    Arbitrary<Tensor> nonzeroDivisor() {
        return TensorArbitraries.shapes().flatMap(s -> TensorArbitraries.awayFromZero(s, 0.5, 2));
    }

    @Provide
    Arbitrary<List<Tensor>> untiedOperands() {
        return broadcastOperands().filter(in -> {
            Tensor gap = Kernels.binary(Kernels.Binary.SUB, in.get(0), in.get(1));
            for (int i = 0; i < gap.size(); i++) {
                if (Math.abs(gap.at(i)) < 0.01) {
                    return false;
                }
            }
            return true;
        });
    }

    @Provide
    Arbitrary<Conditioned> conditioned() {
        return TensorArbitraries.broadcastPairs().flatMap(p -> {
            Arbitrary<Shape> conditionShape = Arbitraries.of(p.broadcast(), p.left(), p.right(), Shape.scalar());
            return conditionShape.flatMap(cs -> Combinators.combine(
                    Arbitraries.of(0.0, 1.0).list().ofSize(cs.size()),
                    TensorArbitraries.tensors(p.left(), -2, 2), TensorArbitraries.tensors(p.right(), -2, 2))
                    .as((c, a, b) -> new Conditioned(Tensor.of(c.stream().mapToDouble(Double::doubleValue).toArray(), cs.dims()), List.of(a, b))));
        });
    }

    @Provide
    Arbitrary<Clamped> clamped() {
        Arbitrary<Double> bound = Arbitraries.doubles().between(-2, 2);
        return Combinators.combine(any(), bound, bound).as((x, a, b) -> new Clamped(x, Math.min(a, b), Math.max(a, b))).filter(c -> {
            for (int i = 0; i < c.x().size(); i++) {
                double v = c.x().at(i);
                if (Math.abs(v - c.lo()) < 0.01 || Math.abs(v - c.hi()) < 0.01) {
                    return false;
                }
            }
            return true;
        });
    }

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

    @Provide
    Arbitrary<List<Tensor>> lerpOperands() {
        return TensorArbitraries.broadcastPairs().flatMap(p -> Arbitraries.of(p.left(), p.right(), Shape.of()).flatMap(w -> Combinators.combine(
                TensorArbitraries.tensors(p.left(), -2, 2), TensorArbitraries.tensors(p.right(), -2, 2), TensorArbitraries.tensors(w, -2, 2))
                .as(List::of)));
    }

    @Provide
    Arbitrary<List<Tensor>> sameShapeTriples() {
        return TensorArbitraries.shapes().flatMap(s -> Combinators.combine(
                TensorArbitraries.tensors(s, -2, 2), TensorArbitraries.tensors(s, -2, 2), TensorArbitraries.tensors(s, -2, 2)).as(List::of));
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
