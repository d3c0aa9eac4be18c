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
        return minibatches(corpus, windows(corpus.length, batch, steps, rng), steps);
    }

    /**
     * Where one epoch's minibatches start, from the corpus length alone: row {@code b} of minibatch
     * {@code k} reads inputs {@code [starts[k][b], starts[k][b] + steps)} and the targets one token
     * further. Draws from {@code rng} exactly what {@link #epoch} draws (it is {@code epoch} without the
     * copying), so a reader that holds the corpus in pieces cuts the same minibatches.
     *
     * @throws IllegalArgumentException when the corpus is too short for even one minibatch
     */
    public int[][] windows(int corpusLength, int batch, int steps, Rng rng) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException("partition " + name().toLowerCase() + ": batch and steps must be positive, got batch "
                    + batch + ", steps " + steps);
        }
        int[][] out = this == RANDOM ? randomStarts(corpusLength, batch, steps, rng)
                : sequentialStarts(corpusLength, batch, steps, rng.nextInt(steps + 1));
        if (out.length == 0) {
            throw new IllegalArgumentException("partition " + name().toLowerCase() + ": a corpus of " + corpusLength
                    + " tokens is too short for one minibatch of " + batch + " x " + steps + " (need at least "
                    + (batch * steps + steps + 1) + ")");
        }
        return out;
    }

    private static int[][] randomStarts(int length, int batch, int steps, Rng rng) {
        int offset = rng.nextInt(steps);
        int n = length - offset;
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
        int[][] out = new int[starts.length / batch][batch];
        for (int k = 0; k < out.length; k++) {
            System.arraycopy(starts, k * batch, out[k], 0, batch);
        }
        return out;
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
        return minibatches(corpus, sequentialStarts(corpus.length, batch, steps, offset), steps);
    }

    private static int[][] sequentialStarts(int length, int batch, int steps, int offset) {
        int tokens = Math.max(length - offset - 1, 0) / batch * batch;
        int cols = tokens / batch;
        int[][] out = new int[cols / steps][batch];
        for (int k = 0; k < out.length; k++) {
            for (int b = 0; b < batch; b++) {
                out[k][b] = offset + b * cols + k * steps;
            }
        }
        return out;
    }

    /**
     * The minibatches of {@code steps} tokens whose rows start at {@code starts[k][b]} of
     * {@code corpus} ({@link #windows} says where): the inputs from there, the targets one token further.
     */
    public static List<Minibatch> minibatches(int[] corpus, int[][] starts, int steps) {
        List<Minibatch> out = new ArrayList<>(starts.length);
        for (int[] rows : starts) {
            int[][] x = new int[rows.length][steps];
            int[][] y = new int[rows.length][steps];
            for (int b = 0; b < rows.length; b++) {
                System.arraycopy(corpus, rows[b], x[b], 0, steps);
                System.arraycopy(corpus, rows[b] + 1, y[b], 0, steps);
            }
            out.add(new Minibatch(x, y));
        }
        return out;
    }
}
