package dev.jgrad.spark.train;

import dev.jgrad.examples.train.CharModel;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The model replicas of one executor JVM: a task borrows one, loads the step's weights into it and
 * gives it back, so a replica is built once per concurrent task rather than once per step. Only the
 * latest run's replicas are kept.
 */
final class Replicas {
    private static String run;
    private static final Deque<CharModel> IDLE = new ArrayDeque<>();

    private Replicas() {
    }

    static synchronized CharModel borrow(ModelSpec spec) {
        if (!spec.run().equals(run)) {
            run = spec.run();
            IDLE.clear();
        }
        CharModel m = IDLE.poll();
        return m != null ? m : spec.newModel();
    }

    static synchronized void giveBack(ModelSpec spec, CharModel model) {
        if (spec.run().equals(run)) {
            IDLE.push(model);
        }
    }
}
