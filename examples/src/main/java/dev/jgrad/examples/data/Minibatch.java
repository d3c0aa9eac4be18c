package dev.jgrad.examples.data;

import java.util.Arrays;

/**
 * One minibatch of token indices: {@code inputs[b][t]} is followed in the corpus by
 * {@code targets[b][t]}, for {@code b < batch}, {@code t < steps}.
 */
public record Minibatch(int[][] inputs, int[][] targets) {
    public Minibatch {
        if (inputs.length == 0 || inputs.length != targets.length) {
            throw new IllegalArgumentException("Minibatch: " + inputs.length + " input rows but " + targets.length + " target rows");
        }
        for (int b = 0; b < inputs.length; b++) {
            if (inputs[b].length != inputs[0].length || targets[b].length != inputs[0].length) {
                throw new IllegalArgumentException("Minibatch: row " + b + " has " + inputs[b].length + " inputs and "
                        + targets[b].length + " targets, expected " + inputs[0].length);
            }
        }
    }

    public int batch() {
        return inputs.length;
    }

    public int steps() {
        return inputs[0].length;
    }

    /**
     * Sequences {@code [from, to)} of this minibatch, as a minibatch of their own (a shard's rows).
     *
     * @param from the first sequence
     * @param to   one past the last sequence, above {@code from} and at most {@link #batch()}
     * @return the rows, sharing this minibatch's row arrays
     * @throws IndexOutOfBoundsException when the range is empty or outside {@code [0, batch)}
     */
    public Minibatch rows(int from, int to) {
        if (from < 0 || to > inputs.length || from >= to) {
            throw new IndexOutOfBoundsException("Minibatch.rows: [" + from + ", " + to + ") is not a non-empty range of its "
                    + inputs.length + " sequences");
        }
        return new Minibatch(Arrays.copyOfRange(inputs, from, to), Arrays.copyOfRange(targets, from, to));
    }

    /** The inputs at time step {@code t}, one per sequence: {@code [batch]}. */
    public int[] inputsAt(int t) {
        int[] out = new int[inputs.length];
        for (int b = 0; b < out.length; b++) {
            out[b] = inputs[b][t];
        }
        return out;
    }

    /** The targets flattened row-major, {@code [batch · steps]}: {@code targets[b][t]} at {@code b·steps + t}, as logits {@code [B, T, V]} flatten. */
    public int[] flatTargets() {
        int steps = steps();
        int[] out = new int[inputs.length * steps];
        for (int b = 0; b < inputs.length; b++) {
            System.arraycopy(targets[b], 0, out, b * steps, steps);
        }
        return out;
    }
}
