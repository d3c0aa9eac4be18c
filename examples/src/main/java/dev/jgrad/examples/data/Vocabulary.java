package dev.jgrad.examples.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A character vocabulary as d2l's {@code Vocab} builds it: index 0 is the unknown token
 * {@value #UNKNOWN}, then the corpus's characters by decreasing frequency (ties in character order).
 * Characters outside the vocabulary encode to index 0.
 *
 * @param tokens the token at each index; {@code tokens.get(0)} is {@value #UNKNOWN}, the rest are single characters
 */
public record Vocabulary(List<String> tokens) {
    /** The unknown token, always at index 0. */
    public static final String UNKNOWN = "<unk>";

    public Vocabulary {
        tokens = List.copyOf(tokens);
        if (tokens.isEmpty() || !tokens.get(0).equals(UNKNOWN)) {
            throw new IllegalArgumentException("Vocabulary: the first token must be " + UNKNOWN + ", got " + tokens);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.length() != 1) {
                throw new IllegalArgumentException("Vocabulary: token " + i + " '" + t + "' is not one character");
            }
            if (!seen.add(t)) {
                throw new IllegalArgumentException("Vocabulary: token '" + t + "' appears twice");
            }
        }
    }

    /** The vocabulary of {@code text}: {@value #UNKNOWN}, then its characters by decreasing count. */
    public static Vocabulary of(String text) {
        return of(text, List.of());
    }

    /**
     * The vocabulary of {@code text} that also holds every character of {@code alwaysInclude} (after
     * the corpus's own characters, in the given order), so e.g. d2l's 28-token vocabulary has all 26
     * letters even when a short corpus lacks some.
     */
    public static Vocabulary of(String text, Collection<Character> alwaysInclude) {
        Map<Character, Long> counts = new HashMap<>();
        for (int i = 0; i < text.length(); i++) {
            counts.merge(text.charAt(i), 1L, Long::sum);
        }
        return ofCounts(counts, alwaysInclude);
    }

    /**
     * The vocabulary of a text whose characters occur {@code counts} times (characters with no
     * positive count are not in the text), as {@link #of(String, Collection)} orders them; for a
     * corpus counted in pieces, whose counts are summed before this is called.
     */
    public static Vocabulary ofCounts(Map<Character, Long> counts, Collection<Character> alwaysInclude) {
        List<Character> chars = new ArrayList<>();
        counts.forEach((c, n) -> {
            if (n > 0) {
                chars.add(c);
            }
        });
        chars.sort((a, b) -> {
            int c = Long.compare(counts.get(b), counts.get(a));
            return c != 0 ? c : Character.compare(a, b);
        });
        List<String> tokens = new ArrayList<>();
        tokens.add(UNKNOWN);
        chars.forEach(c -> tokens.add(String.valueOf(c)));
        for (Character c : alwaysInclude) {
            if (!chars.contains(c) && !tokens.contains(String.valueOf(c))) {
                tokens.add(String.valueOf(c));
            }
        }
        return new Vocabulary(tokens);
    }

    public int size() {
        return tokens.size();
    }

    /** Whether {@code c} has its own index. */
    public boolean contains(char c) {
        return lookup().containsKey(c);
    }

    /** The indices of every character of {@code text}. */
    public int[] encode(CharSequence text) {
        Map<Character, Integer> map = lookup();
        int[] out = new int[text.length()];
        for (int i = 0; i < out.length; i++) {
            Integer k = map.get(text.charAt(i));
            out[i] = k == null ? 0 : k;
        }
        return out;
    }

    /** The text of these indices ({@value #UNKNOWN} spelled out). */
    public String decode(int... indices) {
        StringBuilder sb = new StringBuilder();
        for (int i : indices) {
            if (i < 0 || i >= tokens.size()) {
                throw new IllegalArgumentException("Vocabulary.decode: index " + i + " is outside [0, " + tokens.size() + ")");
            }
            sb.append(tokens.get(i));
        }
        return sb.toString();
    }

    // Built on demand (records hold no derived fields); vocabularies are small.
    private Map<Character, Integer> lookup() {
        Map<Character, Integer> m = new LinkedHashMap<>();
        for (int i = 1; i < tokens.size(); i++) {
            m.put(tokens.get(i).charAt(0), i);
        }
        return m;
    }
}
