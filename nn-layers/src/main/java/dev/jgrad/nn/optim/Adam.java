package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Adam (Kingma and Ba, 2015) with PyTorch's update and defaults ({@code lr = 1e-3},
 * {@code β = (0.9, 0.999)}, {@code ε = 1e-8}, no weight decay). At step t:
 * <pre>
 * g ← g + λ·p                       (only when weight decay λ ≠ 0; L2, not AdamW)
 * m ← β₁·m + (1 − β₁)·g             v ← β₂·v + (1 − β₂)·g²
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 * State: {@code step} and per parameter {@code exp_avg.name}, {@code exp_avg_sq.name}, in float64.
 */
public final class Adam implements Optimizer {
    private static final String STEP = "step";
    private static final String M = "exp_avg";
    private static final String V = "exp_avg_sq";
    private final OptimizerState state;
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    /**
     * Adam with all of PyTorch's defaults, {@code lr = 1e-3}.
     *
     * @param params the parameters updated, by name
     */
    public Adam(Map<String, Parameter> params) {
        this(params, 1e-3);
    }

    /**
     * Adam with PyTorch's defaults and learning rate {@code lr}.
     *
     * @param params the parameters updated, by name
     * @param lr     the learning rate
     */
    public Adam(Map<String, Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.0);
    }

    /**
     * Adam with every setting given (see the class comment for the update).
     *
     * @param params      the parameters updated, by name
     * @param lr          the learning rate, positive
     * @param beta1       the first moment's decay, in [0, 1)
     * @param beta2       the second moment's decay, in [0, 1)
     * @param eps         added to the second moment's square root, at least 0
     * @param weightDecay the L2 factor λ added to the gradient as {@code λ·p}, at least 0
     */
    public Adam(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        Objects.requireNonNull(params, "params");
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam: need lr > 0, 0 ≤ β < 1, ε ≥ 0, weight decay ≥ 0; got lr=" + lr + ", β1="
                    + beta1 + ", β2=" + beta2 + ", ε=" + eps + ", weight decay=" + weightDecay);
        }
        this.state = new OptimizerState("Adam", params, List.of(M, V), List.of(STEP));
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /**
     * Number of steps taken.
     *
     * @return the number of {@link #step()} calls
     */
    public long steps() {
        return (long) state.scalar(STEP);
    }

    @Override
    public void step() {
        double t = state.scalar(STEP) + 1;
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        state.step((w, g, at, len, size, buffers) -> {
            if (at == 0) {   // zero moments before a parameter's first update
                for (int k = 0; k < 2; k++) {
                    if (buffers[k] == null) {
                        buffers[k] = new double[size];
                    }
                }
            }
            double[] m = buffers[0];
            double[] v = buffers[1];
            for (int i = 0; i < len; i++) {
                int j = at + i;
                double gi = weightDecay != 0 ? g[i] + weightDecay * w[i] : g[i];
                m[j] = beta1 * m[j] + (1 - beta1) * gi;
                v[j] = beta2 * v[j] + (1 - beta2) * gi * gi;
                w[i] -= stepSize * m[j] / (Math.sqrt(v[j]) / bc2Sqrt + eps);
            }
        });
        state.setScalar(STEP, t);
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
