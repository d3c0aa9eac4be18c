package dev.jgrad.nn.io;

import com.google.common.collect.ImmutableMap;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A whole model's parameters under the names PyTorch's {@code state_dict} gives the same model, and
 * back. jgrad's {@link Module} names already follow PyTorch's dotted scheme ({@code embedding.weight},
 * {@code output.bias}: {@code Linear} and {@code Embedding} lay out their tensors as
 * {@code nn.Linear} and {@code nn.Embedding} do); the one difference is a recurrent stack, whose
 * layers jgrad names {@code rnn.layers.{k}.weight_ih} where {@code nn.GRU}, {@code nn.LSTM} and
 * {@code nn.RNN} say {@code rnn.weight_ih_l{k}} ({@link TorchRecurrentWeights}). So a character
 * model of an embedding, a GRU stack and a linear layer maps to
 * {@code embedding.weight, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, …,
 * output.weight, output.bias}, exactly the keys of the PyTorch module with attributes
 * {@code embedding}, {@code rnn} and {@code output}.
 *
 * <p>The model is walked through {@link Module#children()}: every {@link RecurrentStack} found is
 * renamed (and must have a PyTorch counterpart: a {@code RESET_BEFORE} GRU has none, see
 * {@link TorchRecurrentWeights#kindOf}), every other parameter keeps its name.
 */
public final class TorchStateDict {
    private TorchStateDict() {
    }

    /**
     * The PyTorch name of every parameter, keyed by its jgrad name, in parameter order.
     *
     * @param model the model
     * @return PyTorch's name for each jgrad name
     * @throws IllegalArgumentException when a recurrent stack in the model has no PyTorch counterpart
     */
    public static Map<String, String> torchNames(Module model) {
        Objects.requireNonNull(model, "model");
        Map<String, String> names = new LinkedHashMap<>();
        collect(model, "", names);
        ImmutableMap.Builder<String, String> ordered = ImmutableMap.builder();
        for (String ours : model.parameters().keySet()) {
            ordered.put(ours, names.getOrDefault(ours, ours));
        }
        return ordered.buildOrThrow();
    }

    private static void collect(Module m, String prefix, Map<String, String> names) {
        if (m instanceof RecurrentStack stack) {
            TorchRecurrentWeights.kindOf(stack);
            for (String ours : stack.parameters().keySet()) {
                String[] parts = ours.split("\\.", 3); // layers.{k}.{weight_ih|weight_hh|bias_ih|bias_hh}
                names.put(prefix + ours, prefix + TorchRecurrentWeights.torchName(parts[2], Integer.parseInt(parts[1])));
            }
            return;
        }
        m.children().forEach((name, child) -> collect(child, prefix + name + ".", names));
    }

    /**
     * The model's values under PyTorch's names, in parameter order, ready for {@code load_state_dict}.
     *
     * @param model the model
     * @return the values by PyTorch name
     */
    public static Map<String, Tensor> toTorch(Module model) {
        Objects.requireNonNull(model, "model");
        ImmutableMap.Builder<String, Tensor> out = ImmutableMap.builder();
        Map<String, Tensor> values = model.stateDict();
        torchNames(model).forEach((ours, theirs) -> out.put(theirs, values.get(ours)));
        return out.buildOrThrow();
    }

    /**
     * Loads a PyTorch state_dict into the model, all or nothing: every tensor is checked before any
     * parameter changes.
     *
     * @param model          the model loaded into
     * @param torchStateDict the values by PyTorch name
     * @throws IllegalArgumentException naming the PyTorch name (and jgrad's) of the first unexpected,
     *                                  missing, mis-shaped, wrong-dtype or non-finite tensor
     */
    public static void load(Module model, Map<String, Tensor> torchStateDict) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(torchStateDict, "torchStateDict");
        Map<String, String> names = torchNames(model);
        Map<String, String> ours = new LinkedHashMap<>();
        names.forEach((o, t) -> ours.put(t, o));
        for (String t : torchStateDict.keySet()) {
            if (!ours.containsKey(t)) {
                throw new IllegalArgumentException("TorchStateDict.load: unexpected tensor '" + t + "'; the model's PyTorch names are "
                        + names.values());
            }
        }
        List<String> missing = new ArrayList<>();
        for (String t : names.values()) {
            if (!torchStateDict.containsKey(t)) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("TorchStateDict.load: missing tensor(s) " + missing);
        }
        Map<String, Tensor> current = model.stateDict();
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : names.entrySet()) {
            Tensor t = torchStateDict.get(e.getValue());
            Tensor cur = current.get(e.getKey());
            if (!t.shape().equals(cur.shape()) || t.dtype() != cur.dtype()) {
                throw new IllegalArgumentException("TorchStateDict.load: tensor '" + e.getValue() + "' (jgrad's " + e.getKey() + ") is "
                        + t.dtype() + t.shape() + ", expected " + cur.dtype() + cur.shape());
            }
            renamed.put(e.getKey(), t);
        }
        model.loadStateDict(renamed);
    }
}
