package dev.jgrad.spark.train;

import dev.jgrad.autodiff.NonFiniteException;
import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.train.CharModel;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.spark.data.Shard;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's work in a step: the rows of the global minibatch that its shard holds, on its own tape,
 * in a model replica loaded with the step's weights. Everything it computes is a function of the
 * step's input and the shard, so a retried task returns the same bits.
 *
 * <p>Note [Partition gradient]: {@code train} minimises the mean token loss of the global batch,
 * {@code (1/(B·T)) Σ_b Σ_t ℓ_bt}. A partition holding {@code R} of the {@code B} rows computes the
 * mean over its own {@code R·T} tokens and backpropagates it with the cotangent {@code R / B} instead of
 * 1, so its gradient is its rows' share of the global mean's gradient, and the sum over partitions is
 * the global gradient. Only the grouping of the sums over rows differs from one process (which is why
 * equality is to rounding, ≤ 1e-12 relative); with one partition the cotangent is exactly 1 and the
 * step is {@code train}'s to the bit. It is the rule {@code DataParallel} applies to shards on threads
 * of one process (Note [Shard gradient] there), here across tasks.
 */
final class PartitionStep {
    private PartitionStep() {
    }

    /** Thrown in a task whose heap ran out; the driver turns it into advice on raising the memory. */
    static final class OutOfMemory extends RuntimeException {
        OutOfMemory(String message) {
            super(message);
        }
    }

    static Partial run(int p, Shard shard, StepInput in, ModelSpec spec) {
        long start = System.nanoTime();
        Parallelism.setThreads(spec.threads());
        Replicas.Replica replica = null;
        try {
            FaultInjection.check(in.step(), p);
            replica = Replicas.borrow(spec);
            CharModel model = replica.model();
            model.loadStateDict(in.weights().toTensors(spec.dtype()));
            List<State> state = spec.carriesState() && in.carried() != null ? rowsOf(in.carried(), shard, model) : null;
            if (in.optimizer() == null) {
                // Everything the Partial carries is copied out of the step's tensors before the scope closes.
                try (Workspace.Scope scope = replica.workspace().open()) {
                    return synchronous(p, shard, in, spec, model, state, start);
                }
            }
            return localSteps(p, shard, in, spec, replica, state, start);
        } catch (OutOfMemoryError e) {
            replica = null; // let the replica go: it may be what filled the heap
            throw new OutOfMemory(in.label() + ", partition " + p + " (executor heap limit "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB)");
        } finally {
            if (replica != null) {
                Replicas.giveBack(spec, replica);
            }
        }
    }

    private static Partial synchronous(int p, Shard shard, StepInput in, ModelSpec spec, CharModel model, List<State> state,
            long start) {
        int k = in.minibatch();
        double share = (double) shard.rows() / spec.batch();
        List<State> finalStates;
        double loss;
        try (Tape tape = Tape.record().label(in.label() + ", partition " + p)) {
            if (spec.anomaly()) {
                tape.withAnomalyDetection();
            }
            CharModel.Output out = model.forward(shard.inputs(k), state);
            Variable l = Losses.crossEntropy(out.logits(), shard.flatTargets(k));
            loss = l.value().item();
            if (!Double.isFinite(loss)) {
                return failed(spec, model, "the loss is " + loss, start);
            }
            // See Note [Partition gradient].
            l.backward(Tensor.scalar(spec.dtype(), share));
            finalStates = out.finalStates();
        } catch (NonFiniteException e) {
            return failed(spec, model, e.getMessage(), start);
        }
        Map<String, Parameter> params = model.parameters();
        String[] names = params.keySet().toArray(String[]::new);
        double[][] grads = new double[names.length][];
        for (int i = 0; i < names.length; i++) {
            Tensor g = params.get(names[i]).grad();
            grads[i] = g == null ? null : g.toDoubleArray();
        }
        double[] stats = new double[Partial.STATS];
        stats[Partial.LOSS] = loss * share;
        stats[Partial.BYTES] = Packed.bytes(grads);
        return new Partial(names, grads, stats, Map.of(), statesOf(p, spec, finalStates), null, System.nanoTime() - start);
    }

