package dev.jgrad.spark.train;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.examples.train.ArithmeticQuality;
import dev.jgrad.examples.train.CharModel;
import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.EpochMetrics;
import dev.jgrad.examples.train.TextGenerator;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.spark.data.EpochShards;
import dev.jgrad.spark.data.Shard;
import dev.jgrad.spark.data.SparkCorpus;
import dev.jgrad.spark.data.TokenChunk;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * {@code train}'s loop with each minibatch's rows spread over Spark partitions. Per step, the driver
 * broadcasts the weights (and the carried state), every partition computes its rows' share of the
 * gradient on its own tape ({@link PartitionStep}), a tree aggregation sums the shares in one fixed
 * order ({@link TreeSum}), and the driver clips by the global norm and takes the optimizer step
 * with the same nn-layers code as {@code train}. With float64, equal seeds and equal global batches
 * the weights agree with {@code train}'s to rounding, for any number of partitions, and to the bit
 * with one.
 *
 * <p>Everything else is {@code train}'s: the model ({@link CharModel#of}), the partitioning of each
 * epoch (drawn from the same generator, so the same minibatches), the epoch metrics, and the
 * checkpoints, which are written in the same format, with the same atomicity, at the same points, so
 * a run moves between {@code train} and Spark in either direction.
 *
 * <p>With {@link SparkOptions#averageEvery()} N > 1 the arithmetic is deliberately different (local
 * SGD, or periodic model averaging): each partition takes N optimizer steps on its own rows, clipping
 * by its own norm, and the driver averages the weights and optimizer buffers, weighted by rows.
 */
public final class SparkTrainer implements AutoCloseable {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final SparkOptions options;
    private final SparkCorpus corpus;
    private final CharModel model;
    private final Optimizer optimizer;
    private final ModelSpec spec;
    private final ArithmeticQuality quality;
    private final List<EpochMetrics> history;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final StepProfile profile = new StepProfile();
    private final StepStages stages = new StepStages();
    private Checkpoint.Position position;
    private List<State> carried;
    private double elapsedSeconds;
    private Path checkpointDir;
    private int sessionSteps;
    // The current step's profile figures, gathered where they are measured.
    private long lastBroadcastNanos;
    private long lastJobNanos;
    private long lastUpdateNanos;
    private long lastBytesOut;

    private SparkTrainer(JavaSparkContext sc, TrainConfig config, SparkOptions options, SparkCorpus corpus, CharModel model,
            Checkpoint.Position position, List<EpochMetrics> history, double elapsedSeconds) {
        this.sc = sc;
        this.config = config;
        this.options = options;
        this.corpus = corpus;
        this.model = model;
        this.spec = ModelSpec.of(UUID.randomUUID().toString(), config, corpus.vocabulary().size(), options.taskThreads());
        this.optimizer = spec.newOptimizer(model.parameters());
        this.quality = config.arithmetic() ? Trainer.qualityFor(config, Trainer.corpusText(config)) : null;
        this.position = position;
        this.history = new ArrayList<>(history);
        this.elapsedSeconds = elapsedSeconds;
        sc.sc().addSparkListener(stages);
    }

    /** A new run: Spark reads the corpus and builds the vocabulary; the model starts from the seed as in {@code train}. */
    public static SparkTrainer start(JavaSparkContext sc, TrainConfig config, SparkOptions options) {
        requireSplittable(config, options);
        SparkCorpus corpus = SparkCorpus.read(sc, config, options.partitions());
        requireLongEnough(corpus, config, options);
        CharModel model = CharModel.of(config, corpus.vocabulary().size());
        long dataState = Rng.seeded(config.seed() ^ Trainer.DATA_STREAM).state();
        return new SparkTrainer(sc, config, options, corpus, model, new Checkpoint.Position(0, 0, dataState, 0, 0, 0, 0),
                List.of(), 0);
    }

