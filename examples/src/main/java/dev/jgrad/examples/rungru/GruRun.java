package dev.jgrad.examples.rungru;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward (and, given cotangents, one backward) pass of a {@link TorchGru} over PyTorch-style
 * inputs, with PyTorch-style results.
 *
 * <p>Inputs, by name: {@code x [B, T, I]} (batch first), optionally {@code h0 [L, B, H]} (zeros
 * when absent), and optionally the cotangents {@code dy [B, T, H]} and {@code dh_n [L, B, H]} (one
 * may be given without the other; the missing one counts as zeros). Results: {@code y [B, T, H]},
 * {@code h_n [L, B, H]} and, when a cotangent was given, the vector-Jacobian product of
 * {@code (y, h_n)} with {@code (dy, dh_n)}: the gradients of {@code Σ y ⊙ dy + Σ h_n ⊙ dh_n} as
 * {@code grad.x}, {@code grad.h0} (when {@code h0} was given) and {@code grad.<name>} for every
 * weight, by {@link Tape#gradients}. Everything keeps the weights' dtype.
 */
public final class GruRun {
    private static final Set<String> INPUT_NAMES = Set.of("x", "h0", "dy", "dh_n");

    private GruRun() {
    }

    /**
     * Runs {@code gru} on {@code inputs}.
     *
     * @throws IllegalArgumentException naming the tensor and both shapes when an input is missing,
     *                                  unknown, of the wrong shape or dtype, or not finite
     */
    public static Map<String, Tensor> run(TorchGru gru, Map<String, Tensor> inputs) {
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            if (!INPUT_NAMES.contains(e.getKey())) {
                throw new IllegalArgumentException("input: unexpected tensor '" + e.getKey() + "' " + e.getValue().shape()
                        + "; expected x and optionally h0, dy, dh_n");
            }
            if (e.getValue().dtype() != gru.dtype()) {
                throw new IllegalArgumentException("input: tensor '" + e.getKey() + "' is " + e.getValue().dtype()
                        + " but the weights are " + gru.dtype());
            }
            if (e.getValue().hasNonFinite()) {
                throw new IllegalArgumentException("input: tensor '" + e.getKey() + "' " + e.getValue().shape() + " contains NaN or infinity");
            }
        }
        Tensor x = inputs.get("x");
        if (x == null) {
            throw new IllegalArgumentException("input: missing tensor 'x' [B, T, " + gru.inputSize() + "]");
        }
        if (x.rank() != 3 || x.shape().dim(2) != gru.inputSize() || x.shape().dim(0) == 0 || x.shape().dim(1) == 0) {
            throw new IllegalArgumentException("input: 'x' has shape " + x.shape() + "; expected [B, T, " + gru.inputSize()
                    + "] with B, T ≥ 1 (input size " + gru.inputSize() + " from weight_ih_l0)");
        }
        int b = x.shape().dim(0);
        int t = x.shape().dim(1);
        int l = gru.layers();
        int h = gru.hiddenSize();
        Shape stateShape = Shape.of(l, b, h);
        Tensor h0 = expect(inputs, "h0", stateShape, "[L, B, H]");
        Tensor dy = expect(inputs, "dy", Shape.of(b, t, h), "[B, T, H]");
        Tensor dhN = expect(inputs, "dh_n", stateShape, "[L, B, H]");

        RecurrentStack layer = gru.layer();
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Tape tape = Tape.record()) {
            Variable xv = Variable.leaf("x", x);
            Variable h0v = h0 == null ? null : Variable.leaf("h0", h0);
            List<State> initial = null;
            if (h0v != null) {
                initial = new ArrayList<>();
                for (int k = 0; k < l; k++) {
                    initial.add(State.of(h0v.slice(0, k, k + 1).reshape(b, h)));
                }
            }
            RecurrentStack.Output o = layer.forward(xv, initial);
            Variable y = o.outputs();
            Variable hN = o.hN();
            out.put("y", y.value());
            out.put("h_n", hN.value());
            if (dy == null && dhN == null) {
                return out;
            }
            List<Variable> wrt = new ArrayList<>();
            wrt.add(xv);
            if (h0v != null) {
                wrt.add(h0v);
            }
            List<String> names = new ArrayList<>(layer.parameters().keySet());
            for (Parameter p : layer.parameters().values()) {
                wrt.add(p.variable());
            }
            List<Variable> g = tape.gradients(List.of(y, hN),
                    List.of(Variable.constant(dy != null ? dy : Tensor.zeros(gru.dtype(), y.shape())),
                            Variable.constant(dhN != null ? dhN : Tensor.zeros(gru.dtype(), hN.shape()))),
                    wrt, false);
            out.put("grad.x", g.get(0).value());
            int at = 1;
            if (h0v != null) {
                out.put("grad.h0", g.get(at++).value());
            }
            Map<String, Tensor> layerGrads = new LinkedHashMap<>();
            for (String name : names) {
                layerGrads.put(name, g.get(at++).value());
            }
            gru.toTorchNames(layerGrads).forEach((name, grad) -> out.put("grad." + name, grad));
        }
        return out;
    }

    private static Tensor expect(Map<String, Tensor> inputs, String name, Shape shape, String symbolic) {
        Tensor t = inputs.get(name);
        if (t != null && !t.shape().equals(shape)) {
            throw new IllegalArgumentException("input: '" + name + "' has shape " + t.shape() + "; expected " + symbolic + " = " + shape);
        }
        return t;
    }
}
