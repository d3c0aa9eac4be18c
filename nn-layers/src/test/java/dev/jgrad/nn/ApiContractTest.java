package dev.jgrad.nn;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.LSTMCell;
import dev.jgrad.nn.cell.MGUCell;
import dev.jgrad.nn.cell.RNNCell;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.TorchGRUCell;
import dev.jgrad.nn.layer.Dropout;
import dev.jgrad.nn.layer.Embedding;
import dev.jgrad.nn.layer.LayerNorm;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.nn.optim.Adam;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.optim.Sgd;
import dev.jgrad.nn.parallel.DataParallel;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testhooks.ApiContracts;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * nn-layers' public API refuses null by name everywhere (but where null is documented) and keeps equals/hashCode
 * consistent on its value types: guava-testlib's NullPointerTester and EqualsTester over every public class of the
 * module ({@link ApiContracts}, which finds them by scanning, so a new class is covered without being listed here).
 */
class ApiContractTest {
    private static final Rng RNG = Rng.seeded(16);
    private static final Linear LINEAR = new Linear(2, 3, true, DType.F64, RNG);
    private static final GRUCell GRU_CELL = GRUCell.create(2, 3, true, DType.F64, RNG);
    private static final TorchGRUCell TORCH_GRU_CELL = TorchGRUCell.create(2, 3, true, DType.F64, RNG);
    private static final RecurrentStack STACK = RecurrentStack.lstm(2, 3, 1, true, DType.F64, RNG);

    private static final ApiContracts API = ApiContracts.ofModule(Module.class)
            .sample(Tensor.class, Tensor.vector(1, 2), Tensor.vector(3, 4))
            .sample(Shape.class, Shape.of(2), Shape.of(3))
            .sample(Variable.class, Variable.leaf("x", Tensor.vector(1, 2)), Variable.constant(Tensor.vector(5, 6)))
            .sample(Rng.class, Rng.seeded(1), Rng.seeded(2))
            .sample(Parameter.class, new Parameter("w", Tensor.vector(1, 2)), new Parameter("v", Tensor.vector(3)))
            .sample(Module.class, LINEAR, new Dropout(0.5))
            .sample(RecurrentCell.class, GRU_CELL, TORCH_GRU_CELL)
            .sample(GRU.class, GRU_CELL, TORCH_GRU_CELL)
            .sample(GRUCell.class, GRU_CELL, GRUCell.create(1, 1, false, DType.F32, RNG))
            .sample(TorchGRUCell.class, TORCH_GRU_CELL, TorchGRUCell.create(1, 1, false, DType.F32, RNG))
            .sample(LSTMCell.class, LSTMCell.create(2, 3, true, DType.F64, RNG), LSTMCell.create(1, 1, false, DType.F32, RNG))
            .sample(MGUCell.class, MGUCell.create(2, 3, DType.F64, RNG), MGUCell.create(1, 1, DType.F32, RNG))
            .sample(RNNCell.class, RNNCell.create(2, 3, true, DType.F64, RNG), RNNCell.create(1, 1, false, DType.F32, RNG))
            .sample(RecurrentStack.class, STACK, RecurrentStack.rnn(1, 1, 2, false, DType.F32, RNG))
            .sample(Linear.class, LINEAR, new Linear(1, 1, false, DType.F32, RNG))
            .sample(Embedding.class, new Embedding(4, 2, DType.F64, RNG), new Embedding(1, 1, DType.F32, RNG))
            .sample(LayerNorm.class, new LayerNorm(2, DType.F64), new LayerNorm(3, DType.F32))
            .sample(Dropout.class, new Dropout(0.5), new Dropout(0.25))
            .sample(Optimizer.class, new Sgd(LINEAR.parameters(), 0.1), new Adam(LINEAR.parameters()))
            .sample(Sgd.class, new Sgd(LINEAR.parameters(), 0.1), new Sgd(LINEAR.parameters(), 0.2))
            .sample(Adam.class, new Adam(LINEAR.parameters()), new Adam(LINEAR.parameters(), 0.2))
            .sample(DataParallel.class, DataParallel.of(1, 1), DataParallel.of(2, 1))
            .sample(DataParallel.ShardLoss.class, (s, from, to) -> null, (s, from, to) -> null)
            .exclude("Parameter.setGrad(grad)", "null forgets the gradient (documented)")
            .exclude("RecurrentStack.forward(initial)", "null starts every layer from zeros (documented)")
            .exclude("RecurrentStack.forwardTimeMajor(initial)", "null starts every layer from zeros (documented)");

    /** Per public class: every parameter refuses null by name; per value type: equals and hashCode agree. */
    @TestFactory
    Stream<DynamicTest> publicApi() {
        return API.tests();
    }
}
