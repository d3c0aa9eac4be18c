package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * User ops ({@link CustomOp}): checked through random cotangents to second order like the built-ins,
 * one node on the tape however many ops their forward uses, named in anomaly reports, held to their
 * declared saved values, and refused with a message naming them when their rule returns the wrong
 * number, shape or dtype of gradients.
 */
class CustomOpTest {

    /** A user op from a name, its saved values, a forward and a rule. */
    private static CustomOp op(String name, Op.Saves saves, java.util.function.Function<Variable[], Variable> forward,
            BiFunction<Variable[], Variable[], Variable[]> rule) {
        return new CustomOp() {
            public String name() { return name; }
            public Op.Saves saves() { return saves; }
            public Variable forward(Variable... in) { return forward.apply(in); }
            public Variable[] backward(Variable[] in, Variable out, Variable g) { return rule.apply(in, new Variable[] {out, g}); }
        };
    }

    /** log(1 + eˣ), stable; its rule σ(x) reads the input. */
    static final CustomOp SOFTPLUS = op("mySoftplus", Op.Saves.FIRST,
            in -> in[0].relu().plus(in[0].abs().neg().exp().log1p()),
            (in, og) -> new Variable[] {og[1].times(in[0].sigmoid())});

    /** log(eᵃ + eᵇ), broadcasting, stable: max(a, b) + log1p(e^−|a − b|); ∂/∂a = σ(a − b), ∂/∂b = σ(b − a). */
    static final CustomOp LOG_ADD_EXP = op("logAddExp", Op.Saves.INPUTS,
            in -> in[0].maximum(in[1]).plus(in[0].minus(in[1]).abs().neg().exp().log1p()),
            (in, og) -> new Variable[] {og[1].times(in[0].minus(in[1]).sigmoid()), og[1].times(in[1].minus(in[0]).sigmoid())});

    @Property
    void softplusAsAUserOp(@ForAll("wide") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> SOFTPLUS.apply(x.get(0)), List.of(a), seed);
    }

    /** Two inputs that broadcast: the rule returns gradients in the broadcast shape and the tape sums them back. */
    @Property
    void logAddExpAsAUserOp(@ForAll("broadcastOperands") List<Tensor> in, @ForAll long seed) {
        assertBothOrders(x -> LOG_ADD_EXP.apply(x.get(0), x.get(1)), in, seed);
    }

    /** The same values as the built-in softplus, and one node on the tape though its forward uses six ops. */
    @Example
    void recordedAsOneNodeWithTheBuiltInsValues() {
        Variable x = Variable.leaf(Tensor.vector(-800, -2, 0, 3, 800));
        try (Tape tape = Tape.record()) {
            Variable y = SOFTPLUS.apply(x);
            assertEquals(1, tape.size());
            assertEquals("mySoftplus", y.op().name());
            assertEquals(0.0, y.value().maxAbsDiff(x.softplus().value()), 1e-15);
        }
        assertFalse(Tape.isRecording());
    }

    /** Anomaly detection names the user op in the forward and in the rule, and the line that applied it. */
    @Example
    void anomalyReportsNameTheUserOp() {
        CustomOp naive = op("naiveSoftplus", Op.Saves.FIRST, in -> in[0].exp().log1p(), (in, og) -> new Variable[] {og[1].times(in[0].sigmoid())});
        Variable x = Variable.leaf(Tensor.vector(1, 800));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> naive.apply(x));
            assertEquals("naiveSoftplus", e.opName());
            assertTrue(e.getMessage().startsWith("naiveSoftplus produced +Infinity in its forward pass at element [1]"), e.getMessage());
            assertTrue(e.getMessage().contains("recorded at " + getClass().getName() + ".lambda$anomalyReportsNameTheUserOp"), e.getMessage());
        }
        CustomOp badRule = op("badRule", Op.Saves.NOTHING, in -> in[0].times(2), (in, og) -> new Variable[] {og[1].div(0.0)});
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = badRule.apply(x).sum();
            NonFiniteException e = assertThrows(NonFiniteException.class, y::backward);
            assertTrue(e.getMessage().startsWith("the derivative rule of badRule produced +Infinity in the gradient of input 0"), e.getMessage());
        }
    }

    /** A rule that reads a value it did not declare fails, naming the op whose value it was. */
    @Example
    void undeclaredSavedValuesAreRefused() {
        CustomOp sloppy = op("sloppySquare", Op.Saves.NOTHING, in -> in[0].square(), (in, og) -> new Variable[] {og[1].times(in[0]).times(2)});
        Variable x = Variable.leaf(Tensor.vector(1, 2));
        try (Tape tape = Tape.record()) {
            Variable y = sloppy.apply(x.times(1.0)).sum(); // the input is a tape node, held without its value
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertTrue(e.getMessage().startsWith("affine output F64[2] at tape position 0 was not saved for backward"), e.getMessage());
        }
    }

    @Example
    void rulesReturningTheWrongGradientsAreRefusedByName() {
        Variable x = Variable.leaf(Tensor.vector(1, 2));
        CustomOp twoForOne = op("twoForOne", Op.Saves.NOTHING, in -> in[0], (in, og) -> new Variable[] {og[1], og[1]});
        CustomOp wrongShape = op("wrongShape", Op.Saves.NOTHING, in -> in[0], (in, og) -> new Variable[] {og[1].sum()});
        CustomOp wrongDType = op("wrongDType", Op.Saves.NOTHING, in -> in[0], (in, og) -> new Variable[] {og[1].cast(dev.jgrad.tensor.DType.F32)});
        List<Object[]> cases = List.of(
                new Object[] {twoForOne, "custom op twoForOne: backward returned 2 gradients for 1 inputs"},
                new Object[] {wrongShape, "custom op wrongShape: backward returned a gradient F64[] for input 0 F64[2]"},
                new Object[] {wrongDType, "custom op wrongDType: backward returned a gradient F32[2] for input 0 F64[2]"});
        for (Object[] c : cases) {
            try (Tape tape = Tape.record()) {
                Variable y = ((CustomOp) c[0]).apply(x).sum();
                IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
                assertTrue(e.getMessage().startsWith((String) c[1]), e.getMessage());
            }
        }
        assertEquals(null, x.grad(), "a refused rule adds nothing to the leaf");
    }

    /** GradCheck sees a user op's wrong rule as it sees a built-in's, and names the input and element. */
    @Example
    void gradCheckCatchesAWrongRule() {
        CustomOp wrong = op("wrongLogAddExp", Op.Saves.INPUTS, LOG_ADD_EXP::forward,
                (in, og) -> new Variable[] {og[1].times(in[0].minus(in[1]).sigmoid()), og[1].times(in[0].minus(in[1]).sigmoid())});
        GradCheckReport r = GradCheck.check(in -> wrong.apply(in.get(0), in.get(1)), List.of(Tensor.vector(0.5, -1), Tensor.vector(2, 1)));
        assertFalse(r.passed(), r.toString());
        assertTrue(r.mismatches().stream().allMatch(m -> m.input().startsWith("input 1")), r.toString());
    }

    @Provide
    Arbitrary<Tensor> wide() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -5, 5);
    }

    @Provide
    Arbitrary<List<Tensor>> broadcastOperands() {
        return TensorArbitraries.broadcastPairs().flatMap(p -> Combinators.combine(
                TensorArbitraries.tensors(p.left(), -3, 3), TensorArbitraries.tensors(p.right(), -3, 3)).as(List::of));
    }
}
