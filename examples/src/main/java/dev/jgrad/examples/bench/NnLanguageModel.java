package dev.jgrad.examples.bench;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.examples.train.CharModel;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Sgd;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;

/**
 * The model {@code train} trains ({@link CharModel}: one-hot inputs, a {@code dev.jgrad.nn} recurrent
 * layer, a linear output) with {@code train}'s step: mean cross-entropy, backward,
 * {@link GradientClipping} by global norm, {@link Sgd}.
 */
final class NnLanguageModel {
    private final CharModel model;
    private final Sgd sgd;
    private int recordedOps;

    NnLanguageModel(CellKind cell, BenchConfig config, DType dtype, Rng rng, double lr) {
        this.model = CharModel.create(cell, config.vocab(), config.hidden(), 1, dtype, rng);
        this.sgd = new Sgd(model.parameters(), lr);
    }

    int recordedOps() {
        return recordedOps;
    }

    /** One training step on {@code inputs[b][t]} predicting {@code targets[b·T + t]}; returns the loss before the update. */
    double trainStep(int[][] inputs, int[] targets, double maxNorm) {
        double loss;
        try (Tape tape = Tape.record()) {
            Variable l = Losses.crossEntropy(model.forward(inputs, null).logits(), targets);
            loss = l.value().item();
            recordedOps = tape.size();
            l.backward();
        }
        GradientClipping.clipByGlobalNorm(model.parameters(), maxNorm, NonFinitePolicy.THROW);
        sgd.step();
        sgd.zeroGrad();
        return loss;
    }
}
