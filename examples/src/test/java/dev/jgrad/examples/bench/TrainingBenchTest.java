package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When the bench's warm-up ends: a settled step rate and nearly idle JIT compilers, both. */
class TrainingBenchTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aSteadyRateWithQuietCompilersEndsTheWarmUp() {
        assertTrue(TrainingBench.settled(10.5, 10.0, 0, SECOND));
        assertTrue(TrainingBench.settled(9.1, 10.0, 49, SECOND));   // 9% slower, compilers 4.9% of the window
    }

    @Test
    void aRateStillMovingGoesOn() {
        assertFalse(TrainingBench.settled(11.2, 10.0, 0, SECOND));
        assertFalse(TrainingBench.settled(8.8, 10.0, 0, SECOND));
        assertFalse(TrainingBench.settled(10.0, Double.NaN, 0, SECOND), "the first window has nothing to agree with");
    }

    @Test
    void compilersAtWorkGoOnEvenAtASteadyRate() {
        assertFalse(TrainingBench.settled(10.0, 10.0, 50, SECOND));
        assertFalse(TrainingBench.settled(10.0, 10.0, 390, SECOND / 4 * 5));   // 31% of a 1.25 s window
        assertTrue(TrainingBench.settled(10.0, 10.0, 30, SECOND / 4 * 5));    // 2.4%
    }
}
