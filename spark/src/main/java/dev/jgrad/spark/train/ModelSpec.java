package dev.jgrad.spark.train;

import dev.jgrad.examples.train.CharModel;
import dev.jgrad.examples.train.OptimizerKind;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.io.Serializable;
import java.util.Map;

/**
 * What a task needs to know of a run to compute its part of a step: the model's shape, the global
 * batch, the optimizer (for local steps), the kernels' thread count. Sent to the executors once per
 * job inside the task closure.
 *
 * @param run     identifies the run, so executors keep one model replica per run
 * @param threads the kernels' thread count in every task (results do not depend on it, see {@code Parallelism})
 */
public record ModelSpec(String run, CellKind cell, int vocab, int embedding, int hidden, int layers, DType dtype, int batch,
        int steps, boolean carriesState, boolean anomaly, OptimizerKind optimizer, double lr, double clip, int threads)
        implements Serializable {

    /** The spec of a run of {@code config} over a vocabulary of {@code vocab} tokens. */
    public static ModelSpec of(String run, TrainConfig config, int vocab, int threads) {
        return new ModelSpec(run, config.cell(), vocab, config.embedding(), config.hidden(), config.layers(), config.dtype(),
                config.batch(), config.steps(), config.sampling().carriesState(), config.anomaly(), config.optimizer(),
                config.lr(), config.clip(), threads);
    }

    /** A model of this shape; its initial weights do not matter, every step loads the driver's. */
    CharModel newModel() {
        return CharModel.create(cell, vocab, embedding, hidden, layers, dtype, Rng.seeded(0));
    }

    /** The optimizer {@code train} uses for this configuration, over {@code params}. */
    Optimizer newOptimizer(Map<String, Parameter> params) {
        return optimizer.create(params, lr);
    }
}
