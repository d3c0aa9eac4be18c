package dev.jgrad.examples.train;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Text generation as d2l's {@code predict_ch8}: the prefix is read to warm the state up, then each
 * next character is the argmax of the logits (temperature 0) or drawn from
 * {@code softmax(logits / temperature)}, and fed back in.
 */
public final class TextGenerator {
    private TextGenerator() {
    }

    /**
     * {@code prefix} followed by {@code length} generated characters.
     *
     * @param rng used only when {@code temperature > 0}
     * @throws IllegalArgumentException when the prefix is empty or the temperature negative
     */
    public static String generate(CharModel model, Vocabulary vocab, String prefix, int length, double temperature, Rng rng) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("generate: the prefix must not be empty (the model needs a first character)");
        }
        int[][] out = continueBatch(model, new int[][] {vocab.encode(prefix)}, length, temperature, rng);
        return prefix + vocab.decode(out[0]);
    }

    /**
     * What a user should be told about the characters of {@code text} that the vocabulary lacks, all
     * of them, e.g. {@code 'Q', 'x' are not in the vocabulary; they are read as <unk>}; null when
     * there are none.
     */
    static String unknownCharacters(Vocabulary vocab, String text) {
        Set<Character> missing = new LinkedHashSet<>();
        for (char ch : text.toCharArray()) {
            if (!vocab.contains(ch)) {
                missing.add(ch);
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        String list = missing.stream().map(ch -> "'" + printable(ch) + "'").collect(Collectors.joining(", "));
        return list + (missing.size() == 1 ? " is not in the vocabulary; it is read as " : " are not in the vocabulary; they are read as ")
                + Vocabulary.UNKNOWN;
    }

    private static String printable(char ch) {
        return switch (ch) {
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            default -> String.valueOf(ch);
        };
    }

    /**
     * Continues each row of {@code prompts [B][P]} (all of one length) by {@code length} tokens;
     * returns the generated tokens {@code [B][length]}.
     */
    public static int[][] continueBatch(CharModel model, int[][] prompts, int length, double temperature, Rng rng) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("generate: temperature must be finite and ≥ 0 (0 is greedy), got " + temperature);
        }
        int b = prompts.length;
        int[][] out = new int[b][length];
        if (length == 0) {
            return out;
        }
        try (Tape.Scope ignored = Tape.noGrad()) {
            CharModel.Output o = model.forward(prompts, null);
            List<State> state = o.finalStates();
            Tensor logits = o.logits().value();
            int last = prompts[0].length - 1;
            int v = model.vocabSize();
            int[] next = new int[b];
            for (int i = 0; i < b; i++) {
                next[i] = pick(logits, (i * prompts[0].length + last) * v, v, temperature, rng);
            }
            for (int t = 0; t < length; t++) {
                int[][] in = new int[b][1];
                for (int i = 0; i < b; i++) {
                    out[i][t] = next[i];
                    in[i][0] = next[i];
                }
                if (t == length - 1) {
                    break;
                }
                o = model.forward(in, state);
                state = o.finalStates();
                logits = o.logits().value();
                for (int i = 0; i < b; i++) {
                    next[i] = pick(logits, i * v, v, temperature, rng);
                }
            }
        }
        return out;
    }

    /** Index of the chosen token among {@code v} logits starting at flat index {@code from}. */
    private static int pick(Tensor logits, int from, int v, double temperature, Rng rng) {
        int best = 0;
        for (int k = 1; k < v; k++) {
            if (logits.at(from + k) > logits.at(from + best)) {
                best = k;
            }
        }
        if (temperature == 0) {
            return best;
        }
        // Softmax of logits / T with the max trick, then inverse-CDF sampling.
        double max = logits.at(from + best);
        double[] p = new double[v];
        double total = 0;
        for (int k = 0; k < v; k++) {
            p[k] = Math.exp((logits.at(from + k) - max) / temperature);
            total += p[k];
        }
        double u = rng.nextDouble() * total;
        for (int k = 0; k < v; k++) {
            u -= p[k];
            if (u < 0) {
                return k;
            }
        }
        return best;
    }
}
