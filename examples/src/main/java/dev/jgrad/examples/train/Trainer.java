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
import dev.jgrad.nn.optim.Adam;
import dev.jgrad.nn.optim.GradientClipping;
import dev.jgrad.nn.optim.NonFinitePolicy;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.optim.Sgd;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * d2l's {@code train_ch8} loop for a {@link CharModel}: per epoch, partition the corpus
 * (sequential: the state carries over minibatches, detached; random: it restarts at zero for each),
 * minimise the mean softmax cross-entropy, clip the gradient to {@code clip} by global norm, take an
 * optimizer step, and report the epoch's perplexity {@code exp(mean token loss)}.
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
    /** Prompts of the arithmetic quality measure. */
    static final int QUALITY_PROBES = 200;
    /** Mixed into the seed for the generator of the partitions: {@code Rng.seeded(seed ^ DATA_STREAM)} draws epoch 1. */
    public static final long DATA_STREAM = 0x5EED_DA7AL;

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

    private final TrainConfig config;
    private final String text;
    private final Vocabulary vocab;
    private final int[] tokens;
    private final CharModel model;
    private final Optimizer optimizer;
    private final ArithmeticQuality quality;
    private final List<EpochMetrics> history;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private Checkpoint.Position position;
    private List<State> carried;
    private double elapsedSeconds;
    private Path checkpointDir;

    private Trainer(TrainConfig config, String text, Vocabulary vocab, CharModel model, Checkpoint.Position position,
            List<EpochMetrics> history, double elapsedSeconds) {
        this.config = config;
        this.text = text;
        this.vocab = vocab;
        this.tokens = vocab.encode(text);
        this.model = model;
        this.optimizer = config.optimizer().equals("adam") ? new Adam(model.parameters(), config.lr())
                : new Sgd(model.parameters(), config.lr());
        this.quality = qualityFor(config, text);
        this.position = position;
        this.history = new ArrayList<>(history);
        this.elapsedSeconds = elapsedSeconds;
    }

    /** A new run: reads (or generates) the corpus, builds the vocabulary and initialises the model from the seed. */
    public static Trainer start(TrainConfig config) {
        String text = corpusText(config);
        Vocabulary vocab = config.d2lText() ? Vocabulary.of(text, Corpora.D2L_ALPHABET) : Vocabulary.of(text);
        CharModel model = CharModel.of(config, vocab.size());
        long dataState = Rng.seeded(config.seed() ^ DATA_STREAM).state();
        return new Trainer(config, text, vocab, model, new Checkpoint.Position(0, 0, dataState, 0, 0, 0, 0), List.of(), 0);
    }

    /**
     * Continues the run saved in {@code cp} up to {@code epochs} epochs in total. Everything is
     * validated before the trainer exists, so a bad checkpoint yields an exception and nothing else.
     */
    public static Trainer resume(Checkpoint cp, int epochs) {
        TrainConfig config = cp.config().withEpochs(epochs);
        String text = corpusText(config);
        String sha = Checkpoint.sha256(text.getBytes(StandardCharsets.UTF_8));
        if (!sha.equals(cp.corpusSha256())) {
            throw new IllegalArgumentException("resume: the corpus differs from the one the checkpoint was trained on (SHA-256 "
                    + sha + ", checkpoint has " + cp.corpusSha256() + ")");
        }
        Vocabulary vocab = new Vocabulary(cp.vocabulary());
        CharModel model = CharModel.of(config, vocab.size());
        try {
            model.loadStateDict(cp.model());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's weights do not fit its model: " + e.getMessage(), e);
        }
        Trainer t = new Trainer(config, text, vocab, model, cp.position(), cp.history(), cp.elapsedSeconds());
        try {
            t.optimizer.loadState(cp.optimizer());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("resume: the checkpoint's optimizer state does not fit: " + e.getMessage(), e);
        }
        t.carried = unpackStates(cp.carried(), config.layers(), config.batch(), model);
        return t;
    }

    /** The arithmetic quality measure of a run of {@code config} on the generated corpus {@code text}; null for another corpus. */
    public static ArithmeticQuality qualityFor(TrainConfig config, String text) {
        return config.arithmetic()
                ? new ArithmeticQuality(text, config.maxOperand(), QUALITY_PROBES, Rng.seeded(config.seed() ^ 0xA11CEL)) : null;
    }

    /** The corpus text a configuration trains on. */
    public static String corpusText(TrainConfig config) {
        String text;
        if (config.arithmetic()) {
            text = Corpora.arithmetic(Rng.seeded(CORPUS_SEED), config.corpusLines(), config.maxOperand());
        } else {
            try {
                List<String> lines = Files.readAllLines(Path.of(config.corpus()), StandardCharsets.UTF_8);
                text = config.d2lText() ? Corpora.d2lText(lines) : String.join("\n", lines) + "\n";
            } catch (IOException e) {
                throw new UncheckedIOException("train: cannot read corpus " + config.corpus() + ": " + e.getMessage(), e);
            }
        }
        return Corpora.truncate(text, config.maxTokens());
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

    public String text() {
        return text;
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
    public static String defaultPrefix(TrainConfig config) {
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
            int epoch = position.completedEpochs() + 1;
            Rng data = Rng.fromState(position.epochRngState());
            List<Minibatch> batches = config.sampling().epoch(tokens, config.batch(), config.steps(), data);
            listener.epochStarted(epoch, batches.size());
            double lossSum = position.lossSum();
            long seen = position.tokens();
            double normSum = position.gradNormSum();
            int clipped = position.clipped();
            long sessionTokens = 0;
            long start = System.nanoTime();
            double epochElapsedBefore = elapsedSeconds;
            List<State> state = position.nextBatch() > 0 && config.sampling().carriesState() ? carried : null;
            for (int k = position.nextBatch(); k < batches.size(); k++) {
                if (stopRequested.get()) {
                    position = new Checkpoint.Position(epoch - 1, k, position.epochRngState(), lossSum, seen, normSum, clipped);
                    carried = state;
                    elapsedSeconds = epochElapsedBefore + (System.nanoTime() - start) / 1e9;
                    writeCheckpoint(listener);
                    return Outcome.STOPPED;
                }
                Minibatch mb = batches.get(k);
                String label = "epoch " + epoch + ", batch " + (k + 1) + " of " + batches.size();
                double loss;
                try (Tape tape = Tape.record().label(label)) {
                    if (config.anomaly()) {
                        tape.withAnomalyDetection();
                    }
                    CharModel.Output out = model.forward(mb.inputs(), config.sampling().carriesState() ? state : null);
                    Variable l = Losses.crossEntropy(out.logits(), mb.flatTargets());
                    loss = l.value().item();
                    if (!Double.isFinite(loss)) {
                        throw new NonFiniteLossException("train: " + label + ": the loss is " + loss
                                + "; training stopped before updating the weights (try a smaller --lr, a smaller --clip, or --detect-anomaly)", null);
                    }
                    l.backward();
                    state = config.sampling().carriesState() ? RecurrentStack.detach(out.finalStates()) : null;
                } catch (NonFiniteException e) {
                    throw new NonFiniteLossException("train: " + label + ": " + e.getMessage(), e);
                }
                GradientClipping.Result c;
                try {
                    c = GradientClipping.clipByGlobalNorm(model.parameters(), config.clip(), NonFinitePolicy.THROW);
                } catch (IllegalStateException e) {
                    optimizer.zeroGrad();
                    throw new NonFiniteLossException("train: " + label + ": " + e.getMessage()
                            + "; training stopped before updating the weights", e);
                }
                optimizer.step();
                optimizer.zeroGrad();
                int n = mb.batch() * mb.steps();
                lossSum += loss * n;
                seen += n;
                sessionTokens += n;
                normSum += c.norm();
                clipped += c.clipped() ? 1 : 0;
                double secs = (System.nanoTime() - start) / 1e9;
                listener.batchDone(epoch, k + 1, batches.size(), lossSum / seen, sessionTokens / Math.max(secs, 1e-9));
            }
            double secs = (System.nanoTime() - start) / 1e9;
            elapsedSeconds = epochElapsedBefore + secs;
            int done = batches.size();
            ArithmeticQuality.Score score = quality == null ? null : quality.evaluate(model, vocab);
            double meanLoss = lossSum / seen;
            EpochMetrics m = new EpochMetrics(epoch, meanLoss, Losses.perplexity(meanLoss), sessionTokens / Math.max(secs, 1e-9),
                    normSum / done, (double) clipped / done, elapsedSeconds,
                    score == null ? null : score.accuracy(), score == null ? null : score.wellFormed());
            history.add(m);
            position = new Checkpoint.Position(epoch, 0, data.state(), 0, 0, 0, 0);
            carried = null;
            boolean sampleNow = epoch == config.epochs() || (config.sampleEvery() > 0 && epoch % config.sampleEvery() == 0);
            listener.epochDone(m, sampleNow ? sample() : null, score);
            writeCheckpoint(listener);
        }
        return Outcome.COMPLETED;
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

    /** The carried states as a checkpoint stores them: {@code layer.k.part.i} → {@code [B, H]}; empty for none. */
    public static Map<String, Tensor> packStates(List<State> states) {
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

    /** The carried states a checkpoint stored ({@link #packStates}), checked against the model; null for none. */
    public static List<State> unpackStates(Map<String, Tensor> packed, int layers, int batch, CharModel model) {
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
