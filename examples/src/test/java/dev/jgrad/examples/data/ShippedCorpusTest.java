package dev.jgrad.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** data/timemachine.txt is d2l's file, and reads as the README says. */
class ShippedCorpusTest {
    static final Path TIME_MACHINE = Path.of("..", "data", "timemachine.txt");

    @Test
    void itIsD2lsFileByteForByte() throws Exception {
        byte[] bytes = Files.readAllBytes(TIME_MACHINE);
        assertEquals("090b5e7e70c295757f55df93cb0a180b9691891a", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes)),
                "the SHA-1 in d2l's DATA_HUB");
    }

    @Test
    void d2lPreprocessingGivesTheBooksCorpus() {
        String text = Corpora.d2lText(Corpora.readLines(TIME_MACHINE));
        assertEquals(170_580, text.length());
        assertEquals(28, Vocabulary.of(text, Corpora.D2L_ALPHABET).size());
        assertEquals("the time machine by h g wellsi", text.substring(0, 30), "lines joined with nothing between them, as d2l does");
        Corpora.Split d2l = Corpora.split(text, 10_000);
        assertEquals(text.substring(0, 10_000), d2l.train());
        assertEquals(text.substring(10_000, 11_000), d2l.heldOut());
    }
}
