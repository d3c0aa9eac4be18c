package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Over random kinds, sizes, depths and bias flags: the PyTorch mapping round-trips, and any single defect is named. */
class TorchRecurrentWeightsProperties {

    private static RecurrentStack layer(TorchRecurrentWeights.Kind kind, int in, int hidden, int layers, boolean bias, DType dtype, long seed) {
        Rng rng = Rng.seeded(seed);
        return switch (kind) {
            case GRU -> RecurrentStack.gru(GRU.Variant.RESET_AFTER, in, hidden, layers, bias, dtype, rng);
            case LSTM -> RecurrentStack.lstm(in, hidden, layers, bias, dtype, rng);
            case RNN_TANH -> RecurrentStack.rnn(in, hidden, layers, bias, dtype, rng);
        };
    }

    @Property(tries = 40)
    void toTorchThenLoadIsTheIdentity(@ForAll TorchRecurrentWeights.Kind kind, @ForAll @IntRange(min = 1, max = 6) int in,
                                      @ForAll @IntRange(min = 1, max = 5) int hidden, @ForAll @IntRange(min = 1, max = 3) int layers,
                                      @ForAll boolean bias, @ForAll DType dtype, @ForAll long seed) {
        RecurrentStack original = layer(kind, in, hidden, layers, bias, dtype, seed);
        RecurrentStack loaded = TorchRecurrentWeights.load(TorchRecurrentWeights.toTorch(original));
        assertEquals(kind, TorchRecurrentWeights.kindOf(loaded));
        assertEquals(List.of(in, hidden, layers), List.of(loaded.inputSize(), loaded.hiddenSize(), loaded.numLayers()));
        SafetensorsTest.assertSameTensors(original.stateDict(), loaded.stateDict());
    }

    @Property(tries = 40)
    void anyMissingTensorIsNamed(@ForAll TorchRecurrentWeights.Kind kind, @ForAll @IntRange(min = 1, max = 3) int layers,
                                 @ForAll boolean bias, @ForAll long seed) {
        Map<String, Tensor> torch = new LinkedHashMap<>(TorchRecurrentWeights.toTorch(layer(kind, 3, 2, layers, bias, DType.F64, seed)));
        List<String> names = new ArrayList<>(torch.keySet());
        String victim = names.get(Math.floorMod(seed, names.size()));
        torch.remove(victim);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.load(torch));
        // removing one bias of layer 0 makes the other look like the unexpected one; either way a bias of layer 0 is named
        String expected = victim.startsWith("bias") && victim.endsWith("_l0") ? "_l0" : "'" + victim + "'";
        assertTrue(e.getMessage().contains(expected), victim + ": " + e.getMessage());
    }

    @Property(tries = 40)
    void anyMisShapedTensorIsNamed(@ForAll TorchRecurrentWeights.Kind kind, @ForAll @IntRange(min = 1, max = 3) int layers,
                                   @ForAll boolean bias, @ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int grow) {
        Map<String, Tensor> torch = new LinkedHashMap<>(TorchRecurrentWeights.toTorch(layer(kind, 3, 2, layers, bias, DType.F64, seed)));
        List<String> names = new ArrayList<>(torch.keySet());
        String victim = names.get(Math.floorMod(seed, names.size()));
        int[] dims = torch.get(victim).shape().dims();
        dims[0] += grow;  // the gate-block rows; weight_ih_l0's columns would only mean another input size
        torch.put(victim, Tensor.zeros(DType.F64, dims));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchRecurrentWeights.load(torch));
        // weight_hh_l0 fixes H and the kind, so its defect may surface as a neighbour's mismatch; any other is named itself
        if (!victim.equals("weight_hh_l0")) {
            assertTrue(e.getMessage().contains("'" + victim + "'"), victim + ": " + e.getMessage());
        }
    }
}
