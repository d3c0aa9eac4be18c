package dev.jgrad.nn.layer;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Map;

/**
 * Inverted dropout: in training each element is kept with probability {@code 1 − p} and scaled by
 * {@code 1/(1 − p)}, or zeroed, so the expected value is unchanged and evaluation needs nothing:
 * {@code y = x ⊙ m / (1 − p)}, {@code m ~ Bernoulli(1 − p)} elementwise. The mask is a constant, so
 * the gradient is {@code g ⊙ m / (1 − p)}.
 *
 * <p>The randomness comes only from the {@link Rng} passed to {@link #forward(Variable, Rng)} (one
 * draw per element, in row-major order): the same generator state gives the same mask, so a
 * training run that saves its generator's state resumes exactly. Training and evaluation are two
 * calls, not a mode to forget: {@code forward(x, rng)} drops, {@code forward(x)} is the identity.
 */
public final class Dropout implements Module {
    private final double p;

    /**
     * Dropout with drop probability {@code p}.
     *
     * @param p the drop probability
     * @throws IllegalArgumentException when {@code p} is not in [0, 1]
     */
    public Dropout(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: drop probability " + p + " is outside [0, 1]");
        }
        this.p = p;
    }

    /**
     * The probability that an element is dropped.
     *
     * @return the drop probability
     */
    public double p() {
        return p;
    }

    /** None: dropout has no parameters. */
    @Override
    public Map<String, Parameter> parameters() {
        return Map.of();
    }

    /**
     * Training: {@code x ⊙ m / (1 − p)} with a fresh mask drawn from {@code rng} (all zeros when p = 1).
     *
     * @param x   the input
     * @param rng the generator the mask is drawn from
     * @return the input with dropped elements zeroed and the others scaled
     */
    public Variable forward(Variable x, Rng rng) {
        if (p == 0) {
            return x;
        }
        double keep = 1 - p;
        Tensor m = Tensor.bernoulli(rng, x.dtype(), keep, x.shape().dims());
        return x.times(Variable.constant(keep == 0 ? m : Kernels.affine(m, 1 / keep, 0)));
    }

    /**
     * Evaluation: {@code x} itself (inverted dropout scaled at training time already).
     *
     * @param x the input
     * @return {@code x}
     */
    public Variable forward(Variable x) {
        return x;
    }
}
