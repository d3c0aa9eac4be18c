package dev.jgrad.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.tensor.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer of {@code bench --paired-reference}: a process, {@code scripts/torch/bench_gru.py --serve}, that
 * prints its machine line and then answers each request line with one figure timed over the window the
 * request names. Requests and answers are JSON objects, one a line. A product's request has {@code kind:
 * "matmul", shape, m, k, n, trans_a, trans_b, dtype, threads, warmup, seconds}, and its answer is a
 * {@code "kind": "matmul"} figure with {@code impl} and {@code gflops}; a training request has {@code kind:
 * "train", impl, config, dtype, threads, warmup, seconds}, and its answer is a {@code "kind": "train"} figure
 * with {@code impl}, {@code cell} and {@code tokens_per_second}. Our GRU cells are paired with PyTorch's
 * {@code nn.GRU}, the peer the README's goals name. The process's standard error is this JVM's.
 */
final class PairedReference implements MatmulBench.Peer, TrainingBench.Peer, AutoCloseable {
    /** The PyTorch model our training figures are paired with. */
    static final String TRAIN_IMPL = "torch-nn.GRU";

    private final String command;
    private final Process process;
    private final BufferedReader answers;
    private final Writer requests;
    private final ObjectMapper json = new ObjectMapper();
    private final String machine;
    private String impl = "reference";
    private String name = TRAIN_IMPL;
    private double peakRssMib = Double.NaN;

    private PairedReference(String command, Process process) {
        this.command = command;
        this.process = process;
        this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        JsonNode first = answer("its machine line");
        if (!"machine".equals(first.path("kind").asText())) {
            throw problem("printed " + first + " where its machine line was expected");
        }
        this.machine = ReferenceFigures.describeMachine(first);
    }

    /** Starts {@code command} (words split at white space) and reads its machine line; nothing is measured yet. */
    static PairedReference start(String command) {
        List<String> words = List.of(command.strip().split("\\s+"));
        Process p;
        try {
            p = new ProcessBuilder(words).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IllegalStateException("bench: cannot start the paired reference '" + command + "': " + e.getMessage(), e);
        }
        try {
            return new PairedReference(command, p);
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** The reference machine's line, as {@link ReferenceFigures#machine()} prints it. */
    String machine() {
        return machine;
    }

    /** The implementation its last answer named ({@code torch} for bench_gru.py). */
    String impl() {
        return impl;
    }

    @Override
    public double gflops(MatmulBench.Case c, DType dtype, int threads, double warmupSeconds, double seconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", "matmul");
        r.put("shape", c.name());
        r.put("m", c.m());
        r.put("k", c.k());
        r.put("n", c.n());
        r.put("trans_a", c.transA());
        r.put("trans_b", c.transB());
        JsonNode a = ask(r, dtype, threads, warmupSeconds, seconds, "matmul", "gflops", "a figure of " + c.name());
        impl = a.path("impl").asText(impl);
        return a.path("gflops").asDouble();
    }

    @Override
    public double tokensPerSecond(BenchConfig config, DType dtype, int threads, double warmupSeconds, double seconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", "train");
        r.put("impl", TRAIN_IMPL);
        r.put("config", config.name());
        JsonNode a = ask(r, dtype, threads, warmupSeconds, seconds, "train", "tokens_per_second", "a training figure of " + config.name());
        name = a.path("impl").asText(TRAIN_IMPL) + " (" + a.path("cell").asText("?") + ")";
        peakRssMib = a.path("peak_rss_mib").asDouble(Double.NaN);
        return a.path("tokens_per_second").asDouble();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double peakRssMib() {
        return peakRssMib;
    }

    /**
     * Sends {@code request} with the window's fields added and reads its answer, which must be a {@code kind}
     * figure whose {@code field} is positive and finite.
     */
    private JsonNode ask(Map<String, Object> request, DType dtype, int threads, double warmupSeconds, double seconds, String kind,
            String field, String what) {
        request.put("dtype", dtype.name().toLowerCase(Locale.ROOT));
        request.put("threads", threads);
        request.put("warmup", warmupSeconds);
        request.put("seconds", seconds);
        try {
            requests.write(json.writeValueAsString(request) + "\n");
            requests.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bench: cannot write a request: " + e.getMessage(), e);
        } catch (IOException e) {
            throw problem("stopped reading requests (" + e.getMessage() + ")");
        }
        JsonNode a = answer(what);
        double v = a.path(field).asDouble(Double.NaN);
        if (!kind.equals(a.path("kind").asText()) || !(v > 0) || !Double.isFinite(v)) {
            throw problem("answered " + a + " where a " + kind + " figure with positive " + field + " was expected");
        }
        return a;
    }

    /** The next line, read as a JSON object; its end, or a line that is not one, is an error naming the command. */
    private JsonNode answer(String what) {
        String line;
        try {
            line = answers.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot read the paired reference '" + command + "': " + e.getMessage(), e);
        }
        if (line == null) {
            throw problem("ended before " + what + exitCode());
        }
        try {
            JsonNode n = json.readTree(line);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (JsonProcessingException e) {
            // reported below, with the line
        }
        String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
        throw problem("printed '" + shown + "' where " + what + " was expected, as a JSON object");
    }

    private String exitCode() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? " (exit code " + process.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private IllegalStateException problem(String what) {
        return new IllegalStateException("bench: the paired reference '" + command + "' " + what);
    }

    /** Closes its input, which ends bench_gru.py's loop, and waits a little for it to exit before ending it. */
    @Override
    public void close() {
        try {
            requests.close();
        } catch (IOException e) {
            // it has already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
