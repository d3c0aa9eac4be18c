package dev.jgrad.examples.flow;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;

/**
 * The adding problem (Hochreiter &amp; Schmidhuber 1997, in the form of Arjovsky et al. 2016): a
 * test of memory over long spans.
 *
 * <p>Each sequence has {@code T} steps of two channels: channel 0 a value drawn uniformly from
 * {@code [0, 1)}, channel 1 a marker that is 1 at exactly two steps and 0 elsewhere, the first
 * marked step in the first half {@code [0, ⌊T/2⌋)} and the second in the second half
 * {@code [⌊T/2⌋, T)}. The target is the sum of the two marked values. Predicting the constant 1
 * (the target's mean) scores the MSE {@code Var(U₁ + U₂) = 2/12 = 1/6 ≈ 0.167}: a model must beat
 * that to have remembered anything.
 */
public final class AddingProblem {
    /** The MSE of always predicting 1: the variance of the sum of two independent U[0, 1). */
    public static final double BASELINE_MSE = 1.0 / 6.0;

    private AddingProblem() {
    }

    /**
     * One batch: inputs {@code x} of shape {@code [B, T, 2]}, targets {@code y} of shape {@code [B, 1]},
     * and the two marked steps of each sequence ({@code marks[b] = {first, second}}).
     */
    public record Batch(Tensor x, Tensor y, int[][] marks) {
    }

    /**
     * {@code batch} fresh sequences of length {@code length} (at least 2) in the given dtype, drawn
     * from {@code rng}.
     */
    public static Batch sample(Rng rng, int batch, int length, DType dtype) {
        if (batch < 1 || length < 2) {
            throw new IllegalArgumentException("addingProblem: need batch ≥ 1 and length ≥ 2, got batch " + batch + ", length " + length);
        }
        int half = length / 2;
        double[] x = new double[batch * length * 2];
        double[] y = new double[batch];
        int[][] marks = new int[batch][];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                x[(b * length + t) * 2] = rng.nextDouble();
            }
            int first = rng.nextInt(half);
            int second = half + rng.nextInt(length - half);
            x[(b * length + first) * 2 + 1] = 1;
            x[(b * length + second) * 2 + 1] = 1;
            y[b] = x[(b * length + first) * 2] + x[(b * length + second) * 2];
            marks[b] = new int[] {first, second};
        }
        return new Batch(Tensor.of(DType.F64, x, batch, length, 2).cast(dtype), Tensor.of(DType.F64, y, batch, 1).cast(dtype), marks);
    }
}
