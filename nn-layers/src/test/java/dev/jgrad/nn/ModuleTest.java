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
        assertSame(leaf, p.variable(), "set assigns in place: the leaf fetched before is still the parameter's");
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

    /** A gradient of the wrong shape or dtype is refused, naming both, and the gradient held before is kept. */
    @Test
    void aRefusedGradientLeavesTheOneBefore() {
        Parameter p = new Parameter("w", Tensor.vector(1, 2, 3));
        p.setGrad(Tensor.vector(0.5, -1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.setGrad(Tensor.vector(1, 2)));
        assertEquals("parameter w: gradient F64[2] does not match value F64[3]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.setGrad(Tensor.vector(1, 2, 3).cast(DType.F32)));
        assertNotNull(p.grad(), "the refused calls dropped the gradient");
        assertArrayEquals(new double[] {0.5, -1, 2}, p.grad().toDoubleArray());
    }

    /** A Variable fetched before set() (a cell holding it, say) sees the new value and still feeds the parameter's gradient. */
    @Test
    void aVariableFetchedBeforeSetIsNotOrphaned() {
        Parameter p = new Parameter("w", Tensor.vector(1, 2, 3));
        Variable fetched = p.variable();
        p.set(Tensor.vector(4, 5, 6));
        try (Tape t = Tape.record()) {
            fetched.times(fetched).sum().backward();
        }
        assertEquals(10.0, p.grad().at(1), "2·5 from the new value, in the parameter's gradient");
        // a forward recorded before the set cannot be differentiated after it
        try (Tape t = Tape.record()) {
            Variable loss = fetched.times(fetched).sum();
            p.set(Tensor.vector(7, 8, 9));
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(e.getMessage().contains("w F64[3]") && e.getMessage().contains("assigned after"), e.getMessage());
        }
    }

    /** toDType(F64) and back is exact for float32 weights, and every holder of a parameter's Variable follows it. */
    @Test
    void toDTypeCastsEveryParameterInPlace() {
        RecurrentStack m = RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 4, 2, true, DType.F32, Rng.seeded(7));
        Map<String, Tensor> before = m.stateDict();
        Variable held = m.parameters().get("layers.1.weight_hh").variable();
        m.toDType(DType.F64);
        m.parameters().forEach((k, p) -> {
            assertEquals(DType.F64, p.value().dtype(), k);
            assertEquals(0.0, p.value().maxAbsDiff(before.get(k).cast(DType.F64)), k);
        });
        assertEquals(DType.F64, held.dtype());
        m.toDType(DType.F32);
        m.parameters().forEach((k, p) -> assertArrayEquals(before.get(k).toFloatArray(), p.value().toFloatArray(), k));
        m.toDType(DType.F32); // already float32: nothing changes
        assertEquals(DType.F32, held.dtype());
    }

    /** The purpose: a float32 model gradient-checked in float64 without rebuilding it, then restored bit for bit. */
    @Test
    void aFloat32ModelIsGradientCheckedInFloat64() {
        RecurrentStack m = RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 4, 2, true, DType.F32, Rng.seeded(7));
        Map<String, Tensor> before = m.stateDict();
        m.toDType(DType.F64);
        Variable x = Variable.constant(Tensor.randn(Rng.seeded(2), DType.F64, 1, 2, 3, 3));
        dev.jgrad.nn.check.ModuleGradCheck.assertGradients(m, dev.jgrad.nn.check.ModuleGradCheck.contracted(
                () -> m.forward(x, null).outputs(), Rng.seeded(3)), dev.jgrad.check.GradCheck.Options.defaults().randomDirections(4));
        m.toDType(DType.F32);
        before.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), m.stateDict().get(k).toFloatArray(), k));
    }
}
