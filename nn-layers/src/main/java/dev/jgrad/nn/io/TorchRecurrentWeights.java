package dev.jgrad.nn.io;

import com.google.common.collect.ImmutableMap;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.LSTMCell;
import dev.jgrad.nn.cell.RNNCell;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.TorchGRUCell;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch {@code nn.GRU}, {@code nn.LSTM} and {@code nn.RNN} (tanh) weights as jgrad
 * {@link RecurrentStack}s, and back.
 *
 * <p>PyTorch names layer {@code k}'s tensors {@code weight_ih_l{k} [G·H, I_k]},
 * {@code weight_hh_l{k} [G·H, H]}, {@code bias_ih_l{k} [G·H]}, {@code bias_hh_l{k} [G·H]}, with
 * {@code I_0} the input size, {@code I_k = H} above, and {@code G} gate blocks stacked by rows:
 * 3 for the GRU (r, z, n), 4 for the LSTM (i, f, g, o), 1 for the plain RNN. jgrad's layers use the
 * same layout under {@code layers.{k}.weight_ih} and so on, so the mapping renames and copies
 * nothing else. A GRU maps to {@link TorchGRUCell}, the variant PyTorch computes
 * (see Note [GRU reset gate] in {@link GRU}).
 *
 * <p>{@link #load} infers everything from the names and shapes: the number of layers from the
 * largest {@code l{k}}, {@code H} from {@code weight_hh_l0}'s columns, {@code G} (hence the kind of
 * cell) from its rows, the input size from {@code weight_ih_l0}'s columns, bias from whether the
 * biases are present (all or none, as PyTorch's single {@code bias} flag has it). {@code G = 1}
 * loads as a tanh RNN, {@code nn.RNN}'s default nonlinearity; a relu RNN has the same tensors and
 * cannot be told apart from them. Loading is all or nothing: every tensor is checked before the
 * layer is built, and a missing, unexpected, mis-shaped, mixed-dtype or non-finite tensor is an
 * {@link IllegalArgumentException} that names it. Bidirectional layers ({@code _reverse}) and LSTM
 * projections ({@code weight_hr}) are refused by name.
 */
public final class TorchRecurrentWeights {

    /** The cell kinds PyTorch and jgrad share, by gate blocks per weight. */
    public enum Kind {
        /** {@code nn.GRU}: gate blocks r, z, n; jgrad's {@link TorchGRUCell}. */
        GRU(3),
        /** {@code nn.LSTM}: gate blocks i, f, g, o. */
        LSTM(4),
        /** {@code nn.RNN} with {@code nonlinearity='tanh'}. */
        RNN_TANH(1);

        private final int gates;

        Kind(int gates) {
            this.gates = gates;
        }

        /**
         * Gate blocks stacked in each weight's rows.
         *
         * @return 3 for the GRU, 4 for the LSTM, 1 for the RNN
         */
        public int gates() {
            return gates;
        }
    }

    private static final Pattern TORCH_NAME = Pattern.compile("(weight_ih|weight_hh|bias_ih|bias_hh)_l(0|[1-9][0-9]{0,5})");
    private static final List<String> PARTS = List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh");

    private TorchRecurrentWeights() {
    }

    /**
     * Loads the layer stored in a safetensors file whose tensors are all PyTorch recurrent weights.
     *
     * @param path the safetensors file
     * @return the layer
     */
    public static RecurrentStack load(Path path) {
        Objects.requireNonNull(path, "path");
        return load(Safetensors.read(path).tensors(), "");
    }

    /**
     * Loads the layer stored under {@code prefix} in a safetensors file (a whole model's weights,
     * say, with the recurrent module's under {@code "rnn."}); see {@link #load(Map, String)}.
     *
     * @param path   the safetensors file
     * @param prefix the prefix of the layer's names, such as {@code "rnn."}
     * @return the layer
     */
    public static RecurrentStack load(Path path, String prefix) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(prefix, "prefix");
        return load(Safetensors.read(path).tensors(), prefix);
    }

    /**
     * Builds the layer a PyTorch recurrent module's state_dict describes; every entry must belong to it.
     *
     * @param stateDict the module's state_dict
     * @return the layer
     */
    public static RecurrentStack load(Map<String, Tensor> stateDict) {
        return load(stateDict, "");
    }

    /**
     * Builds the layer from the entries named {@code prefix + torchName} (for instance prefix
     * {@code "rnn."} for a model whose recurrent module is its {@code rnn} attribute); entries
     * without the prefix are ignored, entries with it must all belong to the layer.
     *
     * @param stateDict a state_dict holding the layer's weights
     * @param prefix    the prefix of the layer's names, such as {@code "rnn."}
     * @return the layer
     * @throws IllegalArgumentException naming the tensor, if one is missing, unexpected, mis-shaped,
     *                                  of a different dtype than the others, or not finite
     */
    public static RecurrentStack load(Map<String, Tensor> stateDict, String prefix) {
        Objects.requireNonNull(stateDict, "stateDict");
        Objects.requireNonNull(prefix, "prefix");
        String op = "TorchRecurrentWeights.load";
        TreeMap<Integer, Map<String, Tensor>> byLayer = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                continue;
            }
            String name = e.getKey().substring(prefix.length());
            Matcher m = TORCH_NAME.matcher(name);
            if (!m.matches()) {
                throw new IllegalArgumentException(op + ": unexpected tensor '" + e.getKey() + "'" + hint(name)
                        + " (expected weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k})");
            }
            byLayer.computeIfAbsent(Integer.parseInt(m.group(2)), k -> new LinkedHashMap<>()).put(m.group(1), e.getValue());
        }
        if (byLayer.isEmpty()) {
            throw new IllegalArgumentException(op + ": no tensor named " + prefix + "weight_ih_l0 (found " + stateDict.keySet() + ")");
        }
        int layers = byLayer.lastKey() + 1;
        Map<String, Tensor> l0 = byLayer.getOrDefault(0, Map.of());
        Tensor hh0 = require(l0, "weight_hh", 0, prefix);
        Tensor ih0 = require(l0, "weight_ih", 0, prefix);
        if (hh0.rank() != 2 || hh0.shape().dim(1) == 0 || hh0.shape().dim(0) % hh0.shape().dim(1) != 0) {
            throw new IllegalArgumentException(op + ": " + prefix + "weight_hh_l0 has shape " + hh0.shape()
                    + ", not [G·H, H] for G gate blocks");
        }
        int hidden = hh0.shape().dim(1);
        Kind kind = kindOf(hh0.shape().dim(0) / hidden, prefix);
        if (ih0.rank() != 2 || ih0.shape().dim(1) == 0) {
            throw new IllegalArgumentException(op + ": " + prefix + "weight_ih_l0 has shape " + ih0.shape() + ", not [" + kind.gates()
                    + "·" + hidden + ", input size]");
        }
        int in = ih0.shape().dim(1);
        boolean bias = l0.containsKey("bias_ih") || l0.containsKey("bias_hh");
        DType dtype = ih0.dtype();
        int rows = kind.gates() * hidden;

        Map<String, Tensor> ours = new LinkedHashMap<>();
        for (int k = 0; k < layers; k++) {
            Map<String, Tensor> lk = byLayer.getOrDefault(k, Map.of());
            for (String part : PARTS) {
                boolean isBias = part.startsWith("bias");
                String torchName = prefix + torchName(part, k);
                if (isBias && !bias) {
                    if (lk.containsKey(part)) {
                        throw new IllegalArgumentException(op + ": unexpected tensor '" + torchName
                                + "': layer 0 has no biases, so no layer may have them (PyTorch's bias flag is for all layers)");
                    }
                    continue;
                }
                Tensor t = require(lk, part, k, prefix);
                Shape expected = isBias ? Shape.of(rows) : Shape.of(rows, part.equals("weight_ih") && k == 0 ? in : hidden);
                if (!t.shape().equals(expected)) {
                    throw new IllegalArgumentException(op + ": tensor '" + torchName + "' has shape " + t.shape() + ", expected " + expected
                            + " for a " + layers + "-layer " + kind + " with input size " + in + " and hidden size " + hidden);
                }
                if (t.dtype() != dtype) {
                    throw new IllegalArgumentException(op + ": tensor '" + torchName + "' is " + t.dtype() + " but '" + prefix
                            + "weight_ih_l0' is " + dtype + "; all weights must share one dtype");
                }
                if (t.hasNonFinite()) {
                    throw new IllegalArgumentException(op + ": tensor '" + torchName + "' " + t.shape() + " contains NaN or infinity");
                }
                ours.put("layers." + k + "." + part, t);
            }
        }
        // The seeded initial values are placeholders: every one is overwritten by loadStateDict below.
        Rng placeholder = Rng.seeded(0);
        RecurrentStack layer = switch (kind) {
            case GRU -> RecurrentStack.gru(GRU.Variant.RESET_AFTER, in, hidden, layers, bias, dtype, placeholder);
            case LSTM -> RecurrentStack.lstm(in, hidden, layers, bias, dtype, placeholder);
            case RNN_TANH -> RecurrentStack.rnn(in, hidden, layers, bias, dtype, placeholder);
        };
        layer.loadStateDict(ours);
        return layer;
    }

    /** PyTorch's name for layer {@code layer}'s {@code part} ({@code weight_ih}, ...): {@code weight_ih_l0}. */
    static String torchName(String part, int layer) {
        return part + "_l" + layer;
    }

    private static Tensor require(Map<String, Tensor> layer, String part, int k, String prefix) {
        Tensor t = layer.get(part);
        if (t == null) {
            throw new IllegalArgumentException("TorchRecurrentWeights.load: missing tensor '" + prefix + torchName(part, k) + "'");
        }
        return t;
    }

    private static Kind kindOf(int gates, String prefix) {
        for (Kind kind : Kind.values()) {
            if (kind.gates() == gates) {
                return kind;
            }
        }
        throw new IllegalArgumentException("TorchRecurrentWeights.load: " + prefix + "weight_hh_l0 stacks " + gates
                + " gate blocks; expected 3 (GRU), 4 (LSTM) or 1 (RNN)");
    }

    /** Why a name that looks like PyTorch's is still refused. */
    private static String hint(String name) {
        if (name.endsWith("_reverse")) {
            return ": bidirectional layers are not supported";
        }
        if (name.startsWith("weight_hr")) {
            return ": LSTM projections (proj_size) are not supported";
        }
        return "";
    }

    /**
     * The layer's weights under PyTorch's names, in PyTorch's order (layer by layer: weight_ih,
     * weight_hh, bias_ih, bias_hh), ready for {@code module.load_state_dict}.
     *
     * @param layer the layer
     * @return the weights by PyTorch name
     * @throws IllegalArgumentException if a cell has no PyTorch counterpart (a Cho / d2l
     *                                  {@link GRUCell}, or cells of mixed kinds)
     */
    public static Map<String, Tensor> toTorch(RecurrentStack layer) {
        Objects.requireNonNull(layer, "layer");
        kindOf(layer);
        ImmutableMap.Builder<String, Tensor> out = ImmutableMap.builder();
        List<RecurrentCell> cells = layer.cells();
        for (int k = 0; k < cells.size(); k++) {
            Map<String, Tensor> state = cells.get(k).stateDict();
            for (String part : PARTS) {
                Tensor t = state.get(part);
                if (t != null) {
                    out.put(torchName(part, k), t);
                }
            }
        }
        return out.buildOrThrow();
    }

    /**
     * The PyTorch module kind a layer corresponds to.
     *
     * @param layer the layer
     * @return GRU, LSTM or RNN
     */
    public static Kind kindOf(RecurrentStack layer) {
        Objects.requireNonNull(layer, "layer");
        List<Kind> kinds = new ArrayList<>();
        for (RecurrentCell cell : layer.cells()) {
            Kind kind = switch (cell) {
                case TorchGRUCell g -> Kind.GRU;
                case GRUCell g -> throw new IllegalArgumentException("TorchRecurrentWeights: GRUCell (RESET_BEFORE, Cho / d2l) has"
                        + " no PyTorch counterpart; nn.GRU computes RESET_AFTER, TorchGRUCell (see Note [GRU reset gate])");
                case LSTMCell l -> Kind.LSTM;
                case RNNCell r -> Kind.RNN_TANH;
                default -> throw new IllegalArgumentException("TorchRecurrentWeights: " + cell.getClass().getSimpleName()
                        + " has no PyTorch counterpart");
            };
            kinds.add(kind);
        }
        if (kinds.stream().distinct().count() != 1) {
            throw new IllegalArgumentException("TorchRecurrentWeights: layers of mixed kinds " + kinds + " have no PyTorch counterpart");
        }
        return kinds.get(0);
    }

    /**
     * Writes the layer's weights under PyTorch's names to a safetensors file, atomically, with
     * metadata naming the module kind and sizes.
     *
     * @param layer the layer
     * @param path  the safetensors file written
     */
    public static void save(RecurrentStack layer, Path path) {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(path, "path");
        Map<String, Tensor> tensors = toTorch(layer);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("kind", kindOf(layer).name());
        metadata.put("input_size", Integer.toString(layer.inputSize()));
        metadata.put("hidden_size", Integer.toString(layer.hiddenSize()));
        metadata.put("num_layers", Integer.toString(layer.numLayers()));
        Safetensors.write(path, new SafetensorsFile(tensors, metadata));
    }
}
