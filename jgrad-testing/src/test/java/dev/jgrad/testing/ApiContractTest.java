package dev.jgrad.testing;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.DifferentiableFunction;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.cell.MGUCell;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testhooks.ApiContracts;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The testing kit's public API refuses null by name and keeps equals/hashCode consistent on its records, as the
 * libraries' do: guava-testlib's NullPointerTester and EqualsTester over every public class of the kit
 * ({@link ApiContracts}).
 */
class ApiContractTest {
    private static final ApiContracts API = ApiContracts.ofModule(TensorArbitraries.class)
            .sample(Tensor.class, Tensor.vector(1, 2), Tensor.vector(3, 4))
            .sample(Shape.class, Shape.of(2), Shape.of(3))
            .sample(Rng.class, Rng.seeded(1), Rng.seeded(2))
            .sample(Variable.class, Variable.leaf(Tensor.vector(1, 2)), Variable.constant(Tensor.vector(3)))
            .sample(Arbitrary.class, Arbitraries.just(Shape.of(2)), Arbitraries.just(Shape.of(3)))
            .sample(DifferentiableFunction.class, in -> in.get(0), in -> in.get(0).neg())
            .sample(RecurrentCell.class, MGUCell.create(2, 3, DType.F64, Rng.seeded(3)), MGUCell.create(1, 1, DType.F64, Rng.seeded(4)))
            .sample(Module.class, MGUCell.create(2, 3, DType.F64, Rng.seeded(5)), MGUCell.create(1, 1, DType.F64, Rng.seeded(6)));

    /** Per public class: every parameter refuses null by name; per value type: equals and hashCode agree. */
    @TestFactory
    Stream<DynamicTest> publicApi() {
        return API.tests();
    }
}
