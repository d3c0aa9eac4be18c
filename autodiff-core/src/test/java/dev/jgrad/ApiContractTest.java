package dev.jgrad;

import dev.jgrad.autodiff.CustomOp;
import dev.jgrad.autodiff.Op;
import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Unrolled;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.DifferentiableFunction;
import dev.jgrad.tensor.GradientAccumulator;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import dev.jgrad.testhooks.ApiContracts;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * autodiff-core's public API refuses null by name everywhere and keeps equals/hashCode consistent on its value
 * types: guava-testlib's NullPointerTester and EqualsTester over every public class of the module
 * ({@link ApiContracts}, which finds them by scanning, so a new class is covered without being listed here).
 */
class ApiContractTest {
    private static final ApiContracts API = ApiContracts.ofModule(Tensor.class)
            .sample(Tensor.class, Tensor.vector(1, 2), Tensor.vector(3, 4))
            .sample(Shape.class, Shape.of(2), Shape.of(3))
            .sample(Variable.class, Variable.leaf("a", Tensor.vector(1, 2)), Variable.constant(Tensor.vector(5, 6)))
            .sample(Rng.class, Rng.seeded(1), Rng.seeded(2))
            .sample(Tape.class, closed(Tape.record()), closed(Tape.record()))
            .sample(Unrolled.class, closed(Unrolled.over(Variable.leaf(Tensor.vector(1, 2)), 2)),
                    closed(Unrolled.over(Variable.leaf(Tensor.vector(1, 2, 3)), 3)))
            .sample(Unrolled.Step.class, closedStep(0), closedStep(1))
            .sample(Workspace.class, new Workspace(0), new Workspace(0))
            .sample(Workspace.Scope.class, closed(new Workspace(0).open()), closed(new Workspace(0).open()))
            .sample(Workspace.StepRegion.class, closed(Workspace.stepRegion()), closed(Workspace.stepRegion()))
            .sample(GradientAccumulator.class, GradientAccumulator.create(), GradientAccumulator.create())
            .sample(DifferentiableFunction.class, in -> in.get(0), in -> in.get(0).neg())
            .sample(CustomOp.class, new Identity("first"), new Identity("second"))
            .sample(Kernels.Update.class, (w, g, at, len) -> { }, (w, g, at, len) -> w[0] -= g[0])
            .equalityGroups(Shape.class, List.of(Shape.of(2, 3), Shape.of(2, 3)), List.of(Shape.of(3, 2)), List.of(Shape.of(6)),
                    List.of(Shape.scalar(), Shape.of()), List.of(Shape.of(1)), List.of(Shape.of(0)))
            .exclude("Op.*.forward(in)", "the tape's to call, with the values it recorded; each op's forward is one line of"
                    + " Op's table, and users reach it through Variable's methods, which check")
            .exclude("Op.*.backward(in)", "the derivative rules are the tape's to call (Tape.walk), with the nodes it"
                    + " recorded; a rule is one line of math in Op's table, run for every node of every backward walk")
            .exclude("Op.*.backward(out)", "see Op.*.backward(in)")
            .exclude("Op.*.backward(g)", "see Op.*.backward(in)");

    private static <T extends AutoCloseable> T closed(T scope) {
        try (scope) {
            return scope;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Unrolled.Step closedStep(int t) {
        try (Unrolled steps = Unrolled.over(Variable.leaf(Tensor.vector(1, 2)), 2); Unrolled.Step step = steps.step(t)) {
            return step;
        }
    }

    /** A custom op that passes its input through, to call CustomOp's own methods on. */
    private record Identity(String name) implements CustomOp {
        public Op.Saves saves() {
            return Op.Saves.NOTHING;
        }

        public Variable forward(Variable... in) {
            return in[0];
        }

        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g};
        }
    }

    /** Per public class: every parameter refuses null by name; per value type: equals and hashCode agree. */
    @TestFactory
    Stream<DynamicTest> publicApi() {
        return API.tests();
    }
}
