package dev.jgrad.examples.train;

import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.tensor.Rng;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The default corpus's quality measure beyond perplexity: held-out prompts {@code \na+b=} (pairs
 * that do not occur in the corpus when possible, so memorisation does not count) are completed
 * greedily, and a completion is correct when it is exactly {@code a+b} followed by a newline.
 */
public final class ArithmeticQuality {
    /** The figures of one evaluation: shares in [0, 1]. */
    public record Score(double accuracy, double wellFormed, List<String> examples) {
    }

    private final List<int[]> pairs;
    private final int answerLength;

    /**
     * {@code probes} prompts with operands in {@code [0, maxOperand]}, drawn from {@code rng}, avoiding
     * the pairs that occur in {@code corpus} as long as unseen pairs remain.
     */
    public ArithmeticQuality(String corpus, int maxOperand, int probes, Rng rng) {
        Set<String> seen = new HashSet<>();
        for (String line : corpus.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                seen.add(line.substring(0, eq));
            }
        }
        long possible = (long) (maxOperand + 1) * (maxOperand + 1);
        boolean avoidSeen = possible - seen.size() >= probes;
        this.pairs = new ArrayList<>();
        Set<String> chosen = new HashSet<>();
        while (pairs.size() < probes) {
            int a = rng.nextInt(maxOperand + 1);
            int b = rng.nextInt(maxOperand + 1);
            String key = a + "+" + b;
            if ((avoidSeen && seen.contains(key)) || (possible >= probes && !chosen.add(key))) {
                continue;
            }
            pairs.add(new int[] {a, b});
        }
        this.answerLength = String.valueOf(2 * maxOperand).length() + 1;
    }

    /** Number of prompts. */
    public int size() {
        return pairs.size();
    }

    /** Completes every prompt greedily (batched by prompt length) and scores the answers. */
    public Score evaluate(CharModel model, Vocabulary vocab) {
        Map<Integer, List<int[]>> byLength = new LinkedHashMap<>();
        for (int[] p : pairs) {
            byLength.computeIfAbsent(prompt(p).length(), k -> new ArrayList<>()).add(p);
        }
        int correct = 0;
        int wellFormed = 0;
        List<String> examples = new ArrayList<>();
        for (List<int[]> group : byLength.values()) {
            int[][] prompts = new int[group.size()][];
            for (int i = 0; i < prompts.length; i++) {
                prompts[i] = vocab.encode(prompt(group.get(i)));
            }
            int[][] answers = TextGenerator.continueBatch(model, prompts, answerLength, 0, null);
            for (int i = 0; i < prompts.length; i++) {
                String text = vocab.decode(answers[i]);
                int nl = text.indexOf('\n');
                String answer = nl < 0 ? text : text.substring(0, nl);
                boolean formed = nl > 0 && answer.chars().allMatch(Character::isDigit);
                int[] p = group.get(i);
                if (formed) {
                    wellFormed++;
                    if (answer.equals(String.valueOf(p[0] + p[1]))) {
                        correct++;
                    }
                }
                if (examples.size() < 6) {
                    examples.add(p[0] + "+" + p[1] + "=" + answer.replace("<unk>", "?"));
                }
            }
        }
        return new Score((double) correct / pairs.size(), (double) wellFormed / pairs.size(), examples);
    }

    private static String prompt(int[] p) {
        return "\n" + p[0] + "+" + p[1] + "=";
    }
}
