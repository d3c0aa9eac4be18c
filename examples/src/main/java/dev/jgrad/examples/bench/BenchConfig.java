package dev.jgrad.examples.bench;

import java.util.List;

/**
 * One benchmark workload: a character-level language model over {@code vocab} symbols with
 * {@code hidden} units, trained on minibatches of {@code batch} sequences of {@code steps} tokens.
 * One training step processes {@code batch · steps} tokens.
 */
public record BenchConfig(String name, int vocab, int hidden, int batch, int steps) {
    /** The named configurations, smallest first. */
    public static final List<BenchConfig> NAMED = List.of(
            new BenchConfig("tiny", 4, 2, 2, 3),
            new BenchConfig("d2l", 28, 256, 32, 35),
            new BenchConfig("large", 96, 512, 64, 64));

    public BenchConfig {
        if (vocab < 1 || hidden < 1 || batch < 1 || steps < 1) {
            throw new IllegalArgumentException("bench config " + name + ": vocab, hidden, batch and steps must be positive, got "
                    + vocab + ", " + hidden + ", " + batch + ", " + steps);
        }
    }

    /** Tokens processed by one training step. */
    public long tokensPerStep() {
        return (long) batch * steps;
    }

    /** The configuration called {@code name}, or an error listing the known names. */
    public static BenchConfig named(String name) {
        return NAMED.stream().filter(c -> c.name.equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown config '" + name + "'; known: " + NAMED.stream().map(BenchConfig::name).toList()));
    }
}
