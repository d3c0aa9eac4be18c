package dev.jgrad.nn.optim;

import com.google.common.collect.ImmutableMap;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
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
     * One parameter's update rule, applied a chunk at a time ({@link Kernels#update}) in increasing
     * order from index 0. {@code w} and {@code g} hold float64 copies of elements
     * {@code at … at+len−1} of the parameter's value and gradient, of {@code size} elements in all;
     * the rule updates {@code w} in place. {@code buffers[k]} is a copy of the parameter's buffer of
     * the k-th kind (in the order given to the constructor), all {@code size} elements, or null
     * before its first update: the rule updates its elements {@code at …} in place, or on the first
     * chunk stores a new array there. A buffer left null is not kept.
     */
    @FunctionalInterface
    interface Update {
        void apply(double[] w, double[] g, int at, int len, int size, double[][] buffers);
    }

    private final String optimizer;
    private final Map<String, Parameter> params;
    private final List<String> kinds;
    private final Map<String, double[]> buffers = new HashMap<>();
    private final Map<String, Double> scalars = new LinkedHashMap<>();
    /** The parameters and their names in parameter order, and each buffer's key {@code keys[kind][parameter]}, made once: a step looks them up by position. */
    private final List<String> names;
    private final List<Parameter> parameters;
    private final String[][] keys;

    OptimizerState(String optimizer, Map<String, Parameter> params, List<String> kinds, List<String> scalarNames) {
        this.optimizer = optimizer;
        this.params = ImmutableMap.copyOf(params);
        this.kinds = List.copyOf(kinds);
        this.names = List.copyOf(this.params.keySet());
        this.parameters = List.copyOf(this.params.values());
        this.keys = new String[this.kinds.size()][names.size()];
        for (int k = 0; k < keys.length; k++) {
            for (int i = 0; i < names.size(); i++) {
                keys[k][i] = key(this.kinds.get(k), names.get(i));
            }
        }
        for (String s : scalarNames) {
            scalars.put(s, 0.0);
        }
    }

    /** The buffer of {@code kind} for a parameter, or null before its first update. */
    double[] get(String kind, String name) {
        return buffers.get(key(kind, name));
    }

    /** A buffer's key, as saved: {@code kind.name}. */
    private static String key(String kind, String name) {
        return kind + "." + name;
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
     * order, and the new values and buffers are then written all at once, after every new value was
     * checked: no parameter or buffer changes when one value is not finite (an overflowing update),
     * so no weight ever becomes NaN or ±∞.
     *
     * @throws IllegalStateException before anything changes, when a gradient or a new value is not finite
     */
    void step(Update update) {
        requireFiniteGradients();
        int n = parameters.size();
        Tensor[] values = new Tensor[n];
        double[][][] newBuffers = new double[n][][];
        for (int i = 0; i < n; i++) {
            Parameter p = parameters.get(i);
            Tensor grad = p.grad();
            if (grad == null) {
                continue;
            }
            double[][] b = new double[kinds.size()][];
            for (int k = 0; k < b.length; k++) {
                double[] old = buffers.get(keys[k][i]);
                b[k] = old == null ? null : old.clone();
            }
            int size = p.value().size();
            Tensor t = Kernels.update(p.value(), grad, (w, g, at, len) -> update.apply(w, g, at, len, size, b));
            if (t.hasNonFinite()) {
                throw new IllegalStateException(optimizer + ".step: the update of " + names.get(i) + " " + t.dtype() + t.shape()
                        + " overflows to NaN or infinity; no parameter was updated");
            }
            values[i] = t;
            newBuffers[i] = b;
        }
        for (int i = 0; i < n; i++) {
            if (values[i] == null) {
                continue;
            }
            parameters.get(i).set(values[i]);
            for (int k = 0; k < kinds.size(); k++) {
                if (newBuffers[i][k] != null) {
                    buffers.put(keys[k][i], newBuffers[i][k]);
                }
            }
        }
    }

    void zeroGrad() {
        params.values().forEach(Parameter::zeroGrad);
    }

    Map<String, Tensor> export() {
        ImmutableMap.Builder<String, Tensor> out = ImmutableMap.builder();
        scalars.forEach((k, v) -> out.put(k, Tensor.scalar(DType.F64, v)));
        for (String kind : kinds) {
            params.forEach((name, p) -> {
                double[] b = get(kind, name);
                if (b != null) {
                    out.put(key(kind, name), Tensor.of(b, p.value().shape().dims()));
                }
            });
        }
        return out.buildOrThrow();
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
