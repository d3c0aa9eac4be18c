package dev.jgrad.examples.train;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a training run initialises its weights, by its command-line (and checkpoint) name. */
public enum WeightInit {
    /** Each layer's own initialisation: PyTorch's defaults, uniform in ±1/√fan-in. */
    PYTORCH("pytorch"),
    /** d2l's from-scratch code: matrices N(0, 0.01²), vectors (biases) zero. */
    D2L("d2l");

    private final String cliName;

    WeightInit(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in checkpoints. */
    @JsonValue
    @Override
    public String toString() {
        return cliName;
    }
}
