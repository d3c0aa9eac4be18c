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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Spark reads the text {@code train} trains on, to the character, and holds out the same text: a
 * corpus file used whole (all but its last tenth), cut by --max-tokens (and the text after it held
 * out), and with d2l's preprocessing, read in pieces whose boundaries fall anywhere.
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
}
