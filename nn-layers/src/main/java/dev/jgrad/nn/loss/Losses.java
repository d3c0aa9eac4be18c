package dev.jgrad.nn.loss;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.Tensor;

/** Losses of a model's outputs against its targets, each a scalar to differentiate. */
public final class Losses {
    private Losses() {
    }

    /**
     * Mean softmax cross-entropy over all tokens: logits {@code [B, T, V]} (or {@code [N, V]}) against
     * integer targets in [0, V), flattened row-major ({@code targets[b·T + t]} for {@code logits[b, t]}):
     * {@code (1/N) Σ_n (log Σ_v exp(logits[n, v]) − logits[n, target[n]])}, with the max trick.
     *
     * @param logits  the logits {@code [B, T, V]} or {@code [N, V]}
     * @param targets one class index per row of logits
     * @return the mean loss, a scalar
     * @throws IllegalArgumentException when the logits are not rank 2 or 3, the number of targets
     *                                  differs from the number of positions, or a target is outside [0, V)
     */
    public static Variable crossEntropy(Variable logits, int[] targets) {
        int r = logits.shape().rank();
        if (r != 2 && r != 3) {
            throw new IllegalArgumentException("crossEntropy: logits must be [B, T, V] or [N, V], got " + logits.shape());
        }
        int v = logits.shape().dim(r - 1);
        int n = logits.shape().size() / Math.max(v, 1);
        if (targets.length != n) {
            throw new IllegalArgumentException("crossEntropy: logits " + logits.shape() + " have " + n + " positions but "
                    + targets.length + " targets were given");
        }
        return logits.reshape(n, v).crossEntropy(targets);
    }

    /**
     * Mean squared error {@code (1/N) Σ (prediction − target)²} over all {@code N} elements of a
     * prediction and a target of the same shape.
     *
     * @param prediction the prediction
     * @param target     the target, of the same shape
     * @return the mean loss, a scalar
     * @throws IllegalArgumentException when the shapes differ
     */
    public static Variable meanSquaredError(Variable prediction, Tensor target) {
        if (!prediction.shape().equals(target.shape())) {
            throw new IllegalArgumentException("meanSquaredError: prediction " + prediction.shape() + " and target " + target.shape()
                    + " differ");
        }
        return prediction.minus(Variable.constant(target)).square().mean();
    }

    /**
     * Perplexity {@code exp(meanLoss)} of a mean cross-entropy in nats.
     *
     * @param meanLoss a mean cross-entropy in nats
     * @return {@code exp(meanLoss)}
     */
    public static double perplexity(double meanLoss) {
        return Math.exp(meanLoss);
    }
}
