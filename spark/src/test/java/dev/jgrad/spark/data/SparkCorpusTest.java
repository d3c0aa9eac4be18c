package dev.jgrad.spark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.LocalSpark;
import dev.jgrad.spark.train.Runs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Spark reads the text {@code train} trains on, to the character, and holds out the same text: a
 * corpus file used whole (all but its last tenth), cut by --max-tokens (and the text after it held
 * out), and with d2l's preprocessing, read in pieces whose boundaries fall anywhere; and it reads
 * them in as few Spark jobs as it needs.
 */
class SparkCorpusTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "--max-tokens {0}, d2l {1}, {2} pieces")
    @CsvSource({"0, false, 1", "0, false, 3", "700, false, 4", "0, true, 3", "300, true, 2", "100000, false, 3"})
    void sparkTrainsOnTrainsTextAndHoldsOutTheSame(int maxTokens, boolean d2l, int pieces) throws Exception {
        Path book = dir.resolve("book.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            lines.add("Line " + i + ": the Time Traveller — «Ünïcode» " + "x".repeat(i % 7));
        }
        lines.add("");
        lines.add("The end.");
        Files.write(book, lines);
        List<String> options = new ArrayList<>(List.of("--corpus", book.toString(), "--max-tokens", String.valueOf(maxTokens)));
        if (d2l) {
            options.add("--d2l-text");
        }
        TrainConfig config = Runs.tiny(options.toArray(String[]::new));
        Corpora.Split split = Trainer.corpus(config);

        SparkCorpus corpus = SparkCorpus.read(LocalSpark.context(), config, pieces);
        try {
            assertEquals(Trainer.TrainingText.of(split.train(), split.heldOut()), corpus.text());
            assertEquals(split.heldOut().length(), corpus.heldOutLength());
            Vocabulary vocab = d2l ? Vocabulary.of(split.train(), Corpora.D2L_ALPHABET) : Vocabulary.of(split.train());
            assertEquals(vocab, corpus.vocabulary(), "the vocabulary train builds");
            int[] tokens = new int[corpus.length()];
            for (TokenChunk c : corpus.chunks().collect()) {
                System.arraycopy(c.tokens(), 0, tokens, (int) c.start(), c.tokens().length);
            }
            assertArrayEquals(vocab.encode(split.train()), tokens, "the tokens train trains on");
        } finally {
            corpus.chunks().unpersist(false);
        }
    }

    @ParameterizedTest(name = "generated corpus of {0} lines in {1} pieces")
    @CsvSource({"120, 1", "120, 3", "20, 20"})
    void theGeneratedCorpusIsTrainsTextWhateverItsPieces(int lines, int pieces) {
        // With one line a piece the first piece holds fewer than the head's 10 characters.
        TrainConfig config = Runs.tiny("--corpus-lines", String.valueOf(lines));
        Corpora.Split split = Trainer.corpus(config);
        SparkCorpus corpus = SparkCorpus.read(LocalSpark.context(), config, pieces);
        try {
            assertEquals(Trainer.TrainingText.of(split.train(), split.heldOut()), corpus.text());
        } finally {
            corpus.chunks().unpersist(false);
        }
    }

    /**
     * The jobs reading a corpus takes: one for the pieces' extent, one gathering the held-out text when
     * it comes from a file, one counting the vocabulary, one per piece streaming the training text to the
     * driver for its SHA-256 and head, and one checking the tokens' count; no job only for the head.
     */
    @ParameterizedTest(name = "{0} pieces, from a file: {1}")
    @CsvSource({"1, false", "3, false", "1, true", "3, true"})
    void readingTakesOneJobPerPassAndOnePerPieceForTheChecksum(int pieces, boolean file) throws Exception {
        TrainConfig config;
        if (file) {
            Path book = dir.resolve("book.txt");
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                lines.add("Line " + i + ": the Time Traveller " + "x".repeat(i % 7));
            }
            Files.write(book, lines);
            config = Runs.tiny("--corpus", book.toString());
        } else {
            config = Runs.tiny();
        }
        JavaSparkContext sc = LocalSpark.context();
        int before = lastJob(sc);
        SparkCorpus corpus = SparkCorpus.read(sc, config, pieces);
        int jobs = lastJob(sc) - before - 1;
        corpus.chunks().unpersist(false);
        // The held-out tenth of the file lies within its last piece, so every piece holds training text.
        assertEquals(3 + pieces + (file ? 1 : 0), jobs, "Spark jobs reading the corpus");
    }

    /** The id of a job run now: Spark numbers jobs in the order they are submitted. */
    private static int lastJob(JavaSparkContext sc) throws Exception {
        JavaFutureAction<Long> job = sc.parallelize(List.of(0), 1).countAsync();
        job.get();
        return job.jobIds().getFirst();
    }
}
