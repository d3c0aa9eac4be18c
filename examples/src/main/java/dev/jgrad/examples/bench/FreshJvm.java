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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Runs one training figure in a JVM of its own, started as this one was (same java, JVM options and
 * class path): a training run is one configuration per process, so each figure gets a JIT that has
 * compiled only its own configuration's paths, and its own peak resident set.
 */
final class FreshJvm {
    private FreshJvm() {
    }

    static Figure.Train train(BenchConfig config, CellKind cell, DType dtype, int threads, boolean dataParallel, TrainingBench.Budget budget,
            long seed, Blas.Backend blas) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("--enable-native-access=ALL-UNNAMED");   // what the jar's manifest grants a -jar run; the child runs from the class path
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.jgrad.examples.Main", "bench", "--in-process", "--json",
                "--config", config.name(), "--cell", cell.cliName(), "--dtype", dtype.name().toLowerCase(Locale.ROOT),
                "--threads", Integer.toString(threads), "--seconds", Double.toString(budget.seconds()),
                "--warmup", Double.toString(budget.warmupSeconds()), "--repetitions", Integer.toString(budget.repetitions()),
                "--seed", Long.toString(seed), "--blas", blas.name().toLowerCase(Locale.ROOT)));
        if (dataParallel) {
            cmd.add("--data-parallel");
        }
        try {
            Finished run = run(cmd);
            if (run.code() != 0) {
                String why = reason(run.err());
                throw new Failed("the JVM measuring " + config.name() + " " + cell + " " + dtype + " failed (exit " + run.code() + "): " + why);
            }
            String out = run.out();
            ObjectMapper json = new ObjectMapper();
            for (String line : out.strip().split("\n")) {
                JsonNode n = json.readTree(line);
                if ("train".equals(n.path("kind").asText())) {
                    return Figure.Train.of(n);
                }
            }
            throw new Failed("the JVM measuring " + config.name() + " " + cell + " " + dtype + " printed no figure");
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a JVM to measure " + config.name() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring " + config.name(), e);
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
