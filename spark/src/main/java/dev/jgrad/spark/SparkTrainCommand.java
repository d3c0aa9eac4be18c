package dev.jgrad.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.train.ArithmeticQuality;
import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.EpochMetrics;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.train.SparkOptions;
import dev.jgrad.spark.train.SparkTrainer;
import dev.jgrad.tensor.Parallelism;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code jgrad-spark train}: {@code gru-examples train}'s model and loop, each minibatch spread over Spark partitions. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains the character-level language model of 'gru-examples train' on Apache Spark: every minibatch's "
                + "sequences are split between the partitions, each computes its share of the gradient, Spark sums them, and "
                + "the driver clips and updates the weights exactly as 'train' does.",
                "Every option of 'gru-examples train' applies too (--corpus may be any path Spark reads: hdfs://, s3a://, a "
                + "folder, a glob), with the same defaults; see 'gru-examples train --help'. --threads sets the kernel threads "
                + "inside each task (default 1: Spark runs one task per core)."},
        footer = {"", "Examples:",
                "  ./jgrad-spark train --epochs 5                                 # local[*], the generated corpus",
                "  ./jgrad-spark train --corpus book.txt --partitions 2 --checkpoint runs/ck",
                "  spark-submit --class dev.jgrad.spark.Main jgrad-spark.jar train --corpus hdfs:///data/text --partitions 16"})
