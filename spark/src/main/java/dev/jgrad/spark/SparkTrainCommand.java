package dev.jgrad.spark;

import dev.jgrad.examples.train.RunOptions;
import dev.jgrad.examples.train.SessionOptions;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.spark.data.SparkCorpus;
import dev.jgrad.spark.train.SparkOptions;
import dev.jgrad.spark.train.SparkTrainer;
import dev.jgrad.tensor.Parallelism;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code jgrad-spark train}: {@code gru-examples train}'s model and loop, each minibatch spread over Spark partitions. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains the character-level language model of 'gru-examples train' on Apache Spark: every minibatch's "
                + "sequences are split between the partitions, each computes its share of the gradient, Spark sums them, and "
                + "the driver clips and updates the weights exactly as 'train' does.",
                "The options of 'gru-examples train' mean the same here, with the same defaults and checkpoints; --corpus may be "
                + "any path Spark reads (hdfs://, s3a://, a folder, a glob). The held-out perplexity is measured on the driver "
                + "when at most " + SparkCorpus.MAX_HELD_OUT_ON_DRIVER + " characters are held out.",
                "--threads sets the kernel threads inside each task (default 1: Spark runs one task per core)."},
        footer = {"", "Examples:",
                "  ./jgrad-spark train --epochs 5                                 # local[*], the generated corpus",
                "  ./jgrad-spark train --corpus book.txt --partitions 2 --checkpoint runs/ck",
                "  spark-submit --class dev.jgrad.spark.Main jgrad-spark.jar train --corpus hdfs:///data/text --partitions 16"})
public final class SparkTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Everything that goes into the run's configuration, as in {@code train}; ignored (from the checkpoint) on --resume. */
    @Mixin
    RunOptions run;

    /** How long, where checkpoints and metrics go, whether to resume, as in {@code train}. */
    @Mixin
    SessionOptions session;

    @Option(names = "--threads", paramLabel = "N", description = "Kernel threads inside each task (default: 1).")
    Integer threads;
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

    /**
     * The configuration of a new run that {@code jgrad-spark train} options describe.
     *
     * @param args the options, as on the command line
     * @return the configuration
     * @throws ParameterException with the command's message for an unknown or invalid option
     */
    public static TrainConfig config(String... args) {
        SparkTrainCommand c = new SparkTrainCommand();
        new CommandLine(c).parseArgs(args);
        return c.session.config(c.run);
    }

    @Override
    public Integer call() {
        int taskThreads = threads == null ? 1 : threads;
        if (taskThreads < 1) {
            throw usage("--threads must be at least 1, got " + taskThreads);
        }
        if (partitions != null && partitions < 1) {
            throw usage("--partitions must be at least 1, got " + partitions);
        }
        SessionOptions.Plan plan = session.plan(run);
        SparkConf sparkConf = new SparkConf().setAppName("jgrad train");
        if (master != null) {
            sparkConf.setMaster(master);
        }
        sparkConf.setIfMissing("spark.master", "local[*]");
        conf.forEach(sparkConf::set);
        Parallelism.setThreads(taskThreads);
        try (JavaSparkContext sc = SparkContexts.open(sparkConf)) {
            sc.setLogLevel("WARN");
            SparkOptions options;
            try {
                options = new SparkOptions(partitions != null ? partitions : sc.defaultParallelism(), averageEvery, aggregationDepth,
                        taskThreads);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            try (SparkTrainer trainer = plan.resumed() != null ? SparkTrainer.resume(sc, plan.resumed(), plan.epochs(), options)
                    : SparkTrainer.start(sc, plan.config(), options)) {
                int code = session.train(plan, trainer.trainer(), engine(sc, trainer));
                if (code == 0 && profile) {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("profile: " + trainer.profile().summary());
                    out.println("profile: " + trainer.sparkMetrics());
                    out.flush();
                }
                return code;
            }
        }
    }

    /** The start of the line that says what is trained: where, and whether the held-out text is measured. */
    private static String engine(JavaSparkContext sc, SparkTrainer trainer) {
        TrainConfig c = trainer.config();
        SparkOptions o = trainer.options();
        long heldOut = trainer.corpus().heldOutLength();
        return String.format(Locale.ROOT, "spark: master %s, %d partitions of a global batch of %d sequences (%d steps each), %s; %s",
                sc.master(), o.partitions(), c.batch(), c.steps(),
                o.averageEvery() == 1 ? "synchronous" : "models averaged every " + o.averageEvery() + " steps",
                trainer.corpus().text().heldOut() != null ? "" : String.format(Locale.ROOT, "held-out perplexity not measured (%,d "
                        + "characters held out, more than the %,d the driver evaluates); ", heldOut, SparkCorpus.MAX_HELD_OUT_ON_DRIVER));
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
