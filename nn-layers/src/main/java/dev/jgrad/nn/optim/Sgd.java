package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, as PyTorch's {@code SGD} (no dampening, no
 * Nesterov): {@code b ← μ·b + g} ({@code b ← g} on the first step), {@code p ← p − lr·b}; with
 * {@code μ = 0}, {@code p ← p − lr·g}. Arithmetic in float64, rounded once to the parameter's dtype.
 */
public final class Sgd implements Optimizer {
    private static final String BUFFER = "momentum_buffer";
    private final OptimizerState state;
    private final double lr;
    private final double momentum;

    /**
     * Plain SGD.
     *
     * @param params the parameters updated, by name
     * @param lr     the learning rate
     */
    public Sgd(Map<String, Parameter> params, double lr) {
        this(params, lr, 0.0);
    }

    /**
     * SGD with momentum: {@code b ← momentum·b + g}, {@code w ← w − lr·b}, as PyTorch's {@code SGD}.
     *
     * @param params   the parameters updated, by name
     * @param lr       the learning rate, positive
     * @param momentum the momentum, in [0, 1)
     */
    public Sgd(Map<String, Parameter> params, double lr, double momentum) {
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("Sgd: need lr > 0 and 0 ≤ momentum < 1, got lr=" + lr + ", momentum=" + momentum);
        }
        this.state = new OptimizerState("Sgd", params, List.of(BUFFER), List.of());
        this.lr = lr;
        this.momentum = momentum;
    }

    @Override
    public void step() {
        state.requireFiniteGradients();
        Map<String, double[]> values = new LinkedHashMap<>();
        Map<String, double[]> buffers = new LinkedHashMap<>();
        state.params().forEach((name, p) -> {
            Tensor grad = p.grad();
            if (grad == null) {
                return;
            }
            double[] g = grad.toDoubleArray();
            double[] w = p.value().toDoubleArray();
            double[] d = g;
            if (momentum != 0) {
                double[] old = state.get(BUFFER, name);
                double[] b = g.clone();
                for (int i = 0; old != null && i < b.length; i++) {
                    b[i] = momentum * old[i] + g[i];
                }
                buffers.put(BUFFER + "." + name, b);
                d = b;
            }
            for (int i = 0; i < w.length; i++) {
                w[i] -= lr * d[i];
            }
            values.put(name, w);
        });
        state.commit(values, buffers);
    }

    @Override
    public void zeroGrad() {
        state.zeroGrad();
    }

    @Override
    public Map<String, Tensor> state() {
        return state.export();
    }

    @Override
    public void loadState(Map<String, Tensor> s) {
        state.load(s);
    }
}
