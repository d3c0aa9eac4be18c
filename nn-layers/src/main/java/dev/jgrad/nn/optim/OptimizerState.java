package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-parameter float64 buffers of an optimizer ({@code kind.parameterName}, e.g.
 * {@code exp_avg.layers.0.weight_ih}) plus named scalars such as the step count, with export to and
 * all-or-nothing import from a {@code Map<String, Tensor>}; and the loop over parameters every
 * optimizer's step shares ({@link #step(Update)}), so an optimizer states only its per-parameter rule.
 */
final class OptimizerState {
    /**
     * One parameter's update rule. {@code w} and {@code g} are float64 copies of the parameter's value
     * and gradient; the rule updates {@code w} in place. {@code buffers[k]} is a copy of the
     * parameter's buffer of the k-th kind (in the order given to the constructor), or null before
     * its first update; the rule updates it in place or stores a new array there. A buffer left null
     * is not kept.
     */
    @FunctionalInterface
    interface Update {
        void apply(double[] w, double[] g, double[][] buffers);
    }

    private final String optimizer;
    private final Map<String, Parameter> params;
    private final List<String> kinds;
    private final Map<String, double[]> buffers = new HashMap<>();
    private final Map<String, Double> scalars = new LinkedHashMap<>();

    OptimizerState(String optimizer, Map<String, Parameter> params, List<String> kinds, List<String> scalarNames) {
        this.optimizer = optimizer;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        this.kinds = List.copyOf(kinds);
        for (String s : scalarNames) {
            scalars.put(s, 0.0);
        }
    }

    /** The buffer of {@code kind} for a parameter, or null before its first update. */
    double[] get(String kind, String name) {
        return buffers.get(kind + "." + name);
    }

    double scalar(String name) {
        return scalars.get(name);
    }

    void setScalar(String name, double value) {
        scalars.put(name, value);
    }

    /** Throws before anything changes when a gradient holds NaN or ±∞, naming the parameter. */
    private void requireFiniteGradients() {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Tensor g = e.getValue().grad();
            if (g != null && g.hasNonFinite()) {
                throw new IllegalStateException(optimizer + ".step: gradient of " + e.getKey() + " " + g.dtype() + g.shape()
                        + " contains NaN or infinity; no parameter was updated");
            }
        }
    }

    /**
     * One optimizer step: {@code update} runs for every parameter that has a gradient, in parameter
     * order, and the new values and buffers are then written all at once by {@link #commit}.
     *
     * @throws IllegalStateException before anything changes, when a gradient or a new value is not finite
     */
    void step(Update update) {
        requireFiniteGradients();
        Map<String, double[]> values = new LinkedHashMap<>();
        Map<String, double[]> newBuffers = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            Tensor grad = p.grad();
            if (grad == null) {
                return;
            }
            double[] w = p.value().toDoubleArray();
            double[][] b = new double[kinds.size()][];
            for (int k = 0; k < b.length; k++) {
                double[] old = get(kinds.get(k), name);
                b[k] = old == null ? null : old.clone();
            }
            update.apply(w, grad.toDoubleArray(), b);
            for (int k = 0; k < b.length; k++) {
                if (b[k] != null) {
                    newBuffers.put(kinds.get(k) + "." + name, b[k]);
                }
            }
            values.put(name, w);
        });
        commit(values, newBuffers);
    }

    /**
     * Writes one step's results all at once: the new parameter values (by parameter name) and
     * buffers (by {@code kind.name}). Throws before writing anything when a new value is not finite
     * (an overflowing update), naming the parameter, so no weight ever becomes NaN or ±∞.
     */
    private void commit(Map<String, double[]> values, Map<String, double[]> newBuffers) {
        Map<Parameter, Tensor> updated = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            Parameter p = params.get(e.getKey());
            Tensor t = Tensor.of(p.value().dtype(), e.getValue(), p.value().shape().dims());
            if (t.hasNonFinite()) {
                throw new IllegalStateException(optimizer + ".step: the update of " + e.getKey() + " " + t.dtype() + t.shape()
                        + " overflows to NaN or infinity; no parameter was updated");
            }
            updated.put(p, t);
        }
        updated.forEach(Parameter::set);
        buffers.putAll(newBuffers);
    }

    void zeroGrad() {
        params.values().forEach(Parameter::zeroGrad);
    }

    Map<String, Tensor> export() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        scalars.forEach((k, v) -> out.put(k, Tensor.scalar(DType.F64, v)));
        for (String kind : kinds) {
            params.forEach((name, p) -> {
                double[] b = get(kind, name);
                if (b != null) {
                    out.put(kind + "." + name, Tensor.of(b, p.value().shape().dims()));
                }
            });
        }
        return Collections.unmodifiableMap(out);
    }

    void load(Map<String, Tensor> state) {
        Map<String, double[]> newBuffers = new HashMap<>();
        Map<String, Double> newScalars = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            Tensor t = e.getValue();
            if (scalars.containsKey(key)) {
                if (t.size() != 1) {
                    throw new IllegalArgumentException(optimizer + ".loadState: " + key + " must be a scalar, got " + t.shape());
                }
                newScalars.put(key, t.item());
                continue;
            }
            int dot = key.indexOf('.');
            String kind = dot < 0 ? key : key.substring(0, dot);
            Parameter p = dot < 0 ? null : params.get(key.substring(dot + 1));
            if (!kinds.contains(kind) || p == null) {
                throw new IllegalArgumentException(optimizer + ".loadState: unknown entry " + key);
            }
            Shape want = p.value().shape();
            if (!t.shape().equals(want) || t.dtype() != DType.F64) {
                throw new IllegalArgumentException(optimizer + ".loadState: " + key + ": expected F64" + want + ", got "
                        + t.dtype() + t.shape());
            }
            if (t.hasNonFinite()) {
                throw new IllegalArgumentException(optimizer + ".loadState: " + key + " contains NaN or infinity");
            }
            newBuffers.put(key, t.toDoubleArray());
        }
        for (String s : scalars.keySet()) {
            if (!newScalars.containsKey(s)) {
                throw new IllegalArgumentException(optimizer + ".loadState: missing entry " + s);
            }
        }
        buffers.clear();
        buffers.putAll(newBuffers);
        scalars.putAll(newScalars);
    }
}
