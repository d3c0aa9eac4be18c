package dev.jgrad.examples.flow;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Norms of the Jacobians and gradients that carry a recurrent network's error signal back in time,
 * read off a recorded forward pass with {@link Tape#gradients}.
 *
 * <p>The states are recorded values {@code s_t} (for a GRU or plain RNN one tensor {@code h_t} of
 * shape {@code [B, H]}; for an LSTM the pair {@code (h_t, c_t)}). Because the tape treats each
 * recorded value as an independent input, {@code ∂h_T/∂s_t} is the Jacobian of {@code h_T} with
 * respect to the whole state at step {@code t}: for an LSTM it is the block row
 * {@code [∂h_T/∂h_t, ∂h_T/∂c_t]} with each part taken holding the other fixed, whose Frobenius
 * norm is {@code √(‖∂h_T/∂h_t‖²_F + ‖∂h_T/∂c_t‖²_F)}.
 *
 * <p>Batch rows never interact in a recurrent layer, so one backward pass with the cotangent
 * {@code eᵢ} in every row of {@code h_T} yields row {@code i} of all {@code B} per-sequence
 * Jacobians at once: {@code H} passes give every {@code ‖∂h_T/∂s_t‖_F}, for all {@code t}.
 */
public final class JacobianNorms {
    private JacobianNorms() {
    }

    /**
     * {@code ‖∂h_T/∂s_t‖_F} for each {@code t}, averaged over the batch.
     *
     * @param tape   the tape the forward pass was recorded on
     * @param hT     the final hidden state, {@code [B, H]}
     * @param states {@code states.get(t)} holds the parts of {@code s_t}, each {@code [B, ·]}, recorded on {@code tape}
     */
    public static double[] finalWrtStates(Tape tape, Variable hT, List<List<Variable>> states) {
        if (hT.shape().rank() != 2) {
            throw new IllegalArgumentException("jacobianNorms: h_T must be [B, H], got " + hT.shape());
        }
        int batch = hT.shape().dim(0);
        int hidden = hT.shape().dim(1);
        List<Variable> wrt = flatten(states, batch);
        double[][] squares = new double[states.size()][batch];
        for (int i = 0; i < hidden; i++) {
            double[] e = new double[batch * hidden];
            for (int b = 0; b < batch; b++) {
                e[b * hidden + i] = 1;
            }
            Variable cot = Variable.constant(Tensor.of(DType.F64, e, batch, hidden).cast(hT.dtype()));
            List<Variable> g = tape.gradients(List.of(hT), List.of(cot), wrt, false);
            accumulate(squares, g, states, batch);
        }
        double[] norms = new double[states.size()];
        for (int t = 0; t < norms.length; t++) {
            double s = 0;
            for (int b = 0; b < batch; b++) {
                s += Math.sqrt(squares[t][b]);
            }
            norms[t] = s / batch;
        }
        return norms;
    }

    /**
     * {@code ‖∂L/∂s_t‖} for each {@code t}: the Euclidean norm of the loss gradient over the whole
     * state at step {@code t} (all batch rows together, since {@code L} already averages over them).
     */
    public static double[] lossWrtStates(Tape tape, Variable loss, List<List<Variable>> states) {
        if (loss.shape().size() != 1) {
            throw new IllegalArgumentException("jacobianNorms: the loss must be a scalar, got " + loss.shape());
        }
        List<Variable> wrt = flatten(states, -1);
        List<Variable> g = tape.gradients(loss, wrt, false);
        double[] norms = new double[states.size()];
        int k = 0;
        for (int t = 0; t < states.size(); t++) {
            double s = 0;
            for (int p = 0; p < states.get(t).size(); p++) {
                for (double v : g.get(k++).value().toDoubleArray()) {
                    s += v * v;
                }
            }
            norms[t] = Math.sqrt(s);
        }
        return norms;
    }

    private static List<Variable> flatten(List<List<Variable>> states, int batch) {
        List<Variable> wrt = new ArrayList<>();
        for (int t = 0; t < states.size(); t++) {
            for (Variable part : states.get(t)) {
                if (batch > 0 && (part.shape().rank() != 2 || part.shape().dim(0) != batch)) {
                    throw new IllegalArgumentException("jacobianNorms: state part at step " + t + " has shape " + part.shape()
                            + ", expected [" + batch + ", ·]");
                }
                wrt.add(part);
            }
        }
        return wrt;
    }

    private static void accumulate(double[][] squares, List<Variable> g, List<List<Variable>> states, int batch) {
        int k = 0;
        for (int t = 0; t < states.size(); t++) {
            for (int p = 0; p < states.get(t).size(); p++) {
                double[] v = g.get(k++).value().toDoubleArray();
                int width = v.length / batch;
                for (int b = 0; b < batch; b++) {
                    for (int j = 0; j < width; j++) {
                        double x = v[b * width + j];
                        squares[t][b] += x * x;
                    }
                }
            }
        }
    }
}
