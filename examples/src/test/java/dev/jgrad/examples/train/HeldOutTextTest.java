package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HeldOutTextTest {
    private static final int[] TOKENS = tokens(61, 7, Rng.seeded(4));

    private static int[] tokens(int n, int vocab, Rng rng) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rng.nextInt(vocab);
        }
        return t;
    }

    private static CharModel model() {
        return CharModel.create(CellKind.GRU, 7, 5, 1, DType.F64, Rng.seeded(9));
    }

    /** exp(mean cross-entropy) of one forward pass over the whole text as a single sequence. */
    private static double inOnePass(CharModel m, int[] tokens) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            int[][] in = {Arrays.copyOf(tokens, tokens.length - 1)};
            return Math.exp(Losses.crossEntropy(m.forward(in, null).logits(), Arrays.copyOfRange(tokens, 1, tokens.length)).value().item());
        }
    }

    @Test
    void chunksCarryTheStateSoOneRowEqualsOnePassOverTheText() {
        CharModel m = model();
        double whole = inOnePass(m, TOKENS);
        assertEquals(whole, new HeldOutText(TOKENS, 1, 7).perplexity(m), 1e-12 * whole, "60 predictions in chunks of 7");
        assertEquals(whole, new HeldOutText(TOKENS, 1, 60).perplexity(m), 1e-12 * whole, "in one chunk");
    }

    @Test
    void rowsSplitTheTextIntoIndependentStretches() {
        CharModel m = model();
        // 3 rows of 20 predictions each: the mean of the three stretches' losses, each read from a zero state.
        double lossSum = 0;
        for (int r = 0; r < 3; r++) {
            lossSum += Math.log(inOnePass(m, Arrays.copyOfRange(TOKENS, r * 20, r * 20 + 21)));
        }
        double expected = Math.exp(lossSum / 3);
        assertEquals(expected, new HeldOutText(TOKENS, 3, 6).perplexity(m), 1e-12 * expected);
    }

    @Test
    void tooLittleTextIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HeldOutText(new int[] {1}, 2, 3));
    }
}
