package dev.jgrad.spark.train;

import dev.jgrad.examples.train.CharModel;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The model replicas of one executor JVM: a task borrows one, loads the step's weights into it and
 * gives it back, so a replica is built once per concurrent task rather than once per step. Each
 * comes with a {@link Workspace} whose storage its task's steps reuse; with a core per task, no more
 * tasks run at once than the JVM has processors, so each workspace gets that share of the default
 * capacity. Only the latest run's replicas are kept.
 */
final class Replicas {
    private static String run;
    private static final Deque<Replica> IDLE = new ArrayDeque<>();

    /** A model and the workspace of the task that borrowed it. */
    record Replica(CharModel model, Workspace workspace) {
    }

    private Replicas() {
    }

    static synchronized Replica borrow(ModelSpec spec) {
        if (!spec.run().equals(run)) {
            run = spec.run();
            IDLE.clear();
        }
        Replica r = IDLE.poll();
        return r != null ? r : new Replica(spec.newModel(),
                new Workspace(Workspace.defaultCapacityBytes() / Runtime.getRuntime().availableProcessors()));
    }

    static synchronized void giveBack(ModelSpec spec, Replica replica) {
        if (spec.run().equals(run)) {
            IDLE.push(replica);
        }
    }
}
