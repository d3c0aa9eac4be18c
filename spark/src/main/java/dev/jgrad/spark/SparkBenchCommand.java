package dev.jgrad.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.bench.BenchConfig;
import dev.jgrad.examples.bench.MachineFacts;
import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.cluster.StandaloneCluster;
import dev.jgrad.spark.train.SparkOptions;
import dev.jgrad.spark.train.SparkTrainer;
import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jgrad-spark bench}: tokens per second of training steps of {@code train}'s model, in one
 * process ({@code train}'s loop) and on Spark in local mode or on a two-worker standalone cluster
 * started on this machine, each in a fresh JVM, after a warm-up. The corpus is random text over the
 * configuration's vocabulary (the figures do not depend on what the text says).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Training throughput of train's model in one process and on Spark, each run in a fresh JVM.",
                "Modes: process (train's loop; --threads sets its kernel threads), local[N] (Spark local mode, N partitions), "
                        + "cluster (a standalone master and two one-core workers started here, 2 partitions)."})
public final class SparkBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", split = ",", defaultValue = "d2l,large", description = "d2l, large (default ${DEFAULT-VALUE}).")
    List<String> configs;
    @Option(names = "--mode", split = ",", defaultValue = "process,local[1],local[2],cluster", description = "Where to train "
            + "(default ${DEFAULT-VALUE}).")
    List<String> modes;
    @Option(names = "--batch-factor", split = ",", defaultValue = "1", description = "Global batch as a multiple of the "
            + "configuration's (default ${DEFAULT-VALUE}).")
    List<Integer> factors;
    @Option(names = "--average-every", split = ",", defaultValue = "1", description = "1: synchronous; N: local SGD (default ${DEFAULT-VALUE}).")
    List<Integer> averageEvery;
    @Option(names = "--threads", defaultValue = "1", description = "Kernel threads of the process mode (default ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default ${DEFAULT-VALUE}).")
    String dtype;
    @Option(names = "--warmup", defaultValue = "8", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--repetitions", defaultValue = "1", description = "Runs of each mode, taken in turns; the median is "
            + "reported (default ${DEFAULT-VALUE}).")
    int repetitions;
    @Option(names = "--run", hidden = true, description = "Internal: run one figure in this JVM and print it as JSON.")
    boolean runOne;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (runOne) {
            out.println(JSON.writeValueAsString(measure(configs.get(0), modes.get(0), factors.get(0), averageEvery.get(0))));
            out.flush();
            return 0;
        }
        out.println(MachineFacts.detect().describe());
        out.printf(Locale.ROOT, "%-6s %-5s %-9s %6s %7s %8s %12s %10s  %s%n", "config", "dtype", "mode", "batch", "average", "backend",
                "tokens/s", "overhead", "load average before / after");
        out.flush();
        for (String config : configs) {
            for (int factor : factors) {
                for (int every : averageEvery) {
                    // Repetitions go round all modes, so a burst of load from elsewhere hits every mode alike.
                    Map<String, List<Double>> figures = new LinkedHashMap<>();
                    for (int rep = 1; rep <= repetitions; rep++) {
                        for (String mode : modes) {
                            if (mode.equals("process") && every != 1) {
                                continue;
                            }
                            String before = loadAverage();
                            JsonNode r = runChild(config, mode, factor, every);
                            double tps = r.get("tokens_per_second").asDouble();
                            figures.computeIfAbsent(mode, m -> new ArrayList<>()).add(tps);
                            out.printf(Locale.ROOT, "%-6s %-5s %-9s %6d %7s %8s %,12.0f %10s  %s / %s%n", config, dtype, mode,
                                    r.get("global_batch").asInt(), every == 1 ? "sync" : "every " + every, r.get("backend").asText(),
                                    tps, r.has("overhead_ms") ? String.format(Locale.ROOT, "%.0f ms", r.get("overhead_ms").asDouble()) : "-",
                                    before, loadAverage());
                            if (r.has("profile")) {
                                out.println("    " + r.get("profile").asText());
                                out.println("    " + r.get("spark_metrics").asText());
                            }
                            out.flush();
                        }
                    }
                    figures.forEach((mode, tps) -> {
                        List<Double> sorted = tps.stream().sorted().toList();
                        out.printf(Locale.ROOT, "median %-6s batch x%d %-7s %-9s %,10.0f tokens/s (min %,.0f, max %,.0f, %d runs)%n", config,
                                factor, every == 1 ? "sync" : "every " + every, mode, sorted.get(sorted.size() / 2), sorted.get(0),
                                sorted.get(sorted.size() - 1), sorted.size());
                    });
                    out.flush();
                }
            }
        }
        return 0;
    }

    /** Runs one figure in a fresh JVM with this one's options and class path; returns its JSON. */
    private JsonNode runChild(String config, String mode, int factor, int every) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "--run", "--config", config,
                "--mode", mode, "--batch-factor", String.valueOf(factor), "--average-every", String.valueOf(every), "--threads",
                String.valueOf(threads), "--dtype", dtype, "--warmup", String.valueOf(warmup), "--steps", String.valueOf(steps)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("bench: the run of " + config + " in " + mode + " failed (exit code " + p.exitValue() + ")");
        }
        String last = output.strip().lines().reduce((a, b) -> b).orElse("{}");
        return JSON.readTree(last);
    }

    /** One figure, in this JVM. */
    private Map<String, Object> measure(String configName, String mode, int factor, int every) throws IOException, InterruptedException {
        BenchConfig bc = BenchConfig.named(configName);
        int batch = bc.batch() * factor;
        Path dir = Files.createTempDirectory("jgrad-spark-bench-");
        long trainTokens = (long) batch * bc.steps() * (warmup + steps + 2) + batch;
        // train holds the corpus file's last tenth out, so the file is that much longer than what is trained on
        long fileTokens = (long) Math.ceil(trainTokens / (1 - Corpora.HELD_OUT_SHARE));
        Path corpus = randomCorpus(dir.resolve("corpus.txt"), bc.vocab(), fileTokens);
        TrainConfig config = SparkTrainCommand.config("--corpus", corpus.toString(), "--hidden", String.valueOf(bc.hidden()), "--batch",
                String.valueOf(batch), "--steps", String.valueOf(bc.steps()), "--optimizer", "sgd", "--lr", "1", "--clip", "1",
                "--dtype", dtype, "--epochs", "1", "--sample-length", "0");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("config", configName);
        r.put("mode", mode);
        r.put("global_batch", batch);
        r.put("average_every", every);
        Timer timer = new Timer(warmup, warmup + steps, (long) batch * bc.steps());
        if (mode.equals("process")) {
            Parallelism.setThreads(threads);
            Trainer t = Trainer.start(config);
            timer.stop = t::requestStop;
            t.run(timer);
        } else {
            boolean cluster = mode.equals("cluster");
            if (!cluster && !mode.matches("local\\[\\d+]")) {
                throw new ParameterException(spec.commandLine(), "--mode must be process, local[N] or cluster, got " + mode);
            }
            int partitions = cluster ? 2 : Integer.parseInt(mode.substring(6, mode.length() - 1));
            Parallelism.setThreads(1);
            try (StandaloneCluster c = cluster ? StandaloneCluster.start(dir.resolve("cluster"), StandaloneCluster.sparkJars(
                    Path.of(System.getProperty("jgrad.spark.classpath"))), 2, 1, "3g") : null) {
                SparkConf conf = cluster ? c.conf("jgrad-spark bench", StandaloneCluster.ownClassPath()).set("spark.executor.memory", "3g")
                        : new SparkConf().setMaster(mode).setAppName("jgrad-spark bench").set("spark.ui.enabled", "false");
                try (JavaSparkContext sc = SparkContexts.open(conf)) {
                    sc.setLogLevel("WARN");
                    if (cluster) {
                        c.awaitExecutors(sc, 2, 180);
                    }
                    try (SparkTrainer t = SparkTrainer.start(sc, config, new SparkOptions(partitions, every, 0, 1))) {
                        timer.stop = t::requestStop;
                        t.run(timer);
                        r.put("overhead_ms", t.profile().overheadMillis());
                        r.put("profile", t.profile().summary());
                        Thread.sleep(500); // Spark's listener events of the last stages arrive asynchronously
                        r.put("spark_metrics", t.sparkMetrics());
                    }
                }
            }
        }
        r.put("backend", Blas.backend().name().toLowerCase(Locale.ROOT));
        r.put("tokens_per_second", timer.tokensPerSecond());
        return r;
    }

    /** Times the steps after the warm-up, from the end of step {@code from} to the end of step {@code to}. */
    private static final class Timer implements Trainer.Listener {
        private final int from;
        private final int to;
        private final long tokensPerStep;
        private long start;
        private long end;
        private int startStep;
        private int endStep;
        Runnable stop = () -> { };

        Timer(int from, int to, long tokensPerStep) {
            this.from = from;
            this.to = to;
            this.tokensPerStep = tokensPerStep;
        }

        @Override
        public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
            if (start == 0 && batch >= from) {
                start = System.nanoTime();
                startStep = batch;
            } else if (start != 0 && end == 0 && batch >= to) {
                end = System.nanoTime();
                endStep = batch;
                stop.run();
            }
        }

        double tokensPerSecond() {
            if (end == 0) {
                throw new IllegalStateException("bench: the corpus ran out before " + to + " steps");
            }
            return (endStep - startStep) * tokensPerStep / ((end - start) / 1e9);
        }
    }

    /** Lines of 100 random characters over {@code vocab − 2} symbols (with the newline and {@code <unk>}, a vocabulary of {@code vocab}). */
    private static Path randomCorpus(Path file, int vocab, long tokens) {
        Rng rng = Rng.seeded(vocab);
        StringBuilder sb = new StringBuilder();
        for (long i = 0; i < tokens; i++) {
            sb.append(i % 101 == 100 ? '\n' : (char) (0x100 + rng.nextInt(vocab - 2)));
        }
        try {
            return Files.writeString(file, sb.append('\n'), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
