package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
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
}
