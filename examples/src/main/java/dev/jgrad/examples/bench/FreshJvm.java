package dev.jgrad.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Runs one training figure in a JVM of its own, started as this one was (same java, JVM options and
 * class path): a training run is one configuration per process, so each figure gets a JIT that has
 * compiled only its own configuration's paths, and its own peak resident set. Also runs the matrix
 * products on OpenBLAS alone, which needs a JVM started without the Vector API kernel.
 */
final class FreshJvm {
    private FreshJvm() {
    }

    /**
     * One training figure, measured in a JVM of its own; with {@code pairedReference} (else null), that JVM
     * starts the peer's command itself and alternates its windows with the peer's.
     */
    static TrainingBench.Measured train(BenchConfig config, CellKind cell, DType dtype, int threads, boolean dataParallel,
            TrainingBench.Budget budget, long seed, Blas.Backend blas, String pairedReference) {
        List<String> args = new ArrayList<>(List.of("--in-process", "--config", config.name(), "--cell", cell.cliName(),
                "--dtype", dtype.name().toLowerCase(Locale.ROOT), "--threads", Integer.toString(threads),
                "--blas", blas.name().toLowerCase(Locale.ROOT)));
        if (dataParallel) {
            args.add("--data-parallel");
        }
        if (pairedReference != null) {
            args.addAll(List.of("--paired-reference", pairedReference));
        }
        String what = config.name() + " " + cell + " " + dtype;
        Figure.Train figure = null;
        List<ReferenceFigures.Comparison> paired = new ArrayList<>();
        for (JsonNode n : bench(what, List.of(), args, budget, seed)) {
            switch (n.path("kind").asText()) {
                case "train" -> figure = Figure.Train.of(n);
                case "paired" -> paired.add(ReferenceFigures.Comparison.of(n));
                default -> { }
            }
        }
        if (figure == null) {
            throw new Failed("the JVM measuring " + what + " printed no figure");
        }
        return new TrainingBench.Measured(figure, paired);
    }

    /**
     * Our rate at every {@link MatmulBench#CASES case} with every product on OpenBLAS: the native
     * backend with the Vector API kernel turned off ({@code -Djgrad.blas.vector=off}), which a JVM
     * fixes when it starts. That is the library PyTorch's products run on, so it tells whether a
     * reference's BLAS ran at full speed where our own kernel outruns OpenBLAS.
     *
     * @return GFLOP/s by case name
     * @throws Failed when the JVM fails, or its products ran on anything but OpenBLAS alone
     */
    static Map<String, Double> openBlasMatmul(DType dtype, int threads, TrainingBench.Budget budget, long seed) {
        String name = dtype.name().toLowerCase(Locale.ROOT);
        String what = "OpenBLAS's " + name + " products on " + threads + " thread" + (threads == 1 ? "" : "s");
        Map<String, Double> rates = new HashMap<>();
        for (JsonNode n : bench(what, List.of("-Djgrad.blas.vector=off"), List.of("--matmul", "--blas", "native",
                "--dtype", name, "--threads", Integer.toString(threads)), budget, seed)) {
            String blas = n.path("blas").asText();
            if ("machine".equals(n.path("kind").asText()) && (!blas.startsWith("native OpenBLAS") || blas.contains("Vector API"))) {
                throw new Failed("the JVM measuring " + what + " ran its products on " + blas);
            }
            if ("matmul".equals(n.path("kind").asText())) {
                rates.put(n.path("shape").asText(), n.path("gflops").asDouble());
            }
        }
        if (rates.isEmpty()) {
            throw new Failed("the JVM measuring " + what + " printed no figure");
        }
        return rates;
    }

    /**
     * The JSON lines of {@code bench ARGS --json} with this budget and seed, run in a JVM started as
     * this one was, with {@code jvmOptions} after this JVM's own (so that they win).
     */
    private static List<JsonNode> bench(String what, List<String> jvmOptions, List<String> args, TrainingBench.Budget budget, long seed) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(jvmOptions);
        cmd.add("--enable-native-access=ALL-UNNAMED");   // what the jar's manifest grants a -jar run; the child runs from the class path
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.jgrad.examples.Main", "bench", "--json"));
        cmd.addAll(args);
        cmd.addAll(List.of("--seconds", Double.toString(budget.seconds()), "--warmup", Double.toString(budget.warmupSeconds()),
                "--repetitions", Integer.toString(budget.repetitions()), "--seed", Long.toString(seed)));
        try {
            Finished run = run(cmd);
            if (run.code() != 0) {
                throw new Failed("the JVM measuring " + what + " failed (exit " + run.code() + "): " + reason(run.err()));
            }
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> lines = new ArrayList<>();
            for (String line : run.out().strip().split("\n")) {
                lines.add(json.readTree(line));
            }
            return lines;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a JVM to measure " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring " + what, e);
        }
    }

    /** One figure's JVM failed or printed no figure: that figure is lost, the others need not be. */
    static final class Failed extends RuntimeException {
        Failed(String message) {
            super(message);
        }
    }

    /** The first line of a failed child's standard error that says something: not blank, not the JVM's warnings. */
    static String reason(String err) {
        return err.lines().filter(l -> !l.isBlank() && !l.startsWith("WARNING")).findFirst().orElse("no message");
    }

    /** A finished process: its exit code and everything it printed on each stream. */
    record Finished(int code, String out, String err) {
    }

    /**
     * Runs {@code cmd} to its end. Standard error is drained on a thread of its own while standard
     * output is read: read one after the other, a child that fills the error pipe first would block
     * forever, and so would this process.
     */
    static Finished run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> Thread.ofPlatform().daemon().name("stderr of " + cmd.get(0)).start(task));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        try {
            return new Finished(code, out, new String(err.get(), StandardCharsets.UTF_8));
        } catch (ExecutionException e) {
            throw new IOException("cannot read the standard error of " + cmd.get(0), e.getCause());
        }
    }
}
