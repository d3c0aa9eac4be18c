package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * When the bench's warm-up ends: a settled step rate and nearly idle JIT compilers, both, in two windows in a row; and the roofline's
 * products and steps timed in turn.
 */
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

    @Test
    void aQuietWindowInALullBetweenCompilationsDoesNotEndTheWarmUp() {
        // A tiny step's quarter-second windows from 1 s after its first step on (warm-up-course.txt): tokens/s and the
        // compilers' milliseconds. The third window agrees with the second with the compilers idle, at a third of the
        // rate the step reaches once they are done.
        double[] rates = {61_199, 62_803, 62_170, 69_161, 91_675, 108_999, 67_216, 115_628, 130_171, 143_325, 143_844,
            155_516, 162_954, 167_313, 167_428, 180_671, 173_175, 172_522};
        long[] compiled = {278, 296, 2, 548, 258, 187, 2, 2, 820, 172, 195, 207, 452, 45, 21, 16, 4, 8};
        TrainingBench.Settling settling = new TrainingBench.Settling();
        for (int w = 0; w < rates.length - 1; w++) {
            assertFalse(settling.after(rates[w], compiled[w], SECOND / 4), "window " + w);
        }
        assertTrue(settling.after(rates[rates.length - 1], compiled[rates.length - 1], SECOND / 4), "the second quiet window in a row");
        assertTrue(TrainingBench.settled(rates[2], rates[1], compiled[2], SECOND / 4), "a single window's test would have ended it at 62,170");
    }

    @Test
    void aMovingRateBetweenQuietWindowsStartsTheCountAgain() {
        TrainingBench.Settling settling = new TrainingBench.Settling();
        assertFalse(settling.after(10.0, 0, SECOND));
        assertFalse(settling.after(10.0, 0, SECOND));
        assertFalse(settling.after(13.0, 0, SECOND));
        assertFalse(settling.after(13.0, 0, SECOND));
        assertTrue(settling.after(13.5, 0, SECOND));
    }

    @Test
    void eachRooflineRoundIsTheProductsOverTheStepsBeforeAndAfterThem() {
        // Steps of 1, 3, 5 and 7 s around products of 1, 2 and 3 s: rounds of 1/2, 2/4 and 3/6, all one half.
        double[] steps = {1, 3, 5, 7};
        double[] products = {1, 2, 3};
        int[] next = {0, 0};
        double roofline = TrainingBench.pairedRoofline(() -> products[next[0]++], () -> steps[next[1]++], 3);
        assertEquals(0.5, roofline, 0);
        assertEquals(3, next[0], "three rounds of products");
        assertEquals(4, next[1], "a window of steps before the first and after each");
    }

    @Test
    void aMachineSlowingDownSteadilyLeavesTheRooflineWhereItWas() {
        // Everything takes longer by one unit each time something is timed; the products take 0.8 of a step's time
        // at any moment. Timed once after the steps, at 8 units against the steps' median of 3, they would give 2.1.
        double[] clock = {0};
        DoubleSupplier step = () -> ++clock[0];
        DoubleSupplier products = () -> 0.8 * ++clock[0];
        assertEquals(0.8, TrainingBench.pairedRoofline(products, step, 3), 1e-12);
        assertEquals(7, clock[0], 0);
    }

    @Test
    void theMedianRoundIsTheFigure() {
        double[] steps = {1, 1, 1, 1};
        double[] products = {0.9, 0.2, 0.7};
        int[] next = {0, 0};
        assertEquals(0.7, TrainingBench.pairedRoofline(() -> products[next[0]++], () -> steps[next[1]++], 3), 0);
    }
}
