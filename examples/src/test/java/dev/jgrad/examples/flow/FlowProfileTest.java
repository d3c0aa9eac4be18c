package dev.jgrad.examples.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.Jacobian;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FlowProfileTest {
    static final int HIDDEN = 5;

    static AddingProblem.Batch batch() {
        return AddingProblem.sample(Rng.seeded(7), 3, 9, DType.F64);
    }

    /** The one-step Jacobian over the whole state (h, or (h, c)) equals the finite-difference one. */
    @ParameterizedTest
    @EnumSource(Regressor.Kind.class)
    void oneStepJacobianMatchesFiniteDifferences(Regressor.Kind kind) {
        Regressor model = Regressor.create(kind, 2, HIDDEN, DType.F64, Rng.seeded(3));
        AddingProblem.Batch b = batch();
        Variable x = Variable.constant(b.x());
        Regressor.Unrolled run = model.unroll(x);
        State previous = run.states().get(4);
        double[][] j = FlowProfile.oneStepJacobian(model.cell(), x, previous, 4);
        int width = kind == Regressor.Kind.LSTM ? 2 * HIDDEN : HIDDEN;
        assertEquals(width, j.length);
        Variable xt = x.slice(0, 0, 1).slice(1, 4, 5).reshape(1, 2);
        Tensor flat = Variable.concat(1, previous.parts().stream().map(p -> Variable.constant(p.value()).slice(0, 0, 1)).toList()).value();
        Tensor numeric = Jacobian.numeric(v -> {
            State s = kind == Regressor.Kind.LSTM ? State.of(v.slice(1, 0, HIDDEN), v.slice(1, HIDDEN, 2 * HIDDEN)) : State.of(v);
            return Variable.concat(1, model.cell().step(xt, s).parts());
        }, flat, 1e-6);
        for (int r = 0; r < width; r++) {
            for (int c = 0; c < width; c++) {
                assertEquals(numeric.at(r * width + c), j[r][c], 1e-8, "J[" + r + ", " + c + "]");
            }
        }
    }

    /** ∂h_T/∂s_T is the identity on h (plus ∂h_T/∂c_T for the LSTM), so its norm is √H for the GRU and RNN. */
    @ParameterizedTest
    @EnumSource(Regressor.Kind.class)
    void profileIsConsistent(Regressor.Kind kind) {
        Regressor model = Regressor.create(kind, 2, HIDDEN, DType.F64, Rng.seeded(3));
        AddingProblem.Batch b = batch();
        FlowProfile p = FlowProfile.measure(model, b, 4);
        double[] f = p.finalWrtState();
        assertEquals(10, f.length);
        if (kind == Regressor.Kind.LSTM) {
            assertTrue(f[9] > Math.sqrt(HIDDEN), "LSTM adds ∂h_T/∂c_T: " + f[9]);
        } else {
            assertEquals(Math.sqrt(HIDDEN), f[9], 1e-12);
        }
        assertTrue(p.sigmaMax() >= p.sigmaMin() && p.sigmaMin() >= 0);
        assertTrue(p.saturated() >= 0 && p.saturated() <= 1);
        double mse;
        try (Tape.Scope ignored = Tape.noGrad()) {
            mse = Losses.meanSquaredError(model.unroll(Variable.constant(b.x())).prediction(), b.y()).value().item();
        }
        assertEquals(mse, p.loss(), 1e-15);
    }

    /**
     * Saturation in two hand-computed cases. Zero weights and biases: every gate is σ(0) = 0.5 and
     * every tanh is 0, so nothing saturates. Zero weights with every bias +1000: GRU gates are 1
     * and its candidate tanh(2000) = 1, the RNN's h = tanh(2000) = 1, so everything saturates; the
     * LSTM's gates are 1 and g = tanh(2000) = 1, so c_t = c_{t−1} + 1 = t and tanh(c_t) > 0.95
     * exactly from t = 2 on: 8 of the 9 steps.
     */
    @ParameterizedTest
    @EnumSource(Regressor.Kind.class)
    void saturationInHandComputedCases(Regressor.Kind kind) {
        AddingProblem.Batch b = batch();
        Variable x = Variable.constant(b.x());
        Regressor zero = Regressor.create(kind, 2, HIDDEN, DType.F64, Rng.seeded(3));
        setCell(zero, 0, 0);
        assertEquals(0, FlowProfile.saturatedShare(zero.cell(), x, zero.unroll(x).states()), 0);
        Regressor biased = Regressor.create(kind, 2, HIDDEN, DType.F64, Rng.seeded(3));
        setCell(biased, 0, 1000);
        double expected = kind == Regressor.Kind.LSTM ? 8.0 / 9.0 : 1.0;
        assertEquals(expected, FlowProfile.saturatedShare(biased.cell(), x, biased.unroll(x).states()), 1e-15, kind.label());
    }

    private static void setCell(Regressor model, double weight, double bias) {
        for (Parameter p : model.cell().parameters().values()) {
            double value = p.name().startsWith("bias") || p.name().startsWith("b_") ? bias : weight;
            p.set(Tensor.full(DType.F64, value, p.value().shape()));
        }
    }

    /** The tiny test below keeps the Unrolled record honest: s_0 plus one state per step. */
    @ParameterizedTest
    @EnumSource(Regressor.Kind.class)
    void unrollHasOneStatePerStepPlusTheInitialOne(Regressor.Kind kind) {
        Regressor model = Regressor.create(kind, 2, HIDDEN, DType.F64, Rng.seeded(3));
        Regressor.Unrolled u = model.unroll(Variable.constant(batch().x()));
        assertEquals(10, u.states().size());
        assertEquals(List.of(3, 1), List.of(u.prediction().shape().dim(0), u.prediction().shape().dim(1)));
        assertEquals(kind == Regressor.Kind.LSTM ? 2 : 1, u.states().get(0).parts().size());
    }
}
