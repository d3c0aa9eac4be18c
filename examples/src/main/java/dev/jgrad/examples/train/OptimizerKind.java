package dev.jgrad.examples.train;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.optim.Adam;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.optim.Sgd;
import java.util.Map;

/** The optimizer of a training run, by its command-line (and checkpoint) name. */
public enum OptimizerKind {
    /** Plain SGD, {@code p ← p − lr·g} (d2l's choice, with lr 1). */
    SGD("sgd"),
    /** Adam with PyTorch's defaults apart from the learning rate. */
    ADAM("adam");

    private final String cliName;

    OptimizerKind(String cliName) {
        this.cliName = cliName;
    }

    /** A fresh optimizer of this kind over {@code params}. */
    public Optimizer create(Map<String, Parameter> params, double lr) {
        return switch (this) {
            case SGD -> new Sgd(params, lr);
            case ADAM -> new Adam(params, lr);
        };
    }

    /** The name on the command line and in checkpoints. */
    @JsonValue
    @Override
    public String toString() {
        return cliName;
    }
}