    /**
     * Continues the run saved in {@code cp} (by {@code train} or by Spark) up to {@code epochs} epochs in
     * total; everything is checked before anything is trained.
     *
     * @throws IllegalArgumentException when the corpus's vocabulary or text differs from the checkpoint's,
     *                                  or the checkpoint's tensors do not fit its model
     */
    public static SparkTrainer resume(JavaSparkContext sc, Checkpoint cp, int epochs, SparkOptions options) {
        TrainConfig config = cp.config().withEpochs(epochs);
        requireSplittable(config, options);
        SparkCorpus corpus = SparkCorpus.read(sc, config, options.partitions());
        try {
            requireSameVocabulary(corpus.vocabulary().tokens(), cp.vocabulary());
            if (!corpus.sha256().equals(cp.corpusSha256())) {
                throw new IllegalArgumentException("resume: the corpus differs from the one the checkpoint was trained on (SHA-256 "
                        + corpus.sha256() + ", checkpoint has " + cp.corpusSha256() + ")");
            }
            CharModel model = CharModel.of(config, corpus.vocabulary().size());
            try {
                model.loadStateDict(cp.model());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("resume: the checkpoint's weights do not fit its model: " + e.getMessage(), e);
            }
            SparkTrainer t = new SparkTrainer(sc, config, options, corpus, model, cp.position(), cp.history(), cp.elapsedSeconds());
            try {
                t.optimizer.loadState(cp.optimizer());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("resume: the checkpoint's optimizer state does not fit: " + e.getMessage(), e);
            }
            t.carried = Trainer.unpackStates(cp.carried(), config.layers(), config.batch(), model);
            return t;
        } catch (RuntimeException e) {
            corpus.chunks().unpersist(false);
            throw e;
        }
    }

    private static void requireSplittable(TrainConfig config, SparkOptions options) {
        if (config.batch() < options.partitions()) {
            throw new IllegalArgumentException("a global batch of " + config.batch() + " sequences cannot be split over "
                    + options.partitions() + " partitions (each needs at least one sequence): raise --batch or lower --partitions");
        }
    }

    private static void requireLongEnough(SparkCorpus corpus, TrainConfig config, SparkOptions options) {
        int b = config.batch();
        int t = config.steps();
        long need = (long) b * t + t + 1;
        if (corpus.length() < need) {
            int p = options.partitions();
            corpus.chunks().unpersist(false);
            int fewest = b / p;
            int most = (b + p - 1) / p;
            throw new IllegalArgumentException("a corpus of " + corpus.length() + " tokens is too small for one global batch of "
                    + b + " x " + t + " split over " + p + " partitions (" + (fewest == most ? "" : fewest + " to ") + most
                    + " sequences each): it needs at least " + need + " tokens");
        }
    }

    /** Refuses a corpus whose vocabulary is not the checkpoint's, naming the first token that differs. */
    static void requireSameVocabulary(List<String> corpus, List<String> checkpoint) {
        if (corpus.equals(checkpoint)) {
            return;
        }
        int n = Math.min(corpus.size(), checkpoint.size());
        for (int i = 0; i < n; i++) {
            if (!corpus.get(i).equals(checkpoint.get(i))) {
                throw new IllegalArgumentException("resume: the corpus's vocabulary differs from the checkpoint's: token " + i + " is "
                        + quote(corpus.get(i)) + " in the corpus but " + quote(checkpoint.get(i)) + " in the checkpoint");
            }
        }
        List<String> longer = corpus.size() > n ? corpus : checkpoint;
        throw new IllegalArgumentException("resume: the corpus's vocabulary differs from the checkpoint's: it has " + corpus.size()
                + " tokens and the checkpoint " + checkpoint.size() + "; token " + n + " " + quote(longer.get(n)) + " is only in the "
                + (longer == corpus ? "corpus" : "checkpoint"));
    }

    private static String quote(String token) {
        return "'" + token.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }

    public TrainConfig config() {
        return config;
    }

    public SparkOptions options() {
        return options;
    }

    public CharModel model() {
        return model;
    }

    public Vocabulary vocabulary() {
        return corpus.vocabulary();
    }

    /** Tokens in the corpus. */
    public int corpusLength() {
        return corpus.length();
    }

    public List<EpochMetrics> history() {
        return List.copyOf(history);
    }

    public Checkpoint.Position position() {
        return position;
    }

    /** Where the driver's time per step went so far. */
    public StepProfile profile() {
        return profile;
    }

    /** Writes a checkpoint into {@code dir} after every epoch and when stopped, as {@code train} does. */
    public SparkTrainer checkpointTo(Path dir) {
        this.checkpointDir = dir;
        return this;
    }

    /** Asks the run to stop before its next step (it then writes a checkpoint); safe from any thread. */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** The current state as a checkpoint, in {@code train}'s format. */
    public Checkpoint checkpoint() {
        return new Checkpoint(config, corpus.vocabulary().tokens(), corpus.sha256(), position, history, elapsedSeconds,
                model.stateDict(), optimizer.state(), Trainer.packStates(carried));
    }

