package dev.jgrad.examples.train;

import dev.jgrad.autodiff.NonFiniteException;
import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.data.Minibatch;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * d2l's {@code train_ch8} loop for a {@link CharModel}: per epoch, partition the corpus
 * (sequential: the state carries over minibatches, detached; random: it restarts at zero for each),
 * and for each minibatch take one {@link #trainStep training step} — forward, mean softmax
 * cross-entropy, backward, clip the gradient to {@code clip} by global norm, optimizer update. After
 * each epoch it reports the training perplexity {@code exp(mean token loss)} and the perplexity on
 * held-out text the model never trains on (see {@link Corpora#split} and {@link #HELD_OUT_SEED}).
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
    private static final long DATA_STREAM = 0x5EED_DA7AL;

    /** Told about progress; every method has an empty default. */
    public interface Listener {
        default void epochStarted(int epoch, int batches) {
        }

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
        NonFiniteLossException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What one training step leaves behind: its loss (before the update), the clipping, and the state to carry on. */
    private record Step(double loss, GradientClipping.Result clipping, List<State> state) {
    }

    /** The running sums of the epoch in progress, as a {@link Checkpoint.Position} stores them. */
    private static final class EpochSums {
        double lossSum;
        long tokens;
        double gradNormSum;
        int clipped;

        EpochSums(Checkpoint.Position p) {
            lossSum = p.lossSum();
            tokens = p.tokens();
            gradNormSum = p.gradNormSum();
            clipped = p.clipped();
        }

        void add(Step s, int n) {
            lossSum += s.loss() * n;
            tokens += n;
            gradNormSum += s.clipping().norm();
            clipped += s.clipping().clipped() ? 1 : 0;
        }

        double meanLoss() {
            return lossSum / tokens;
        }

        Checkpoint.Position at(int completedEpochs, int nextBatch, long epochRngState) {
            return new Checkpoint.Position(completedEpochs, nextBatch, epochRngState, lossSum, tokens, gradNormSum, clipped);
        }
    }

    private final TrainConfig config;
    private final String text;
    private final String heldOutText;
    private final Vocabulary vocab;
    private final int[] tokens;
    private final HeldOutText heldOut;
    private final CharModel model;
    private final Optimizer optimizer;
    private final ArithmeticQuality quality;
    private final List<EpochMetrics> history;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private Checkpoint.Position position;
    private List<State> carried;
    private double elapsedSeconds;
    private Path checkpointDir;

    private Trainer(TrainConfig config, Corpora.Split corpus, Vocabulary vocab, CharModel model, Checkpoint.Position position,
            List<EpochMetrics> history, double elapsedSeconds) {
        this.config = config;
        this.text = corpus.train();
        this.heldOutText = corpus.heldOut();
        this.vocab = vocab;
        this.tokens = vocab.encode(text);
        this.heldOut = new HeldOutText(vocab.encode(heldOutText), config.batch(), config.steps());
        this.model = model;
        this.optimizer = config.optimizer().create(model.parameters(), config.lr());
        this.quality = config.arithmetic()
                ? new ArithmeticQuality(text, config.maxOperand(), QUALITY_PROBES, Rng.seeded(config.seed() ^ 0xA11CEL)) : null;
        this.position = position;
        this.history = new ArrayList<>(history);
        this.elapsedSeconds = elapsedSeconds;
    }

    /** A new run: reads (or generates) the corpus, builds the vocabulary and initialises the model from the seed. */
    public static Trainer start(TrainConfig config) {
        Corpora.Split corpus = corpus(config);
        Vocabulary vocab = config.d2lText() ? Vocabulary.of(corpus.train(), Corpora.D2L_ALPHABET) : Vocabulary.of(corpus.train());
        CharModel model = CharModel.of(config, vocab.size());
        long dataState = Rng.seeded(config.seed() ^ DATA_STREAM).state();
        return new Trainer(config, corpus, vocab, model, new Checkpoint.Position(0, 0, dataState, 0, 0, 0, 0), List.of(), 0);
    }

    /**
     * Continues the run saved in {@code cp} up to {@code epochs} epochs in total. Everything is
     * validated before the trainer exists, so a bad checkpoint yields an exception and nothing else.
     */
    public static Trainer resume(Checkpoint cp, int epochs) {
        TrainConfig config = cp.config().withEpochs(epochs);
        Corpora.Split corpus = corpus(config);
        String sha = Checkpoint.sha256(corpus.train().getBytes(StandardCharsets.UTF_8));
        if (!sha.equals(cp.corpusSha256())) {
            throw new IllegalArgumentException("resume: the training text differs from the one the checkpoint was trained on (SHA-256 "
                    + sha + ", checkpoint has " + cp.corpusSha256() + "): the corpus file changed, or the checkpoint was written "
                    + "before part of the corpus was held out");
        }
        Vocabulary vocab = new Vocabulary(cp.vocabulary());
        CharModel model = CharModel.of(config, vocab.size());
        try {
            model.loadStateDict(cp.model());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's weights do not fit its model: " + e.getMessage(), e);
        }
        Trainer t = new Trainer(config, corpus, vocab, model, cp.position(), cp.history(), cp.elapsedSeconds());
        try {
            t.optimizer.loadState(cp.optimizer());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's optimizer state does not fit: " + e.getMessage(), e);
        }
        t.carried = unpackStates(cp.carried(), config.layers(), config.batch(), model);
        return t;
    }

    /**
     * The training and held-out text a configuration describes: for the generated corpus its lines
     * (cut to {@code maxTokens}) and {@code max(1, lines / 10)} further lines drawn with
     * {@link #HELD_OUT_SEED}; for a file, {@link Corpora#split} of its text.
     *
     * @throws IllegalArgumentException when the file is empty, not UTF-8 text, or (with d2l's
     *                                  preprocessing) has no letters
     */
    static Corpora.Split corpus(TrainConfig config) {
        if (config.arithmetic()) {
            String train = Corpora.arithmetic(Rng.seeded(CORPUS_SEED), config.corpusLines(), config.maxOperand());
            String heldOut = Corpora.arithmetic(Rng.seeded(HELD_OUT_SEED), Math.max(1, config.corpusLines() / 10), config.maxOperand());
            return new Corpora.Split(Corpora.truncate(train, config.maxTokens()), heldOut);
        }
        List<String> lines = Corpora.readLines(Path.of(config.corpus()));
        String text = config.d2lText() ? Corpora.d2lText(lines) : String.join("\n", lines) + "\n";
        if (text.isBlank()) {
            throw new IllegalArgumentException("corpus " + config.corpus() + (config.d2lText()
                    ? " has no letters, so --d2l-text leaves nothing to train on" : " holds only blank lines"));
        }
        return Corpora.split(text, config.maxTokens());
    }

    public TrainConfig config() {
        return config;
    }

    public CharModel model() {
        return model;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /** The text the model trains on. */
    public String text() {
        return text;
    }

    /** The held-out text, never trained on, on which {@link EpochMetrics#heldOutPerplexity()} is measured. */
    public String heldOutText() {
        return heldOutText;
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

    /** The prefix generated text starts from: the configured one, else one suited to the corpus. */
    public String prefix() {
        String p = defaultPrefix(config);
        return p != null ? p : text.substring(0, Math.min(10, text.length()));
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
        while (position.completedEpochs() < config.epochs()) {
            if (runEpoch(listener) == Outcome.STOPPED) {
                return Outcome.STOPPED;
            }
        }
        return Outcome.COMPLETED;
    }

    /** The next epoch, from where the run stands (mid-epoch after a resume) to its end, or to a requested stop. */
    private Outcome runEpoch(Listener listener) {
        int epoch = position.completedEpochs() + 1;
        Rng data = Rng.fromState(position.epochRngState());
        List<Minibatch> batches = config.sampling().epoch(tokens, config.batch(), config.steps(), data);
        listener.epochStarted(epoch, batches.size());
        EpochSums sums = new EpochSums(position);
        long sessionTokens = 0;
        long start = System.nanoTime();
        double elapsedBefore = elapsedSeconds;
        List<State> state = position.nextBatch() > 0 && config.sampling().carriesState() ? carried : null;
        for (int k = position.nextBatch(); k < batches.size(); k++) {
            if (stopRequested.get()) {
                position = sums.at(epoch - 1, k, position.epochRngState());
                carried = state;
                elapsedSeconds = elapsedBefore + seconds(start);
                writeCheckpoint(listener);
                return Outcome.STOPPED;
            }
            Minibatch mb = batches.get(k);
            Step step = trainStep(mb, state, "epoch " + epoch + ", batch " + (k + 1) + " of " + batches.size());
            state = step.state();
            int n = mb.batch() * mb.steps();
            sums.add(step, n);
            sessionTokens += n;
            listener.batchDone(epoch, k + 1, batches.size(), sums.meanLoss(), sessionTokens / Math.max(seconds(start), 1e-9));
        }
        double secs = seconds(start);
        elapsedSeconds = elapsedBefore + secs;
        int done = batches.size();
        ArithmeticQuality.Score score = quality();
        double meanLoss = sums.meanLoss();
        EpochMetrics m = new EpochMetrics(epoch, meanLoss, Losses.perplexity(meanLoss), sessionTokens / Math.max(secs, 1e-9),
                sums.gradNormSum / done, (double) sums.clipped / done, elapsedSeconds,
                score == null ? null : score.accuracy(), score == null ? null : score.wellFormed(), heldOut.perplexity(model));
        history.add(m);
        position = new Checkpoint.Position(epoch, 0, data.state(), 0, 0, 0, 0);
        carried = null;
        boolean sampleNow = epoch == config.epochs() || (config.sampleEvery() > 0 && epoch % config.sampleEvery() == 0);
        listener.epochDone(m, sampleNow ? sample() : null, score);
        writeCheckpoint(listener);
        return Outcome.COMPLETED;
    }

    /**
     * One training step on a minibatch, as d2l's loop body: forward from {@code state} (null: zeros),
     * loss, backward, clip, update.
     *
     * @param label names the step in errors, e.g. {@code epoch 3, batch 7 of 20}
     * @return the loss, the clipping, and the detached final state to carry (null for random partitioning)
     */
    private Step trainStep(Minibatch mb, List<State> state, String label) {
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
                throw new NonFiniteLossException("train: " + label + ": the loss is " + loss
                        + "; training stopped before updating the weights (try a smaller --lr, a smaller --clip, or --detect-anomaly)", null);
            }
            l.backward();
            next = config.sampling().carriesState() ? RecurrentStack.detach(out.finalStates()) : null;
        } catch (NonFiniteException e) {
            throw new NonFiniteLossException("train: " + label + ": " + e.getMessage(), e);
        }
        GradientClipping.Result clipping;
        try {
            clipping = GradientClipping.clipByGlobalNorm(model.parameters(), config.clip(), NonFinitePolicy.THROW);
        } catch (IllegalStateException e) {
            optimizer.zeroGrad();
            throw new NonFiniteLossException("train: " + label + ": " + e.getMessage() + "; training stopped before updating the weights", e);
        }
        optimizer.step();
        optimizer.zeroGrad();
        return new Step(loss, clipping, next);
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
        return new Checkpoint(config, vocab.tokens(), Checkpoint.sha256(text.getBytes(StandardCharsets.UTF_8)), position,
                history, elapsedSeconds, model.stateDict(), optimizer.state(), packStates(carried));
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
