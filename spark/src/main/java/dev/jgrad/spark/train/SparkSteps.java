package dev.jgrad.spark.train;

import dev.jgrad.examples.train.CharModel;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.spark.data.EpochShards;
import dev.jgrad.spark.data.Shard;
import dev.jgrad.spark.data.SparkCorpus;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The Spark trainer's steps, inside {@code train}'s loop (Note [One loop] in {@link Trainer}). Per
 * step, the driver broadcasts the weights (and the carried state), every partition computes its rows'
 * share of the gradient on its own tape ({@link PartitionStep}), the shares are summed in one fixed
 * order ({@link TreeSum}), and the driver clips by the global norm and takes the optimizer step with
 * {@code train}'s own code ({@link Trainer#update}). Each epoch's rows are moved to the partitions that
 * own them once, at its start ({@link EpochShards}).
 *
 * <p>With {@link SparkOptions#averageEvery()} N > 1 a step is N minibatches of local SGD: each partition
 * takes N optimizer steps on its own rows, clipping by its own norm, and the driver averages the
 * weights and optimizer buffers, weighted by rows.
 */
final class SparkSteps implements Trainer.Steps {
    private final JavaSparkContext sc;
    private final SparkOptions options;
    private final SparkCorpus corpus;
    private final ModelSpec spec;
    private final StepProfile profile = new StepProfile();
    private final StepStages stages = new StepStages();
    private int sessionSteps;
    // The current step's profile figures, gathered where they are measured.
    private long lastBroadcastNanos;
    private long lastJobNanos;
    private long lastBytesOut;

    SparkSteps(JavaSparkContext sc, ModelSpec spec, SparkOptions options, SparkCorpus corpus) {
        this.sc = sc;
        this.spec = spec;
        this.options = options;
        this.corpus = corpus;
    }

    /** The steps of a run of {@code config}'s model over {@code corpus}. */
    static SparkSteps of(JavaSparkContext sc, TrainConfig config, SparkOptions options, SparkCorpus corpus) {
        return new SparkSteps(sc, ModelSpec.of(UUID.randomUUID().toString(), config, corpus.vocabulary().size(), options.taskThreads()),
                options, corpus);
    }

    StepProfile profile() {
        return profile;
    }

    StepStages stages() {
        return stages;
    }

    @Override
    public int minibatchesPerStep() {
        return options.averageEvery();
    }

    @Override
    public Trainer.Epoch epoch(Trainer run, int[][] starts) {
        EpochShards shards = EpochShards.build(corpus.chunks(), starts, options.partitions(), run.config().steps());
        return new Trainer.Epoch() {
            @Override
            public Trainer.Step step(int first, int count, List<State> state, String label) {
                return SparkSteps.this.step(run, shards, first, count, state, label);
            }

            @Override
            public void close() {
                shards.close();
            }
        };
    }

    private Trainer.Step step(Trainer run, EpochShards shards, int k, int count, List<State> state, String label) {
        Partial r;
        try {
            r = exchange(run, shards, k, count, label, state);
        } catch (Exception e) { // Spark's SparkException is checked, and thrown undeclared
            if (run.stopRequested()) {
                return null; // Spark's own shutdown hook stopped the context under the step (Ctrl-C): nothing changed
            }
            throw SparkFailures.explain(label, e);
        }
        if (r.error() != null) {
            throw new Trainer.NonFiniteLossException(label + ": " + r.error() + "; training stopped before updating the weights"
                    + " (try a smaller --lr, a smaller --clip, or --detect-anomaly)", null);
        }
        long t0 = System.nanoTime();
        double norm;
        double clipped;
        if (options.averageEvery() == 1) {
            GradientClipping.Result c = applyGradient(run, r, label);
            norm = c.norm();
            clipped = c.clipped() ? 1 : 0;
        } else {
            applyAverage(run, r);
            norm = r.stats()[Partial.NORM];
            clipped = r.stats()[Partial.CLIPPED];
        }
        List<State> next = run.config().sampling().carriesState() ? statesOf(run.model(), r) : null;
        profile.add(lastBroadcastNanos, lastJobNanos, r.taskNanos(), System.nanoTime() - t0, lastBytesOut, (long) r.stats()[Partial.BYTES]);
        return new Trainer.Step(r.stats()[Partial.LOSS], norm, clipped, next);
    }

    /**
     * Runs one step's Spark job: the tasks' partials, summed in {@link TreeSum}'s fixed order, through
     * {@code reduceByKey} levels that follow its tree (what {@code treeAggregate} does, with groups of
     * neighbours) and a final {@code collect}.
     */
    private Partial exchange(Trainer run, EpochShards shards, int k, int count, String label, List<State> state) {
        sessionSteps++;
        long t0 = System.nanoTime();
        boolean local = options.averageEvery() > 1;
        StepInput in = new StepInput(sessionSteps, k, count, label, NamedArrays.of(run.model().stateDict()),
                local ? NamedArrays.of(run.optimizer().state()) : null, PartitionStep.arraysOf(state));
        Broadcast<StepInput> input = sc.broadcast(in);
        long t1 = System.nanoTime();
        try {
            ModelSpec s = spec;
            int partitions = options.partitions();
            stages.calling(System.currentTimeMillis());
            sc.setJobGroup(StepStages.JOB_GROUP, label, false);
            // Partials go up in groups that are nodes of TreeSum's tree: Note [Aggregation follows the tree].
            JavaRDD<TreeSum> sums = shards.rdd().mapPartitionsWithIndex((p, it) -> List.of(
                    new TreeSum(partitions).add(p, PartitionStep.run(p, it.next(), input.value(), s))).iterator(), true);
            for (int depth : TreeSum.groupingDepths(partitions, options.effectiveAggregationDepth())) {
                sums = sums.mapToPair(t -> new Tuple2<>(t.groupAt(depth), t))
                        .reduceByKey(TreeSum::merge, TreeSum.groupsAt(partitions, depth)).values();
            }
            TreeSum sum = new TreeSum(partitions);
            for (TreeSum t : sums.collect()) {
                sum.merge(t);
            }
            sc.clearJobGroup();
            lastBroadcastNanos = t1 - t0;
            lastJobNanos = System.nanoTime() - t1;
            lastBytesOut = Packed.bytes(in.weights().values()) + (in.optimizer() == null ? 0 : Packed.bytes(in.optimizer().values()))
                    + (in.carried() == null ? 0 : Packed.bytes(in.carried()));
            return sum.total();
        } finally {
            input.destroy();
        }
    }

    /** The synchronous update: the summed gradient, then {@code train}'s clipping and optimizer step. */
    private static GradientClipping.Result applyGradient(Trainer run, Partial r, String label) {
        Map<String, Parameter> params = run.model().parameters();
        DType dtype = run.model().dtype();
        for (int i = 0; i < r.names().length; i++) {
            double[] g = r.vectors()[i];
            if (g != null) {
                Parameter p = params.get(r.names()[i]);
                p.setGrad(Tensor.of(dtype, g, p.value().shape().dims()));
            }
        }
        return run.update(label);
    }

    /** The model-averaging update: the partitions' weights and optimizer buffers, averaged by rows. */
    private static void applyAverage(Trainer run, Partial r) {
        CharModel model = run.model();
        Map<String, Parameter> params = model.parameters();
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, Tensor> state = new LinkedHashMap<>();
        r.agreed().forEach((name, v) -> state.put(name, Tensor.scalar(DType.F64, v)));
        for (int i = 0; i < r.names().length; i++) {
            String name = r.names()[i];
            Parameter p = params.get(name);
            if (p != null) {
                weights.put(name, Tensor.of(model.dtype(), r.vectors()[i], p.value().shape().dims()));
            } else {
                String param = name.substring(name.indexOf('.') + 1);
                state.put(name, Tensor.of(DType.F64, r.vectors()[i], params.get(param).value().shape().dims()));
            }
        }
        model.loadStateDict(weights);
        run.optimizer().loadState(state);
    }

    /** The carried state of all rows, each partition's rows in their place, as {@code [B, H]} tensors. */
    private List<State> statesOf(CharModel model, Partial r) {
        int batch = spec.batch();
        int partitions = options.partitions();
        return PartitionStep.states(model, batch, (at, width) -> {
            double[] all = new double[batch * width];
            for (int p = 0; p < partitions; p++) {
                double[] rows = r.states().get(p)[at];
                System.arraycopy(rows, 0, all, Shard.firstRow(p, partitions, batch) * width, rows.length);
            }
            return all;
        });
    }
}
