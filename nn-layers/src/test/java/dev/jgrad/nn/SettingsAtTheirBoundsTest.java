package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.LSTMCell;
import dev.jgrad.nn.cell.MGUCell;
import dev.jgrad.nn.cell.RNNCell;
import dev.jgrad.nn.cell.TorchGRUCell;
import dev.jgrad.nn.layer.Dropout;
import dev.jgrad.nn.layer.Embedding;
import dev.jgrad.nn.layer.LayerNorm;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.optim.Adam;
import dev.jgrad.nn.optim.Sgd;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every size and setting at the edge of what it accepts: a size of 1 makes a module and a size of 0 is refused naming
 * the value; Adam takes β = 0 and ε = 0 and refuses lr = 0 and β = 1, SGD takes momentum 0 and refuses lr = 0 and
 * momentum 1, as PyTorch's optimizers do. Each cell draws its weights from U(−1/√H, 1/√H), PyTorch's initialisation,
 * and each module reports the settings it was made with.
 */
class SettingsAtTheirBoundsTest {
    private static final Rng RNG = Rng.seeded(3);

    @Test
    void aSizeOfOneMakesAModuleAndASizeOfZeroIsRefusedByItsValue() {
        Map<String, IntFunction<Module>> byFirstSize = Map.of(
                "Linear", n -> new Linear(n, 2, true, DType.F64, RNG),
                "Embedding", n -> new Embedding(n, 2, DType.F64, RNG),
                "GRUCell", n -> GRUCell.create(n, 2, true, DType.F64, RNG),
                "MGUCell", n -> MGUCell.create(n, 2, DType.F64, RNG),
                "LSTMCell", n -> LSTMCell.create(n, 2, true, DType.F64, RNG),
                "TorchGRUCell", n -> TorchGRUCell.create(n, 2, true, DType.F64, RNG));
        Map<String, IntFunction<Module>> bySecondSize = Map.of(
                "Linear", n -> new Linear(2, n, true, DType.F64, RNG),
                "Embedding", n -> new Embedding(2, n, DType.F64, RNG),
                "GRUCell", n -> GRUCell.create(2, n, true, DType.F64, RNG),
                "MGUCell", n -> MGUCell.create(2, n, DType.F64, RNG),
                "RNNCell", n -> RNNCell.create(2, n, true, DType.F64, RNG));
        for (Map<String, IntFunction<Module>> makers : List.of(byFirstSize, bySecondSize)) {
            makers.forEach((name, make) -> {
                assertDoesNotThrow(() -> make.apply(1), name + " of size 1");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make.apply(0), name + " of size 0");
                assertTrue(e.getMessage().contains(" 0") || e.getMessage().contains("=0"), name + ": " + e.getMessage());
            });
        }
    }

    @Test
    void optimizersTakeTheEdgesTheirRulesAllowAndRefuseTheOthers() {
        Map<String, Parameter> ps = Map.of("w", new Parameter("w", Tensor.vector(1.0)));
        List<Executable> accepted = List.of(
                () -> new Adam(ps, 1e-3, 0.0, 0.999, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 0.9, 0.0, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 0.9, 0.999, 0.0, 0.0),
                () -> new Sgd(ps, 1e-3, 0.0));
        for (int i = 0; i < accepted.size(); i++) {
            assertDoesNotThrow(accepted.get(i), "accepted setting " + i);
        }
        List<Executable> refused = List.of(
                () -> new Adam(ps, 0.0, 0.9, 0.999, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 1.0, 0.999, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 0.9, 1.0, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, -0.1, 0.999, 1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 0.9, 0.999, -1e-8, 0.0),
                () -> new Adam(ps, 1e-3, 0.9, 0.999, 1e-8, -0.1),
                () -> new Sgd(ps, 0.0, 0.9),
                () -> new Sgd(ps, 1e-3, 1.0));
        for (int i = 0; i < refused.size(); i++) {
            assertThrows(IllegalArgumentException.class, refused.get(i), "refused setting " + i);
        }
    }

    /** With 24 or more values per weight, at least one lies in the outer half of the bound (all inside it otherwise fails 1 in 2²⁴). */
    @Test
    void cellsDrawTheirWeightsFromPlusMinusOneOverTheRootOfTheHiddenSize() {
        int in = 6;
        int hidden = 4;
        double k = 1 / Math.sqrt(hidden);
        List<Module> cells = List.of(GRUCell.create(in, hidden, true, DType.F64, RNG), MGUCell.create(in, hidden, DType.F64, RNG),
                LSTMCell.create(in, hidden, true, DType.F64, RNG), RNNCell.create(in, hidden, true, DType.F64, RNG),
                TorchGRUCell.create(in, hidden, true, DType.F64, RNG));
        for (Module cell : cells) {
            cell.parameters().forEach((name, p) -> {
                double max = 0;
                for (double v : p.value().toDoubleArray()) {
                    assertTrue(Math.abs(v) <= k, cell.getClass().getSimpleName() + "." + name + ": " + v + " outside ±" + k);
                    max = Math.max(max, Math.abs(v));
                }
                if (p.value().size() >= 24) {
                    assertTrue(max > k / 2, cell.getClass().getSimpleName() + "." + name + ": every value within ±" + k / 2);
                }
            });
        }
    }

    @Test
    void eachModuleReportsTheSettingsItWasMadeWith() {
        Linear linear = new Linear(3, 5, true, DType.F64, RNG);
        assertEquals(3, linear.inFeatures());
        assertEquals(5, linear.outFeatures());
        Embedding embedding = new Embedding(7, 2, DType.F64, RNG);
        assertEquals(7, embedding.numEmbeddings());
        assertEquals(2, embedding.embeddingDim());
        LayerNorm norm = new LayerNorm(Shape.of(2, 3), 1e-3, true, DType.F64);
        assertEquals(Shape.of(2, 3), norm.normalizedShape());
        assertEquals(1e-3, norm.eps());
        assertEquals(0.25, new Dropout(0.25).p());
        for (CellKind kind : CellKind.values()) {
            assertEquals(kind, CellKind.parse(kind.cliName()), kind.cliName());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CellKind.parse("gru2"));
        assertTrue(e.getMessage().startsWith("unknown cell 'gru2' (expected "), e.getMessage());
    }
}
