package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code bench --matmul} and the roofline time a product; never its speed. */
class MatmulBenchTest {

    /** Each timed product writes into storage its workspace lends again, as a training step's products do. */
    @Test
    void timedProductsWriteIntoReusedStorageAndCloseTheirScope() {
        Tensor[] ab = MatmulBench.operands(Rng.seeded(3), DType.F64, 48, 40, 64, true, false);   // a shape no other test times
        long idleBefore = MatmulBench.OUTPUTS.idleBytes();
        double seconds = MatmulBench.secondsPerCall(ab[0], ab[1], true, false, 1_000_000, 5);
        assertTrue(seconds > 0 && Double.isFinite(seconds), "seconds per call " + seconds);
        long idleAfter = MatmulBench.OUTPUTS.idleBytes();
        assertEquals(48 * 64 * 8, idleAfter - idleBefore, "one [48, 64] float64 output, lent and taken back after each call");
        MatmulBench.secondsPerCall(ab[0], ab[1], true, false, 1_000_000, 5);
        assertEquals(idleAfter, MatmulBench.OUTPUTS.idleBytes(), "the next calls reuse it");
        try (Workspace.Scope scope = MatmulBench.OUTPUTS.open()) {   // throws if the timing left its scope open
            assertEquals(0, scope.lentBytes());
        }
    }

    /**
     * The sides alternate which goes first, and the ratio is the median of the rounds' ratios, not a
     * ratio of medians: here the rounds' ratios are 1.0, 0.5, 2.0, so the figure is 1.0, where the
     * medians would give 150 / 100 = 1.5.
     */
    @Test
    void pairedRoundsAlternateTheirOrderAndTakeTheMedianRatio() {
        List<String> order = new ArrayList<>();
        double[] ours = {100, 150, 200};
        double[] theirs = {100, 300, 100};
        int[] at = {0, 0};
        MatmulBench.Rounds r = MatmulBench.alternate(3, () -> {
            order.add("ours");
            return ours[at[0]++];
        }, () -> {
            order.add("theirs");
            return theirs[at[1]++];
        });
        assertEquals(List.of("ours", "theirs", "theirs", "ours", "ours", "theirs"), order);
        assertArrayEquals(ours, r.ours());
        assertArrayEquals(theirs, r.theirs());
        assertEquals(1.0, r.ratio());
    }

    /** With three sides, each round starts one side further on, so that each goes first once in three rounds. */
    @Test
    void threeSidesTakeTurnsToGoFirst() {
        List<String> order = new ArrayList<>();
        double[][] rates = MatmulBench.alternate(3, List.of(
                () -> { order.add("a"); return 1; },
                () -> { order.add("b"); return 2; },
                () -> { order.add("c"); return 3; }));
        assertEquals(List.of("a", "b", "c", "b", "c", "a", "c", "a", "b"), order);
        assertArrayEquals(new double[] {1, 1, 1}, rates[0]);
        assertArrayEquals(new double[] {2, 2, 2}, rates[1]);
        assertArrayEquals(new double[] {3, 3, 3}, rates[2]);
    }

    /** The peer is asked for its warm-up, then one window a round, each naming the case, dtype and threads. */
    @Test
    void aPairedFigureAsksThePeerForItsWarmUpAndOneWindowARound() {
        MatmulBench.Case c = new MatmulBench.Case("small", 6, 5, 4, false, true);
        List<String> asked = new ArrayList<>();
        MatmulBench.Paired p = MatmulBench.runPaired(c, DType.F32, 1, new TrainingBench.Budget(0.001, 0.004, 2), 5,
                (cc, dt, threads, warmup, seconds) -> {
                    asked.add(cc.name() + " " + dt + " " + threads + " " + warmup + " " + seconds);
                    return 2.0;
                });
        assertEquals(List.of("small F32 1 0.001 0.002", "small F32 1 0.0 0.002", "small F32 1 0.0 0.002"), asked);
        assertEquals(2.0, p.theirs());
        assertTrue(p.ours().gflops() > 0 && Double.isFinite(p.ours().gflops()), p.toString());
        assertEquals(p.ours().gflops() / 2.0, p.ratio(), 1e-9 * p.ratio(), "two rounds: the mean of their ratios, as of our rates");
        assertEquals("f32", p.ours().dtype());
    }
}
