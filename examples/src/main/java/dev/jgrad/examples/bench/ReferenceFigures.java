package dev.jgrad.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

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

    /**
     * The reference machine's line: its CPU, runtime, BLAS and the core OpenBLAS chose, as
     * {@code scripts/torch/bench_gru.py} records them; null when the file has no machine row.
     */
    String machine() {
        for (JsonNode n : rows) {
            if ("machine".equals(n.path("kind").asText())) {
                return describeMachine(n);
            }
        }
        return null;
    }

    /** A {@code "kind": "machine"} row as one line: {@code reference machine: CPU, runtime, BLAS …}. */
    static String describeMachine(JsonNode n) {
        StringBuilder sb = new StringBuilder("reference machine: ").append(n.path("cpu").asText("unknown CPU"));
        sb.append(", ").append(n.path("runtime").asText("unknown runtime"));
        if (n.has("blas")) {
            sb.append(", BLAS ").append(n.path("blas").asText());
        }
        return sb.toString();
    }

    /**
     * The reference's matmul GFLOP/s at each of {@link MatmulBench#CASES} it measured at this dtype and thread count;
     * the slowest where it has several figures of a case.
     */
    Map<MatmulBench.Case, Double> matmulRates(String dtype, int threads) {
        Map<MatmulBench.Case, Double> rates = new LinkedHashMap<>();
        for (JsonNode n : rows) {
            if (!"matmul".equals(n.path("kind").asText()) || !dtype.equals(n.path("dtype").asText()) || n.path("threads").asInt(-1) != threads) {
                continue;
            }
            MatmulBench.Case c = MatmulBench.find(n.path("m").asInt(), n.path("k").asInt(), n.path("n").asInt(),
                    n.path("trans_a").asBoolean(), n.path("trans_b").asBoolean());
            double theirs = n.path("gflops").asDouble(Double.NaN);
            if (c != null && theirs > 0) {
                rates.merge(c, theirs, Math::min);
            }
        }
        return rates;
    }

    /**
     * Why a reference's figures at this dtype and thread count must not be compared with ours, or
     * null when they may: a ratio against a peer whose BLAS is not at full speed is not a result. The
     * peer is at full speed when, at every shape it measured ({@code theirs}), its matmul rate is at
     * least half of the yardstick's on this machine. The yardstick is OpenBLAS as we call it, when it
     * loads: the peer's own library, so a peer is not refused for being slower than our Vector API
     * kernel, which outruns OpenBLAS at the products of a batch's rows.
     *
     * @param theirs    the peer's GFLOP/s by case, from its file ({@link #matmulRates}) or asked of it
     * @param yardstick what {@code rate} measures, for the message: "OpenBLAS's" or "our Java kernel's"
     * @param rate      the yardstick's GFLOP/s at a case, on {@code threads} threads
     */
    static String peerProblem(String dtype, int threads, Map<MatmulBench.Case, Double> theirs, String yardstick,
            ToDoubleFunction<MatmulBench.Case> rate) {
        if (theirs.isEmpty()) {
            return noRatio(dtype, threads, "the reference has no matmul figure at the shapes bench --matmul measures, "
                    + "so whether its BLAS ran at full speed is unknown");
        }
        for (Map.Entry<MatmulBench.Case, Double> e : theirs.entrySet()) {
            double ours = rate.applyAsDouble(e.getKey());
            if (e.getValue() < 0.5 * ours) {
                return noRatio(dtype, threads, String.format(Locale.ROOT, "the reference's matmul ran at %.1f GFLOP/s at %s, "
                        + "under half of %s %.1f here, so its BLAS was not at full speed", e.getValue(), e.getKey().name(), yardstick, ours));
            }
        }
        return null;
    }

    /** Why no ratio is printed at this dtype and thread count, as {@link #peerProblem} and its callers say it. */
    static String noRatio(String dtype, int threads, String why) {
        return "no ratio for " + dtype + ", " + threads + " thread" + (threads == 1 ? "" : "s") + ": " + why;
    }

    /**
     * One reference figure and our figure divided by it. A paired comparison ({@code bench --paired-reference})
     * also gives each alternating round's ratio, of which {@code ratio} is the median; a comparison with a
     * figure from a file has none.
     */
    record Comparison(String impl, double value, double ratio, double peakRssMib, List<Double> rounds) {
        /** Keeps an unmodifiable copy of the rounds. */
        Comparison {
            rounds = List.copyOf(rounds);
        }

        /** A comparison with a figure from a file, measured apart from ours. */
        Comparison(String impl, double value, double ratio, double peakRssMib) {
            this(impl, value, ratio, peakRssMib, List.of());
        }

        /** Read back from its {@link #fields} line. */
        static Comparison of(JsonNode n) {
            List<Double> rounds = new ArrayList<>();
            n.path("rounds").forEach(r -> rounds.add(r.asDouble()));
            return new Comparison(n.path("impl").asText(), n.path("value").asDouble(Double.NaN), n.path("ratio").asDouble(Double.NaN),
                    n.path("peak_rss_mib").asDouble(Double.NaN), rounds);
        }

        /** A paired comparison as ordered JSON fields, the line {@code bench --json} prints after our figure. */
        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", "paired");
            m.put("impl", impl);
            m.put("value", value);
            m.put("ratio", ratio);
            m.put("peak_rss_mib", peakRssMib);
            m.put("rounds", rounds);
            return m;
        }
    }
}
