package dev.jgrad.tensor;

/**
 * A small, explicit, seeded random generator (SplitMix64). There is no hidden global randomness in
 * the library: everything random takes an {@code Rng}. Its whole state is one {@code long}, so a
 * training checkpoint can save it with {@link #state()} and resume it exactly with
 * {@link #fromState(long)}.
 */
public final class Rng {
    private long state;

    private Rng(long state) {
        this.state = state;
    }

    /**
     * A generator seeded with {@code seed}; the same seed gives the same sequence on every JVM.
     *
     * @param seed the seed
     * @return a new generator
     */
    public static Rng seeded(long seed) {
        return new Rng(seed);
    }

    /**
     * A generator that continues exactly where one with this {@link #state()} stood.
     *
     * @param state a value {@link #state()} returned
     * @return a generator in that state
     */
    public static Rng fromState(long state) {
        return new Rng(state);
    }

    /**
     * The generator's whole state.
     *
     * @return the state, for {@link #fromState}
     */
    public long state() {
        return state;
    }

    /**
     * A new independent generator derived from this one (advances this one by one step).
     *
     * @return the derived generator
     */
    public Rng split() {
        return new Rng(nextLong() ^ 0x5DEECE66DL);
    }

    /**
     * Uniform over all 64-bit values.
     *
     * @return the next value
     */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Uniform in [0, 1) with 53 random bits.
     *
     * @return the next value
     */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Uniform in [lo, hi).
     *
     * @param lo the lower bound, included
     * @param hi the upper bound, excluded
     * @return the next value
     */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /**
     * Uniform integer in [0, bound).
     *
     * @param bound the exclusive upper bound, positive
     * @return the next value
     */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("nextInt: bound must be positive, got " + bound);
        }
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /**
     * Standard normal by Box–Muller (two uniforms per draw, no cached spare, so the state stays one long).
     *
     * @return the next value
     */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
