package dev.jgrad.spark.train;

import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.examples.train.CharModel;
import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.EpochMetrics;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.data.SparkCorpus;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code train}'s run with each minibatch's rows spread over Spark partitions: {@code train}'s own
 * {@link Trainer} (its loop, model, optimizer, metrics and checkpoints) with the steps taken on Spark
 * ({@link SparkSteps}) over a corpus Spark reads ({@link SparkCorpus}). With float64, equal seeds and
 * equal global batches the weights agree with {@code train}'s to rounding, for any number of
 * partitions, and to the bit with one; checkpoints are {@code train}'s, so a run moves between
 * {@code train} and Spark in either direction.
 *
 * <p>With {@link SparkOptions#averageEvery()} N > 1 the arithmetic is deliberately different (local
 * SGD, or periodic model averaging): see {@link SparkSteps}.
 */
public final class SparkTrainer implements AutoCloseable {
    private final JavaSparkContext sc;
    private final SparkOptions options;
    private final SparkCorpus corpus;
    private final SparkSteps steps;
    private final Trainer trainer;

    private SparkTrainer(JavaSparkContext sc, SparkOptions options, SparkCorpus corpus, SparkSteps steps, Trainer trainer) {
        this.sc = sc;
        this.options = options;
        this.corpus = corpus;
        this.steps = steps;
        this.trainer = trainer;
        sc.sc().addSparkListener(steps.stages());
    }

    /**
     * A new run: Spark reads the corpus and builds the vocabulary; the model starts from the seed as in {@code train}.
     *
     * @param sc      the Spark context the run's jobs go to
     * @param config  the run's configuration
     * @param options how the run uses Spark
     * @return the trainer, before its first step; close it to drop the cached corpus
     * @throws IllegalArgumentException when the global batch cannot be split over the partitions, or the corpus is
     *                                  too small for one global batch
     */
    public static SparkTrainer start(JavaSparkContext sc, TrainConfig config, SparkOptions options) {
        requireSplittable(config, options);
        SparkCorpus corpus = SparkCorpus.read(sc, config, options.partitions());
        try {
            requireLongEnough(corpus, config, options);
            SparkSteps steps = SparkSteps.of(sc, config, options, corpus);
            return new SparkTrainer(sc, options, corpus, steps, Trainer.start(config, corpus.vocabulary(), corpus.text(), steps,
                    corpus.arithmeticText()));
        } catch (RuntimeException e) {
            corpus.chunks().unpersist(false);
            throw e;
        }
    }

    /**
     * Continues the run saved in {@code cp} (by {@code train} or by Spark) up to {@code epochs} epochs in
     * total; everything is checked before anything is trained.
     *
     * @param sc      the Spark context the run's jobs go to
     * @param cp      the checkpoint
     * @param epochs  the epochs in total
     * @param options how the run uses Spark
     * @return the trainer, at the checkpoint's position; close it to drop the cached corpus
     * @throws IllegalArgumentException when the corpus's vocabulary or text differs from the checkpoint's,
     *                                  or the checkpoint's tensors do not fit its model
     */
    public static SparkTrainer resume(JavaSparkContext sc, Checkpoint cp, int epochs, SparkOptions options) {
        TrainConfig config = cp.config().withEpochs(epochs);
        requireSplittable(config, options);
        SparkCorpus corpus = SparkCorpus.read(sc, config, options.partitions());
        try {
            requireSameVocabulary(corpus.vocabulary().tokens(), cp.vocabulary());
            SparkSteps steps = SparkSteps.of(sc, config, options, corpus);
            return new SparkTrainer(sc, options, corpus, steps, Trainer.resume(cp, epochs, corpus.text(), steps,
                    corpus.arithmeticText()));
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
            int fewest = b / p;
            int most = (b + p - 1) / p;
            throw new IllegalArgumentException("a corpus of " + corpus.length() + " tokens to train on is too small for one global "
                    + "batch of " + b + " x " + t + " split over " + p + " partitions (" + (fewest == most ? "" : fewest + " to ") + most
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

    /**
     * The run itself: {@code train}'s loop, model, optimizer and checkpoints, its steps taken on Spark.
     *
     * @return the trainer
     */
    public Trainer trainer() {
        return trainer;
    }

    /**
     * The run's configuration.
     *
     * @return the configuration
     */
    public TrainConfig config() {
        return trainer.config();
    }

    /**
     * How the run uses Spark.
     *
     * @return the options
     */
    public SparkOptions options() {
        return options;
    }

    /**
     * The corpus as Spark holds it.
     *
     * @return the corpus
     */
    public SparkCorpus corpus() {
        return corpus;
    }

    /**
     * The model the driver updates.
     *
     * @return the model
     */
    public CharModel model() {
        return trainer.model();
    }

    /**
     * The vocabulary, which Spark counted.
     *
     * @return the vocabulary
     */
    public Vocabulary vocabulary() {
        return trainer.vocabulary();
    }

    /**
     * The figures of every finished epoch.
     *
     * @return the history, oldest first
     */
    public List<EpochMetrics> history() {
        return trainer.history();
    }

    /**
     * Where the driver's time per step went so far.
     *
     * @return the profile
     */
    public StepProfile profile() {
        return steps.profile();
    }

    /**
     * Writes a checkpoint into {@code dir} after every epoch and when stopped, as {@code train} does.
     *
     * @param dir the checkpoint folder
     * @return this trainer
     */
    public SparkTrainer checkpointTo(Path dir) {
        trainer.checkpointTo(dir);
        return this;
    }

    /** Asks the run to stop before its next step (it then writes a checkpoint); safe from any thread. */
    public void requestStop() {
        trainer.requestStop();
    }

    /**
     * Trains until {@code config.epochs()} epochs are done or a stop is requested, as {@link Trainer#run}.
     *
     * @param listener told about progress
     * @return how the run ended
     * @throws IllegalStateException naming the step when a loss or gradient is not finite (the weights are
     *                               then those after the previous step) or when Spark fails the step
     */
    public Trainer.Outcome run(Trainer.Listener listener) {
        return trainer.run(listener);
    }

    /**
     * Spark's own metrics of the step stages so far (task deserialisation, run, result serialisation), in one line.
     *
     * @return the summary
     */
    public String sparkMetrics() {
        return steps.stages().summary();
    }

    /** Forgets the cached corpus (nothing to do once Spark itself has stopped). */
    @Override
    public void close() {
        sc.sc().removeSparkListener(steps.stages());
        if (!sc.sc().isStopped()) {
            corpus.chunks().unpersist(false);
        }
    }
}
