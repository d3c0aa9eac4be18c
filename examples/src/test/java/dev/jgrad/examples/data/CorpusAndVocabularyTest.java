package dev.jgrad.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.Rng;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class CorpusAndVocabularyTest {
    @Test
    void d2lPreprocessingLowercasesCollapsesNonLettersAndConcatenatesLines() {
        String text = Corpora.d2lText(List.of("The Time Machine, by H. G. Wells [1898]", "", "  I--said: 42 \"Yes!\"  "));
        assertEquals("the time machine by h g wells" + "i said yes", text);
    }

    @Property
    void d2lTextHoldsOnlyLowercaseLettersAndSingleSpaces(@ForAll List<String> lines) {
        String text = Corpora.d2lText(lines);
        assertTrue(text.chars().allMatch(c -> c == ' ' || (c >= 'a' && c <= 'z')), text);
        assertTrue(!text.contains("  "), "no run of two spaces: " + text);
        Vocabulary v = Vocabulary.of(text, Corpora.D2L_ALPHABET);
        assertEquals(28, v.size(), "d2l's vocabulary: <unk>, space, 26 letters");
        assertEquals(text, v.decode(v.encode(text)));
    }

    @Test
    void vocabularyIsUnknownThenByDecreasingFrequency() {
        Vocabulary v = Vocabulary.of("abbccc");
        assertEquals(List.of("<unk>", "c", "b", "a"), v.tokens());
        assertArrayEquals(new int[] {3, 2, 1, 0}, v.encode("abcz"), "z is unknown");
        assertEquals("<unk>", v.decode(0));
        assertThrows(IllegalArgumentException.class, () -> v.decode(4));
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary(List.of("a", "<unk>")));
        assertThrows(IllegalArgumentException.class, () -> new Vocabulary(List.of("<unk>", "a", "a")));
    }

    @Property
    void countsSummedOverPiecesGiveTheVocabularyOfTheWholeText(@ForAll List<String> pieces, @ForAll boolean d2lAlphabet) {
        String text = String.join("", pieces);
        java.util.Map<Character, Long> counts = new java.util.HashMap<>();
        for (String piece : pieces) {
            for (char c : piece.toCharArray()) {
                counts.merge(c, 1L, Long::sum);
            }
        }
        counts.putIfAbsent('\u0000', 0L); // a character counted in no piece stays out
        List<Character> always = d2lAlphabet ? Corpora.D2L_ALPHABET : List.of();
        assertEquals(Vocabulary.of(text, always), Vocabulary.ofCounts(counts, always));
    }

    @Test
    void arithmeticLinesAreCorrectSumsAndTheSeedFixesThem() {
        String text = Corpora.arithmetic(Rng.seeded(3), 200, 99);
        assertEquals(text, Corpora.arithmetic(Rng.seeded(3), 200, 99));
        String[] lines = text.split("\n");
        assertEquals(200, lines.length);
        for (String line : lines) {
            String[] ab = line.split("=")[0].split("\\+");
            int a = Integer.parseInt(ab[0]);
            int b = Integer.parseInt(ab[1]);
            assertTrue(a >= 0 && a <= 99 && b >= 0 && b <= 99, line);
            assertEquals(a + b, Integer.parseInt(line.split("=")[1]), line);
        }
        assertEquals("abc", Corpora.truncate("abcdef", 3));
        assertEquals("abcdef", Corpora.truncate("abcdef", 0));
    }
}
