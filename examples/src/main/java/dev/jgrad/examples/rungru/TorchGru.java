package dev.jgrad.examples.rungru;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.io.TorchRecurrentWeights;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multi-layer GRU built from a PyTorch {@code nn.GRU} state_dict, and the way back from its
 * parameter gradients to PyTorch's names.
 *
 * <p>Loading and validation are {@link TorchRecurrentWeights}'s; this class adds the RESET_BEFORE
 * reading of the same tensors and the mapping of gradients back. PyTorch names layer {@code k}'s tensors {@code weight_ih_l{k} [3H, I_k]},
 * {@code weight_hh_l{k} [3H, H]}, {@code bias_ih_l{k} [3H]}, {@code bias_hh_l{k} [3H]}, gate blocks
 * in the order r, z, n, with {@code I_0 = I} and {@code I_k = H} above; biases are absent for
 * {@code bias=False}. The number of layers is read from the names.
 *
 * <p>With {@link GRU.Variant#RESET_AFTER} (PyTorch's own equations) the tensors are loaded as
 * they are. With {@link GRU.Variant#RESET_BEFORE} the same blocks are used in Cho et al.'s
 * equations, that is, for each layer:
 * <pre>
 * r  = σ(x W_irᵀ + h W_hrᵀ + b_ir + b_hr)
 * z  = σ(x W_izᵀ + h W_hzᵀ + b_iz + b_hz)
 * h̃  = tanh(x W_inᵀ + (r ⊙ h) W_hnᵀ + b_in + b_hn)
 * h' = z ⊙ h + (1 − z) ⊙ h̃
 * </pre>
 * so the cell's {@code W_x·} are the transposed input blocks, its {@code W_h·} the transposed
 * hidden blocks and its single bias per gate the sum of PyTorch's two. Only {@code h̃} differs from
 * PyTorch's {@code n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))}: the reset gate multiplies the
 * state before the projection, and {@code b_hn} is not reset. Gradients map back by the chain rule
 * of that re-arrangement: blocks transposed and stacked in r, z, n order, and each summed bias's
 * gradient given to both {@code bias_ih} and {@code bias_hh}.
 */
public final class TorchGru {
    private static final String[] GATES = {"r", "z", "h"};

    private final GRU.Variant variant;
    private final RecurrentStack layer;
    private final int layers;
    private final int input;
    private final int hidden;
    private final boolean bias;
    private final DType dtype;

    private TorchGru(GRU.Variant variant, RecurrentStack layer, int layers, int input, int hidden, boolean bias, DType dtype) {
        this.variant = variant;
        this.layer = layer;
        this.layers = layers;
        this.input = input;
        this.hidden = hidden;
        this.bias = bias;
        this.dtype = dtype;
    }

    /**
     * The GRU whose weights are {@code stateDict}, validated and (for RESET_AFTER) loaded by
     * {@link TorchRecurrentWeights#load(Map)}.
     *
     * @throws IllegalArgumentException naming the tensor and the shapes when a name is not a
     *                                  recurrent weight, a layer's weight is missing, biases are given
     *                                  for some layers only, a shape does not fit, dtypes are mixed, a
     *                                  value is NaN or infinite, or the weights are an LSTM's or RNN's
     */
    public static TorchGru fromStateDict(Map<String, Tensor> stateDict, GRU.Variant variant) {
        RecurrentStack torchLayer = TorchRecurrentWeights.load(stateDict);
        TorchRecurrentWeights.Kind kind = TorchRecurrentWeights.kindOf(torchLayer);
        if (kind != TorchRecurrentWeights.Kind.GRU) {
            throw new IllegalArgumentException("weight_hh_l0 " + stateDict.get("weight_hh_l0").shape() + " stacks " + kind.gates()
                    + " gate block(s): these are nn." + (kind == TorchRecurrentWeights.Kind.LSTM ? "LSTM" : "RNN")
                    + " weights, not nn.GRU ones (3 blocks r, z, n)");
        }
        int layers = torchLayer.numLayers();
        int input = torchLayer.inputSize();
        int hidden = torchLayer.hiddenSize();
        boolean bias = stateDict.containsKey("bias_ih_l0");
        DType dtype = stateDict.get("weight_ih_l0").dtype();
        if (variant == GRU.Variant.RESET_AFTER) {
            return new TorchGru(variant, torchLayer, layers, input, hidden, bias, dtype);
        }
        // The tensors are valid now; re-arrange the same blocks into Cho's parameters (x·W layout, one bias per gate).
        RecurrentStack layer = RecurrentStack.gru(variant, input, hidden, layers, bias, dtype, Rng.seeded(0));
        Map<String, Tensor> cellState = new LinkedHashMap<>();
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int k = 0; k < layers; k++) {
                String p = "layers." + k + ".";
                Variable ih = Variable.constant(stateDict.get("weight_ih_l" + k));
                Variable hh = Variable.constant(stateDict.get("weight_hh_l" + k));
                for (int g = 0; g < 3; g++) {
                    cellState.put(p + "W_x" + GATES[g], ih.slice(0, g * hidden, (g + 1) * hidden).transpose().value());
                    cellState.put(p + "W_h" + GATES[g], hh.slice(0, g * hidden, (g + 1) * hidden).transpose().value());
                    if (bias) {
                        Variable bi = Variable.constant(stateDict.get("bias_ih_l" + k)).slice(0, g * hidden, (g + 1) * hidden);
                        Variable bh = Variable.constant(stateDict.get("bias_hh_l" + k)).slice(0, g * hidden, (g + 1) * hidden);
                        cellState.put(p + "b_" + GATES[g], bi.plus(bh).value());
                    }
                }
            }
        }
        layer.loadStateDict(cellState);
        return new TorchGru(variant, layer, layers, input, hidden, bias, dtype);
    }

    public GRU.Variant variant() {
        return variant;
    }

    /** The layer that computes it; its parameters are named {@code layers.{k}.…}. */
    public RecurrentStack layer() {
        return layer;
    }

    public int layers() {
        return layers;
    }

    public int inputSize() {
        return input;
    }

    public int hiddenSize() {
        return hidden;
    }

    public boolean hasBias() {
        return bias;
    }

    public DType dtype() {
        return dtype;
    }

    /**
     * The gradients of the layer's parameters (by the layer's names) under PyTorch's names, in
     * PyTorch's layout; see the class comment for the RESET_BEFORE mapping.
     */
    public Map<String, Tensor> toTorchNames(Map<String, Tensor> layerGradients) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int k = 0; k < layers; k++) {
                String p = "layers." + k + ".";
                if (variant == GRU.Variant.RESET_AFTER) {
                    out.put("weight_ih_l" + k, layerGradients.get(p + "weight_ih"));
                    out.put("weight_hh_l" + k, layerGradients.get(p + "weight_hh"));
                    if (bias) {
                        out.put("bias_ih_l" + k, layerGradients.get(p + "bias_ih"));
                        out.put("bias_hh_l" + k, layerGradients.get(p + "bias_hh"));
                    }
                } else {
                    List<Variable> ih = new ArrayList<>();
                    List<Variable> hh = new ArrayList<>();
                    List<Variable> b = new ArrayList<>();
                    for (String g : GATES) {
                        ih.add(Variable.constant(layerGradients.get(p + "W_x" + g)).transpose());
                        hh.add(Variable.constant(layerGradients.get(p + "W_h" + g)).transpose());
                        if (bias) {
                            b.add(Variable.constant(layerGradients.get(p + "b_" + g)));
                        }
                    }
                    out.put("weight_ih_l" + k, Variable.concat(0, ih).value());
                    out.put("weight_hh_l" + k, Variable.concat(0, hh).value());
                    if (bias) {
                        Tensor sum = Variable.concat(0, b).value();
                        // b = b_ih + b_hh, so ∂/∂b_ih = ∂/∂b_hh = ∂/∂b.
                        out.put("bias_ih_l" + k, sum);
                        out.put("bias_hh_l" + k, sum);
                    }
                }
            }
        }
        return out;
    }
}
