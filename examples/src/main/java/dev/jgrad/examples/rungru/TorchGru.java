package dev.jgrad.examples.rungru;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.layer.RecurrentLayer;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A multi-layer GRU built from a PyTorch {@code nn.GRU} state_dict, and the way back from its
 * parameter gradients to PyTorch's names.
 *
 * <p>PyTorch names layer {@code k}'s tensors {@code weight_ih_l{k} [3H, I_k]},
 * {@code weight_hh_l{k} [3H, H]}, {@code bias_ih_l{k} [3H]}, {@code bias_hh_l{k} [3H]}, gate blocks
 * in the order r, z, n, with {@code I_0 = I} and {@code I_k = H} above; biases are absent for
 * {@code bias=False}. The number of layers is read from the names.
 *
 * <p>With {@link GRUCell.Variant#RESET_AFTER} (PyTorch's own equations) the tensors are loaded as
 * they are. With {@link GRUCell.Variant#RESET_BEFORE} the same blocks are used in Cho et al.'s
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
    private static final Pattern NAME = Pattern.compile("(weight_ih|weight_hh|bias_ih|bias_hh)_l(\\d+)");
    private static final String[] GATES = {"r", "z", "h"};

    private final GRUCell.Variant variant;
    private final RecurrentLayer layer;
    private final int layers;
    private final int input;
    private final int hidden;
    private final boolean bias;
    private final DType dtype;

    private TorchGru(GRUCell.Variant variant, RecurrentLayer layer, int layers, int input, int hidden, boolean bias, DType dtype) {
        this.variant = variant;
        this.layer = layer;
        this.layers = layers;
        this.input = input;
        this.hidden = hidden;
        this.bias = bias;
        this.dtype = dtype;
    }

    /**
     * The GRU whose weights are {@code stateDict}.
     *
     * @throws IllegalArgumentException naming the tensor and the shapes when a name is not a GRU
     *                                  weight, a layer's weight is missing, biases are given for some
     *                                  layers only, a shape does not fit, dtypes are mixed, or a value
     *                                  is NaN or infinite
     */
    public static TorchGru fromStateDict(Map<String, Tensor> stateDict, GRUCell.Variant variant) {
        if (stateDict.isEmpty()) {
            throw new IllegalArgumentException("weights: no tensors; expected weight_ih_l0, weight_hh_l0 and optionally bias_ih_l0, bias_hh_l0");
        }
        TreeSet<Integer> layerIds = new TreeSet<>();
        DType dtype = null;
        String firstName = null;
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            Matcher m = NAME.matcher(e.getKey());
            if (!m.matches()) {
                throw new IllegalArgumentException("weights: unexpected tensor '" + e.getKey() + "' " + e.getValue().shape()
                        + "; an nn.GRU state_dict holds only weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}");
            }
            layerIds.add(Integer.parseInt(m.group(2)));
            Tensor t = e.getValue();
            if (dtype == null) {
                dtype = t.dtype();
                firstName = e.getKey();
            } else if (t.dtype() != dtype) {
                throw new IllegalArgumentException("weights: tensor '" + e.getKey() + "' is " + t.dtype() + " but '" + firstName
                        + "' is " + dtype + "; all weights must have one dtype");
            }
            if (t.hasNonFinite()) {
                throw new IllegalArgumentException("weights: tensor '" + e.getKey() + "' " + t.shape() + " contains NaN or infinity");
            }
        }
        int layers = layerIds.last() + 1;
        Tensor hh0 = require(stateDict, "weight_hh_l0", layers);
        if (hh0.rank() != 2 || hh0.shape().dim(0) != 3 * hh0.shape().dim(1) || hh0.shape().dim(1) == 0) {
            throw new IllegalArgumentException("weights: 'weight_hh_l0' has shape " + hh0.shape() + "; expected [3H, H]");
        }
        int hidden = hh0.shape().dim(1);
        Tensor ih0 = require(stateDict, "weight_ih_l0", layers);
        if (ih0.rank() != 2 || ih0.shape().dim(0) != 3 * hidden || ih0.shape().dim(1) == 0) {
            throw new IllegalArgumentException("weights: 'weight_ih_l0' has shape " + ih0.shape() + "; expected [" + 3 * hidden
                    + ", I] (3H = " + 3 * hidden + " from weight_hh_l0 " + hh0.shape() + ")");
        }
        int input = ih0.shape().dim(1);
        boolean bias = stateDict.containsKey("bias_ih_l0") || stateDict.containsKey("bias_hh_l0");
        for (int k = 0; k < layers; k++) {
            expectShape(require(stateDict, "weight_ih_l" + k, layers), "weight_ih_l" + k, 3 * hidden, k == 0 ? input : hidden);
            expectShape(require(stateDict, "weight_hh_l" + k, layers), "weight_hh_l" + k, 3 * hidden, hidden);
            for (String b : new String[] {"bias_ih_l" + k, "bias_hh_l" + k}) {
                if (bias) {
                    if (!stateDict.containsKey(b)) {
                        throw new IllegalArgumentException("weights: missing tensor '" + b + "' [" + 3 * hidden
                                + "]; biases must be given for every layer or for none");
                    }
                    expectShape(stateDict.get(b), b, 3 * hidden);
                } else if (stateDict.containsKey(b)) {
                    throw new IllegalArgumentException("weights: tensor '" + b + "' is given but layer 0 has no biases;"
                            + " biases must be given for every layer or for none");
                }
            }
        }
        RecurrentLayer layer = RecurrentLayer.gru(variant, input, hidden, layers, bias, dtype, Rng.seeded(0));
        Map<String, Tensor> cellState = new LinkedHashMap<>();
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int k = 0; k < layers; k++) {
                String p = "layers." + k + ".";
                if (variant == GRUCell.Variant.RESET_AFTER) {
                    cellState.put(p + "weight_ih", stateDict.get("weight_ih_l" + k));
                    cellState.put(p + "weight_hh", stateDict.get("weight_hh_l" + k));
                    if (bias) {
                        cellState.put(p + "bias_ih", stateDict.get("bias_ih_l" + k));
                        cellState.put(p + "bias_hh", stateDict.get("bias_hh_l" + k));
                    }
                } else {
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
        }
        layer.loadStateDict(cellState);
        return new TorchGru(variant, layer, layers, input, hidden, bias, dtype);
    }

    private static Tensor require(Map<String, Tensor> stateDict, String name, int layers) {
        Tensor t = stateDict.get(name);
        if (t == null) {
            throw new IllegalArgumentException("weights: missing tensor '" + name + "' (the names imply " + layers + " layer"
                    + (layers == 1 ? "" : "s") + ")");
        }
        return t;
    }

    private static void expectShape(Tensor t, String name, int... dims) {
        if (!t.shape().equals(dev.jgrad.tensor.Shape.of(dims))) {
            throw new IllegalArgumentException("weights: '" + name + "' has shape " + t.shape() + "; expected "
                    + dev.jgrad.tensor.Shape.of(dims));
        }
    }

    public GRUCell.Variant variant() {
        return variant;
    }

    /** The layer that computes it; its parameters are named {@code layers.{k}.…}. */
    public RecurrentLayer layer() {
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
                if (variant == GRUCell.Variant.RESET_AFTER) {
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
