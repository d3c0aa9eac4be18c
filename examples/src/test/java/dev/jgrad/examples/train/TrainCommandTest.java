package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.Cli;
import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.train.Trainer.TrainingText;
import dev.jgrad.tensor.Blas;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
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
        return Cli.run(args).expect(expectedCode).out();
    }

    /** The one line a refused command printed, after checking its exit code. */
    private static String refused(int expectedCode, String... args) {
        Cli.Result r = Cli.run(args).expect(expectedCode);
        assertEquals(1, r.errLine().lines().count(), r.err());
        return r.errLine();
    }

    /**
     * A step too large for the step workspace makes train say so at the end, with the capacity and the
     * remedy; a step that fits, and a run with the workspace off, say nothing.
     */
    @Test
    void trainSaysWhenAStepOutgrewTheWorkspace() {
        String[] big = {"train", "--corpus-lines", "80", "--max-operand", "9", "--hidden", "64", "--batch", "16", "--steps", "8",
            "--epochs", "1", "--no-checkpoint"};   // states [16, 64]: lent
        assertFalse(run(0, big).contains("note: a step needed more"), "fits the default workspace");
        String previous = System.getProperty("jgrad.workspace");
        try {
            System.setProperty("jgrad.workspace", "4k");
            String out = run(0, big);
            assertTrue(out.contains("note: a step needed more than the 4 KiB of the step workspace (-Djgrad.workspace=4k), so steps"
                    + " allocated fresh arrays"), out);
            System.setProperty("jgrad.workspace", "off");
            assertFalse(run(0, big).contains("note: a step needed more"), "a workspace turned off is not outgrown");
        } finally {
            if (previous == null) {
                System.clearProperty("jgrad.workspace");
            } else {
                System.setProperty("jgrad.workspace", previous);
            }
        }
    }

    @Test
    void metricsAreOneJsonObjectPerEpochWithAChartAndResumeAppends() throws Exception {
        Path metrics = dir.resolve("out/metrics.jsonl");
        String out = run(0, args("--epochs", "2", "--metrics", metrics.toString(), "--checkpoint", dir.resolve("ck").toString()));
        assertTrue(out.contains("sample: 12+7="), out);
        String resumed = run(0, "train", "--resume", "--checkpoint", dir.resolve("ck").toString(), "--epochs", "3", "--metrics",
                metrics.toString());
        assertTrue(resumed.contains("metrics: appending to " + metrics + "\n"), "says it appends: " + resumed);
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(3, lines.size(), "epochs 1, 2, then 3 appended by the resumed run");
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = json.readTree(lines.get(i));
            assertEquals(i + 1, n.get("epoch").asInt());
            for (String field : List.of("perplexity", "held_out_perplexity", "tokens_per_second", "grad_norm", "clipped_fraction",
                    "elapsed_seconds", "completion_accuracy", "well_formed")) {
                assertTrue(n.has(field) && Double.isFinite(n.get(field).asDouble()), field + " in " + lines.get(i));
            }
            assertTrue(n.get("perplexity").asDouble() > 1, lines.get(i));
            assertTrue(n.get("held_out_perplexity").asDouble() > 1, lines.get(i));
            double clipped = n.get("clipped_fraction").asDouble();
            assertTrue(clipped >= 0 && clipped <= 1, lines.get(i));
        }
        Path png = dir.resolve("out/metrics-perplexity.png");
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 0, "chart written next to the metrics");
    }

    @Test
    void anExistingMetricsFileIsNotReplacedWithoutResume() throws Exception {
        Path metrics = dir.resolve("metrics.jsonl");
        String earlier = "{\"epoch\":1}\n".repeat(15);
        Files.writeString(metrics, earlier);
        assertEquals("train: --metrics " + metrics + " already exists and would be replaced: choose another file, or add --resume to "
                + "append the epochs of a resumed run to it (try --help)",
                refused(2, args("--epochs", "1", "--no-checkpoint", "--metrics", metrics.toString())));
        assertEquals(earlier, Files.readString(metrics), "all 15 lines are still there");
    }

    @Test
    void perplexityFallsOnTheGeneratedCorpusOnTrainingAndHeldOutText() {
        Trainer t = Trainer.start(TinyRuns.config(4));
        t.run(new Trainer.Listener() { });
        List<EpochMetrics> h = t.history();
        assertTrue(h.get(3).perplexity() < 0.8 * h.get(0).perplexity(), "perplexity " + h.get(0).perplexity() + " -> "
                + h.get(3).perplexity());
        assertTrue(h.get(3).heldOutPerplexity() < 0.8 * h.get(0).heldOutPerplexity(), "held-out " + h.get(0).heldOutPerplexity()
                + " -> " + h.get(3).heldOutPerplexity());
        // Uniform guessing over the vocabulary is the baseline any learning must beat.
        assertTrue(h.get(3).perplexity() < t.vocabulary().size(), h.get(3).toString());
        assertTrue(h.get(3).heldOutPerplexity() < t.vocabulary().size(), h.get(3).toString());
    }

    @Test
    void theGeneratedCorpusTrainsOnTheSameTextAsBeforeAndHoldsOutOtherLines() {
        TrainConfig c = TinyRuns.config(1);
        Corpora.Split t = Trainer.corpus(c);
        assertEquals(dev.jgrad.examples.data.Corpora.arithmetic(dev.jgrad.tensor.Rng.seeded(Trainer.CORPUS_SEED), c.corpusLines(),
                c.maxOperand()), t.train(), "the training text is unchanged by holding text out");
        assertEquals(c.corpusLines() / 10, t.heldOut().lines().count(), "one held-out line for every ten");
        assertFalse(t.train().contains(t.heldOut()), "the held-out lines are another draw");
        assertEquals(TrainingText.of(t.train(), t.heldOut()), Trainer.start(c).trainingText(), "the run trains on that text");
    }

    /**
     * train's start and resume generate the arithmetic corpus once each; another engine's start and resume not at all,
     * as they take the text the engine generated.
     */
    @Test
    void eachStartGeneratesTheArithmeticCorpusOnceAndAnotherEnginesNotAtAll() {
        TrainConfig c = TinyRuns.config(1);
        Path ck = dir.resolve("ck");
        int before = Trainer.arithmeticGenerations.get();
        Trainer first = Trainer.start(c).checkpointTo(ck);
        assertEquals(before + 1, Trainer.arithmeticGenerations.get(), "train's start");
        first.requestStop();
        assertEquals(Trainer.Outcome.STOPPED, first.run(new Trainer.Listener() { }));
        Checkpoint cp = Checkpoint.read(ck);
        Trainer.resume(cp, 1);
        assertEquals(before + 2, Trainer.arithmeticGenerations.get(), "train's resume");

        Corpora.Split t = Trainer.corpus(c);
        int engine = Trainer.arithmeticGenerations.get();
        TrainingText text = TrainingText.of(t.train(), t.heldOut());
        Trainer.Steps steps = (run, starts) -> {
            throw new AssertionError("not run");
        };
        Trainer.start(c, first.vocabulary(), text, steps, t.train());
        Trainer.resume(cp, 1, text, steps, t.train());
        assertEquals(engine, Trainer.arithmeticGenerations.get(), "another engine's start and resume");
        var missing = assertThrows(IllegalArgumentException.class, () -> Trainer.start(c, first.vocabulary(), text, steps, null));
        assertEquals("the generated corpus's training text is needed for its quality measure", missing.getMessage());
    }

    @Test
    void aCorpusFileHoldsOutItsLastTenthOrWhatFollowsMaxTokens() throws IOException {
        Path corpus = dir.resolve("book.txt");
        Files.writeString(corpus, "abcdefghij".repeat(100) + "\n");
        TrainConfig whole = new RunOptionsParse(corpus).config(0);
        Corpora.Split t = Trainer.corpus(whole);
        assertEquals(1001, t.train().length() + t.heldOut().length());
        assertEquals(100, t.heldOut().length(), "the last tenth");
        assertEquals("abcdefghij".repeat(100) + "\n", t.train() + t.heldOut(), "no overlap, nothing lost");
        assertEquals(TrainingText.of(t.train(), t.heldOut()), Trainer.start(whole).trainingText(), "the run trains on that text");
        Corpora.Split d2l = Trainer.corpus(new RunOptionsParse(corpus).config(300));
        assertEquals("abcdefghij".repeat(30), d2l.train(), "--max-tokens 300: the first 300 characters, as before");
        assertEquals("abcdefghij".repeat(3), d2l.heldOut(), "and the 30 after them held out");
    }

    /** --max-tokens N on a text of N + 1 characters would hold out 1, and the held-out text needs 2: refused in one line. */
    @Test
    void maxTokensThatLeaveOneCharacterToHoldOutAreRefusedInOneLine() throws IOException {
        Path corpus = dir.resolve("ten.txt");
        Files.writeString(corpus, "abcdefghi\n");
        assertEquals("train: a corpus of 10 characters leaves 1 after the first 9 (--max-tokens 9), and the held-out text needs at least 2: "
                + "use --max-tokens 8 or less, or 0 to hold out the last tenth",
                refused(1, "train", "--corpus", corpus.toString(), "--max-tokens", "9", "--no-checkpoint"));
        // What the message offers works: the first 8 characters and the 2 after them, or the last tenth (2 at least).
        Corpora.Split eight = Trainer.corpus(new RunOptionsParse(corpus).config(8));
        assertEquals("abcdefgh", eight.train());
        assertEquals("i\n", eight.heldOut());
        assertEquals(eight, Trainer.corpus(new RunOptionsParse(corpus).config(0)));
        assertEquals("abcdefghi\n", Files.readString(corpus));
    }

    /** Options for a tiny run on a corpus file, with --max-tokens N. */
    private record RunOptionsParse(Path corpus) {
        TrainConfig config(int maxTokens) {
            TrainCommand c = new TrainCommand();
            new picocli.CommandLine(c).parseArgs("--corpus", corpus.toString(), "--max-tokens", String.valueOf(maxTokens),
                    "--hidden", "4", "--batch", "2", "--steps", "5", "--epochs", "1");
            return c.config();
        }
    }

    @Test
    void embeddingInputIsAnOptionAndSampleRebuildsIt() {
        String out = run(0, args("--epochs", "1", "--embedding", "6", "--checkpoint", dir.resolve("ck").toString()));
        assertTrue(out.contains("model: embedding 6, gru x1"), out);
        assertTrue(run(0, "sample", "--checkpoint", dir.resolve("ck").toString(), "--length", "5").startsWith("12+7="));
        run(2, args("--embedding", "-1"));
    }

    @Test
    void anExistingCheckpointIsNotOverwrittenWithoutResume() throws IOException {
        Path ck = dir.resolve("ck");
        run(0, args("--epochs", "1", "--checkpoint", ck.toString()));
        Map<Path, byte[]> before = contents(ck);
        assertEquals("train: --checkpoint " + ck + " already holds a checkpoint, which a new run would replace: add --resume to "
                + "continue it, or choose another folder (try --help)", refused(2, args("--epochs", "2", "--checkpoint", ck.toString())));
        Map<Path, byte[]> after = contents(ck);
        assertEquals(before.keySet(), after.keySet(), "the same files");
        before.forEach((file, bytes) -> assertTrue(java.util.Arrays.equals(bytes, after.get(file)), file + " is unchanged"));
    }

    private static Map<Path, byte[]> contents(Path root) throws IOException {
        Map<Path, byte[]> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                m.put(root.relativize(f), Files.readAllBytes(f));
            }
        }
        assertTrue(m.size() >= 5, "LATEST and the four files of a checkpoint: " + m.keySet());
        return m;
    }

    @Test
    void resumingSaysWhichOptionsItIgnoresAndRefusesToDoNothing() {
        Path ck = dir.resolve("ck");
        run(0, args("--epochs", "1", "--checkpoint", ck.toString()));
        Cli.Result r = Cli.run("train", "--resume", "--checkpoint", ck.toString(), "--epochs", "2", "--hidden", "99", "--lr", "3",
                "--threads", "1").expect(0);
        assertEquals("train: resuming with the checkpoint's configuration; ignoring --hidden, --lr", r.errLine(),
                "the run options given, and not --epochs or --threads");
        assertEquals("train: --epochs 2: the run in " + ck + " has already finished 2 epochs, so there is nothing to do; give --epochs N "
                + "with N > 2 to continue it (try --help)", refused(2, "train", "--resume", "--checkpoint", ck.toString(), "--epochs", "2"));
        assertEquals("train: the run in " + ck + " has already finished its 2 epochs; give --epochs N with N > 2 to continue it "
                + "(try --help)", refused(2, "train", "--resume", "--checkpoint", ck.toString()));
    }

    @Test
    void optionErrorsNameTheOptionInOneLine() {
        assertEquals("train: --epochs must be at least 1 for a new run, got 0 (try --help)", refused(2, args("--epochs", "0")));
        assertEquals("train: Invalid value for option '--optimizer': expected one of sgd, adam, got 'rmsprop' (try --help)",
                refused(2, args("--optimizer", "rmsprop")));
        assertEquals("train: Invalid value for option '--init': expected one of pytorch, d2l, got 'xavier' (try --help)",
                refused(2, args("--init", "xavier")));
        assertEquals("train: Invalid value for option '--cell': expected one of gru, gru-reset-after, lstm, rnn, mgu, got 'transformer' "
                + "(try --help)", refused(2, args("--cell", "transformer")));
        assertEquals("train: --prefix must not be empty (generation needs a first character) (try --help)",
                refused(2, args("--prefix", "")));
        assertEquals("train: --no-checkpoint cannot go with --checkpoint (try --help)",
                refused(2, args("--no-checkpoint", "--checkpoint", dir.toString())));
    }

    /** train says which matrix-product backend runs, --blas chooses it for the run only, and the Java kernel trains too. */
    @Test
    void saysWhichBackendRunsAndBlasChoosesIt() {
        Blas.Backend before = Blas.backend();
        String java = run(0, args("--epochs", "1", "--no-checkpoint", "--blas", "java"));
        assertTrue(java.lines().anyMatch(l -> l.startsWith("matmul: java (pure-Java kernel") && l.contains("; exp/tanh/sigmoid: ")), java);
        assertTrue(java.contains("epoch   1  train perplexity"), java);
        assertEquals(before, Blas.backend(), "the process's backend after the run");
        String given = run(0, args("--epochs", "1", "--no-checkpoint"));
        assertTrue(given.lines().anyMatch(l -> l.startsWith("matmul: " + Blas.description())), given);
        assertEquals("train: --blas: unknown BLAS backend 'mkl'; use auto, native or java (try --help)", refused(2, args("--blas", "mkl")));
    }

    @Test
    void corpusProblemsAreNamedInOneLine() throws IOException {
        Path absent = dir.resolve("absent.txt");
        assertEquals("train: cannot read corpus " + absent + ": no such file or folder",
                refused(1, "train", "--corpus", absent.toString(), "--no-checkpoint"));
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        assertEquals("train: corpus " + empty + " is empty", refused(1, "train", "--corpus", empty.toString(), "--no-checkpoint"));
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "first line\ncaf\u00e9 au lait\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("train: corpus " + latin1 + " is not UTF-8 text: byte 0xE9 at line 2, byte 4 of the line (offset 14) does not "
                + "start a valid UTF-8 character; convert the file to UTF-8 first (a Latin-1 file, for example, with "
                + "iconv -f latin1 -t utf-8)", refused(1, "train", "--corpus", latin1.toString(), "--no-checkpoint"));
        Path binary = dir.resolve("weights.bin");
        Files.write(binary, new byte[] {'P', 'K', 3, 4, 0, 0, 1});
        assertEquals("train: corpus " + binary + " is not text: it holds a NUL byte at line 1, byte 5 of the line (offset 4)",
                refused(1, "train", "--corpus", binary.toString(), "--no-checkpoint"));
        Path digits = dir.resolve("digits.txt");
        Files.writeString(digits, "1 2 3\n4 5 6\n");
        assertEquals("train: corpus " + digits + " has no letters, so --d2l-text leaves nothing to train on",
                refused(1, "train", "--corpus", digits.toString(), "--d2l-text", "--no-checkpoint"));
        assertEquals("train: --metrics " + digits + " is the --corpus file; writing it would destroy the input: choose another --metrics "
                + "(try --help)", refused(2, "train", "--corpus", digits.toString(), "--metrics", digits.toString(), "--no-checkpoint"));
        assertEquals("1 2 3\n4 5 6\n", Files.readString(digits));
    }

    @Test
    void newRunsGetTheirOwnFolder() throws IOException {
        LocalDateTime at = LocalDateTime.of(2026, 11, 29, 19, 5, 7);
        Path first = SessionOptions.newRunFolder(dir, at);
        assertEquals(dir.resolve("train-20261129-190507"), first);
        Files.createDirectories(first);
        assertEquals(dir.resolve("train-20261129-190507-2"), SessionOptions.newRunFolder(dir, at), "a second run in the same second");
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
    void samplePrefixNoticesNameEveryUnknownCharacterAndRefuseAnEmptyPrefix() {
        String ck = dir.resolve("ck").toString();
        run(0, args("--epochs", "1", "--checkpoint", ck));
        Cli.Result r = Cli.run("sample", "--checkpoint", ck, "--prefix", "abc", "--length", "3").expect(0);
        assertEquals("sample: 'a', 'b', 'c' are not in the vocabulary; they are read as <unk>", r.errLine());
        assertEquals("sample: 'x' is not in the vocabulary; it is read as <unk>",
                Cli.run("sample", "--checkpoint", ck, "--prefix", "1x2", "--length", "3").expect(0).errLine());
        assertEquals("sample: --prefix must not be empty (generation needs a first character); leave it out to start from the "
                + "training run's prefix (try --help)", refused(2, "sample", "--checkpoint", ck, "--prefix", ""));
    }

    @Test
    void d2lTextCorpusUsesTheTwentyEightTokenVocabulary() throws Exception {
        Path corpus = dir.resolve("book.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("The Time Traveller (for so it will be convenient to speak of him) was expounding ").append(i).append('\n');
        }
        Files.writeString(corpus, sb);
        String out = run(0, args("--corpus", corpus.toString(), "--d2l-text", "--max-tokens", "1000", "--epochs", "1", "--no-checkpoint"));
        assertTrue(out.contains("1,000 characters to train on and 100 held out, vocabulary 28"), out);
        assertTrue(out.contains("sample: time traveller"), out);
    }
}
