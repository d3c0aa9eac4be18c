package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    private static final String[] TINY = {"--corpus-lines", "80", "--max-operand", "9", "--hidden", "16", "--batch", "4",
            "--steps", "8", "--sample-every", "2", "--sample-length", "12"};

    @TempDir
    Path dir;

    private static String[] args(String... more) {
        String[] out = new String[TINY.length + more.length + 1];
        out[0] = "train";
        System.arraycopy(TINY, 0, out, 1, TINY.length);
        System.arraycopy(more, 0, out, 1 + TINY.length, more.length);
        return out;
    }

    private static String run(int expectedCode, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(expectedCode, cl.execute(args), err.toString());
        return out.toString();
    }

    @Test
    void metricsAreOneJsonObjectPerEpochWithAChartAndResumeAppends() throws Exception {
        Path metrics = dir.resolve("out/metrics.jsonl");
        String out = run(0, args("--epochs", "2", "--metrics", metrics.toString(), "--checkpoint", dir.resolve("ck").toString()));
        assertTrue(out.contains("sample: 12+7="), out);
        run(0, "train", "--resume", "--checkpoint", dir.resolve("ck").toString(), "--epochs", "3", "--metrics", metrics.toString());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(3, lines.size(), "epochs 1, 2, then 3 appended by the resumed run");
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = json.readTree(lines.get(i));
            assertEquals(i + 1, n.get("epoch").asInt());
            for (String field : List.of("perplexity", "tokens_per_second", "grad_norm", "clipped_fraction", "elapsed_seconds",
                    "completion_accuracy", "well_formed")) {
                assertTrue(n.has(field) && Double.isFinite(n.get(field).asDouble()), field + " in " + lines.get(i));
            }
            assertTrue(n.get("perplexity").asDouble() > 1, lines.get(i));
            double clipped = n.get("clipped_fraction").asDouble();
            assertTrue(clipped >= 0 && clipped <= 1, lines.get(i));
        }
        Path png = dir.resolve("out/metrics-perplexity.png");
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 0, "chart written next to the metrics");
    }

    @Test
    void perplexityFallsOnTheGeneratedCorpus() {
        Trainer t = Trainer.start(TinyRuns.config(4));
        t.run(new Trainer.Listener() { });
        List<EpochMetrics> h = t.history();
        assertTrue(h.get(3).perplexity() < 0.8 * h.get(0).perplexity(), "perplexity " + h.get(0).perplexity() + " -> "
                + h.get(3).perplexity());
        // Uniform guessing over the vocabulary is the baseline any learning must beat.
        assertTrue(h.get(3).perplexity() < t.vocabulary().size(), h.get(3).toString());
    }

    @Test
    void embeddingInputIsAnOptionAndSampleRebuildsIt() {
        String out = run(0, args("--epochs", "1", "--embedding", "6", "--checkpoint", dir.resolve("ck").toString()));
        assertTrue(out.contains("model: embedding 6, gru x1"), out);
        assertTrue(run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--length", "5").startsWith("12+7="));
        run(2, args("--embedding", "-1"));
    }

    @Test
    void anExistingCheckpointIsNotOverwrittenWithoutResume() {
        run(0, args("--epochs", "1", "--checkpoint", dir.resolve("ck").toString()));
        run(2, args("--epochs", "1", "--checkpoint", dir.resolve("ck").toString()));
    }

    @Test
    void sampleReadsTheCheckpointGreedilyOrSeeded() {
        run(0, args("--epochs", "1", "--checkpoint", dir.resolve("ck").toString()));
        String greedy = run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--prefix", "3+4=", "--length", "20");
        assertTrue(greedy.startsWith("3+4="), greedy);
        assertEquals(greedy, run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--prefix", "3+4=", "--length", "20"));
        String hot = run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--prefix", "3+4=", "--length", "20",
                "--temperature", "1", "--seed", "3");
        assertEquals(hot, run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--prefix", "3+4=", "--length", "20",
                "--temperature", "1", "--seed", "3"));
        assertEquals(4 + 20 + System.lineSeparator().length(), hot.length(), "prefix, 20 characters, end of line: " + hot);
    }

    @Test
    void d2lTextCorpusUsesTheTwentyEightTokenVocabulary() throws Exception {
        Path corpus = dir.resolve("book.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("The Time Traveller (for so it will be convenient to speak of him) was expounding ").append(i).append('\n');
        }
        Files.writeString(corpus, sb);
        String out = run(0, args("--corpus", corpus.toString(), "--d2l-text", "--max-tokens", "1000", "--epochs", "1"));
        assertTrue(out.contains("1,000 characters, vocabulary 28"), out);
        assertTrue(out.contains("sample: time traveller"), out);
    }
}