    /**
     * {@code in.count()} steps of the optimizer on this partition's rows alone (its own mean loss, its
     * own clipping), from the step's weights and optimizer state; returns the final weights and
     * optimizer buffers times this partition's share of the rows, so their sum is the average.
     */
    private static Partial localSteps(int p, Shard shard, StepInput in, ModelSpec spec, Replicas.Replica replica, List<State> state,
            long start) {
        CharModel model = replica.model();
        double share = (double) shard.rows() / spec.batch();
        Optimizer optimizer = spec.newOptimizer(model.parameters());
        optimizer.loadState(in.optimizer().toTensors(DType.F64));
        double[] stats = new double[Partial.STATS];
        for (int j = 0; j < in.count(); j++) {
            int k = in.minibatch() + j;
            // The scope spans the update, which reads the step's gradients; the carried state outlives it.
            try (Workspace.Scope scope = replica.workspace().open()) {
                try (Tape tape = Tape.record().label(in.label() + ", local step " + (j + 1) + ", partition " + p)) {
                    if (spec.anomaly()) {
                        tape.withAnomalyDetection();
                    }
                    CharModel.Output out = model.forward(shard.inputs(k), state);
                    Variable l = Losses.crossEntropy(out.logits(), shard.flatTargets(k));
                    double loss = l.value().item();
                    if (!Double.isFinite(loss)) {
                        return failed(spec, model, "local step " + (j + 1) + ": the loss is " + loss, start);
                    }
                    l.backward();
                    state = spec.carriesState() ? RecurrentStack.detach(out.finalStates()) : null;
                    stats[Partial.LOSS] += loss * share;
                } catch (NonFiniteException e) {
                    return failed(spec, model, "local step " + (j + 1) + ": " + e.getMessage(), start);
                }
                GradientClipping.Result c;
                try {
                    c = GradientClipping.clipByGlobalNorm(model.parameters(), spec.clip(), NonFinitePolicy.THROW);
                } catch (IllegalStateException e) {
                    return failed(spec, model, "local step " + (j + 1) + ": " + e.getMessage(), start);
                }
                optimizer.step();
                optimizer.zeroGrad();
                stats[Partial.NORM] += c.norm() * share;
                stats[Partial.CLIPPED] += c.clipped() ? share : 0;
                if (state != null) {
                    state.forEach(st -> st.parts().forEach(v -> scope.keep(v.value())));
                }
            }
        }
        Map<String, Tensor> weighted = new LinkedHashMap<>(model.stateDict());
        Map<String, Double> agreed = new LinkedHashMap<>();
        optimizer.state().forEach((name, t) -> {
            if (t.rank() == 0) {
                agreed.put(name, t.item());
            } else {
                weighted.put(name, t);
            }
        });
        NamedArrays arrays = NamedArrays.of(weighted);
        for (double[] v : arrays.values()) {
            for (int i = 0; i < v.length; i++) {
                v[i] *= share;
            }
        }
        stats[Partial.BYTES] = Packed.bytes(arrays.values());
        return new Partial(arrays.names(), arrays.values(), stats, agreed, statesOf(p, spec, state), null,
                System.nanoTime() - start);
    }

    private static Partial failed(ModelSpec spec, CharModel model, String error, long start) {
        String[] names = model.parameters().keySet().toArray(String[]::new);
        return new Partial(names, new double[names.length][], new double[Partial.STATS], Map.of(), Map.of(), error,
                System.nanoTime() - start);
    }

    /** This partition's rows of the carried state {@code [layer·parts][B · H]}. */
    private static List<State> rowsOf(double[][] carried, Shard shard, CharModel model) {
        return states(model, shard.rows(), (at, width) -> {
            double[] rows = new double[shard.rows() * width];
            System.arraycopy(carried[at], shard.firstRow() * width, rows, 0, rows.length);
            return rows;
        });
    }

    /** Values of one state part: the {@code rows · width} values of part {@code at} in layer-then-part order. */
    interface PartValues {
        double[] of(int at, int width);
    }

    /**
     * The state of {@code rows} rows of {@code model}, each part {@code [rows, width]} holding what
     * {@code values} gives for it; the inverse of {@link #arraysOf}.
     */
    static List<State> states(CharModel model, int rows, PartValues values) {
        List<State> out = new ArrayList<>();
        int at = 0;
        for (State layer : model.initialStates(rows)) {
            List<Variable> parts = new ArrayList<>();
            for (Variable part : layer.parts()) {
                int width = part.shape().dim(1);
                parts.add(Variable.constant(Tensor.of(model.dtype(), values.of(at++, width), rows, width)));
            }
            out.add(new State(parts));
        }
        return out;
    }

    private static Map<Integer, double[][]> statesOf(int p, ModelSpec spec, List<State> states) {
        return !spec.carriesState() || states == null ? Map.of() : Map.of(p, arraysOf(states));
    }

    /** Each part of each layer's state, flattened, in layer-then-part order; null for no state. */
    static double[][] arraysOf(List<State> states) {
        if (states == null) {
            return null;
        }
        List<double[]> parts = new ArrayList<>();
        for (State s : states) {
            for (Variable v : s.parts()) {
                parts.add(v.value().toDoubleArray());
            }
        }
        return parts.toArray(double[][]::new);
    }
}
