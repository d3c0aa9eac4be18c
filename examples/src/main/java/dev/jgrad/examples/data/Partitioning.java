package dev.jgrad.examples.data;

import dev.jgrad.tensor.Rng;
import java.util.ArrayList;
import java.util.List;

/**
 * How an epoch cuts a token stream into minibatches of {@code batch} subsequences of {@code steps}
 * tokens, exactly as d2l's {@code seq_data_iter_random} and {@code seq_data_iter_sequential}.
 */
public enum Partitioning {
    /**
     * d2l's {@code seq_data_iter_random}: drop a random offset in {@code [0, steps − 1]}, cut the rest
     * into {@code ⌊(n − 1) / steps⌋} subsequences, shuffle them and take {@code batch} at a time.
     * Neighbouring minibatches are unrelated, so the state is reset for each.
     */
    RANDOM,
    /**
     * d2l's {@code seq_data_iter_sequential}: drop a random offset in {@code [0, steps]}, lay the rest
     * out as {@code batch} rows and walk along them {@code steps} columns at a time. Row {@code b} of
     * one minibatch continues in row {@code b} of the next, so the state is carried (and detached).
     */
    SEQUENTIAL;

    /** Whether the hidden state carries from one minibatch to the next. */
    public boolean carriesState() {
        return this == SEQUENTIAL;
    }

    /**
     * One epoch's minibatches of {@code corpus}; draws the offset (and the shuffle) from {@code rng}.
     *
     * @throws IllegalArgumentException when the corpus is too short for even one minibatch
     */
    public List<Minibatch> epoch(int[] corpus, int batch, int steps, Rng rng) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException("partition " + name().toLowerCase() + ": batch and steps must be positive, got batch "
                    + batch + ", steps " + steps);
        }
        List<Minibatch> out = this == RANDOM ? random(corpus, batch, steps, rng) : sequential(corpus, batch, steps, rng);
        if (out.isEmpty()) {
            throw new IllegalArgumentException("partition " + name().toLowerCase() + ": a corpus of " + corpus.length
                    + " tokens is too short for one minibatch of " + batch + " x " + steps + " (need at least "
                    + (batch * steps + steps + 1) + ")");
        }
        return out;
    }

    private static List<Minibatch> random(int[] corpus, int batch, int steps, Rng rng) {
        int offset = rng.nextInt(steps);
        int n = corpus.length - offset;
        int subseqs = (n - 1) / steps;
        int[] starts = new int[Math.max(subseqs, 0)];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = offset + i * steps;
        }
        // Fisher–Yates, as Python's random.shuffle.
        for (int i = starts.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = starts[i];
            starts[i] = starts[j];
            starts[j] = tmp;
        }
        List<Minibatch> out = new ArrayList<>();
        int batches = starts.length / batch;
        for (int k = 0; k < batches; k++) {
            int[][] x = new int[batch][steps];
            int[][] y = new int[batch][steps];
            for (int b = 0; b < batch; b++) {
                int s = starts[k * batch + b];
                System.arraycopy(corpus, s, x[b], 0, steps);
                System.arraycopy(corpus, s + 1, y[b], 0, steps);
            }
            out.add(new Minibatch(x, y));
        }
        return out;
    }

    private static List<Minibatch> sequential(int[] corpus, int batch, int steps, Rng rng) {
        return sequentialAt(corpus, batch, steps, rng.nextInt(steps + 1));
    }

    /**
     * d2l's sequential layout for a given {@code offset} (the walkthrough uses 0): row {@code b} of
     * minibatch {@code k} starts at {@code offset + b·cols + k·steps}, with
     * {@code cols = ⌊(n − offset − 1) / batch⌋}. May be empty when the corpus is too short.
     */
    public static List<Minibatch> sequentialAt(int[] corpus, int batch, int steps, int offset) {
        if (offset < 0 || offset > steps) {
            throw new IllegalArgumentException("partition sequential: offset " + offset + " is outside [0, " + steps + "]");
        }
        int tokens = Math.max(corpus.length - offset - 1, 0) / batch * batch;
        int cols = tokens / batch;
        int batches = cols / steps;
        List<Minibatch> out = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            int[][] x = new int[batch][steps];
            int[][] y = new int[batch][steps];
            for (int b = 0; b < batch; b++) {
                int s = offset + b * cols + k * steps;
                System.arraycopy(corpus, s, x[b], 0, steps);
                System.arraycopy(corpus, s + 1, y[b], 0, steps);
            }
            out.add(new Minibatch(x, y));
        }
        return out;
    }
}
