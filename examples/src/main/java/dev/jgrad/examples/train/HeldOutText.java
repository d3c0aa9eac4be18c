package dev.jgrad.examples.train;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.loss.Losses;
import java.util.List;

/**
 * Text a run never trains on, and a model's perplexity on it: {@code exp} of the mean
 * cross-entropy of predicting each token from the ones before it. The text is laid out as up to
 * {@code batch} rows, read {@code steps} tokens at a time with the state carried along each row, so
 * every prediction but a row's first sees its row's whole past, as in sequential training.
 */
public final class HeldOutText {
    private final int[] tokens;
    private final int rows;
    private final int steps;

    /**
     * @throws IllegalArgumentException when there are fewer than 2 tokens (nothing to predict)
     */
    public HeldOutText(int[] tokens, int batch, int steps) {
        if (tokens.length < 2 || batch < 1 || steps < 1) {
            throw new IllegalArgumentException("held-out text: need at least 2 tokens, batch and steps ≥ 1; got " + tokens.length
                    + " tokens, batch " + batch + ", steps " + steps);
        }
        this.tokens = tokens.clone();
        this.rows = Math.max(1, Math.min(batch, (tokens.length - 1) / steps));
        this.steps = steps;
    }

    /** Characters of held-out text. */
    public int length() {
        return tokens.length;
    }

    /** The model's perplexity on this text, computed without recording. */
    public double perplexity(CharModel model) {
        int cols = (tokens.length - 1) / rows;
        double lossSum = 0;
        long predicted = 0;
        List<State> state = null;
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int from = 0; from < cols; from += steps) {
                int t = Math.min(steps, cols - from);
                int[][] inputs = new int[rows][t];
                int[] targets = new int[rows * t];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < t; j++) {
                        inputs[r][j] = tokens[r * cols + from + j];
                        targets[r * t + j] = tokens[r * cols + from + j + 1];
                    }
                }
                CharModel.Output out = model.forward(inputs, state);
                lossSum += Losses.crossEntropy(out.logits(), targets).value().item() * targets.length;
                predicted += targets.length;
                state = out.finalStates();
            }
        }
        return Math.exp(lossSum / predicted);
    }
}
