package dev.jgrad.testing.nn;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.CotangentChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gradient checks for any {@link Module}, given a function computing an output from the module's current
 * parameters. The output {@code y} is contracted with a random cotangent {@code c} drawn from the seed,
 * so the checked scalar is {@code Σ y ⊙ c}: a plain {@code Σ y} would let some wrong gradients pass.
 *
 * <pre>{@code
 * Linear layer = new Linear(3, 2, true, DType.F64, Rng.seeded(1));
 * Variable x = Variable.constant(Tensor.randn(Rng.seeded(2), DType.F64, 1.0, 4, 3));
 * ModuleChecks.assertGradients(layer, () -> layer.forward(x).tanh(), 7);
 * }</pre>
 *
 * <p>The output must depend on every parameter for the checks to mean anything (a recurrent weight
 * applied to an all-zeros state gets a zero gradient legitimately): start recurrences from a random state.
 */
public final class ModuleChecks {
    private ModuleChecks() {
    }

    /**
     * Every parameter gradient of {@code Σ output() ⊙ c} against central finite differences
     * ({@link ModuleGradCheck}, float64, its default tolerances), then {@link #assertEveryParameterUsed}.
     *
     * @param module the module whose parameters are checked; every parameter must be float64
     * @param output computes the output from the module's current {@link Parameter#variable()}s, each time it is called
     * @param seed   draws the cotangent {@code c}
     * @throws AssertionError with the gradient check's report, naming the parameter and element that differ
     */
    public static void assertGradients(Module module, Supplier<Variable> output, long seed) {
        ModuleGradCheck.assertGradients(module, ModuleGradCheck.contracted(output, Rng.seeded(seed)));
        assertEveryParameterUsed(module, output, seed);
    }

    /**
     * Every parameter receives a gradient with at least one non-zero element from one backward pass of
     * {@code Σ output() ⊙ c}. This catches what a gradient check cannot: a parameter that is declared but
     * never used, or used only through {@code detach()}, has analytic and numeric gradients both zero.
     * Parameter gradients are cleared before and after.
     *
     * @param module the module whose parameters must all be reached
     * @param output computes the output from the module's current parameters
     * @param seed   draws the cotangent {@code c}
     * @throws AssertionError naming every parameter that received no gradient or an all-zeros one
     */
    public static void assertEveryParameterUsed(Module module, Supplier<Variable> output, long seed) {
        Map<String, Parameter> params = module.parameters();
        params.values().forEach(Parameter::zeroGrad);
        List<String> unused = new ArrayList<>();
        try {
            try (Tape tape = Tape.record()) {
                Variable y = output.get();
                Tensor c = CotangentChecks.cotangent(y.shape(), seed).cast(y.dtype());
                y.times(Variable.constant(c)).sum().backward();
            }
            params.forEach((name, p) -> {
                if (p.grad() == null || isZero(p.grad())) {
                    unused.add(name + " " + p.value().shape());
                }
            });
        } finally {
            params.values().forEach(Parameter::zeroGrad);
        }
        if (!unused.isEmpty()) {
            throw new AssertionError("ModuleChecks: " + unused.size() + " of " + params.size() + " parameters received no gradient"
                    + " from Σ output ⊙ c: " + String.join(", ", unused)
                    + " (never used, used only through detach(), or multiplied by an all-zeros state?)");
        }
    }

    private static boolean isZero(Tensor t) {
        for (int i = 0; i < t.size(); i++) {
            if (t.at(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
