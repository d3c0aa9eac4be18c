package dev.jgrad.nn.optim;

import dev.jgrad.tensor.Tensor;
import java.util.Map;

/**
 * Updates parameters from their accumulated gradients. Parameters without a gradient are left
 * alone. A step never writes NaN or ±∞: a non-finite gradient throws before any parameter changes
 * (use {@link GradientClipping} with {@link NonFinitePolicy#SKIP} to skip such steps instead).
 */
public interface Optimizer {

    /** Applies one update to every parameter that has a gradient. */
    void step();

    /** Forgets every parameter's gradient. */
    void zeroGrad();

    /**
     * The optimizer's whole state (step count, moment buffers) by name, for a checkpoint.
     *
     * @return the state by name
     */
    Map<String, Tensor> state();

    /**
     * Restores a state exported by {@link #state()} of an optimizer over the same parameters, so the
     * run continues bit-exactly; all or nothing.
     *
     * @param state a state exported by {@link #state()}
     * @throws IllegalArgumentException naming the first unknown, missing or mis-shaped entry
     */
    void loadState(Map<String, Tensor> state);
}
