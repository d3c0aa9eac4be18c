package dev.jgrad.examples.data;

import dev.jgrad.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The corpora the trainer reads: d2l's preprocessing of a text file, and the project's own
 * generated arithmetic lines (the default corpus, so the project ships no text it did not write).
 */
public final class Corpora {
    private static final Pattern NON_LETTERS = Pattern.compile("[^A-Za-z]+");

    /** The 26 lowercase letters and the space: with {@value Vocabulary#UNKNOWN}, d2l's 28-token vocabulary. */
    public static final List<Character> D2L_ALPHABET;

    static {
        List<Character> a = new ArrayList<>();
        a.add(' ');
        for (char c = 'a'; c <= 'z'; c++) {
            a.add(c);
        }
        D2L_ALPHABET = List.copyOf(a);
    }

    private Corpora() {
    }

    /**
     * d2l's {@code preprocess}: each line has every run of non-letters replaced by one space, is
     * stripped and lowercased; the lines are then concatenated with nothing between them, as d2l's
     * {@code load_corpus_time_machine} flattens its token lists.
     */
    public static String d2lText(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(NON_LETTERS.matcher(line).replaceAll(" ").strip().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    /**
     * {@code lines} lines {@code a+b=c\n} with {@code a, b} uniform in {@code [0, maxOperand]} drawn
     * from {@code rng}, and {@code c = a + b}.
     */
    public static String arithmetic(Rng rng, int lines, int maxOperand) {
        if (lines <= 0 || maxOperand < 1) {
            throw new IllegalArgumentException("arithmetic corpus: need lines > 0 and maxOperand >= 1, got " + lines
                    + " lines, maxOperand " + maxOperand);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            int a = rng.nextInt(maxOperand + 1);
            int b = rng.nextInt(maxOperand + 1);
            sb.append(a).append('+').append(b).append('=').append(a + b).append('\n');
        }
        return sb.toString();
    }

    /** The first {@code maxTokens} characters of {@code text} (all of it when shorter or when maxTokens ≤ 0). */
    public static String truncate(String text, int maxTokens) {
        return maxTokens > 0 && text.length() > maxTokens ? text.substring(0, maxTokens) : text;
    }
}
