package dev.jgrad.examples.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.chart.LineChart;
import dev.jgrad.examples.cli.FileProblem;
import dev.jgrad.examples.cli.OutputFiles;
import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.Kernels;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code train} options that are not part of a run's configuration — how many epochs in total,
 * where checkpoints and metrics go, whether to resume — and what a training command does with them:
 * {@link #plan check them} (and read the checkpoint) before any work, then {@link #train run the
 * trainer} with {@code train}'s report, checkpoints and Ctrl-C handling. A mixin, so that every
 * command that trains {@code train}'s model (also on another engine) gives them one meaning.
 */
public final class SessionOptions {
    static final int DEFAULT_EPOCHS = 40;
    /** Where runs without --checkpoint keep their checkpoints, relative to the working folder. */
    static final Path RUNS = Path.of("runs");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--epochs", description = "Epochs in total, also when resuming (default: " + DEFAULT_EPOCHS + ").")
    Integer epochs;
    @Option(names = "--metrics", paramLabel = "FILE", description = "Write one JSON line per epoch to this new file (with --resume: "
            + "append to it), and a perplexity chart FILE-perplexity.png next to it.")
    Path metrics;
    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint folder, written atomically every epoch and on Ctrl-C "
            + "(default: a new folder runs/train-DATE-TIME).")
    Path checkpoint;
    @Option(names = "--no-checkpoint", description = "Keep no checkpoint: an interrupted run loses its training.")
    boolean noCheckpoint;
    @Option(names = "--resume", description = "Continue the run in --checkpoint DIR with its stored configuration (the options above "
            + "--epochs are then ignored; --epochs sets the total).")
    boolean resume;

    /**
     * What a session is to do, its options checked: start a run of {@code config}, or continue
     * {@code resumed} up to {@code epochs} epochs in total.
     *
     * @param config   the new run's configuration; for a resumed run, the checkpoint's
     * @param resumed  the checkpoint to continue, or null for a new run
     * @param epochs   the epochs in total
     * @param folder   where checkpoints go, or null for none (--no-checkpoint)
     * @param announce a line that says where checkpoints go when the user did not choose it, or null
     */
    public record Plan(TrainConfig config, Checkpoint resumed, int epochs, Path folder, String announce) {
    }

    /**
     * The configuration {@code run} describes for a new run, for --epochs (or the default) epochs.
     *
     * @param run the run's options
     * @return the configuration
     * @throws ParameterException naming the option when a value is out of range
     */
    public TrainConfig config(RunOptions run) {
        return run.config(epochs == null ? DEFAULT_EPOCHS : epochs);
    }

    /**
     * Checks the options before any work, reading the checkpoint to resume, and says on {@code out}
     * which run resumes (and on {@code err} which options it ignores).
     *
     * @param run the run's options, which a resumed run ignores
     * @return what the session is to do
     * @throws ParameterException a usage error naming the option that is wrong or missing
     */
    public Plan plan(RunOptions run) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (noCheckpoint && (checkpoint != null || resume)) {
            throw usage("--no-checkpoint cannot go with " + (resume ? "--resume" : "--checkpoint"));
        }
        if (checkpoint != null && Files.exists(checkpoint) && !Files.isDirectory(checkpoint)) {
            throw usage("--checkpoint " + checkpoint + " is a file, not a folder");
        }
        if (resume) {
            if (checkpoint == null) {
                throw usage("--resume needs --checkpoint DIR");
            }
            Checkpoint cp = Checkpoint.read(checkpoint);
            int done = cp.position().completedEpochs();
            int target = epochs == null ? cp.config().epochs() : epochs;
            if (target <= done) {
                throw usage((epochs == null ? "the run in " + checkpoint + " has already finished its " + done + " epochs"
                        : "--epochs " + target + ": the run in " + checkpoint + " has already finished " + done + " epochs, so there "
                        + "is nothing to do") + "; give --epochs N with N > " + done + " to continue it");
            }
            List<String> ignored = run.given();
            if (!ignored.isEmpty()) {
                err.println("train: resuming with the checkpoint's configuration; ignoring " + String.join(", ", ignored));
            }
            checkMetricsFile(cp.config());
            out.printf(Locale.ROOT, "resuming %s after epoch %d, batch %d%n", checkpoint, done, cp.position().nextBatch());
            return new Plan(cp.config(), cp, target, checkpoint, null);
        }
        TrainConfig config = config(run);
        if (config.epochs() < 1) {
            throw usage("--epochs must be at least 1 for a new run, got " + config.epochs());
        }
        if (checkpoint != null && Checkpoint.exists(checkpoint)) {
            throw usage("--checkpoint " + checkpoint + " already holds a checkpoint, which a new run would replace: add --resume "
                    + "to continue it, or choose another folder");
        }
        checkMetricsFile(config);
        Path folder = noCheckpoint ? null : checkpoint != null ? checkpoint : newRunFolder(RUNS, LocalDateTime.now());
        String announce = folder != null && checkpoint == null ? "checkpoints: " + folder + " (after every epoch and on Ctrl-C; "
                + "--checkpoint DIR to choose the folder, --no-checkpoint for none)" : null;
        return new Plan(config, null, config.epochs(), folder, announce);
    }

    /**
     * Runs {@code trainer}, opened for {@code plan}: says what it trains, reports every epoch (and
     * appends it to --metrics), keeps its checkpoints, stops on Ctrl-C after writing one, and sums up.
     *
     * @param plan    what {@link #plan} decided
     * @param trainer the trainer started or resumed as the plan says
     * @param engine  where the steps run, said before the corpus and model (e.g. {@code spark: ...; }), or empty
     * @return the exit code: 0, or 130 when interrupted
     */
    public int train(Plan plan, Trainer trainer, String engine) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path folder = plan.folder();
        if (folder != null) {
            trainer.checkpointTo(folder);
        }
        TrainConfig c = trainer.config();
        String unknown = TextGenerator.unknownCharacters(trainer.vocabulary(), trainer.prefix());
        if (unknown != null) {
            err.println("train: the prefix '" + trainer.prefix() + "': " + unknown);
        }
        Trainer.TrainingText text = trainer.trainingText();
        out.printf(Locale.ROOT, "%scorpus: %s, %,d characters to train on and %s, vocabulary %d; model: %s, %s x%d, hidden %d, "
                        + "%,d parameters, %s; %s, lr %s, clip %s, batch %d x %d steps, %s partitioning, %d epoch%s%n", engine,
                c.arithmetic() ? "generated arithmetic (" + c.corpusLines() + " lines, operands 0.." + c.maxOperand() + ")" : c.corpus(),
                text.length(), text.heldOut() == null ? "no held-out text measured" : String.format(Locale.ROOT, "%,d held out",
                        text.heldOut().length()), trainer.vocabulary().size(),
                c.embedding() > 0 ? "embedding " + c.embedding() : "one-hot", c.cell(), c.layers(), c.hidden(),
                trainer.model().parameterCount(), c.dtype(), c.optimizer(), c.lr(), c.clip(), c.batch(), c.steps(),
                c.sampling().name().toLowerCase(Locale.ROOT), c.epochs(), c.epochs() == 1 ? "" : "s");
        out.println("matmul: " + Blas.description() + "; exp/tanh/sigmoid: " + Kernels.elementwiseLoops());
        if (plan.announce() != null) {
            out.println(plan.announce());
        }
        out.flush();

        MetricsFile metricsFile = metrics == null ? null : MetricsFile.open(metrics, resume, out);
        Trainer.Listener report = new ProgressReport(out, ProgressReport.isTerminal() ? System.err : null, c.epochs(), System::nanoTime);
        Trainer.Listener listener = metricsFile == null ? report : new Trainer.Listener() {
            @Override
            public void epochStarted(int epoch, int batch, int batches) {
                report.epochStarted(epoch, batch, batches);
            }

            @Override
            public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
                report.batchDone(epoch, batch, batches, meanLoss, tokensPerSecond);
            }

            @Override
            public void epochDone(EpochMetrics m, String sample, ArithmeticQuality.Score score) {
                metricsFile.append(m);
                report.epochDone(m, sample, score);
            }
        };

        // Ctrl-C: the loop stops after the current minibatch and writes a checkpoint; said before the JVM may exit.
        if (trainer.runUntilShutdown(listener, () -> {
            err.println(folder != null
                    ? "train: interrupted; checkpoint written to " + folder + " (continue with --resume --checkpoint " + folder + ")"
                    : "train: interrupted; no checkpoint was written (--no-checkpoint), so the training of this run is lost");
            err.flush();
        }) == Trainer.Outcome.STOPPED) {
            return 130;
        }
        List<EpochMetrics> history = trainer.history();
        EpochMetrics first = history.get(0);
        EpochMetrics last = history.get(history.size() - 1);
        out.printf(Locale.ROOT, "done: train perplexity %.3f -> %.3f, %sover %d epochs, %.1f s%n", first.perplexity(), last.perplexity(),
                last.heldOutPerplexity() == null ? "" : String.format(Locale.ROOT, "held-out %s -> %.3f, ", first.heldOutPerplexity() == null
                        ? "?" : String.format(Locale.ROOT, "%.3f", first.heldOutPerplexity()), last.heldOutPerplexity()),
                last.epoch(), last.elapsedSeconds());
        if (last.completionAccuracy() != null && first.completionAccuracy() != null) {
            out.printf(Locale.ROOT, "held-out sums completed correctly: %.1f%% (epoch 1: %.1f%%)%n", 100 * last.completionAccuracy(),
                    100 * first.completionAccuracy());
        }
        String largerHeap = "a larger heap (JGRAD_JAVA_OPTS=\"-XX:+UseSerialGC -Xmx1g\") gives it room";
        String setting = System.getProperty("jgrad.workspace");
        String sizedBy = setting == null ? "a third of the heap; -Djgrad.workspace sets it" : "-Djgrad.workspace=" + setting;
        trainer.outgrownWorkspaceBytes().ifPresent(bytes -> out.printf(Locale.ROOT, "note: a step needed more than the %s of"
                + " the step workspace (%s), so steps allocated fresh arrays, which is slower; %s%n", mebibytes(bytes), sizedBy, largerHeap));
        trainer.workspaceLimitLoweredByTheHeap().ifPresent(bytes -> out.printf(Locale.ROOT, "note: the heap was nearly full after a"
                + " collection, so the step workspace let go of its storage and now holds at most %s, and steps allocate more fresh arrays,"
                + " which is slower; %s%n", mebibytes(bytes), largerHeap));
        if (metricsFile != null) {
            out.println("metrics: " + metrics + ", chart: " + metricsFile.chart(history));
        }
        if (folder != null) {
            out.println("checkpoint: " + folder + " (sample from it with: gru-examples sample --checkpoint " + folder + ")");
        }
        out.flush();
        return 0;
    }

    /** {@code bytes} in MiB, or in KiB below one MiB. */
    private static String mebibytes(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Refuses a metrics file that is the corpus, or that exists when this is not a resumed run. */
    private void checkMetricsFile(TrainConfig config) {
        if (metrics == null) {
            return;
        }
        Map<String, Path> inputs = new HashMap<>();
        if (config.corpus() != null) {
            inputs.put("--corpus", Path.of(config.corpus()));
        }
        OutputFiles.refuseOverwritingInputs(spec, "--metrics", metrics, inputs);
        OutputFiles.refuseOverwritingInputs(spec, "--metrics chart", MetricsFile.chartPath(metrics), inputs);
        if (!resume && Files.exists(metrics)) {
            throw usage("--metrics " + metrics + " already exists and would be replaced: choose another file, or add --resume to "
                    + "append the epochs of a resumed run to it");
        }
    }

    /** A new folder name under {@code runs} for a run started at {@code now}: {@code train-20261129-191500}, then -2, -3, … if taken. */
    static Path newRunFolder(Path runs, LocalDateTime now) {
        String base = "train-" + now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
        Path p = runs.resolve(base);
        for (int i = 2; Files.exists(p); i++) {
            p = runs.resolve(base + "-" + i);
        }
        return p;
    }

    /** The JSON-lines metrics file and its chart. */
    private static final class MetricsFile {
        private final Path path;

        private MetricsFile(Path path) {
            this.path = path;
        }

        /** Creates the file (and its folder), or with {@code append} (a resumed run) adds to an existing one, saying which. */
        static MetricsFile open(Path path, boolean append, PrintWriter out) {
            try {
                Path parent = path.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                boolean exists = Files.exists(path);
                Files.write(path, new byte[0], StandardOpenOption.CREATE, append ? StandardOpenOption.APPEND
                        : StandardOpenOption.CREATE_NEW);
                if (append && exists) {
                    out.println("metrics: appending to " + path);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create metrics file " + path + ": " + FileProblem.describe(e, path), e);
            }
            return new MetricsFile(path);
        }

        void append(EpochMetrics m) {
            try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                w.write(JSON.writeValueAsString(m));
                w.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write metrics file " + path + ": " + FileProblem.describe(e, path), e);
            }
        }

        static Path chartPath(Path metrics) {
            String name = metrics.getFileName().toString();
            int dot = name.lastIndexOf('.');
            return metrics.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + "-perplexity.png");
        }

        Path chart(List<EpochMetrics> history) {
            double[] xs = history.stream().mapToDouble(EpochMetrics::epoch).toArray();
            double[] ys = history.stream().mapToDouble(EpochMetrics::perplexity).toArray();
            List<EpochMetrics> measured = history.stream().filter(m -> m.heldOutPerplexity() != null).toList();
            LineChart.Builder chart = LineChart.builder().title("Perplexity per epoch").xLabel("epoch").yLabel("perplexity").logY()
                    .series("training", xs, ys);
            if (!measured.isEmpty()) {
                chart.series("held-out", measured.stream().mapToDouble(EpochMetrics::epoch).toArray(),
                        measured.stream().mapToDouble(EpochMetrics::heldOutPerplexity).toArray());
            }
            return chart.writePng(chartPath(path));
        }
    }
}
