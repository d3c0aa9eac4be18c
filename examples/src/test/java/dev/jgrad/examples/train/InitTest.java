package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --init d2l}: the book's from-scratch initialisation, for comparable training curves. */
class InitTest {
    private static TrainConfig withInit(WeightInit init) {
        TrainConfig c = TinyRuns.config(CellKind.GRU, Partitioning.SEQUENTIAL, OptimizerKind.SGD, DType.F64, 1);
        return new TrainConfig(c.corpus(), c.d2lText(), c.maxTokens(), c.corpusLines(), c.maxOperand(), c.cell(), c.embedding(),
                64, c.layers(), c.batch(), c.steps(), c.lr(), c.clip(), c.epochs(), c.optimizer(), c.dtype(), c.seed(), c.sampling(),
                c.prefix(), c.sampleEvery(), c.sampleLength(), c.anomaly(), init);
    }

    @Test
    void d2lInitHasZeroBiasesAndWeightsWithStandardDeviationOneHundredth() {
        CharModel m = CharModel.of(withInit(WeightInit.D2L), 28);
        double sum = 0;
        double sq = 0;
        long n = 0;
        for (Map.Entry<String, Parameter> e : m.parameters().entrySet()) {
            Tensor t = e.getValue().value();
            if (t.rank() == 1) {
                for (int i = 0; i < t.size(); i++) {
                    assertEquals(0.0, t.at(i), e.getKey() + " is a bias: d2l starts it at zero");
                }
            } else {
                for (int i = 0; i < t.size(); i++) {
                    sum += t.at(i);
                    sq += t.at(i) * t.at(i);
                    n++;
                }
            }
        }
        double mean = sum / n;
        double std = Math.sqrt(sq / n - mean * mean);
        // n is in the tens of thousands: the sample std of N(0, 0.01²) is within 3% of 0.01 with overwhelming probability
        assertTrue(Math.abs(std - 0.01) < 0.0003, "std " + std);
        assertTrue(Math.abs(mean) < 0.0003, "mean " + mean);
    }

    @Test
    void d2lInitIsDeterministicAndDiffersFromPytorchInit() {
        TinyRuns.assertBitIdentical(CharModel.of(withInit(WeightInit.D2L), 28).stateDict(), CharModel.of(withInit(WeightInit.D2L), 28).stateDict());
        Tensor d2l = CharModel.of(withInit(WeightInit.D2L), 28).stateDict().get("output.bias");
        Tensor torch = CharModel.of(withInit(WeightInit.PYTORCH), 28).stateDict().get("output.bias");
        assertTrue(torch.maxAbsDiff(d2l) > 0, "PyTorch's init draws biases uniformly; d2l's are zero");
    }

    @Test
    void aMissingInitReadsAsPytorchsAsInCheckpointsWrittenBeforeItExisted() {
        assertEquals(WeightInit.PYTORCH, withInit(null).init());
        assertFalse(withInit(null).d2lInit());
    }
}
