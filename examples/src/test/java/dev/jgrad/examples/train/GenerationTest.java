package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GenerationTest {
    private static final Vocabulary VOCAB = Vocabulary.of("0123456789+=\n");

    private static CharModel model(long seed) {
        return CharModel.create(CellKind.GRU, VOCAB.size(), 16, 2, DType.F64, Rng.seeded(seed));
    }

    @Test
    void greedyGenerationIsTheArgmaxOfTheFullSequenceRerun() {
        CharModel m = model(3);
        String text = TextGenerator.generate(m, VOCAB, "12+", 8, 0, null);
        assertTrue(text.startsWith("12+"));
        // Re-running the whole text so far from zero state must pick the same next character each time.
        for (int i = 3; i < text.length(); i++) {
            int[] seq = VOCAB.encode(text.substring(0, i));
            Variable logits = m.forward(new int[][] {seq}, null).logits();
            int v = VOCAB.size();
            int best = 0;
            for (int k = 1; k < v; k++) {
                if (logits.value().get(0, i - 1, k) > logits.value().get(0, i - 1, best)) {
                    best = k;
                }
            }
            assertEquals(VOCAB.decode(best), String.valueOf(text.charAt(i)), "character " + i + " of " + text);
        }
    }

    @Test
    void batchedContinuationEqualsOneByOne() {
        CharModel m = model(4);
        int[][] prompts = {VOCAB.encode("\n1+2="), VOCAB.encode("\n7+7="), VOCAB.encode("\n3+9=")};
        int[][] together = TextGenerator.continueBatch(m, prompts, 6, 0, null);
        for (int i = 0; i < prompts.length; i++) {
            assertArrayEquals(TextGenerator.continueBatch(m, new int[][] {prompts[i]}, 6, 0, null)[0], together[i], "prompt " + i);
        }
    }

    @Test
    void temperatureSamplingIsSeededAndDiffersFromGreedy() {
        CharModel m = model(5);
        String a = TextGenerator.generate(m, VOCAB, "1", 40, 1.5, Rng.seeded(9));
        assertEquals(a, TextGenerator.generate(m, VOCAB, "1", 40, 1.5, Rng.seeded(9)));
        assertNotEquals(a, TextGenerator.generate(m, VOCAB, "1", 40, 1.5, Rng.seeded(10)));
        assertThrows(IllegalArgumentException.class, () -> TextGenerator.generate(m, VOCAB, "", 4, 0, null));
        assertThrows(IllegalArgumentException.class, () -> TextGenerator.generate(m, VOCAB, "1", 4, -1, null));
    }

    @Test
    void qualityProbesAreHeldOutPairs() {
        String corpus = Corpora.arithmetic(Rng.seeded(1), 300, 49);
        Set<String> seen = new HashSet<>();
        for (String line : corpus.split("\n")) {
            seen.add(line.substring(0, line.indexOf('=')));
        }
        ArithmeticQuality q = new ArithmeticQuality(corpus, 49, 100, Rng.seeded(2));
        assertEquals(100, q.size());
        ArithmeticQuality.Score s = q.evaluate(model(6), Vocabulary.of(corpus));
        assertTrue(s.accuracy() >= 0 && s.accuracy() <= s.wellFormed() && s.wellFormed() <= 1, s.toString());
        for (String ex : s.examples()) {
            assertTrue(!seen.contains(ex.substring(0, ex.indexOf('='))), "probe " + ex + " occurs in the corpus");
        }
    }
}
