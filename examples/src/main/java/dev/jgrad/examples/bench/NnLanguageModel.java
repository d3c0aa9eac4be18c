package dev.jgrad.examples.bench;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.examples.train.CharModel;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Sgd;
import dev.jgrad.nn.parallel.DataParallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Workspace;
import java.util.Arrays;

/**
 * The model {@code train} trains ({@link CharModel}: one-hot inputs, a {@code dev.jgrad.nn} recurrent
 * layer, a linear output) with {@code train}'s step: mean cross-entropy, backward,
 * {@link GradientClipping} by global norm, {@link Sgd}. With more than one shard, each minibatch is split
 * into shards differentiated on one thread each ({@link DataParallel}).
 */
final class NnLanguageModel implements AutoCloseable {
    private final CharModel model;
    private final Sgd sgd;
    private final DataParallel shards;
    private final Workspace workspace = new Workspace();
    private int recordedOps;

    NnLanguageModel(CellKind cell, BenchConfig config, DType dtype, Rng rng, double lr, int shards) {
        this.model = CharModel.create(cell, config.vocab(), config.hidden(), 1, dtype, rng);
        this.sgd = new Sgd(model.parameters(), lr);
        this.shards = shards > 1 ? DataParallel.of(shards, shards) : null;
    }

    int recordedOps() {
        return recordedOps;
    }

    /** One training step on {@code inputs[b][t]} predicting {@code targets[b·T + t]}; returns the loss before the update. */
    double trainStep(int[][] inputs, int[] targets, double maxNorm) {
        return step(shards, inputs, targets, maxNorm);
    }

    /**
     * {@link #trainStep} on one thread, unsplit: this model's figure on one thread, for a figure on more to be
     * paired with in the same process. The kernels' thread count is set back afterwards.
     */
    double trainStepOnOneThread(int[][] inputs, int[] targets, double maxNorm) {
        int threads = Parallelism.threads();
        Parallelism.setThreads(1);
        try {
            return step(null, inputs, targets, maxNorm);
        } finally {
            Parallelism.setThreads(threads);
        }
    }

    /**
     * With shards, counts the ops a whole minibatch's forward records, by running one; without, the
     * first step counts them. Call it outside any {@code MatmulTrace}, whose products it would join.
     * It runs outside the workspace, whose storage a whole minibatch's forward would leave idle; beside
     * the shards' filled workspaces it may need the room they hold, which they then give up.
     */
    void countOps(int[][] inputs, int[] targets) {
        if (shards != null && recordedOps == 0) {
            recordedOps = forwardOps(inputs, targets);
        }
    }

    /** A step whose tensors borrow {@link #workspace}'s storage of the previous step. */
    private double step(DataParallel split, int[][] inputs, int[] targets, double maxNorm) {
        try (Workspace.Scope scope = workspace.open()) {
            return stepInScope(split, inputs, targets, maxNorm);
        }
    }

    private double stepInScope(DataParallel split, int[][] inputs, int[] targets, double maxNorm) {
        double loss;
        if (split == null) {
            try (Tape tape = Tape.record()) {
                Variable l = Losses.crossEntropy(model.forward(inputs, null).logits(), targets);
                loss = l.value().item();
                recordedOps = tape.size();
                l.backward();
            }
        } else {
            int len = inputs[0].length;
            loss = split.backward(model.parameters().values(), inputs.length, (s, from, to) -> Losses.crossEntropy(
                    model.forward(Arrays.copyOfRange(inputs, from, to), null).logits(), Arrays.copyOfRange(targets, from * len, to * len)));
        }
        GradientClipping.clipByGlobalNorm(model.parameters(), maxNorm, NonFinitePolicy.THROW);
        sgd.step();
        sgd.zeroGrad();
        return loss;
    }

    /** The ops one minibatch's forward pass records, as one tape (the count a step without shards reports). */
    private int forwardOps(int[][] inputs, int[] targets) {
        try (Tape tape = Tape.record()) {
            Losses.crossEntropy(model.forward(inputs, null).logits(), targets);
            return tape.size();
        }
    }

    @Override
    public void close() {
        if (shards != null) {
            shards.close();
        }
    }
}
