package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchRecurrentWeightsTest {

    @TempDir
    Path dir;

    private static RecurrentStack layer(TorchRecurrentWeights.Kind kind, boolean bias, DType dtype) {
        Rng rng = Rng.seeded(42);
        return switch (kind) {
            case GRU -> RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 4, 2, bias, dtype, rng);
            case LSTM -> RecurrentStack.lstm(3, 4, 2, bias, dtype, rng);
            case RNN_TANH -> RecurrentStack.rnn(3, 4, 2, bias, dtype, rng);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"GRU", "LSTM", "RNN_TANH"})
    void saveThenLoadGivesTheSameLayer(String kindName) {
        TorchRecurrentWeights.Kind kind = TorchRecurrentWeights.Kind.valueOf(kindName);
        for (boolean bias : new boolean[] {true, false}) {
            for (DType dtype : DType.values()) {
                RecurrentStack original = layer(kind, bias, dtype);
                Path p = dir.resolve(kind + "-" + bias + "-" + dtype + ".safetensors");
                TorchRecurrentWeights.save(original, p);
                RecurrentStack loaded = TorchRecurrentWeights.load(p);
                assertEquals(kind, TorchRecurrentWeights.kindOf(loaded));
                assertEquals(original.numLayers(), loaded.numLayers());
                assertEquals(original.inputSize(), loaded.inputSize());
                assertEquals(original.hiddenSize(), loaded.hiddenSize());
                SafetensorsTest.assertSameTensors(original.stateDict(), loaded.stateDict());
                assertEquals(kind.name(), Safetensors.read(p).metadata().get("kind"));
            }
        }
    }

    @Test
    void namesFollowPyTorch() {
        Map<String, Tensor> torch = TorchRecurrentWeights.toTorch(layer(TorchRecurrentWeights.Kind.LSTM, true, DType.F64));
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"), List.copyOf(torch.keySet()));
        assertEquals(List.of(16, 3), List.of(torch.get("weight_ih_l0").shape().dim(0), torch.get("weight_ih_l0").shape().dim(1)));
    }

    @Test
    void loadsAPyTorchFileInferringKindAndSizes() {
        SafetensorsFile ref = Safetensors.read(TorchFiles.path("gru_deep"));
        Map<String, Tensor> weights = weightsOf(ref);
        RecurrentStack layer = TorchRecurrentWeights.load(weights);
        assertEquals(TorchRecurrentWeights.Kind.GRU, TorchRecurrentWeights.kindOf(layer));
        assertEquals(3, layer.numLayers());
        assertEquals(5, layer.inputSize());
        assertEquals(3, layer.hiddenSize());
        SafetensorsTest.assertSameTensors(weights, TorchRecurrentWeights.toTorch(layer));
    }

    @Test
    void aPrefixSelectsTheRecurrentModuleInsideALargerModel() {
        Map<String, Tensor> model = new LinkedHashMap<>();
        weightsOf(Safetensors.read(TorchFiles.path("lstm_basic"))).forEach((k, v) -> model.put("rnn." + k, v));
        model.put("fc.weight", Tensor.zeros(DType.F64, 2, 4));
        RecurrentStack layer = TorchRecurrentWeights.load(model, "rnn.");
        assertEquals(TorchRecurrentWeights.Kind.LSTM, TorchRecurrentWeights.kindOf(layer));
        assertEquals(1, layer.numLayers());
        Path p = dir.resolve("model.safetensors");
        Safetensors.write(p, SafetensorsFile.of(model));
        SafetensorsTest.assertSameTensors(layer.stateDict(), TorchRecurrentWeights.load(p, "rnn.").stateDict());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.load(p));
        assertTrue(e.getMessage().contains("unexpected tensor 'rnn."), e.getMessage());
    }

    private static Map<String, Tensor> weightsOf(SafetensorsFile ref) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        ref.tensors().forEach((k, v) -> {
            if (k.startsWith("weight_") || k.startsWith("bias_")) {
                out.put(k, v);
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- refusals

    private static Map<String, Tensor> gruWeights() {
        return new LinkedHashMap<>(TorchRecurrentWeights.toTorch(layer(TorchRecurrentWeights.Kind.GRU, true, DType.F64)));
    }

    private static void assertRefused(Map<String, Tensor> weights, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.load(weights));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    @Test
    void refusesMissingTensors() {
        Map<String, Tensor> w = gruWeights();
        w.remove("weight_hh_l1");
        assertRefused(w, "missing tensor 'weight_hh_l1'");
        Map<String, Tensor> gap = gruWeights();
        gap.put("weight_ih_l3", gap.get("weight_ih_l1"));
        assertRefused(gap, "missing tensor 'weight_ih_l2'");
        Map<String, Tensor> oneBias = gruWeights();
        oneBias.remove("bias_hh_l1");
        assertRefused(oneBias, "missing tensor 'bias_hh_l1'");
        assertRefused(Map.of(), "no tensor named weight_ih_l0");
    }

    @Test
    void refusesUnexpectedTensors() {
        Map<String, Tensor> w = gruWeights();
        w.put("fc.weight", Tensor.zeros(DType.F64, 2, 2));
        assertRefused(w, "unexpected tensor 'fc.weight'");
        Map<String, Tensor> reverse = gruWeights();
        reverse.put("weight_ih_l0_reverse", reverse.get("weight_ih_l0"));
        assertRefused(reverse, "weight_ih_l0_reverse", "bidirectional");
        Map<String, Tensor> proj = gruWeights();
        proj.put("weight_hr_l0", Tensor.zeros(DType.F64, 2, 4));
        assertRefused(proj, "weight_hr_l0", "proj_size");
        Map<String, Tensor> lateBias = new LinkedHashMap<>(TorchRecurrentWeights.toTorch(layer(TorchRecurrentWeights.Kind.GRU, false, DType.F64)));
        lateBias.put("bias_ih_l1", Tensor.zeros(DType.F64, 12));
        assertRefused(lateBias, "unexpected tensor 'bias_ih_l1'", "no biases");
    }

    @Test
    void refusesMisShapedTensors() {
        Map<String, Tensor> w = gruWeights();
        w.put("weight_hh_l1", Tensor.zeros(DType.F64, 12, 3));
        assertRefused(w, "'weight_hh_l1'", "[12, 3]", "expected [12, 4]");
        Map<String, Tensor> b = gruWeights();
        b.put("bias_ih_l0", Tensor.zeros(DType.F64, 4));
        assertRefused(b, "'bias_ih_l0'", "[4]", "expected [12]");
        Map<String, Tensor> gates = gruWeights();
        gates.put("weight_hh_l0", Tensor.zeros(DType.F64, 8, 4));
        assertRefused(gates, "weight_hh_l0", "2 gate blocks");
        Map<String, Tensor> notSquare = gruWeights();
        notSquare.put("weight_hh_l0", Tensor.zeros(DType.F64, 12, 5));
        assertRefused(notSquare, "weight_hh_l0", "[12, 5]");
        Map<String, Tensor> vector = gruWeights();
        vector.put("weight_ih_l0", Tensor.zeros(DType.F64, 12));
        assertRefused(vector, "weight_ih_l0", "[12]");
    }

    @Test
    void refusesMixedDtypesAndNonFiniteValues() {
        Map<String, Tensor> w = gruWeights();
        w.put("bias_hh_l1", w.get("bias_hh_l1").cast(DType.F32));
        assertRefused(w, "'bias_hh_l1'", "F32", "F64");
        Map<String, Tensor> nan = gruWeights();
        double[] v = nan.get("weight_hh_l1").toDoubleArray();
        v[5] = Double.NaN;
        nan.put("weight_hh_l1", Tensor.of(v, 12, 4));
        assertRefused(nan, "'weight_hh_l1'", "NaN");
    }

    @Test
    void savingALayerWithoutAPyTorchCounterpartIsRefusedAndWritesNothing() {
        RecurrentStack before = RecurrentStack.gru(GRU.Variant.RESET_BEFORE, 3, 4, 1, true, DType.F64, Rng.seeded(1));
        Path p = dir.resolve("x.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.save(before, p));
        assertTrue(e.getMessage().contains("RESET_BEFORE"), e.getMessage());
        assertTrue(!Files.exists(p));
        Rng rng = Rng.seeded(2);
        RecurrentStack mixed = RecurrentStack.of(List.of(
                dev.jgrad.nn.cell.LSTMCell.create(3, 4, true, DType.F64, rng),
                dev.jgrad.nn.cell.RNNCell.create(4, 4, true, DType.F64, rng)));
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.toTorch(mixed));
        assertTrue(m.getMessage().contains("mixed kinds"), m.getMessage());
    }
}
