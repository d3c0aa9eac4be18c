package dev.jgrad.examples.train;

import dev.jgrad.autodiff.NonFiniteException;
import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.data.Minibatch;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.parallel.DataParallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * d2l's {@code train_ch8} loop for a {@link CharModel}: per epoch, partition the corpus
 * (sequential: the state carries over minibatches, detached; random: it restarts at zero for each),
 * and for each minibatch take one {@link #trainStep training step} — forward, mean softmax
 * cross-entropy, backward, clip the gradient to {@code clip} by global norm, optimizer update. After
 * each epoch it reports the training perplexity {@code exp(mean token loss)} and the perplexity on
 * held-out text the model never trains on (see {@link Corpora#split} and {@link #HELD_OUT_SEED}).
 *
 * <p>Note [One loop]: the loop — epochs, partitions, stopping, checkpoints, metrics — is written
 * once, here; how a step is taken is a {@link Steps}. {@link #start(TrainConfig)} takes each step on
 * this process's tape ({@link #trainStep}); the Spark trainer spreads each over a cluster's tasks and
 * needs only the length, checksum and first characters of the text, which the cluster holds
 * ({@link TrainingText}), and the generated corpus's text, which it generated itself. Both update
 * the same model with the same optimizer and write the same checkpoints, so a run moves between them.
 *
 * <p>All randomness is explicit: the weights come from {@code Rng.seeded(seed)}, the partitions from
 * a second generator whose state is part of every checkpoint, and generated text from a generator
 * derived from the seed and the epoch, so sampling never disturbs training. A run stopped at any
 * minibatch and resumed from its checkpoint therefore ends with exactly the weights of an
 * uninterrupted run.
 */
public final class Trainer {
    /** Seed of the generated arithmetic corpus: fixed, so every run of the default trains on the same text. */
    static final long CORPUS_SEED = 20_260_001L;
    /**
     * Seed of the generated corpus's held-out lines: another draw from the same distribution, one
     * line for every ten of the training corpus, so the training text itself is unchanged.
     */
    static final long HELD_OUT_SEED = CORPUS_SEED + 1;
    /** Prompts of the arithmetic quality measure. */
    static final int QUALITY_PROBES = 200;
    /** How often this JVM generated the arithmetic corpus: tests hold a run's start to one generation with it. */
    static final AtomicInteger arithmeticGenerations = new AtomicInteger();
    private static final long DATA_STREAM = 0x5EED_DA7AL;

    /** Told about progress; every method has an empty default. */
    public interface Listener {
        /**
         * An epoch starts, or goes on in a resumed run.
         *
         * @param epoch   the epoch, from 1
         * @param batch   how many of its minibatches are done already: 0, or where a resumed run goes on
         * @param batches how many minibatches it has
         */
        default void epochStarted(int epoch, int batch, int batches) {
        }

        /**
         * A step is done: one minibatch, or several for an engine that takes several per step
         * ({@link Steps#minibatchesPerStep()}).
         *
         * @param epoch           the epoch, from 1
         * @param batch           how many of its minibatches are done now
         * @param batches         how many minibatches it has
         * @param meanLoss        the epoch's mean token loss so far
         * @param tokensPerSecond this session's training speed in the epoch so far
         */
        default void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
        }

        /** After each epoch; {@code sample} is the generated text, or null when this epoch does not sample. */
        default void epochDone(EpochMetrics metrics, String sample, ArithmeticQuality.Score score) {
        }

        /** A checkpoint was written to {@code folder}. */
        default void checkpointed(Path folder) {
        }
    }

    /** How a {@link #run} ended. */
    public enum Outcome { COMPLETED, STOPPED }

    /** Training stopped on a NaN or infinite loss or gradient; names the epoch and minibatch. */
    public static final class NonFiniteLossException extends IllegalStateException {
        /**
         * A stop on a non-finite loss or gradient.
         *
         * @param message names the epoch and minibatch and says that the weights were not updated
         * @param cause   what detected it, or null
         */
        public NonFiniteLossException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What one step leaves behind, for the epoch's figures and the next step.
     *
     * @param loss     the mean token loss of each of the step's minibatches (before the update), summed over them
     * @param gradNorm the global gradient norm before clipping, summed over the step's minibatches
     * @param clipped  how many of the step's minibatches had their gradient clipped (a share of one when partitions
     *                 clip separately and their counts are averaged)
     * @param state    the detached final state to carry into the next minibatch (null for random partitioning)
     */
    public record Step(double loss, double gradNorm, double clipped, List<State> state) {
    }

    /**
     * How a run takes its steps (Note [One loop]): {@code train}'s own takes each on this process's
     * tape; another engine may take them elsewhere, as long as it leaves the run's model and optimizer
     * as that step would.
     */
    public interface Steps {
        /**
         * Minibatches one step takes: 1, or more for an engine that updates once per several (model averaging).
         *
         * @return at least 1
         */
        default int minibatchesPerStep() {
            return 1;
        }

        /**
         * The steps of one epoch.
         *
         * @param run    the run whose {@link #model()} and {@link #optimizer()} the steps update
         * @param starts where the epoch's minibatches read: row {@code b} of minibatch {@code k} starts at token
         *               {@code starts[k][b]} of the training text ({@link dev.jgrad.examples.data.Partitioning#windows})
         * @return the epoch's steps, closed when the epoch ends or the run stops
         */
        Epoch epoch(Trainer run, int[][] starts);

        /** Releases what the steps held over a {@link #run}, when it ends; nothing by default. */
        default void runEnded() {
        }
    }

    /** One epoch's steps. */
    public interface Epoch extends AutoCloseable {
        /**
         * Takes minibatches {@code [first, first + count)}: forward, loss, backward, clip and update.
         *
         * @param first the epoch's first minibatch of this step
         * @param count how many minibatches (see {@link Steps#minibatchesPerStep()})
         * @param state the state carried into the first of them, or null for zeros
         * @param label names the step in errors, e.g. {@code epoch 3, batch 7 of 20}
         * @return what the step leaves behind, or null when a requested stop ended it before it changed anything
         * @throws NonFiniteLossException when a loss or gradient is not finite (the weights are then unchanged)
         */
        Step step(int first, int count, List<State> state, String label);

        /** Releases what the epoch held; nothing by default. */
        @Override
        default void close() {
        }
    }

    /**
     * What the loop knows of the text a run trains on, wherever the text itself is held.
     *
     * @param length  the training text's length in tokens (characters)
     * @param sha256  SHA-256 of its UTF-8 bytes, which checkpoints carry ({@link Checkpoint#sha256})
     * @param head    its first characters (up to 10): generated text starts from them when the corpus has no default prefix
     * @param heldOut the held-out text, never trained on; null when the engine does not measure it
     */
    public record TrainingText(int length, String sha256, String head, String heldOut) {
        /**
         * What the loop knows of a training text held in this process.
         *
         * @param text    the training text
         * @param heldOut the held-out text
         * @return its length, checksum and head, and the held-out text
         */
        public static TrainingText of(String text, String heldOut) {
            return new TrainingText(text.length(), Checkpoint.sha256(text.getBytes(StandardCharsets.UTF_8)),
                    text.substring(0, headLength(text.length())), heldOut);
        }

        /**
         * How many characters the head of a training text holds, for an engine that sees the text in pieces.
         *
         * @param length the training text's length
         * @return the head's length: 10, or the whole text when shorter
         */
        public static int headLength(int length) {
            return Math.min(10, length);
        }
    }

    /** The running sums of the epoch in progress, as a {@link Checkpoint.Position} stores them. */
    private static final class EpochSums {
        double lossSum;
        long tokens;
        double gradNormSum;
        double clipped;

        EpochSums(Checkpoint.Position p) {
            lossSum = p.lossSum();
            tokens = p.tokens();
            gradNormSum = p.gradNormSum();
            clipped = p.clipped();
        }

        /** Adds a step of {@code count} minibatches of {@code n} tokens each. */
        void add(Step s, int count, int n) {
            lossSum += s.loss() * n;
            tokens += (long) count * n;
            gradNormSum += s.gradNorm();
            clipped += s.clipped();
        }

        double meanLoss() {
            return lossSum / tokens;
        }

        Checkpoint.Position at(int completedEpochs, int nextBatch, long epochRngState) {
            return new Checkpoint.Position(completedEpochs, nextBatch, epochRngState, lossSum, tokens, gradNormSum,
                    (int) Math.round(clipped));
        }
    }

    private final TrainConfig config;
    private final TrainingText text;
    private final Vocabulary vocab;
    private final Steps steps;
    private final HeldOutText heldOut;
    private final CharModel model;
    private final Optimizer optimizer;
    /** Storage each of {@code train}'s steps lends to the next. */
    private final Workspace workspace = new Workspace();
    private final ArithmeticQuality quality;
    private final List<EpochMetrics> history;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private Checkpoint.Position position;
    private List<State> carried;
    private double elapsedSeconds;
    private Path checkpointDir;

    private Trainer(TrainConfig config, TrainingText text, Vocabulary vocab, Steps steps, String arithmeticText, CharModel model,
            Checkpoint.Position position, List<EpochMetrics> history, double elapsedSeconds) {
        this.config = config;
        this.text = text;
        this.vocab = vocab;
        this.steps = steps;
        this.heldOut = text.heldOut() == null ? null : new HeldOutText(vocab.encode(text.heldOut()), config.batch(), config.steps());
        this.model = model;
        this.optimizer = config.optimizer().create(model.parameters(), config.lr());
        this.quality = config.arithmetic()
                ? new ArithmeticQuality(arithmeticText, config.maxOperand(), QUALITY_PROBES, Rng.seeded(config.seed() ^ 0xA11CEL)) : null;
        this.position = position;
        this.history = new ArrayList<>(history);
        this.elapsedSeconds = elapsedSeconds;
    }

    /** A new run: reads (or generates) the corpus, builds the vocabulary and initialises the model from the seed. */
    public static Trainer start(TrainConfig config) {
        return start(config, 1, 1);
    }

    /**
     * A new run as {@link #start(TrainConfig)}, each minibatch split into {@code shards} shards
     * trained on up to {@code threads} threads (Note [Sharded steps]).
     *
     * @param config  the run's configuration
     * @param shards  the shards of each minibatch, at least 1 and at most its batch; the result depends on it
     * @param threads the threads the shards run on, at least 1; the result does not depend on it
     * @return the trainer, before its first step
     * @throws IllegalArgumentException when a count is out of range, or shards are asked for with anomaly detection
     */
    public static Trainer start(TrainConfig config, int shards, int threads) {
        requireShards(config, shards, threads);
        Corpora.Split corpus = corpus(config);
        Vocabulary vocab = config.d2lText() ? Vocabulary.of(corpus.train(), Corpora.D2L_ALPHABET) : Vocabulary.of(corpus.train());
        return start(config, vocab, TrainingText.of(corpus.train(), corpus.heldOut()),
                new LocalSteps(vocab.encode(corpus.train()), shards, threads), corpus.train());
    }

    /**
     * Refuses a shard count the configuration cannot take, before any work: below 1, above the batch,
     * or above 1 with anomaly detection, which names an op on the step's one tape.
     */
    static void requireShards(TrainConfig config, int shards, int threads) {
        Objects.requireNonNull(config, "config");
        if (shards < 1 || shards > config.batch()) {
            throw new IllegalArgumentException("--shards must be between 1 and the batch (" + config.batch() + "), got " + shards);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("the shards' threads must be at least 1, got " + threads);
        }
        if (shards > 1 && config.anomaly()) {
            throw new IllegalArgumentException("--detect-anomaly checks the ops of one tape a step: use it with --shards 1");
        }
    }

    /**
     * A new run whose steps another engine takes (Note [One loop]), over a training text it holds:
     * the model initialised from the seed and the partitions' generator seeded as in {@link #start(TrainConfig)}.
     *
     * @param config         the run's configuration
     * @param vocab          the vocabulary of the training text, as {@link #start(TrainConfig)} would build it
     * @param text           what the loop knows of the training text
     * @param steps          how the steps are taken
     * @param arithmeticText the generated corpus's training text ({@link #corpus}{@code (config).train()}), which its
     *                       quality measure needs: the engine generated it already; unused (may be null) for a corpus file
     * @return the trainer, before its first step
     * @throws IllegalArgumentException when {@code arithmeticText} is missing for the generated corpus
     */
    public static Trainer start(TrainConfig config, Vocabulary vocab, TrainingText text, Steps steps, String arithmeticText) {
        requireArithmeticText(config, arithmeticText);
        CharModel model = CharModel.of(config, vocab.size());
        long dataState = Rng.seeded(config.seed() ^ DATA_STREAM).state();
        return new Trainer(config, text, vocab, steps, arithmeticText, model, new Checkpoint.Position(0, 0, dataState, 0, 0, 0, 0),
                List.of(), 0);
    }

    /**
     * Continues the run saved in {@code cp} up to {@code epochs} epochs in total. Everything is
     * validated before the trainer exists, so a bad checkpoint yields an exception and nothing else.
     */
    public static Trainer resume(Checkpoint cp, int epochs) {
        return resume(cp, epochs, 1, 1);
    }

    /**
     * Continues the run saved in {@code cp} as {@link #resume(Checkpoint, int)}, each minibatch split
     * into {@code shards} shards on up to {@code threads} threads (Note [Sharded steps]): the same
     * shard count as the run's before gives the weights of an uninterrupted run.
     *
     * @param cp      the checkpoint
     * @param epochs  the epochs in total
     * @param shards  the shards of each minibatch, at least 1 and at most its batch
     * @param threads the threads the shards run on, at least 1
     * @return the trainer, at the checkpoint's position
     * @throws IllegalArgumentException when a count is out of range, or as {@link #resume(Checkpoint, int)}
     */
    public static Trainer resume(Checkpoint cp, int epochs, int shards, int threads) {
        TrainConfig config = Objects.requireNonNull(cp, "cp").config().withEpochs(epochs);
        requireShards(config, shards, threads);
        Corpora.Split corpus = corpus(config);
        Vocabulary vocab = new Vocabulary(cp.vocabulary());
        return resume(cp, epochs, TrainingText.of(corpus.train(), corpus.heldOut()),
                new LocalSteps(vocab.encode(corpus.train()), shards, threads), config.arithmetic() ? corpus.train() : null);
    }

    /**
     * Continues the run saved in {@code cp} (by {@code train} or another engine) up to {@code epochs}
     * epochs in total, with steps another engine takes (Note [One loop]). Everything is validated before
     * the trainer exists.
     *
     * @param cp             the checkpoint
     * @param epochs         the epochs in total
     * @param text           what the loop knows of the training text of {@code cp}'s configuration
     * @param steps          how the steps are taken
     * @param arithmeticText the generated corpus's training text, as for {@link #start(TrainConfig, Vocabulary,
     *                       TrainingText, Steps, String)}; unused (may be null) for a corpus file
     * @return the trainer, at the checkpoint's position
     * @throws IllegalArgumentException when the training text is not the checkpoint's, its tensors do not fit its model,
     *                                  or {@code arithmeticText} is missing for the generated corpus
     */
    public static Trainer resume(Checkpoint cp, int epochs, TrainingText text, Steps steps, String arithmeticText) {
        TrainConfig config = cp.config().withEpochs(epochs);
        requireArithmeticText(config, arithmeticText);
        if (!text.sha256().equals(cp.corpusSha256())) {
            throw new IllegalArgumentException("resume: the training text differs from the one the checkpoint was trained on (SHA-256 "
                    + text.sha256() + ", checkpoint has " + cp.corpusSha256() + "): the corpus file changed, or the checkpoint was "
                    + "written before part of the corpus was held out");
        }
        Vocabulary vocab = new Vocabulary(cp.vocabulary());
        CharModel model = CharModel.of(config, vocab.size());
        try {
            model.loadStateDict(cp.model());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's weights do not fit its model: " + e.getMessage(), e);
        }
        Trainer t = new Trainer(config, text, vocab, steps, arithmeticText, model, cp.position(), cp.history(), cp.elapsedSeconds());
        try {
            t.optimizer.loadState(cp.optimizer());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's optimizer state does not fit: " + e.getMessage(), e);
        }
        t.carried = unpackStates(cp.carried(), config.layers(), config.batch(), model);
        return t;
    }

    /** Refuses a start without the generated text the arithmetic corpus's quality measure needs. */
    private static void requireArithmeticText(TrainConfig config, String arithmeticText) {
        if (config.arithmetic() && arithmeticText == null) {
            throw new IllegalArgumentException("the generated corpus's training text is needed for its quality measure");
        }
    }

    /**
     * The training and held-out text a configuration describes: for the generated corpus its lines
     * (cut to {@code maxTokens}) and {@code max(1, lines / 10)} further lines drawn with
     * {@link #HELD_OUT_SEED}; for a file, {@link Corpora#split} of its text.
     *
     * @throws IllegalArgumentException when the file is empty, not UTF-8 text, or (with d2l's
     *                                  preprocessing) has no letters
     */
    public static Corpora.Split corpus(TrainConfig config) {
        if (config.arithmetic()) {
            arithmeticGenerations.incrementAndGet();
            String train = Corpora.arithmetic(Rng.seeded(CORPUS_SEED), config.corpusLines(), config.maxOperand());
            String heldOut = Corpora.arithmetic(Rng.seeded(HELD_OUT_SEED), Math.max(1, config.corpusLines() / 10), config.maxOperand());
            return new Corpora.Split(Corpora.truncate(train, config.maxTokens()), heldOut);
        }
        List<String> lines = Corpora.readLines(Path.of(config.corpus()));
        String text = config.d2lText() ? Corpora.d2lText(lines) : String.join("\n", lines) + "\n";
        if (text.isBlank()) {
            throw blankCorpus(config);
        }
        return Corpora.split(text, config.maxTokens());
    }

    /**
     * The error for a corpus file that leaves only blank text to train on.
     *
     * @param config the run's configuration, which names the corpus
     * @return the exception to throw
     */
    public static IllegalArgumentException blankCorpus(TrainConfig config) {
        return new IllegalArgumentException("corpus " + config.corpus() + (config.d2lText()
                ? " has no letters, so --d2l-text leaves nothing to train on" : " holds only blank lines"));
    }

    public TrainConfig config() {
        return config;
    }

    public CharModel model() {
        return model;
    }

    /**
     * The limit of the workspace the steps borrow from, when a step needed more than it and so steps
     * allocate afresh (slower; more heap gives it room); empty while the steps fit, or when the
     * workspace is off.
     *
     * @return the limit in bytes a step outgrew, or empty
     */
    public OptionalLong outgrownWorkspaceBytes() {
        return workspace.isOutgrown() ? OptionalLong.of(workspace.limitBytes()) : OptionalLong.empty();
    }

    /**
     * The limit of the workspace the steps borrow from, when it has given way to a nearly full heap
     * ({@link Workspace#gaveWayToTheHeap()}) and so holds less than its capacity; empty otherwise.
     *
     * @return the lowered limit in bytes, or empty
     */
    public OptionalLong workspaceLimitLoweredByTheHeap() {
        return workspace.gaveWayToTheHeap() ? OptionalLong.of(workspace.limitBytes()) : OptionalLong.empty();
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /** The text the model trains on, as the loop knows it: its length, checksum, first characters and held-out text. */
    public TrainingText trainingText() {
        return text;
    }

    /**
     * The optimizer, whose state checkpoints keep; the {@link Steps} update through it.
     *
     * @return the run's optimizer
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    public List<EpochMetrics> history() {
        return List.copyOf(history);
    }

    public Checkpoint.Position position() {
        return position;
    }

    /** Writes a checkpoint into {@code dir} after every epoch and when stopped. */
    public Trainer checkpointTo(Path dir) {
        this.checkpointDir = dir;
        return this;
    }

    /** Asks the run to stop after the current minibatch (it then writes a checkpoint); safe from any thread. */
    public void requestStop() {
        stopRequested.set(true);
    }

    /**
     * Whether a stop was requested ({@link #requestStop}).
     *
     * @return true once a stop was requested
     */
    public boolean stopRequested() {
        return stopRequested.get();
    }

    /** The prefix generated text starts from: the configured one, else one suited to the corpus. */
    public String prefix() {
        String p = defaultPrefix(config);
        return p != null ? p : text.head();
    }

    /**
     * The configured prefix, else {@code 12+7=} for the arithmetic corpus or d2l's
     * {@code time traveller} for d2l text; null for another corpus without a configured prefix.
     */
    static String defaultPrefix(TrainConfig config) {
        if (config.prefix() != null && !config.prefix().isEmpty()) {
            return config.prefix();
        }
        if (config.arithmetic()) {
            return "12+7=";
        }
        return config.d2lText() ? "time traveller" : null;
    }

    /**
     * Trains until {@code config.epochs()} epochs are done or a stop is requested.
     *
     * @throws NonFiniteLossException naming the epoch and minibatch whose loss or gradient was not
     *                                finite; the weights are then those after the previous minibatch
     *                                and no checkpoint of them is written
     */
    public Outcome run(Listener listener) {
        try {
            while (position.completedEpochs() < config.epochs()) {
                if (runEpoch(listener) == Outcome.STOPPED) {
                    return Outcome.STOPPED;
                }
            }
            return Outcome.COMPLETED;
        } finally {
            steps.runEnded();
        }
    }

    /**
     * Trains as {@link #run}, with a shutdown of the JVM (Ctrl-C, or a SIGTERM) asking for a stop:
     * the shutdown then waits, up to a minute, for the checkpoint the stopping run writes.
     *
     * @param listener  told about progress
     * @param onStopped runs when the run stopped, before the shutdown may go on (what it prints is not lost)
     * @return how the run ended
     */
    public Outcome runUntilShutdown(Listener listener, Runnable onStopped) {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Outcome outcome = run(listener);
            if (outcome == Outcome.STOPPED) {
                onStopped.run();
            }
            return outcome;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting (Ctrl-C): the hook is running and has been released above.
            }
        }
    }

    /** The next epoch, from where the run stands (mid-epoch after a resume) to its end, or to a requested stop. */
    private Outcome runEpoch(Listener listener) {
        int epoch = position.completedEpochs() + 1;
        Rng data = Rng.fromState(position.epochRngState());
        int[][] starts = config.sampling().windows(text.length(), config.batch(), config.steps(), data);
        int batches = starts.length;
        int n = config.batch() * config.steps();
        listener.epochStarted(epoch, position.nextBatch(), batches);
        EpochSums sums = new EpochSums(position);
        long sessionTokens = 0;
        long start = System.nanoTime();
        double elapsedBefore = elapsedSeconds;
        List<State> state = position.nextBatch() > 0 && config.sampling().carriesState() ? carried : null;
        try (Epoch epochSteps = steps.epoch(this, starts)) {
            for (int k = position.nextBatch(); k < batches; ) {
                int count = Math.min(steps.minibatchesPerStep(), batches - k);
                String label = "epoch " + epoch + ", batch " + (k + 1) + (count > 1 ? "-" + (k + count) : "") + " of " + batches;
                Step step = stopRequested.get() ? null : epochSteps.step(k, count, state, label);
                if (step == null) {
                    position = sums.at(epoch - 1, k, position.epochRngState());
                    carried = state;
                    elapsedSeconds = elapsedBefore + seconds(start);
                    writeCheckpoint(listener);
                    return Outcome.STOPPED;
                }
                state = step.state();
                sums.add(step, count, n);
                sessionTokens += (long) count * n;
                k += count;
                listener.batchDone(epoch, k, batches, sums.meanLoss(), sessionTokens / Math.max(seconds(start), 1e-9));
            }
        }
        double secs = seconds(start);
        elapsedSeconds = elapsedBefore + secs;
        int done = batches;
        ArithmeticQuality.Score score = quality();
        double meanLoss = sums.meanLoss();
        EpochMetrics m = new EpochMetrics(epoch, meanLoss, Losses.perplexity(meanLoss), sessionTokens / Math.max(secs, 1e-9),
                sums.gradNormSum / done, sums.clipped / done, elapsedSeconds,
                score == null ? null : score.accuracy(), score == null ? null : score.wellFormed(),
                heldOut == null ? null : heldOut.perplexity(model));
        history.add(m);
        position = new Checkpoint.Position(epoch, 0, data.state(), 0, 0, 0, 0);
        carried = null;
        boolean sampleNow = epoch == config.epochs() || (config.sampleEvery() > 0 && epoch % config.sampleEvery() == 0);
        listener.epochDone(m, sampleNow ? sample() : null, score);
        writeCheckpoint(listener);
        return Outcome.COMPLETED;
    }

    /**
     * {@code train}'s own steps: one minibatch each, on this process's tape ({@link #trainStep}), or
     * split into shards on their own tapes ({@link #shardedStep}).
     */
    private static final class LocalSteps implements Steps {
        private final int[] tokens;
        private final int shards;
        private final int threads;
        /** The shards' threads and storage, kept from epoch to epoch of a run; null with one shard or between runs. */
        private DataParallel split;

        LocalSteps(int[] tokens, int shards, int threads) {
            this.tokens = tokens;
            this.shards = shards;
            this.threads = threads;
        }

        @Override
        public Epoch epoch(Trainer run, int[][] starts) {
            List<Minibatch> batches = Partitioning.minibatches(tokens, starts, run.config.steps());
            if (shards == 1) {
                return (first, count, state, label) -> run.trainStep(batches.get(first), state, label);
            }
            if (split == null) {
                split = DataParallel.of(shards, threads);
            }
            DataParallel shared = split;
            return (first, count, state, label) -> run.shardedStep(shared, batches.get(first), state, label);
        }

        @Override
        public void runEnded() {
            if (split != null) {
                split.close();
                split = null;
            }
        }
    }

    /**
     * One training step on a minibatch, as d2l's loop body: forward from {@code state} (null: zeros),
     * loss, backward, then {@link #update}.
     *
     * @param label names the step in errors, e.g. {@code epoch 3, batch 7 of 20}
     * @return the loss, the clipping, and the detached final state to carry (null for random partitioning)
     */
    private Step trainStep(Minibatch mb, List<State> state, String label) {
        return inStepScope(() -> trainStepInScope(mb, state, label));
    }

    /** {@code step}, its tensors borrowing the storage of the previous step's ({@link Workspace}), but for the state it carries out. */
    private Step inStepScope(Supplier<Step> step) {
        try (Workspace.Scope scope = workspace.open()) {
            Step done = step.get();
            if (done.state() != null) {
                done.state().forEach(s -> s.parts().forEach(p -> scope.keep(p.value())));
            }
            return done;
        }
    }

    /** A stop on a non-finite loss, before the weights change; {@code anomaly} is the options that name the op that made it. */
    private static NonFiniteLossException nonFiniteLoss(String label, double loss, String anomaly) {
        return new NonFiniteLossException("train: " + label + ": the loss is " + loss
                + "; training stopped before updating the weights (try a smaller --lr, a smaller --clip, or " + anomaly + ")", null);
    }

    /**
     * Note [Sharded steps]: with {@code --shards S}, a step is {@link #trainStep}'s with the minibatch
     * cut into {@code S} shards of contiguous sequences, each run forward and backward on its own tape
     * and thread ({@link DataParallel}), the carried state cut and joined along the same rows. The
     * gradient is the minibatch's, summed in shard order, so a run's bits depend on {@code S} (the
     * sums over sequences are grouped by shard) but not on the threads that ran the shards; the loss
     * is the shards' losses weighted by their rows. Each sequence's state is its own, so a shard
     * carries its rows' states from one minibatch to the next exactly as the whole minibatch does.
     */
    private Step shardedStep(DataParallel split, Minibatch mb, List<State> state, String label) {
        return inStepScope(() -> {
            List<List<State>> finals = new ArrayList<>(Collections.nCopies(split.shards(), null));
            boolean carries = config.sampling().carriesState();
            double loss = split.backward(model.parameters().values(), mb.batch(), (shard, from, to) -> {
                Minibatch rows = mb.rows(from, to);
                CharModel.Output out = model.forward(rows.inputs(), state == null ? null : rows(state, from, to));
                if (carries) {
                    finals.set(shard, ownedCopies(out.finalStates()));   // outlives the shard's storage
                }
                return Losses.crossEntropy(out.logits(), rows.flatTargets());
            });
            if (!Double.isFinite(loss)) {
                optimizer.zeroGrad();   // the shards' gradients are in already
                throw nonFiniteLoss(label, loss, "--shards 1 --detect-anomaly");
            }
            GradientClipping.Result clipping = update(label);
            return new Step(loss, clipping.norm(), clipping.clipped() ? 1 : 0, carries ? joined(finals) : null);
        });
    }

    /** Rows {@code [from, to)} of each part of {@code states}. */
    private static List<State> rows(List<State> states, int from, int to) {
        return states.stream().map(s -> new State(s.parts().stream().map(p -> p.slice(0, from, to)).toList())).toList();
    }

    /** Detached copies of {@code states} with storage of their own, not a workspace's. */
    private static List<State> ownedCopies(List<State> states) {
        return states.stream().map(s -> new State(s.parts().stream().map(p -> Variable.constant(owned(p.value()))).toList())).toList();
    }

    private static Tensor owned(Tensor t) {
        int[] dims = t.shape().dims();
        return t.dtype() == DType.F64 ? Tensor.of(t.toDoubleArray(), dims) : Tensor.of(t.toFloatArray(), dims);
    }

    /** The shards' states joined along their rows, in shard order. */
    private static List<State> joined(List<List<State>> shards) {
        List<State> out = new ArrayList<>();
        for (int k = 0; k < shards.get(0).size(); k++) {
            int layer = k;
            List<Variable> parts = new ArrayList<>();
            for (int i = 0; i < shards.get(0).get(k).parts().size(); i++) {
                int part = i;
                parts.add(Variable.constant(Kernels.concat(shards.stream().map(s -> s.get(layer).part(part).value()).toList(), 0)));
            }
            out.add(new State(parts));
        }
        return out;
    }

    /** {@link #trainStep}'s work, inside its step's workspace scope. */
    private Step trainStepInScope(Minibatch mb, List<State> state, String label) {
        double loss;
        List<State> next;
        try (Tape tape = Tape.record().label(label)) {
            if (config.anomaly()) {
                tape.withAnomalyDetection();
            }
            CharModel.Output out = model.forward(mb.inputs(), state);
            Variable l = Losses.crossEntropy(out.logits(), mb.flatTargets());
            loss = l.value().item();
            if (!Double.isFinite(loss)) {
                throw nonFiniteLoss(label, loss, "--detect-anomaly");
            }
            l.backward();
            next = config.sampling().carriesState() ? RecurrentStack.detach(out.finalStates()) : null;
        } catch (NonFiniteException e) {
            throw new NonFiniteLossException("train: " + label + ": " + e.getMessage(), e);
        }
        GradientClipping.Result clipping = update(label);
        return new Step(loss, clipping.norm(), clipping.clipped() ? 1 : 0, next);
    }

    /**
     * The update of a step whose gradient the parameters hold: clip it to {@code clip} by its global
     * norm, take the optimizer's step, and forget the gradient.
     *
     * @param label names the step in errors
     * @return the clipping (the norm before it)
     * @throws NonFiniteLossException when the gradient is not finite; the weights are then unchanged
     */
    public GradientClipping.Result update(String label) {
        GradientClipping.Result clipping;
        try {
            clipping = GradientClipping.clipByGlobalNorm(model.parameters(), config.clip(), NonFinitePolicy.THROW);
        } catch (IllegalStateException e) {
            optimizer.zeroGrad();
            throw new NonFiniteLossException("train: " + label + ": " + e.getMessage() + "; training stopped before updating the weights", e);
        }
        optimizer.step();
        optimizer.zeroGrad();
        return clipping;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Greedy text from the prefix, {@code sampleLength} characters (d2l's {@code predict_ch8}). */
    public String sample() {
        return TextGenerator.generate(model, vocab, prefix(), config.sampleLength(), 0, null);
    }

    /** The arithmetic quality now, or null for a corpus without one. */
    public ArithmeticQuality.Score quality() {
        return quality == null ? null : quality.evaluate(model, vocab);
    }

    /** The current state as a checkpoint. */
    public Checkpoint checkpoint() {
        return new Checkpoint(config, vocab.tokens(), text.sha256(), position, history, elapsedSeconds, model.stateDict(),
                optimizer.state(), packStates(carried));
    }

    private void writeCheckpoint(Listener listener) {
        if (checkpointDir != null) {
            listener.checkpointed(checkpoint().write(checkpointDir));
        }
    }

    private static Map<String, Tensor> packStates(List<State> states) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (states != null) {
            for (int k = 0; k < states.size(); k++) {
                List<Variable> parts = states.get(k).parts();
                for (int i = 0; i < parts.size(); i++) {
                    out.put("layer." + k + ".part." + i, parts.get(i).value());
                }
            }
        }
        return out;
    }

    private static List<State> unpackStates(Map<String, Tensor> packed, int layers, int batch, CharModel model) {
        if (packed.isEmpty()) {
            return null;
        }
        List<State> zeros = model.initialStates(batch);
        List<State> out = new ArrayList<>();
        for (int k = 0; k < layers; k++) {
            List<Variable> parts = new ArrayList<>();
            for (int i = 0; i < zeros.get(k).parts().size(); i++) {
                Tensor t = packed.get("layer." + k + ".part." + i);
                Tensor want = zeros.get(k).part(i).value();
                if (t == null || !t.shape().equals(want.shape()) || t.dtype() != want.dtype() || t.hasNonFinite()) {
                    throw new IllegalArgumentException("resume: carried state layer." + k + ".part." + i + " is "
                            + (t == null ? "missing" : t.dtype() + "" + t.shape()) + ", expected finite " + want.dtype() + want.shape());
                }
                parts.add(Variable.constant(t));
            }
            out.add(new State(parts));
        }
        if (packed.size() != out.stream().mapToInt(s -> s.parts().size()).sum()) {
            throw new IllegalArgumentException("resume: the carried state has " + packed.size() + " tensors, expected "
                    + out.stream().mapToInt(s -> s.parts().size()).sum());
        }
        return out;
    }
}
