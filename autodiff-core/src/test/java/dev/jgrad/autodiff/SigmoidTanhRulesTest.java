package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * tanh's and σ's derivative rules are one op each ({@link Op.TanhGrad}, {@link Op.SigmoidGrad}): run eagerly they
 * give the bits of the three-op rules they replaced ({@code g ⊙ (1 − out²)} and {@code g ⊙ (out ⊙ (1 − out))}
 * written with square, oneMinus and times), and recorded for a second derivative they add one node each.
 */
class SigmoidTanhRulesTest {

    /** Inputs of either sign and size, saturating ones (where 1 − out² and 1 − out round to zero) and both zeros. */
    private static Tensor inputs(DType dt) {
        double[] v = Tensor.uniform(Rng.seeded(3), DType.F64, -6, 6, 5 * 67).toDoubleArray();
        double[] edges = {0.0, -0.0, 20, -20, 800, -800, 1e-9, -1e-300};
        System.arraycopy(edges, 0, v, 0, edges.length);
        return Tensor.of(dt, v, 5, 67);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void eagerRulesGiveTheBitsOfTheThreeOpRules(DType dt) {
        Tensor x = inputs(dt);
        Variable g = Variable.constant(Tensor.randn(Rng.seeded(4), dt, 1, 5, 67));
        check(new Op.Tanh(), x, g, (out, c) -> c.times(out.square().oneMinus()));
        check(new Op.Sigmoid(), x, g, (out, c) -> c.times(out.times(out.oneMinus())));
    }

    private static void check(Op op, Tensor x, Variable g, BinaryOperator<Variable> threeOps) {
        Variable out = Variable.constant(op.forward(new Tensor[] {x}));
        double[] got = op.backward(new Variable[] {Variable.constant(x)}, out, g)[0].value().toDoubleArray();
        double[] want = threeOps.apply(out, g).value().toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            int at = i;
            assertTrue(Double.doubleToLongBits(want[i]) == Double.doubleToLongBits(got[i]),
                    () -> op.name() + " " + x.dtype() + " at x = " + x.at(at) + ": the rule gives " + got[at] + ", the three ops " + want[at]);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void recordedForASecondDerivativeEachRuleIsOneNode(DType dt) {
        assertEquals(List.of(new Op.TanhGrad()), recordedRule(dt, Variable::tanh));
        assertEquals(List.of(new Op.SigmoidGrad()), recordedRule(dt, Variable::sigmoid));
    }

    /** The ops a createGraph walk records for {@code f}'s rule. */
    private static List<Op> recordedRule(DType dt, UnaryOperator<Variable> f) {
        Variable x = Variable.leaf(inputs(dt));
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(x);
            int before = tape.ops().size();
            tape.gradients(List.of(y), List.of(Variable.constant(Tensor.ones(dt, 5, 67))), List.of(x), true);
            List<Op> ops = tape.ops();
            return ops.subList(before, ops.size());
        }
    }
}
