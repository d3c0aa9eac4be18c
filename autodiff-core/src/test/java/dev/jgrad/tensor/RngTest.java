package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Rng}: the same seed gives the same numbers in every version and on every JVM, so a seeded
 * experiment can be repeated; each draw has the distribution its Javadoc states.
 */
class RngTest {

    /** SplitMix64 is the JDK's {@link SplittableRandom} seeded the same way: an independent reference for every value. */
    @Test
    void nextLongIsSplitMix64AsTheJdkComputesIt() {
        for (long seed : new long[] {0, 1, 42, -7, Long.MIN_VALUE}) {
            Rng rng = Rng.seeded(seed);
            SplittableRandom reference = new SplittableRandom(seed);
            for (int i = 0; i < 1000; i++) {
                assertEquals(reference.nextLong(), rng.nextLong(), "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void aGeneratorFromAStateContinuesWhereItsStateStood() {
        Rng rng = Rng.seeded(9);
        rng.nextLong();
        Rng resumed = Rng.fromState(rng.state());
        assertEquals(rng.nextLong(), resumed.nextLong());
    }

    /** {@code split} advances its parent by one draw and seeds the child from that draw, so parent and child differ. */
    @Test
    void splitDerivesAChildFromOneDrawOfItsParent() {
        Rng parent = Rng.seeded(3);
        Rng child = parent.split();
        Rng replay = Rng.seeded(3);
        long draw = replay.nextLong();
        assertEquals(replay.nextLong(), parent.nextLong(), "the parent advanced by one draw");
        assertEquals(Rng.seeded(draw ^ 0x5DEECE66DL).nextLong(), child.nextLong());
    }

    @Test
    void nextDoubleHasFiftyThreeBitsInTheUnitInterval() {
        Rng rng = Rng.seeded(5);
        SplittableRandom reference = new SplittableRandom(5);
        for (int i = 0; i < 1000; i++) {
            double u = rng.nextDouble();
            assertEquals((reference.nextLong() >>> 11) * 0x1.0p-53, u);
            assertTrue(u >= 0 && u < 1, "draw " + i + ": " + u);
        }
    }

    @Test
    void uniformStaysInItsInterval() {
        Rng rng = Rng.seeded(6);
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (int i = 0; i < 10_000; i++) {
            double u = rng.uniform(2, 3);
            assertTrue(u >= 2 && u < 3, "draw " + i + ": " + u);
            min = Math.min(min, u);
            max = Math.max(max, u);
        }
        assertTrue(min < 2.01 && max > 2.99, "10,000 draws spread over [2, 3): " + min + " to " + max);
    }

    /** Every value below the bound comes up, none at or above it; a bound that is not positive is refused by name. */
    @Test
    void nextIntCoversZeroToItsBound() {
        Rng rng = Rng.seeded(8);
        for (int bound : new int[] {1, 2, 7, 28}) {
            int[] counts = new int[bound];
            for (int i = 0; i < 2_000 * bound; i++) {
                counts[rng.nextInt(bound)]++;
            }
            for (int v = 0; v < bound; v++) {
                assertTrue(counts[v] > 1_500, "bound " + bound + ": " + v + " came up " + counts[v] + " times in " + 2_000 * bound);
            }
        }
        for (int bound : new int[] {0, -3}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rng.nextInt(bound));
            assertTrue(e.getMessage().contains("bound must be positive, got " + bound), e.getMessage());
        }
    }

    /** Box–Muller draws of a fixed seed: mean 0 and variance 1 to within four standard errors of 40,000 draws. */
    @Test
    void nextGaussianIsStandardNormal() {
        Rng rng = Rng.seeded(11);
        int n = 40_000;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            assertTrue(Double.isFinite(g), "draw " + i);
            sum += g;
            squares += g * g;
        }
        double mean = sum / n;
        double variance = squares / n - mean * mean;
        assertEquals(0, mean, 4 / Math.sqrt(n), "mean");
        assertEquals(1, variance, 4 * Math.sqrt(2.0 / n), "variance");
    }
}