    /**
     * Trains until {@code config.epochs()} epochs are done or a stop is requested, as {@link Trainer#run}.
     *
     * @throws IllegalStateException naming the step when a loss or gradient is not finite (the weights are
     *                               then those after the previous step) or when Spark fails the step
     */
    public Trainer.Outcome run(Trainer.Listener listener) {
        int n = config.batch() * config.steps();
        while (position.completedEpochs() < config.epochs()) {
            int epoch = position.completedEpochs() + 1;
            Rng data = Rng.fromState(position.epochRngState());
            int[][] starts = config.sampling().windows(corpus.length(), config.batch(), config.steps(), data);
            int batches = starts.length;
            listener.epochStarted(epoch, batches);
            double lossSum = position.lossSum();
            long seen = position.tokens();
            double normSum = position.gradNormSum();
            double clipped = position.clipped();
            long sessionTokens = 0;
            long start = System.nanoTime();
            double epochElapsedBefore = elapsedSeconds;
            List<State> state = position.nextBatch() > 0 && config.sampling().carriesState() ? carried : null;
            try (EpochShards shards = EpochShards.build(corpus.chunks(), starts, options.partitions(), config.steps())) {
                for (int k = position.nextBatch(); k < batches; ) {
                    int count = Math.min(options.averageEvery(), batches - k);
                    String label = "epoch " + epoch + ", batch " + (k + 1) + (count > 1 ? "-" + (k + count) : "") + " of " + batches;
                    Partial r = null;
                    if (!stopRequested.get()) {
                        try {
                            r = exchange(shards, k, count, label, state);
                        } catch (Exception e) { // Spark's SparkException is checked, and thrown undeclared
                            if (!stopRequested.get()) {
                                throw SparkFailures.explain(label, e);
                            } // else Spark was shut down under the step (Ctrl-C): stop before it
                        }
                    }
                    if (r == null) {
                        position = new Checkpoint.Position(epoch - 1, k, position.epochRngState(), lossSum, seen, normSum,
                                (int) Math.round(clipped));
                        carried = state;
                        elapsedSeconds = epochElapsedBefore + (System.nanoTime() - start) / 1e9;
                        writeCheckpoint(listener);
                        return Trainer.Outcome.STOPPED;
                    }
                    if (r.error() != null) {
                        throw new IllegalStateException(label + ": " + r.error() + "; training stopped before updating the weights"
                                + " (try a smaller --lr, a smaller --clip, or --detect-anomaly)");
                    }
                    long t0 = System.nanoTime();
                    if (options.averageEvery() == 1) {
                        GradientClipping.Result c = applyGradient(r, label);
                        normSum += c.norm();
                        clipped += c.clipped() ? 1 : 0;
                    } else {
                        applyAverage(r);
                        normSum += r.stats()[Partial.NORM];
                        clipped += r.stats()[Partial.CLIPPED];
                    }
                    state = config.sampling().carriesState() ? statesOf(r) : null;
                    lastUpdateNanos = System.nanoTime() - t0;
                    recordProfile(r);
                    lossSum += r.stats()[Partial.LOSS] * n;
                    seen += (long) count * n;
                    sessionTokens += (long) count * n;
                    k += count;
                    double secs = (System.nanoTime() - start) / 1e9;
                    listener.batchDone(epoch, k, batches, lossSum / seen, sessionTokens / Math.max(secs, 1e-9));
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            elapsedSeconds = epochElapsedBefore + secs;
            int done = batches;
            ArithmeticQuality.Score score = quality == null ? null : quality.evaluate(model, corpus.vocabulary());
            double meanLoss = lossSum / seen;
            EpochMetrics m = new EpochMetrics(epoch, meanLoss, Losses.perplexity(meanLoss), sessionTokens / Math.max(secs, 1e-9),
                    normSum / done, clipped / done, elapsedSeconds, score == null ? null : score.accuracy(),
                    score == null ? null : score.wellFormed());
            history.add(m);
            position = new Checkpoint.Position(epoch, 0, data.state(), 0, 0, 0, 0);
            carried = null;
            boolean sampleNow = epoch == config.epochs() || (config.sampleEvery() > 0 && epoch % config.sampleEvery() == 0);
            listener.epochDone(m, sampleNow ? sample() : null, score);
            writeCheckpoint(listener);
        }
        return Trainer.Outcome.COMPLETED;
    }

    /** Greedy text from the prefix, as {@code train} generates it. */
    public String sample() {
        return TextGenerator.generate(model, corpus.vocabulary(), prefix(), config.sampleLength(), 0, null);
    }

    /** The configured prefix, else {@code train}'s default for the corpus, else the corpus's first ten characters. */
    public String prefix() {
        String p = Trainer.defaultPrefix(config);
        if (p != null) {
            return p;
        }
        TokenChunk first = corpus.chunks().filter(c -> c.start() == 0).first();
        int[] head = java.util.Arrays.copyOf(first.tokens(), Math.min(10, first.tokens().length));
        return corpus.vocabulary().decode(head);
    }

    /** Spark's own metrics of the step stages so far (task deserialisation, run, result serialisation), in one line. */
    public String sparkMetrics() {
        return stages.summary();
    }

    /** Forgets the cached corpus (nothing to do once Spark itself has stopped). */
    @Override
    public void close() {
        sc.sc().removeSparkListener(stages);
        if (!sc.sc().isStopped()) {
            corpus.chunks().unpersist(false);
        }
    }

    /**
     * Runs one step's Spark job: the tasks' partials, summed in {@link TreeSum}'s fixed order, through
     * {@code reduceByKey} levels that follow its tree (what {@code treeAggregate} does, with groups of
     * neighbours) and a final {@code collect}.
     */
    private Partial exchange(EpochShards shards, int k, int count, String label, List<State> state) {
        sessionSteps++;
        long t0 = System.nanoTime();
        boolean local = options.averageEvery() > 1;
        StepInput in = new StepInput(sessionSteps, k, count, label, NamedArrays.of(model.stateDict()),
                local ? NamedArrays.of(optimizer.state()) : null, PartitionStep.arraysOf(state));
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

    private void recordProfile(Partial r) {
        profile.add(lastBroadcastNanos, lastJobNanos, r.taskNanos(), lastUpdateNanos, lastBytesOut, (long) r.stats()[Partial.BYTES]);
    }

    /** The synchronous update: the summed gradient, clipped by its global norm, and one optimizer step, as in {@code train}. */
    private GradientClipping.Result applyGradient(Partial r, String label) {
        Map<String, Parameter> params = model.parameters();
        DType dtype = model.dtype();
        for (int i = 0; i < r.names().length; i++) {
            double[] g = r.vectors()[i];
            if (g != null) {
                Parameter p = params.get(r.names()[i]);
                p.setGrad(Tensor.of(dtype, g, p.value().shape().dims()));
            }
        }
        GradientClipping.Result c;
        try {
            c = GradientClipping.clipByGlobalNorm(params, config.clip(), NonFinitePolicy.THROW);
        } catch (IllegalStateException e) {
            optimizer.zeroGrad();
            throw new IllegalStateException(label + ": " + e.getMessage() + "; training stopped before updating the weights", e);
        }
        optimizer.step();
        optimizer.zeroGrad();
        return c;
    }

    /** The model-averaging update: the partitions' weights and optimizer buffers, averaged by rows. */
    private void applyAverage(Partial r) {
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
        optimizer.loadState(state);
    }

    /** The carried state of all rows, each partition's rows in their place, as {@code [B, H]} tensors. */
    private List<State> statesOf(Partial r) {
        int batch = config.batch();
        int partitions = options.partitions();
        List<State> zeros = model.initialStates(batch);
        List<State> out = new ArrayList<>();
        int at = 0;
        for (State layer : zeros) {
            List<Variable> parts = new ArrayList<>();
            for (Variable part : layer.parts()) {
                int width = part.shape().dim(1);
                double[] all = new double[batch * width];
                for (int p = 0; p < partitions; p++) {
                    double[] rows = r.states().get(p)[at];
                    System.arraycopy(rows, 0, all, Shard.firstRow(p, partitions, batch) * width, rows.length);
                }
                parts.add(Variable.constant(Tensor.of(model.dtype(), all, batch, width)));
                at++;
            }
            out.add(new State(parts));
        }
        return out;
    }

    private void writeCheckpoint(Trainer.Listener listener) {
        if (checkpointDir != null) {
            listener.checkpointed(checkpoint().write(checkpointDir));
        }
    }
}
