package dev.jgrad.nn.cell;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every cell's parameter and input gradients against central finite differences in float64, through
 * a random cotangent on the state after two steps (so the recurrence itself is differentiated).
 */
class CellGradientProperties {

    @Property(tries = 12)
    void parameterGradientsMatchFiniteDifferences(@ForAll CellKind kind, @ForAll boolean bias, @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3) int batch) {
        Rng rng = Rng.seeded(seed);
        RecurrentCell cell = kind.create(3, 4, bias, DType.F64, rng);
        Variable x1 = Variable.constant(Tensor.randn(rng, DType.F64, 1.0, batch, 3));
        Variable x2 = Variable.constant(Tensor.randn(rng, DType.F64, 1.0, batch, 3));
        List<Variable> s0 = CellStates.random(kind, batch, 4, rng).stream().map(Variable::constant).toList();
        Supplier<Variable> loss = ModuleGradCheck.contracted(() -> {
            State s = cell.step(x2, cell.step(x1, new State(s0)));
            return Variable.concat(1, s.parts());
        }, rng);
        GradCheckReport r = ModuleGradCheck.check(cell, loss);
        assertTrue(r.passed(), r.toString());
        assertEquals(cell.parameterCount(), r.compared());
    }

    @Property(tries = 12)
    void inputAndStateGradientsMatchFiniteDifferences(@ForAll CellKind kind, @ForAll boolean bias, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        RecurrentCell cell = kind.create(3, 4, bias, DType.F64, rng);
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(Tensor.randn(rng, DType.F64, 1.0, 2, 3));
        inputs.addAll(CellStates.random(kind, 2, 4, rng));
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 2, 4 * kind.stateParts());
        GradCheckReport r = GradCheck.check(in -> {
            State s = cell.step(in.get(0), new State(in.subList(1, in.size())));
            return Variable.concat(1, s.parts()).times(Variable.constant(c)).sum();
        }, inputs);
        assertTrue(r.passed(), r.toString());
    }

    /** The cells' backward passes are themselves differentiable (Hessian-vector products, gradient penalties). */
    @Property(tries = 5)
    void secondDerivativesMatchFiniteDifferences(@ForAll CellKind kind, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        RecurrentCell cell = kind.create(2, 2, true, DType.F64, rng);
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(Tensor.randn(rng, DType.F64, 1.0, 1, 2));
        inputs.addAll(CellStates.random(kind, 1, 2, rng));
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 1, 2 * kind.stateParts());
        GradCheckReport r = GradCheck.checkSecondOrder(in -> {
            State s = cell.step(in.get(0), new State(in.subList(1, in.size())));
            return Variable.concat(1, s.parts()).times(Variable.constant(c)).sum();
        }, inputs);
        assertTrue(r.passed(), r.toString());
    }
}
