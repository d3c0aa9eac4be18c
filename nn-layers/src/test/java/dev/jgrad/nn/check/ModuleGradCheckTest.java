package dev.jgrad.nn.check;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The checker itself: it must catch a wrong gradient, name where, and leave the module as it found it. */
class ModuleGradCheckTest {

    /** {@code y = tanh(x·a)·b} where the path through {@code a} is cut by a detach: its tape gradient is wrongly zero. */
    private static final class BrokenModule implements Module {
        final Parameter a = new Parameter("a", Tensor.of(new double[] {0.3, -0.2, 0.5, 0.1}, 2, 2));
        final Parameter b = new Parameter("b", Tensor.vector(1.5, -0.7));
        private final Map<String, Parameter> params = Module.named(a, b);

        @Override
        public Map<String, Parameter> parameters() {
            return params;
        }

        Variable forward(Variable x) {
            return x.matmul(a.variable().detach()).tanh().times(b.variable());
        }
    }

    @Test
    void catchesAMissingGradientAndNamesTheParameter() {
        BrokenModule m = new BrokenModule();
        Variable x = Variable.constant(Tensor.of(new double[] {1, 2, -1, 0.5}, 2, 2));
        Supplier<Variable> loss = ModuleGradCheck.contracted(() -> m.forward(x), Rng.seeded(1));
        GradCheckReport full = ModuleGradCheck.check(m, loss);
        assertFalse(full.passed());
        assertEquals(6, full.compared());
        assertTrue(full.mismatches().stream().allMatch(mm -> mm.input().startsWith("a ")), full.toString());
        assertEquals(4, full.mismatches().size(), full.toString());
        GradCheckReport dir = ModuleGradCheck.check(m, loss, GradCheck.Options.defaults().randomDirections(3));
        assertFalse(dir.passed(), dir.toString());
        assertThrows(AssertionError.class, () -> ModuleGradCheck.assertGradients(m, loss));
    }

    /**
     * On a quadratic loss a central difference is exact but for rounding, so random directions agree to
     * 1e-7: a one-sided difference, or a direction taken from where the previous one left the
     * parameters, is off by ε·uᵀHu (about 1e-3 here) and fails.
     */
    @Test
    void randomDirectionsAreCentralDifferencesAtTheUnmovedParameters() {
        Parameter w = new Parameter("w", Tensor.vector(0.5, -1.0, 2.0, 0.25, -0.75));
        Module m = () -> Module.named(w);
        Variable k = Variable.constant(Tensor.vector(100, 300, 50, 200, 400));
        Supplier<Variable> loss = () -> w.variable().times(w.variable()).times(k).sum();   // Σ k_i w_i²
        GradCheckReport r = ModuleGradCheck.check(m, loss,
                GradCheck.Options.defaults().withAtol(1e-7).withRtol(1e-7).randomDirections(4));
        assertTrue(r.passed(), r.toString());
        assertEquals(4, r.compared());
    }

    /**
     * Each element's difference is taken with every other element at its own value: after a parameter's last element is
     * moved and moved back, a later parameter's differences must not see it moved. Here the loss couples a's last element
     * to b with a factor of 10⁴, so a difference of b taken with a's last element still moved by ε would be off by 10⁴·ε.
     */
    @Test
    void eachDifferenceIsTakenWithTheOtherParametersUnmoved() {
        Parameter a = new Parameter("a", Tensor.vector(0.5, -1.5));
        Parameter b = new Parameter("b", Tensor.vector(2.0));
        Module m = () -> Module.named(a, b);
        Variable k = Variable.constant(Tensor.vector(1e4));
        Supplier<Variable> loss = () -> a.variable().slice(0, 1, 2).times(b.variable()).times(k).sum();   // 10⁴·a₁·b
        GradCheckReport r = ModuleGradCheck.check(m, loss, GradCheck.Options.defaults().withAtol(1e-6).withRtol(1e-8));
        assertTrue(r.passed(), r.toString());
        assertEquals(3, r.compared());
    }

    @Test
    void restoresParametersAndClearsGradients() {
        Linear lin = new Linear(3, 2, true, DType.F64, Rng.seeded(4));
        Map<String, Tensor> before = lin.stateDict();
        Variable x = Variable.constant(Tensor.randn(Rng.seeded(5), DType.F64, 1.0, 4, 3));
        ModuleGradCheck.assertGradients(lin, ModuleGradCheck.contracted(() -> lin.forward(x), Rng.seeded(6)));
        ModuleGradCheck.assertGradients(lin, ModuleGradCheck.contracted(() -> lin.forward(x), Rng.seeded(6)),
                GradCheck.Options.defaults().randomDirections(4));
        before.forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(lin.stateDict().get(k)), k));
        lin.parameters().values().forEach(p -> assertNull(p.grad()));
    }

    @Test
    void rejectsFloat32ParametersAndNonScalarLosses() {
        Linear f32 = new Linear(2, 2, true, DType.F32, Rng.seeded(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModuleGradCheck.check(f32, () -> f32.weight().variable().sum()));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("F64"), e.getMessage());
        Linear f64 = new Linear(2, 2, true, DType.F64, Rng.seeded(1));
        e = assertThrows(IllegalArgumentException.class, () -> ModuleGradCheck.check(f64, () -> f64.weight().variable()));
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
    }
}
