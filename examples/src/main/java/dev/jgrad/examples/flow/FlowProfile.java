package dev.jgrad.examples.flow;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.Jacobian;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * How the error signal travels back through one model on one batch of adding-problem sequences.
 *
 * @param finalWrtState {@code ‖∂h_T/∂s_t‖_F} for {@code t = 0..T}, averaged over the batch (see {@link JacobianNorms})
 * @param lossWrtState  {@code ‖∂L/∂s_t‖} for {@code t = 0..T}, {@code L} the batch's MSE
 * @param sigmaMax      the largest singular value of the one-step Jacobian {@code ∂s_t/∂s_{t−1}},
 *                      averaged over the sampled steps (first sequence of the batch)
 * @param sigmaMin      the smallest one, averaged likewise
 * @param saturated     the share of saturated nonlinearities over all steps and sequences: sigmoid
 *                      gates outside {@code [0.05, 0.95]}, tanh outputs with {@code |·| > 0.95}
 *                      (GRU: {@code z}, {@code r}, {@code n}; plain RNN: {@code h}; LSTM:
 *                      {@code tanh(c)}, as {@code LSTMCell} keeps its gates private)
 * @param loss          the batch's MSE
 */
public record FlowProfile(double[] finalWrtState, double[] lossWrtState, double sigmaMax, double sigmaMin,
        double saturated, double loss) {

    /** Sigmoid outputs below this or above {@code 1 −} this count as saturated. */
    public static final double SIGMOID_MARGIN = 0.05;
    /** tanh outputs with {@code |·|} above this count as saturated. */
    public static final double TANH_LIMIT = 0.95;

    /** Ratio {@code ‖∂h_T/∂s_0‖ / ‖∂h_T/∂s_T‖}: how much of the signal reaches the first step. */
    public double survival() {
        return finalWrtState[0] / finalWrtState[finalWrtState.length - 1];
    }

    /**
     * Measures {@code model} on {@code batch}; the one-step Jacobians are taken at up to
     * {@code jacobianSteps} evenly spaced steps.
     */
    public static FlowProfile measure(Regressor model, AddingProblem.Batch batch, int jacobianSteps) {
        Variable x = Variable.constant(batch.x());
        double[] finalNorms;
        double[] lossNorms;
        double loss;
        Regressor.Unrolled run;
        try (Tape tape = Tape.record()) {
            run = model.unroll(x);
            Variable l = Losses.meanSquaredError(run.prediction(), batch.y());
            loss = l.value().item();
            finalNorms = JacobianNorms.finalWrtStates(tape, run.finalHidden(), run.stateParts());
            lossNorms = JacobianNorms.lossWrtStates(tape, l, run.stateParts());
        }
        int steps = run.states().size() - 1;
        int samples = Math.max(1, Math.min(jacobianSteps, steps));
        double maxSum = 0;
        double minSum = 0;
        for (int k = 0; k < samples; k++) {
            int t = 1 + (int) ((long) k * (steps - 1) / Math.max(1, samples - 1));
            double[] s = SingularValues.of(oneStepJacobian(model.cell(), x, run.states().get(t - 1), t - 1));
            maxSum += s[0];
            minSum += s[s.length - 1];
        }
        return new FlowProfile(finalNorms, lossNorms, maxSum / samples, minSum / samples,
                saturatedShare(model.cell(), x, run.states()), loss);
    }

    /**
     * {@code ∂s_{t+1}/∂s_t} of the first sequence of the batch, as a {@code P × P} matrix where
     * {@code P} is the width of the whole state ({@code H}, or {@code 2H} for the LSTM's {@code (h, c)}).
     */
    static double[][] oneStepJacobian(RecurrentCell cell, Variable x, State previous, int t) {
        int in = cell.inputSize();
        Variable xt = x.slice(0, 0, 1).slice(1, t, t + 1).reshape(1, in);
        List<Integer> widths = new ArrayList<>();
        List<Variable> firstRow = new ArrayList<>();
        for (Variable part : previous.parts()) {
            widths.add(part.shape().dim(1));
            firstRow.add(Variable.constant(part.value()).slice(0, 0, 1));
        }
        Tensor flat = Variable.concat(1, firstRow).value();
        int p = flat.shape().dim(1);
        Tensor j = Jacobian.of(v -> {
            List<Variable> parts = new ArrayList<>();
            int at = 0;
            for (int w : widths) {
                parts.add(v.slice(1, at, at + w));
                at += w;
            }
            return Variable.concat(1, cell.step(xt, new State(parts)).parts());
        }, flat);
        double[][] m = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int k = 0; k < p; k++) {
                m[i][k] = j.at(i * p + k);
            }
        }
        return m;
    }

    /** See {@link FlowProfile#saturated()}. */
    static double saturatedShare(RecurrentCell cell, Variable x, List<State> states) {
        long saturated = 0;
        long total = 0;
        int b = x.shape().dim(0);
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int t = 1; t < states.size(); t++) {
                State s = states.get(t);
                List<Tensor> sigmoids = new ArrayList<>();
                List<Tensor> tanhs = new ArrayList<>();
                if (cell instanceof GRU gru) {
                    Variable xt = x.slice(1, t - 1, t).reshape(b, cell.inputSize());
                    GRU.Activations a = gru.activations(xt, Variable.constant(states.get(t - 1).h().value()));
                    sigmoids.add(a.z().value());
                    sigmoids.add(a.r().value());
                    tanhs.add(a.hTilde().value());
                } else if (s.parts().size() == 2) {
                    tanhs.add(Variable.constant(s.part(1).value()).tanh().value());
                } else {
                    tanhs.add(s.h().value());
                }
                for (Tensor g : sigmoids) {
                    for (double v : g.toDoubleArray()) {
                        saturated += v < SIGMOID_MARGIN || v > 1 - SIGMOID_MARGIN ? 1 : 0;
                    }
                    total += g.size();
                }
                for (Tensor g : tanhs) {
                    for (double v : g.toDoubleArray()) {
                        saturated += Math.abs(v) > TANH_LIMIT ? 1 : 0;
                    }
                    total += g.size();
                }
            }
        }
        return (double) saturated / total;
    }
}
