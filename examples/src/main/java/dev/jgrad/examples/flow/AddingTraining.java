package dev.jgrad.examples.flow;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.Adam;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;

/**
 * Trains a {@link Regressor} on the adding problem: each step draws a fresh batch, minimises the
 * MSE of the readout of {@code h_T} with Adam, after clipping the global gradient norm.
 *
 * @param steps     training steps
 * @param batch     sequences per step
 * @param lr        Adam's learning rate
 * @param clipNorm  the global gradient norm is clipped to this
 */
public record AddingTraining(int steps, int batch, double lr, double clipNorm) {

    public AddingTraining {
        if (steps < 0 || batch < 1 || !(lr > 0) || !(clipNorm > 0)) {
            throw new IllegalArgumentException("addingTraining: need steps ≥ 0, batch ≥ 1, lr > 0, clip > 0; got steps " + steps
                    + ", batch " + batch + ", lr " + lr + ", clip " + clipNorm);
        }
    }

    /** The training curve (MSE of each step's batch, before its update) and the final MSE on the test batch. */
    public record Result(double[] trainLoss, double testMse) {
    }

    /** Trains {@code model} in place on sequences of length {@code length}, drawing batches from {@code rng}. */
    public Result run(Regressor model, int length, Rng rng, AddingProblem.Batch test) {
        Adam adam = new Adam(model.parameters(), lr);
        double[] curve = new double[steps];
        for (int i = 0; i < steps; i++) {
            AddingProblem.Batch b = AddingProblem.sample(rng, batch, length, DType.F64);
            try (Tape tape = Tape.record()) {
                Variable loss = Losses.meanSquaredError(model.unroll(Variable.constant(b.x())).prediction(), b.y());
                curve[i] = loss.value().item();
                loss.backward();
            }
            // SKIP: a rare non-finite gradient drops that step instead of ending the study.
            GradientClipping.clipByGlobalNorm(model.parameters(), clipNorm, NonFinitePolicy.SKIP);
            adam.step();
            adam.zeroGrad();
        }
        return new Result(curve, testMse(model, test));
    }

    /** The model's MSE on {@code test}, computed without recording. */
    public static double testMse(Regressor model, AddingProblem.Batch test) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return Losses.meanSquaredError(model.unroll(Variable.constant(test.x())).prediction(), test.y()).value().item();
        }
    }
}
