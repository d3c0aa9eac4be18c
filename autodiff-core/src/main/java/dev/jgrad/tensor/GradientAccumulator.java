package dev.jgrad.tensor;

/**
 * A running sum {@code t₁ + t₂ + … + tₖ} of same-shape, same-dtype tensors that allocates at most
 * one buffer however many terms arrive: what the backward walk needs when a weight is used at every
 * step of an unrolled sequence.
 *
 * <p>Tensors stay immutable for everyone else: the first term is held by reference (never written),
 * the second produces a fresh private sum, and only that private buffer is updated in place by
 * later terms. {@link #sum()} publishes the buffer; once published it is never written again (a
 * later {@link #add} starts a new private buffer). The summation order is left to right, exactly as
 * {@code ((t₁ + t₂) + t₃) + …} with {@link Kernels#binary}, so results are bit-identical to the
 * allocating sum.
 */
public final class GradientAccumulator {
    private Tensor sum;
    /** Whether {@link #sum} is this accumulator's unpublished buffer, safe to write. */
    private boolean owned;

    private GradientAccumulator() {
    }

    /** An empty accumulator. */
    public static GradientAccumulator create() {
        return new GradientAccumulator();
    }

    /**
     * Adds {@code t} to the running sum.
     *
     * @throws IllegalArgumentException when {@code t}'s shape or dtype differs from the earlier terms'
     */
    public void add(Tensor t) {
        if (sum == null) {
            sum = t;
            return;
        }
        if (!sum.shape.equals(t.shape) || sum.dtype != t.dtype) {
            throw new IllegalArgumentException("gradient accumulation: term " + t.dtype + t.shape
                    + " does not match the running sum " + sum.dtype + sum.shape);
        }
        if (!owned) {
            sum = Kernels.binary(Kernels.Binary.ADD, sum, t);
            owned = true;
            return;
        }
        Kernels.addInPlace(sum, t);
    }

    /** Whether no term has been added. */
    public boolean isEmpty() {
        return sum == null;
    }

    /** The sum so far (null when empty); the returned tensor is never modified afterwards. */
    public Tensor sum() {
        owned = false;
        return sum;
    }
}
