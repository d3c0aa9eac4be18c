package dev.jgrad.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Figures measured elsewhere (PyTorch, by {@code scripts/torch/bench_gru.py}) in the shared
 * JSON-lines schema, looked up by what makes two figures comparable.
 */
final class ReferenceFigures {
    private final List<JsonNode> rows;

    private ReferenceFigures(List<JsonNode> rows) {
        this.rows = rows;
    }

    static ReferenceFigures none() {
        return new ReferenceFigures(List.of());
    }

    /** Reads one JSON object per non-blank line; an unreadable line is an error naming the file and line. */
    static ReferenceFigures read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("bench: cannot read reference figures " + file + ": " + e.getMessage(), e);
        }
        List<JsonNode> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                JsonNode n = json.readTree(line);
                if (n == null || !n.isObject()) throw new IOException("not a JSON object");
                rows.add(n);
            } catch (IOException e) {
                throw new IllegalArgumentException("bench: reference " + file + " line " + (i + 1) + " is not a JSON object: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        return new ReferenceFigures(rows);
    }

    /**
     * Reference training figures comparable to {@code ours}: same configuration, dtype and thread
     * count, and the same cell (any GRU variant counts as a GRU, so our d2l GRU meets nn.GRU).
     */
    List<Comparison> forTrain(Figure.Train ours) {
        List<Comparison> out = new ArrayList<>();
        for (JsonNode n : rows) {
            if (!"train".equals(n.path("kind").asText()) || !ours.config().equals(n.path("config").asText())
                    || !ours.dtype().equals(n.path("dtype").asText()) || ours.threads() != n.path("threads").asInt(-1)) {
                continue;
            }
            String cell = n.path("cell").asText();
            boolean sameFamily = cell.equals(ours.cell()) || (cell.startsWith("gru") && ours.cell().startsWith("gru"));
            double theirs = n.path("tokens_per_second").asDouble(Double.NaN);
            if (sameFamily && theirs > 0) {
                out.add(new Comparison(n.path("impl").asText("?") + " (" + cell + ")", theirs, ours.tokensPerSecond() / theirs,
                        n.path("peak_rss_mib").asDouble(Double.NaN)));
            }
        }
        return out;
    }

    /** Reference matmul figures at the same m, k, n, transpose flags, dtype and thread count. */
    List<Comparison> forMatmul(Figure.Matmul ours) {
        List<Comparison> out = new ArrayList<>();
        for (JsonNode n : rows) {
            if ("matmul".equals(n.path("kind").asText()) && n.path("m").asInt() == ours.m() && n.path("k").asInt() == ours.k()
                    && n.path("n").asInt() == ours.n() && n.path("trans_a").asBoolean() == ours.transA()
                    && n.path("trans_b").asBoolean() == ours.transB() && ours.dtype().equals(n.path("dtype").asText())
                    && n.path("threads").asInt(-1) == ours.threads()) {
                double theirs = n.path("gflops").asDouble(Double.NaN);
                if (theirs > 0) out.add(new Comparison(n.path("impl").asText("?"), theirs, ours.gflops() / theirs, Double.NaN));
            }
        }
        return out;
    }

    /** One reference figure and our figure divided by it. */
    record Comparison(String impl, double value, double ratio, double peakRssMib) {
    }
}
