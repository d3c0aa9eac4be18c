package dev.jgrad.spark.data;

import java.io.Serializable;

/**
 * What one training partition reads in one epoch: rows {@code [firstRow, firstRow + rows)} of every
 * global minibatch. {@code windows[k]} holds, row after row, the {@code steps + 1} tokens of each of
 * those rows in minibatch {@code k}: the inputs are the first {@code steps}, the targets the last
 * {@code steps}.
 */
public record Shard(int partition, int firstRow, int rows, int steps, int[][] windows) implements Serializable {

    /** Number of minibatches in the epoch. */
    public int minibatches() {
        return windows.length;
    }

    /** The inputs of minibatch {@code k}, {@code [rows][steps]}. */
    public int[][] inputs(int k) {
        int[][] x = new int[rows][steps];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(windows[k], r * (steps + 1), x[r], 0, steps);
        }
        return x;
    }

    /** The targets of minibatch {@code k} flattened row-major, {@code [rows · steps]}, as the logits flatten. */
    public int[] flatTargets(int k) {
        int[] y = new int[rows * steps];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(windows[k], r * (steps + 1) + 1, y, r * steps, steps);
        }
        return y;
    }

    /** The first row partition {@code p} of {@code partitions} owns in a global batch of {@code batch} rows (p = partitions: the end). */
    public static int firstRow(int p, int partitions, int batch) {
        return (int) ((long) p * batch / partitions);
    }
}
