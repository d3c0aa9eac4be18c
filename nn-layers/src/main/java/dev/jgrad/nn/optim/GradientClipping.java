package dev.jgrad.nn.optim;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Gradient clipping by global norm, as d2l and PyTorch's {@code clip_grad_norm_}: with
 * {@code ‖g‖ = √(Σ_params Σ_i g_i²)}, every gradient is scaled by {@code maxNorm / ‖g‖} when
 * {@code ‖g‖ > maxNorm}, so the direction is kept and the norm becomes {@code maxNorm}.
 */
public final class GradientClipping {
    /** Sums of squares in this range are far from both ends of double: no float64 term overflowed, and any that underflowed were negligible. */
    private static final double SAFE_MIN = 0x1p-900;
    private static final double SAFE_MAX = 0x1p900;

    private GradientClipping() {
    }

    /**
     * What one clipping call did.
     *
     * @param norm    the global gradient norm before clipping (NaN or ∞ when a gradient was not finite)
     * @param clipped whether the gradients were scaled down
     * @param skipped whether the gradients were not finite and were zeroed ({@link NonFinitePolicy#SKIP})
     */
    public record Result(double norm, boolean clipped, boolean skipped) {
    }

    /**
     * Clips the gradients of parameters named by their own names; see {@link #clipByGlobalNorm(Map, double, NonFinitePolicy)}.
     *
     * @param params  the parameters, each named by its own name
     * @param maxNorm the largest global norm allowed
     * @param policy  what to do with a gradient that is not finite
     * @return what the call did
     */
    public static Result clipByGlobalNorm(Collection<Parameter> params, double maxNorm, NonFinitePolicy policy) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(policy, "policy");
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (Parameter p : params) {
            named.putIfAbsent(p.name(), p);
        }
        if (named.size() != params.size()) {
            // Local names repeat across layers; fall back to positions so every parameter is still clipped.
            named.clear();
            int i = 0;
            for (Parameter p : params) {
                named.put("#" + i++ + " " + p.name(), p);
            }
        }
        return clipByGlobalNorm(named, maxNorm, policy);
    }

    /**
     * Scales all gradients by {@code maxNorm / ‖g‖} when the global norm exceeds {@code maxNorm}.
     * Parameters without a gradient count as zero. A gradient holding NaN or ±∞ is handled by
     * {@code policy} and never scaled into the weights.
     *
     * @param params  the parameters by name
     * @param maxNorm the largest global norm allowed
     * @param policy  what to do with a gradient that is not finite
     * @return what the call did
     * @throws IllegalStateException under {@link NonFinitePolicy#THROW}, naming the first parameter
     *                               (in map order) with a non-finite gradient; nothing is changed
     */
    public static Result clipByGlobalNorm(Map<String, Parameter> params, double maxNorm, NonFinitePolicy policy) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(policy, "policy");
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipByGlobalNorm: maxNorm must be positive, got " + maxNorm);
        }
        double norm = globalNorm(params);
        if (!Double.isFinite(norm)) {
            // A finite norm has only finite terms; this one has a NaN or an infinity, or is a float64 norm beyond double.
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                Tensor g = e.getValue().grad();
                if (g != null && g.hasNonFinite()) {
                    if (policy == NonFinitePolicy.THROW) {
                        throw new IllegalStateException("clipByGlobalNorm: gradient of " + e.getKey() + " " + g.dtype() + g.shape()
                                + " contains NaN or infinity");
                    }
                    // globalNorm already says which: NaN when a gradient holds a NaN, else +∞.
                    params.values().forEach(Parameter::zeroGrad);
                    return new Result(norm, false, true);
                }
            }
        }
        if (norm <= maxNorm) {
            return new Result(norm, false, false);
        }
        double scale = maxNorm / norm;
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            if (g != null) {
                p.setGrad(Kernels.affine(g, scale, 0.0));
            }
        }
        return new Result(norm, true, false);
    }

    /**
     * {@code √(Σ g²)} over all gradients: the root of {@link Kernels#sumOfSquares}'s sums where they
     * stay in the range of double (always for float32), else {@code s·√(Σ (g/s)²)} with
     * {@code s = max|g|}, which cannot overflow or lose tiny gradients to underflow.
     *
     * @param params the parameters by name
     * @return the global norm of their gradients
     */
    public static double globalNorm(Map<String, Parameter> params) {
        Objects.requireNonNull(params, "params");
        double sum = 0;
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            if (g != null) {
                sum += Kernels.sumOfSquares(g);
            }
        }
        if (sum >= SAFE_MIN && sum <= SAFE_MAX) {
            return Math.sqrt(sum);
        }
        return scaledNorm(params);
    }

    /** {@code s·√(Σ (g/s)²)} with {@code s = max|g|}: NaN when a gradient holds a NaN ({@code Math.max} keeps it), else +∞ when one holds an infinity. */
    private static double scaledNorm(Map<String, Parameter> params) {
        double s = 0;
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            for (int i = 0; g != null && i < g.size(); i++) {
                s = Math.max(s, Math.abs(g.at(i)));
            }
        }
        if (s == 0 || !Double.isFinite(s)) {
            return s;
        }
        double sum = 0;
        for (Parameter p : params.values()) {
            Tensor g = p.grad();
            for (int i = 0; g != null && i < g.size(); i++) {
                double q = g.at(i) / s;
                sum += q * q;
            }
        }
        return s * Math.sqrt(sum);
    }
}
