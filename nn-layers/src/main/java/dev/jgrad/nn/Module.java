package dev.jgrad.nn;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Something with trainable parameters. Names are dotted and hierarchical, as in PyTorch's
 * {@code state_dict} ({@code layers.0.weight_hh}), and their order is stable: it is the order in which
 * the module declares them.
 */
public interface Module {

    /**
     * Every parameter under its dotted name, in a stable order; the map is unmodifiable.
     *
     * @return the parameters by dotted name
     */
    Map<String, Parameter> parameters();

    /**
     * The modules this one is made of, by the name that prefixes their parameters' names
     * ({@code rnn} for {@code rnn.layers.0.weight_ih}); empty for a module that holds its parameters
     * itself. Lets a whole model be walked part by part, as {@code TorchStateDict} does to name a
     * recurrent stack's weights as PyTorch does.
     *
     * @return the child modules by name, in order
     */
    default Map<String, Module> children() {
        return Map.of();
    }

    /**
     * Converts every parameter to {@code dtype} in place, as PyTorch's {@code module.to(dtype)}: for a
     * gradient check of a float32 model, {@code toDType(F64)} before and {@code toDType(F32)} after
     * (float32 → float64 → float32 is exact). Gradients are dropped; inputs, initial states and
     * optimizer state keep their dtype, so create them (or the optimizer) after the cast.
     *
     * @param dtype the dtype every parameter gets
     */
    default void toDType(DType dtype) {
        parameters().values().forEach(p -> p.toDType(dtype));
    }

    /**
     * Total number of scalar parameters.
     *
     * @return the sum of the parameters' sizes
     */
    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters().values()) {
            n += p.value().size();
        }
        return n;
    }

    /**
     * The current values by name, in parameter order.
     *
     * @return an unmodifiable map from dotted name to value
     */
    default Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        parameters().forEach((k, p) -> out.put(k, p.value()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Replaces every parameter's value, all or nothing: everything is validated before anything is
     * written, so on error no parameter has changed.
     *
     * @param state a value for every parameter, by dotted name
     * @throws IllegalArgumentException naming the first unknown name, missing name, or tensor with the
     *                                  wrong shape or dtype, or containing NaN or ±∞
     */
    default void loadStateDict(Map<String, Tensor> state) {
        Map<String, Parameter> params = parameters();
        for (String k : state.keySet()) {
            if (!params.containsKey(k)) {
                throw new IllegalArgumentException("loadStateDict: unknown parameter " + k + "; expected one of " + params.keySet());
            }
        }
        List<String> missing = new ArrayList<>();
        for (String k : params.keySet()) {
            if (!state.containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict: missing parameter(s) " + missing);
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Tensor t = state.get(e.getKey());
            Tensor cur = e.getValue().value();
            if (t == null || !cur.shape().equals(t.shape()) || cur.dtype() != t.dtype()) {
                throw new IllegalArgumentException("loadStateDict: parameter " + e.getKey() + ": expected " + cur.dtype()
                        + cur.shape() + ", got " + (t == null ? "null" : t.dtype() + "" + t.shape()));
            }
            if (t.hasNonFinite()) {
                throw new IllegalArgumentException("loadStateDict: parameter " + e.getKey() + " " + t.dtype() + t.shape()
                        + " contains NaN or infinity");
            }
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            e.getValue().set(state.get(e.getKey()));
        }
    }

    /**
     * Parameters keyed by their own names, in the given order: the parameter map of a leaf module.
     *
     * @param ps the parameters, in order; null entries (an absent bias) are skipped
     * @return the unmodifiable map
     */
    static Map<String, Parameter> named(Parameter... ps) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Parameter p : ps) {
            if (p != null && out.put(p.name(), p) != null) {
                throw new IllegalArgumentException("Module.named: duplicate parameter name " + p.name());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The parameters of {@code children} under {@code childName.}: the parameter map of a container.
     *
     * @param children the child modules by the prefix their parameters get
     * @return the unmodifiable map
     */
    static Map<String, Parameter> nested(Map<String, ? extends Module> children) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        children.forEach((prefix, m) -> m.parameters().forEach((k, p) -> out.put(prefix + "." + k, p)));
        return Collections.unmodifiableMap(out);
    }
}
