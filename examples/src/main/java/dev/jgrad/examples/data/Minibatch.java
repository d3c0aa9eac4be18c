package dev.jgrad.examples.data;

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

    /** The inputs at time step {@code t}, one per sequence: {@code [batch]}. */
    public int[] inputsAt(int t) {
        int[] out = new int[inputs.length];
        for (int b = 0; b < out.length; b++) {
            out[b] = inputs[b][t];
        }
        return out;
    }

    /** The targets flattened time-major, {@code [steps · batch]}, matching outputs stacked step by step. */
    public int[] targetsTimeMajor() {
        int steps = steps();
        int[] out = new int[steps * inputs.length];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < inputs.length; b++) {
                out[t * inputs.length + b] = targets[b][t];
            }
        }
        return out;
    }
}
