package dev.jgrad.spark.train;

import java.io.Serializable;

/**
 * What the driver sends every task of one step (broadcast once per step): the weights, the state
 * carried into the step's first minibatch, and which minibatches to run.
 *
 * @param step        the step's number in this session, from 1 (what the test hooks match)
 * @param minibatch   the epoch's first minibatch of this step
 * @param count       minibatches to run: 1 for a synchronous step, more for local steps between averages
 * @param label       names the step in errors ({@code epoch 2, batch 7 of 40})
 * @param weights     the model's parameters, in parameter order
 * @param optimizer   local steps only: the optimizer's state to start from (else null)
 * @param carried     the carried state of all rows, {@code [layer·parts][B · H]}, or null to start from zeros
 */
public record StepInput(int step, int minibatch, int count, String label, NamedArrays weights, NamedArrays optimizer,
        double[][] carried) implements Serializable {

    /** Serialised through {@link Wire}, so a float32 model's carried state travels as float32 ({@link Packed}). */
    private Object writeReplace() {
        return new Wire(step, minibatch, count, label, weights, optimizer, carried == null ? null : Packed.of(carried));
    }

    private record Wire(int step, int minibatch, int count, String label, NamedArrays weights, NamedArrays optimizer, Packed carried)
            implements Serializable {
        private Object readResolve() {
            return new StepInput(step, minibatch, count, label, weights, optimizer, carried == null ? null : carried.unpack());
        }
    }
}
