package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ModuleTest {
    private static RecurrentStack twoLayerGru() {
        return RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 4, 2, true, DType.F64, Rng.seeded(7));
    }

    @Test
    void namesAreDottedHierarchicalAndOrdered() {
        assertEquals(List.of("layers.0.weight_ih", "layers.0.weight_hh", "layers.0.bias_ih", "layers.0.bias_hh",
                "layers.1.weight_ih", "layers.1.weight_hh", "layers.1.bias_ih", "layers.1.bias_hh"),
                List.copyOf(twoLayerGru().parameters().keySet()));
        RecurrentStack cho = RecurrentStack.gru(GRU.Variant.RESET_BEFORE, 3, 4, 1, false, DType.F64, Rng.seeded(1));
        assertEquals(List.of("layers.0.W_xz", "layers.0.W_hz", "layers.0.W_xr", "layers.0.W_hr", "layers.0.W_xh", "layers.0.W_hh"),
                List.copyOf(cho.parameters().keySet()));
        assertEquals(Tensor.zeros(DType.F64, 3, 4).shape(), cho.parameters().get("layers.0.W_xz").value().shape());
        assertEquals(Tensor.zeros(DType.F64, 12, 4).shape(), twoLayerGru().parameters().get("layers.1.weight_ih").value().shape());
    }

    @Test
    void sameSeedSameWeightsAndStateDictRoundTrips() {
        RecurrentStack a = twoLayerGru();
        RecurrentStack b = RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 4, 2, true, DType.F64, Rng.seeded(8));
        assertNotEquals(0.0, a.stateDict().get("layers.0.weight_ih").maxAbsDiff(b.stateDict().get("layers.0.weight_ih")));
        b.loadStateDict(a.stateDict());
        a.stateDict().forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(b.stateDict().get(k)), k));
        assertEquals(0.0, twoLayerGru().stateDict().get("layers.1.bias_hh").maxAbsDiff(a.stateDict().get("layers.1.bias_hh")));
    }

    private static void assertRejectedAndUnchanged(Consumer<Map<String, Tensor>> corrupt, String mustName) {
        RecurrentStack m = twoLayerGru();
        Map<String, Tensor> before = m.stateDict();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        // New values everywhere, so a partial load would be visible in any parameter.
        before.forEach((k, v) -> bad.put(k, Tensor.full(v.dtype(), 0.25, v.shape())));
        corrupt.accept(bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(bad));
        assertTrue(e.getMessage().contains(mustName), e.getMessage());
        before.forEach((k, v) -> assertSame(v, m.parameters().get(k).value(), k + " changed by a failed load"));
    }

    @Test
    void loadStateDictIsAllOrNothing() {
        assertRejectedAndUnchanged(s -> s.put("layers.2.weight_ih", Tensor.zeros(DType.F64, 12, 4)), "layers.2.weight_ih");
        assertRejectedAndUnchanged(s -> s.remove("layers.1.bias_hh"), "layers.1.bias_hh");
        assertRejectedAndUnchanged(s -> s.put("layers.1.weight_hh", Tensor.zeros(DType.F64, 4, 12)), "layers.1.weight_hh");
        assertRejectedAndUnchanged(s -> s.put("layers.1.bias_ih", Tensor.zeros(DType.F32, 12)), "layers.1.bias_ih");
        assertRejectedAndUnchanged(s -> s.put("layers.1.bias_ih", Tensor.zeros(DType.F64, 1, 12)), "[1, 12]");
    }

    @Test
    void loadStateDictRejectsNonFiniteValues() {
        assertRejectedAndUnchanged(s -> {
            double[] v = new double[12];
            v[5] = Double.NaN;
            s.put("layers.1.bias_ih", Tensor.of(v, 12));
        }, "layers.1.bias_ih");
        assertRejectedAndUnchanged(s -> {
            double[] v = new double[12];
            v[0] = Double.POSITIVE_INFINITY;
            s.put("layers.0.bias_hh", Tensor.of(v, 12));
        }, "layers.0.bias_hh");
    }

    @Test
    void parameterSetKeepsShapeAndResetsGradient() {
        Parameter p = new Parameter("w", Tensor.vector(1, 2, 3));
        Variable leaf = p.variable();
        assertSame(leaf, p.variable());
        try (Tape t = Tape.record()) {
            p.variable().times(p.variable()).sum().backward();
        }
        assertEquals(4.0, p.grad().at(1));
        p.set(Tensor.vector(4, 5, 6));
        assertNotSame(leaf, p.variable());
        assertNull(p.grad());
        assertEquals(5.0, p.value().at(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.set(Tensor.vector(1, 2)));
        assertTrue(e.getMessage().contains("w") && e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.set(Tensor.vector(1, 2, 3).cast(DType.F32)));
        p.setGrad(Tensor.vector(1, 1, 1));
        assertEquals(1.0, p.grad().at(2));
        p.zeroGrad();
        assertNull(p.grad());
    }
}
