package dev.jgrad.testing.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The module checks pass for a correct module and name the parameters a broken one never reaches. */
class ModuleChecksTest {
    private final Linear layer = new Linear(3, 2, true, DType.F64, Rng.seeded(1));
    private final Variable x = Variable.constant(Tensor.randn(Rng.seeded(2), DType.F64, 1.0, 4, 3));

    @Test
    void aLinearLayerPasses() {
        ModuleChecks.assertGradients(layer, () -> layer.forward(x).tanh(), 7);
    }

    @Test
    void anUnusedParameterIsNamed() {
        Parameter extra = Parameter.uniform("extra", Rng.seeded(3), DType.F64, 1.0, 2);
        Module withExtra = withParameter(layer, extra);
        // The gradient check alone passes: the unused parameter's analytic and numeric gradients are both 0.
        AssertionError e = assertThrows(AssertionError.class,
                () -> ModuleChecks.assertGradients(withExtra, () -> layer.forward(x).tanh(), 7));
        assertTrue(e.getMessage().contains("1 of 3 parameters") && e.getMessage().contains("extra [2]"), e.getMessage());
    }

    @Test
    void aParameterUsedOnlyThroughDetachIsNamed() {
        AssertionError e = assertThrows(AssertionError.class, () -> ModuleChecks.assertEveryParameterUsed(layer,
                () -> x.matmul(layer.weight().variable().detach(), false, true).plus(layer.bias().variable()), 7));
        assertTrue(e.getMessage().contains("weight [2, 3]") && !e.getMessage().contains("bias"), e.getMessage());
    }

    @Test
    void gradientsAreClearedAfterwards() {
        ModuleChecks.assertEveryParameterUsed(layer, () -> layer.forward(x), 7);
        layer.parameters().values().forEach(p -> assertTrue(p.grad() == null, p.name()));
    }

    private static Module withParameter(Module m, Parameter extra) {
        Map<String, Parameter> all = new LinkedHashMap<>(m.parameters());
        all.put(extra.name(), extra);
        return () -> all;
    }
}
