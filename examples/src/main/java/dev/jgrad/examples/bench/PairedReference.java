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
 * The peer of {@code bench --matmul --paired-reference}: a process, {@code scripts/torch/bench_gru.py
 * --serve-matmul}, that prints its machine line and then answers each request line with one matmul
 * figure timed over the window the request names. Requests and answers are JSON objects, one a line:
 * a request has {@code shape, m, k, n, trans_a, trans_b, dtype, threads, warmup, seconds}; an answer is
 * a {@code "kind": "matmul"} figure with {@code impl} and {@code gflops}. The process's standard error
 * is this JVM's.
 */
final class PairedReference implements MatmulBench.Peer, AutoCloseable {
    private final String command;
    private final Process process;
    private final BufferedReader answers;
    private final Writer requests;
    private final ObjectMapper json = new ObjectMapper();
    private final String machine;
    private String impl = "reference";

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
        r.put("shape", c.name());
        r.put("m", c.m());
        r.put("k", c.k());
        r.put("n", c.n());
        r.put("trans_a", c.transA());
        r.put("trans_b", c.transB());
        r.put("dtype", dtype.name().toLowerCase(Locale.ROOT));
        r.put("threads", threads);
        r.put("warmup", warmupSeconds);
        r.put("seconds", seconds);
        try {
            requests.write(json.writeValueAsString(r) + "\n");
            requests.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bench: cannot write a request: " + e.getMessage(), e);
        } catch (IOException e) {
            throw problem("stopped reading requests (" + e.getMessage() + ")");
        }
        JsonNode a = answer("a figure of " + c.name());
        double g = a.path("gflops").asDouble(Double.NaN);
        if (!"matmul".equals(a.path("kind").asText()) || !(g > 0) || !Double.isFinite(g)) {
            throw problem("answered " + a + " where a matmul figure with positive gflops was expected");
        }
        impl = a.path("impl").asText(impl);
        return g;
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