public final class SparkTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N], spark://HOST:PORT, yarn, k8s://... "
            + "(default: the one spark-submit set, else local[*]).")
    String master;
    @Option(names = "--partitions", paramLabel = "N", description = "Training partitions; each global minibatch's sequences are "
            + "split between them (default: Spark's default parallelism, e.g. the cores of local[*]).")
    Integer partitions;
    @Option(names = "--average-every", paramLabel = "N", defaultValue = "1", description = "1: synchronous steps, the arithmetic "
            + "of 'train' (default). N > 1: local SGD: each partition takes N optimizer steps on its own sequences, then the "
            + "models are averaged; one exchange per N minibatches, but other numbers than 'train'.")
    int averageEvery;
    @Option(names = "--aggregation-depth", paramLabel = "N", defaultValue = "0", description = "Levels of the tree that sums the "
            + "partitions' gradients: 1, the driver receives each; N > 1, tasks sum groups of neighbours first (default: 1 up to "
            + "16 partitions, else 2). The sum's order, and so the numbers, do not depend on it.")
    int aggregationDepth;
    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, e.g. --conf spark.executor.memory=4g (repeatable).")
    Map<String, String> conf = new LinkedHashMap<>();
    @Option(names = "--profile", description = "Print where each step's time went: broadcast, the Spark job, the slowest task, the update.")
    boolean profile;
    @Unmatched
    List<String> trainOptions = new ArrayList<>();

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainArguments args;
        try {
            args = TrainArguments.parse(trainOptions);
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (args.resume() && args.checkpoint() == null) {
            throw new ParameterException(spec.commandLine(), "--resume needs --checkpoint DIR");
        }
        Checkpoint cp = args.resume() ? Checkpoint.read(args.checkpoint()) : null;
        if (!args.resume() && args.checkpoint() != null && Checkpoint.exists(args.checkpoint())) {
            throw new ParameterException(spec.commandLine(), "--checkpoint " + args.checkpoint()
                    + " already holds a checkpoint: add --resume to continue it, or choose another folder");
        }
        int threads = args.threads() == null ? 1 : args.threads();
        if (threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        SparkConf sparkConf = new SparkConf().setAppName("jgrad train");
        if (master != null) {
            sparkConf.setMaster(master);
        }
        sparkConf.setIfMissing("spark.master", "local[*]");
        conf.forEach(sparkConf::set);
        Parallelism.setThreads(threads);
        try (JavaSparkContext sc = SparkContexts.open(sparkConf)) {
            sc.setLogLevel("WARN");
            int p = partitions != null ? partitions : sc.defaultParallelism();
            SparkOptions options;
            try {
                options = new SparkOptions(p, averageEvery, aggregationDepth, threads);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            try (SparkTrainer trainer = cp != null
                    ? SparkTrainer.resume(sc, cp, args.epochs() == null ? cp.config().epochs() : args.epochs(), options)
                    : SparkTrainer.start(sc, args.epochs() == null ? args.config() : args.config().withEpochs(args.epochs()), options)) {
                if (args.checkpoint() != null) {
                    trainer.checkpointTo(args.checkpoint());
                }
                return train(trainer, sc, cp, args, out, err);
            }
        }
    }

    private int train(SparkTrainer trainer, JavaSparkContext sc, Checkpoint cp, TrainArguments args, PrintWriter out, PrintWriter err) {
        TrainConfig c = trainer.config();
        if (cp != null) {
            out.printf(Locale.ROOT, "resuming %s after epoch %d, batch %d%n", args.checkpoint(), cp.position().completedEpochs(),
                    cp.position().nextBatch());
        }
        out.printf(Locale.ROOT, "spark: master %s, %d partitions of a global batch of %d sequences (%s), %s; corpus: %s, %,d characters, "
                        + "vocabulary %d; model: %s x%d, hidden %d, %,d parameters, %s, %s, lr %s, clip %s, %d epochs%n",
                sc.master(), trainer.options().partitions(), c.batch(), c.steps() + " steps each",
                trainer.options().averageEvery() == 1 ? "synchronous" : "models averaged every " + trainer.options().averageEvery() + " steps",
                c.arithmetic() ? "generated arithmetic" : c.corpus(), trainer.corpusLength(), trainer.vocabulary().size(), c.cell(),
                c.layers(), c.hidden(), trainer.model().parameterCount(), c.dtype(), c.optimizer(), c.lr(), c.clip(), c.epochs());
        out.flush();
        Path metrics = args.metrics();
        if (metrics != null && cp == null) {
            try {
                Files.createDirectories(metrics.toAbsolutePath().getParent());
                Files.deleteIfExists(metrics);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare metrics file " + metrics + ": " + e.getMessage(), e);
            }
        }
        Trainer.Listener listener = new Trainer.Listener() {
            @Override
            public void epochDone(EpochMetrics m, String sample, ArithmeticQuality.Score score) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                        "epoch %3d  perplexity %8.3f  grad norm %7.3f  clipped %5.1f%%  %,8.0f tok/s  %6.1f s", m.epoch(), m.perplexity(),
                        m.gradNorm(), 100 * m.clippedFraction(), m.tokensPerSecond(), m.elapsedSeconds()));
                if (score != null) {
                    line.append(String.format(Locale.ROOT, "  sums right %5.1f%%  well-formed %5.1f%%", 100 * score.accuracy(),
                            100 * score.wellFormed()));
                }
                out.println(line);
                if (sample != null) {
                    out.println("  sample: " + sample.replace("\n", "\\n"));
                }
                out.flush();
                if (metrics != null) {
                    appendLine(metrics, m);
                }
            }
        };
        // Ctrl-C: ask the loop to stop before its next step; it then writes a checkpoint. Wait for that.
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jgrad-spark-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (trainer.run(listener) == Trainer.Outcome.STOPPED) {
                err.println("train: interrupted; checkpoint written to " + args.checkpoint() + " (continue with --resume)");
                err.flush();
                return 130;
            }
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting: the hook is running and has been released above.
            }
        }
        List<EpochMetrics> history = trainer.history();
        if (!history.isEmpty()) {
            EpochMetrics first = history.get(0);
            EpochMetrics last = history.get(history.size() - 1);
            out.printf(Locale.ROOT, "done: perplexity %.3f -> %.3f over %d epochs, %.1f s%n", first.perplexity(), last.perplexity(),
                    last.epoch(), last.elapsedSeconds());
        }
        if (profile) {
            out.println("profile: " + trainer.profile().summary());
            out.println("profile: " + trainer.sparkMetrics());
        }
        if (args.checkpoint() != null) {
            out.println("checkpoint: " + args.checkpoint());
        }
        out.flush();
        return 0;
    }

    private static void appendLine(Path file, EpochMetrics m) {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(m));
            w.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics file " + file + ": " + e.getMessage(), e);
        }
    }

}
