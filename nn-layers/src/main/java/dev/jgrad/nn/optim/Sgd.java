package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
        Objects.requireNonNull(params, "params");
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("Sgd: need lr > 0 and 0 ≤ momentum < 1, got lr=" + lr + ", momentum=" + momentum);
        }
        this.state = new OptimizerState("Sgd", params, List.of(BUFFER), List.of());
        this.lr = lr;
        this.momentum = momentum;
    }

    @Override
    public void step() {
        boolean[] first = new boolean[1];   // whether the parameter being updated has no momentum buffer yet
        state.step((w, g, at, len, size, buffers) -> {
            if (momentum == 0) {
                for (int i = 0; i < len; i++) {
                    w[i] -= lr * g[i];
                }
                return;
            }
            if (at == 0) {
                first[0] = buffers[0] == null;
                if (first[0]) {
                    buffers[0] = new double[size];
                }
            }
            double[] b = buffers[0];
            for (int i = 0; i < len; i++) {
                b[at + i] = first[0] ? g[i] : momentum * b[at + i] + g[i];
                w[i] -= lr * b[at + i];
            }
        });
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
    public void loadState(Map<String, Tensor> state) {
        Objects.requireNonNull(state, "state");
        this.state.load(state);
    }
}
