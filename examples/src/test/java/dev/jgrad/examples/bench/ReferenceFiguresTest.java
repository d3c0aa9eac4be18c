package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a reference's figures may be compared with ours: its products against the yardstick's, shape by shape. */
class ReferenceFiguresTest {
    /** PyTorch's d2l-shape float32 product at 60 GFLOP/s, and its float64 one at 30. */
    private static ReferenceFigures reference(Path dir) throws Exception {
        Path file = dir.resolve("torch.jsonl");
        Files.writeString(file, """
                {"kind": "matmul", "impl": "torch", "m": 32, "k": 256, "n": 768, "trans_a": false, "trans_b": true, "dtype": "f32", "threads": 1, "gflops": 60.0}
                {"kind": "matmul", "impl": "torch", "m": 32, "k": 256, "n": 768, "trans_a": false, "trans_b": true, "dtype": "f64", "threads": 1, "gflops": 30.0}
                """);
        return ReferenceFigures.read(file);
    }

    @Test
    void aPeerAtHalfTheYardsticksRateOrMoreMayBeCompared(@TempDir Path dir) throws Exception {
        ReferenceFigures ref = reference(dir);
        assertNull(ReferenceFigures.peerProblem("f32", 1, ref.matmulRates("f32", 1), "OpenBLAS's", c -> 120.0));
        assertNull(ReferenceFigures.peerProblem("f32", 1, ref.matmulRates("f32", 1), "OpenBLAS's", c -> 100.0));
    }

    @Test
    void aPeerUnderHalfTheYardsticksRateIsRefusedNamingShapeAndYardstick(@TempDir Path dir) throws Exception {
        ReferenceFigures ref = reference(dir);
        assertEquals("no ratio for f32, 1 thread: the reference's matmul ran at 60.0 GFLOP/s at d2l h·Wᵀ 32x256·(768x256)ᵀ, "
                + "under half of OpenBLAS's 121.0 here, so its BLAS was not at full speed",
                ReferenceFigures.peerProblem("f32", 1, ref.matmulRates("f32", 1), "OpenBLAS's", c -> 121.0));
        // each dtype against its own figures: float64's 30 is half of 60
        assertNull(ReferenceFigures.peerProblem("f64", 1, ref.matmulRates("f64", 1), "OpenBLAS's", c -> 60.0));
        assertEquals("no ratio for f64, 2 threads: the reference has no matmul figure at the shapes bench --matmul measures, "
                + "so whether its BLAS ran at full speed is unknown", ReferenceFigures.peerProblem("f64", 2, ref.matmulRates("f64", 2), "OpenBLAS's", c -> 1.0));
    }
}
