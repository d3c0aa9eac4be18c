package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

/**
 * Softmax, log-softmax and cross-entropy: gradients of both orders through a random cotangent (a
 * plain {@code sum(softmax(x))} is constant and would hide a zero gradient), over every axis of
 * rank-1 to rank-3 inputs; and value identities that hold for any input.
 */
class SoftmaxProperties {

    /** Logits and an axis of them, written non-negative or negative. */
    record AlongAxis(Tensor x, int axis) {
    }

    /** Logits {@code [N, C]} and N targets in [0, C). */
    record Labelled(Tensor logits, int[] targets) {
        @Override
        public String toString() {
            return "Labelled[" + logits + ", targets " + java.util.Arrays.toString(targets) + "]";
        }
    }

    @Property
    void softmax(@ForAll("alongAxis") AlongAxis a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).softmax(a.axis()), List.of(a.x()), seed);
    }

    @Property
    void logSoftmax(@ForAll("alongAxis") AlongAxis a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).logSoftmax(a.axis()), List.of(a.x()), seed);
    }

    @Property
    void crossEntropy(@ForAll("labelled") Labelled l, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).crossEntropy(l.targets()), List.of(l.logits()), seed);
    }

    /** log(softmax(x)) = logSoftmax(x), and softmax sums to 1 along its axis. */
    @Property
    void logSoftmaxIsLogOfSoftmaxAndRowsSumToOne(@ForAll("alongAxis") AlongAxis a) {
        Variable x = Variable.constant(a.x());
        Tensor sm = x.softmax(a.axis()).value();
        Tensor ls = x.logSoftmax(a.axis()).value();
        Tensor logSm = x.softmax(a.axis()).log().value();
        for (int i = 0; i < sm.size(); i++) {
            assertEquals(logSm.at(i), ls.at(i), 1e-12, "element " + i);
        }
        Tensor sums = x.softmax(a.axis()).sum(a.axis()).value();
        for (int i = 0; i < sums.size(); i++) {
            assertEquals(1.0, sums.at(i), 1e-12);
        }
    }

    /** crossEntropy(logits, t) = −mean_n logSoftmax(logits)[n, t_n]. */
    @Property
    void crossEntropyIsMeanNegativeLogLikelihood(@ForAll("labelled") Labelled l) {
        Tensor ls = Variable.constant(l.logits()).logSoftmax(1).value();
        double nll = 0;
        for (int n = 0; n < l.targets().length; n++) {
            nll -= ls.get(n, l.targets()[n]);
        }
        nll /= l.targets().length;
        assertEquals(nll, Variable.constant(l.logits()).crossEntropy(l.targets()).value().item(), 1e-12);
    }

    @Provide
    Arbitrary<AlongAxis> alongAxis() {
        return TensorArbitraries.shapes(1, 3).flatMap(s -> Combinators.combine(
                TensorArbitraries.tensors(s, -4, 4), Arbitraries.integers().between(-s.rank(), s.rank() - 1)).as(AlongAxis::new));
    }

    @Provide
    Arbitrary<Labelled> labelled() {
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 5))
                .as((n, c) -> Shape.of(n, c))
                .flatMap(s -> Combinators.combine(TensorArbitraries.tensors(s, -4, 4),
                        Arbitraries.integers().between(0, s.dim(1) - 1).list().ofSize(s.dim(0)))
                        .as((t, ts) -> new Labelled(t, ts.stream().mapToInt(Integer::intValue).toArray())));
    }
}
