package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.examples.train.Checkpoint;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import dev.jgrad.spark.LocalSpark;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "bad input and limits" that the trainer itself meets, each refused in one line with its numbers or names. */
class BadInputTest {
    private final JavaSparkContext sc = LocalSpark.context();

    @TempDir
    Path dir;

    @Test
    void aMissingCorpusIsNamed() {
        Path missing = dir.resolve("no-such-book.txt");
        var e = assertThrows(UncheckedIOException.class,
                () -> SparkTrainer.start(sc, Runs.tiny("--corpus", missing.toString()), SparkOptions.synchronous(2)));
        assertEquals("cannot read corpus " + missing + ": no such file or directory", e.getMessage());
    }

    @Test
    void aCorpusSparkCannotOpenIsNamedWithWhy() throws Exception {
        var e = assertThrows(UncheckedIOException.class,
                () -> SparkTrainer.start(sc, Runs.tiny("--corpus", "nosuchfs://host/book.txt"), SparkOptions.synchronous(2)));
        assertEquals("cannot read corpus nosuchfs://host/book.txt: No FileSystem for scheme \"nosuchfs\"", e.getMessage());
        // A folder whose entries include a folder: Hadoop's record reader refuses it when a task opens it.
        Path books = Files.createDirectories(dir.resolve("books"));
        Files.writeString(books.resolve("a.txt"), "text\n".repeat(100));
        Files.createDirectories(books.resolve("more"));
        var f = assertThrows(UncheckedIOException.class,
                () -> SparkTrainer.start(sc, Runs.tiny("--corpus", books.toString()), SparkOptions.synchronous(2)));
        assertEquals("cannot read corpus " + books + ": Path: " + books.resolve("more") + " is a directory, which is not supported by "
                + "the record reader when `mapreduce.input.fileinputformat.input.dir.recursive` is false.", f.getMessage());
    }

    @Test
    void anEmptyBlankOrTooShortCorpusIsRefusedAsTrainRefusesIt() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        Path blank = Files.writeString(dir.resolve("blank.txt"), "  \n\t\n\n");
        Path digits = Files.writeString(dir.resolve("digits.txt"), "12 + 7 = 19\n".repeat(10));
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "ab");
        Path ten = Files.writeString(dir.resolve("ten.txt"), "abcdefghi\n");
        assertEquals("corpus " + empty + " is empty", refused(Runs.tiny("--corpus", empty.toString())));
        Map<TrainConfig, String> refusals = new LinkedHashMap<>();
        refusals.put(Runs.tiny("--corpus", blank.toString()), "corpus " + blank + " holds only blank lines");
        refusals.put(Runs.tiny("--corpus", digits.toString(), "--d2l-text"),
                "corpus " + digits + " has no letters, so --d2l-text leaves nothing to train on");
        refusals.put(Runs.tiny("--corpus", tiny.toString()), "a corpus of 3 characters is too short to train on and hold some out");
        refusals.put(Runs.tiny("--corpus", ten.toString(), "--max-tokens", "9"), "a corpus of 10 characters leaves 1 after the first 9 "
                + "(--max-tokens 9), and the held-out text needs at least 2: use --max-tokens 8 or less, or 0 to hold out the last tenth");
        refusals.forEach((config, expected) -> {
            String message = refused(config);
            assertEquals(expected, message);
            var train = assertThrows(IllegalArgumentException.class, () -> Trainer.start(config));
            assertEquals(train.getMessage(), message, "the message train gives");
        });
    }

    /**
     * train refuses binary data and text that is not UTF-8; Spark's tasks decode the lines the same way instead of
     * reading replacement characters, and name the file (of a folder, say) and the byte.
     */
    @Test
    void binaryOrNonUtf8TextIsRefusedNamingTheFileAndTheByte() throws Exception {
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "The Time Machine\nby H. G. Wells, caf\u00e9 au lait\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThrows(IllegalArgumentException.class, () -> Trainer.start(Runs.tiny("--corpus", latin1.toString())), "train refuses it");
        // Line 2 starts after the 17 bytes of line 1; its 20th byte is the é.
        assertEquals("corpus " + latin1 + " is not UTF-8 text: byte 0xE9 at byte 20 of the line at offset 17 of file:" + latin1
                + " does not start a valid UTF-8 character; convert the file to UTF-8 first (a Latin-1 file, for example, with "
                + "iconv -f latin1 -t utf-8)", refused(Runs.tiny("--corpus", latin1.toString())));
        Path books = Files.createDirectories(dir.resolve("books"));
        Files.writeString(books.resolve("a.txt"), "text\n".repeat(100));
        Files.write(books.resolve("b.txt"), "text\ntext\u0000\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("corpus " + books + " is not text: it holds a NUL byte at byte 5 of the line at offset 5 of file:"
                + books.resolve("b.txt"), refused(Runs.tiny("--corpus", books.toString())));
    }

    private String refused(TrainConfig config) {
        return assertThrows(IllegalArgumentException.class, () -> SparkTrainer.start(sc, config, SparkOptions.synchronous(2)))
                .getMessage();
    }

    @Test
    void aCorpusTooSmallForOneGlobalBatchIsRefusedWithTheNumbers() throws Exception {
        Path small = dir.resolve("small.txt");
        Files.writeString(small, "a short text\n".repeat(4));
        var e = assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.start(sc, Runs.tiny("--corpus", small.toString(), "--batch", "7"), SparkOptions.synchronous(2)));
        // 52 characters, of which train holds the last 5 out.
        assertEquals("a corpus of 47 tokens to train on is too small for one global batch of 7 x 7 split over 2 partitions (3 to 4 "
                + "sequences each): it needs at least 57 tokens", e.getMessage());
    }

    @Test
    void aBatchSmallerThanThePartitionsIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.start(sc, Runs.tiny("--batch", "3"), SparkOptions.synchronous(4)));
        assertEquals("a global batch of 3 sequences cannot be split over 4 partitions (each needs at least one sequence): "
                + "raise --batch or lower --partitions", e.getMessage());
    }

    @Test
    void aVocabularyMismatchOnResumeIsRefusedByName() throws Exception {
        Path book = dir.resolve("book.txt");
        Files.writeString(book, "aab\n".repeat(200)); // vocabulary <unk>, a, \n, b (ties in character order)
        Path ck = dir.resolve("ck");
        try (SparkTrainer t = SparkTrainer.start(sc, Runs.tiny("--corpus", book.toString()), SparkOptions.synchronous(2))
                .checkpointTo(ck)) {
            t.run(new Trainer.Listener() {
                @Override
                public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
                    t.requestStop();
                }
            });
        }
        Files.writeString(book, "abb\n".repeat(200)); // <unk>, b, \n, a
        Checkpoint cp = Checkpoint.read(ck);
        var e = assertThrows(IllegalArgumentException.class, () -> SparkTrainer.resume(sc, cp, 2, SparkOptions.synchronous(2)));
        assertEquals("resume: the corpus's vocabulary differs from the checkpoint's: token 1 is 'b' in the corpus but 'a' in "
                + "the checkpoint", e.getMessage());
        Files.writeString(book, "aabc\n".repeat(150));
        var f = assertThrows(IllegalArgumentException.class, () -> SparkTrainer.resume(sc, cp, 2, SparkOptions.synchronous(2)));
        assertEquals("resume: the corpus's vocabulary differs from the checkpoint's: it has 5 tokens and the checkpoint 4; "
                + "token 4 'c' is only in the corpus", f.getMessage());
    }
}
