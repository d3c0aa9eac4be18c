package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Assertions;

/** Small configurations that train in well under a second, for the train package's tests. */
final class TinyRuns {
    private TinyRuns() {
    }

    static TrainConfig config(CellKind cell, Partitioning sampling, OptimizerKind optimizer, DType dtype, int epochs) {
        return config(cell, sampling, optimizer, dtype, epochs, 0);
    }

    static TrainConfig config(CellKind cell, Partitioning sampling, OptimizerKind optimizer, DType dtype, int epochs, int embedding) {
        return new TrainConfig(null, false, 0, 60, 9, cell, embedding, 8, 1, 4, 6, optimizer == OptimizerKind.ADAM ? 0.01 : 1.0, 1.0,
                epochs, optimizer, dtype, 5, sampling, null, 0, 10, false, WeightInit.PYTORCH);
    }

    static TrainConfig config(int epochs) {
        return config(CellKind.GRU, Partitioning.SEQUENTIAL, OptimizerKind.ADAM, DType.F32, epochs);
    }

    /** Asserts two state dicts hold the same names and bit-identical values. */
    static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        Assertions.assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, e) -> {
            Tensor a = actual.get(k);
            Assertions.assertEquals(e.dtype(), a.dtype(), k);
            Assertions.assertEquals(e.shape(), a.shape(), k);
            long[] eb = Arrays.stream(e.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            long[] ab = Arrays.stream(a.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            Assertions.assertArrayEquals(eb, ab, "parameter " + k + " differs");
        });
    }
}
