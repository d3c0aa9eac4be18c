package dev.jgrad.nn.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.nn.loss.Losses;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link DataParallel} against one {@code backward()} over the whole minibatch (Note [Shard gradient]): a
 * GRU layer and a linear read-out with a cross-entropy loss, whose weights get their gradients from
 * deferred products over time steps, so the shards regroup real sums.
 */
class DataParallelTest {
    private static final int BATCH = 7;
    private static final int STEPS = 5;
    private static final int IN = 3;
    private static final int HIDDEN = 4;
    private static final int CLASSES = 5;

    /** A GRU layer and a read-out, and one minibatch of inputs and targets for it. */
    private static final class Model {
        final RecurrentStack rnn;
        final Linear out;
        final Tensor x;
        final int[] targets;
        final Map<String, Parameter> params = new LinkedHashMap<>();

        final int hidden;

        Model(DType dtype, long seed) {
            this(dtype, seed, HIDDEN);
        }

        Model(DType dtype, long seed, int hidden) {
            this.hidden = hidden;
            Rng rng = Rng.seeded(seed);
            rnn = RecurrentStack.of(CellKind.GRU, IN, hidden, 1, true, dtype, rng);
            out = new Linear(hidden, CLASSES, true, dtype, rng);
            params.putAll(rnn.parameters());
            out.parameters().forEach((k, v) -> params.put("out." + k, v));
            x = Tensor.randn(rng, dtype, 1, BATCH, STEPS, IN);
            targets = new int[BATCH * STEPS];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = rng.nextInt(CLASSES);
            }
        }

        /** The mean cross-entropy over rows [from, to) of the minibatch. */
        Variable loss(int from, int to) {
            Variable rows = Variable.constant(x).slice(0, from, to);
            Variable h = rnn.forward(rows, null).outputs().reshape((to - from) * STEPS, hidden);
            return Losses.crossEntropy(out.forward(h), Arrays.copyOfRange(targets, from * STEPS, to * STEPS));
        }

        Map<String, Tensor> grads() {
            Map<String, Tensor> g = new LinkedHashMap<>();
            params.forEach((k, p) -> g.put(k, p.grad()));
            return g;
        }
    }

    private static double fullBatch(Model m) {
        try (dev.jgrad.autodiff.Tape tape = dev.jgrad.autodiff.Tape.record()) {
            Variable l = m.loss(0, BATCH);
            l.backward();
            return l.value().item();
        }
    }

    private static double sharded(Model m, int shards, int threads) {
        try (DataParallel dp = DataParallel.of(shards, threads)) {
            return dp.backward(m.params.values(), BATCH, (s, from, to) -> m.loss(from, to));
        }
    }

    @Test
    void oneShardIsBackwardToTheBit() {
        Model a = new Model(DType.F64, 3);
        Model b = new Model(DType.F64, 3);
        assertEquals(fullBatch(a), sharded(b, 1, 1));
        a.grads().forEach((name, g) -> assertEquals(0.0, g.maxAbsDiff(b.grads().get(name)), name));
    }

    @Test
    void unevenShardsSumToTheMinibatchGradient() {
        for (DType dtype : DType.values()) {
            Model a = new Model(dtype, 4);
            Model b = new Model(dtype, 4);
            double tol = dtype == DType.F64 ? 1e-12 : 1e-5;
            double whole = fullBatch(a);
            double split = sharded(b, 3, 2);   // rows 0-1, 2-3, 4-6
            assertEquals(whole, split, tol * Math.abs(whole), dtype + " loss");
            a.grads().forEach((name, g) -> assertTrue(g.allClose(b.grads().get(name), tol, tol), dtype + " " + name));
        }
    }

    @Test
    void threadCountDoesNotChangeABit() {
        Model one = new Model(DType.F64, 5);
        Model three = new Model(DType.F64, 5);
        assertEquals(sharded(one, 3, 1), sharded(three, 3, 3));
        one.grads().forEach((name, g) -> assertEquals(0.0, g.maxAbsDiff(three.grads().get(name)), name));
    }

    @Test
    void gradientsAddToThoseAlreadyThere() {
        Model once = new Model(DType.F64, 6);
        Model twice = new Model(DType.F64, 6);
        sharded(once, 2, 2);
        sharded(twice, 2, 2);
        sharded(twice, 2, 2);
        once.grads().forEach((name, g) -> assertTrue(Variable.constant(g).times(2).value().allClose(twice.grads().get(name), 1e-15, 0), name));
    }

    /**
     * Steps in a workspace, as a training loop runs them, where the recurrent weight's gradient
     * ({@code [120, 40]}) and the extra parameter's ({@code [32, 40]}) are large enough for a workspace
     * to lend their storage: the shards' gradients, given back to their workspaces after each sum,
     * leave every parameter's gradient readable and bit for bit that of the same steps run outside a
     * workspace scope (the shards' own workspaces lend in both), including the gradient of a parameter
     * only shard 0 reaches, which is that shard's own.
     */
    @Test
    void stepsInAWorkspaceKeepEveryGradientReadableAndTheSameBits() {
        Model lent = new Model(DType.F64, 10, 40);
        Model plain = new Model(DType.F64, 10, 40);
        Parameter onlyShard0 = new Parameter("onlyShard0", Tensor.randn(Rng.seeded(11), DType.F64, 1, 32, 40));
        Parameter plainOnlyShard0 = new Parameter("onlyShard0", onlyShard0.value());
        Workspace workspace = new Workspace(16L << 20);
        try (DataParallel dp = DataParallel.of(2, 2)) {
            for (int step = 0; step < 3; step++) {
                Map<String, double[]> withWorkspace = new LinkedHashMap<>();
                try (Workspace.Scope scope = workspace.open()) {
                    shardedStep(dp, lent, onlyShard0);
                    lent.grads().forEach((name, g) -> withWorkspace.put(name, g.toDoubleArray()));
                    withWorkspace.put("onlyShard0", onlyShard0.grad().toDoubleArray());
                    lent.params.values().forEach(Parameter::zeroGrad);
                    onlyShard0.zeroGrad();
                }
                shardedStep(dp, plain, plainOnlyShard0);
                int s = step;
                plain.grads().forEach((name, g) -> assertArrayEquals(g.toDoubleArray(), withWorkspace.get(name), "step " + s + " " + name));
                assertArrayEquals(plainOnlyShard0.grad().toDoubleArray(), withWorkspace.get("onlyShard0"), "step " + s);
                plain.params.values().forEach(Parameter::zeroGrad);
                plainOnlyShard0.zeroGrad();
            }
        }
    }

    /** One sharded backward of the model's loss, plus {@code Σ extra·M} in shard 0's loss alone. */
    private static void shardedStep(DataParallel dp, Model m, Parameter extra) {
        List<Parameter> params = new ArrayList<>(m.params.values());
        params.add(extra);
        Variable weight = Variable.constant(Tensor.randn(Rng.seeded(12), extra.value().dtype(), 1, 40, 40));
        dp.backward(params, BATCH, (s, from, to) -> s == 0 ? m.loss(from, to).plus(extra.variable().matmul(weight).sum()) : m.loss(from, to));
    }

    /**
     * A gradient one shard alone reached becomes the parameter's own, so its shard must not give its storage back: a second
     * backward that adds to it, with a different loss, would borrow that storage for its own gradient and add that
     * gradient to itself. Two calls on one {@code DataParallel} give the sum of the two calls made separately.
     */
    @Test
    void aGradientHandedOverAsAParametersOwnKeepsItsStorageThroughTheNextBackward() {
        Tensor x0 = Tensor.randn(Rng.seeded(13), DType.F64, 1, 32, 40);
        Tensor[] weights = {Tensor.randn(Rng.seeded(14), DType.F64, 1, 40, 40), Tensor.randn(Rng.seeded(15), DType.F64, 1, 40, 40)};
        Tensor[] alone = new Tensor[2];
        for (int call = 0; call < 2; call++) {
            Parameter p = new Parameter("onlyShard0", x0);
            try (DataParallel dp = DataParallel.of(2, 2)) {
                onlyShard0Step(dp, p, weights[call]);
            }
            alone[call] = p.grad();
        }
        Parameter both = new Parameter("onlyShard0", x0);
        try (DataParallel dp = DataParallel.of(2, 2)) {
            onlyShard0Step(dp, both, weights[0]);
            onlyShard0Step(dp, both, weights[1]);
        }
        assertArrayEquals(Kernels.binary(Kernels.Binary.ADD, alone[0], alone[1]).toDoubleArray(), both.grad().toDoubleArray());
    }

    /** A backward of {@code Σ p·W} in shard 0 and of a loss without p in shard 1, over as many rows as shards. */
    private static void onlyShard0Step(DataParallel dp, Parameter p, Tensor w) {
        Parameter other = new Parameter("other", Tensor.vector(1.0, 2.0));
        dp.backward(List.of(p, other), 2, (s, from, to) -> s == 0 ? p.variable().matmul(Variable.constant(w)).sum()
                : other.variable().square().sum());
    }

    @Test
    void aParameterNoShardReachesKeepsNoGradient() {
        Model m = new Model(DType.F64, 7);
        Parameter unused = new Parameter("unused", Tensor.vector(1, 2));
        List<Parameter> params = new ArrayList<>(m.params.values());
        params.add(unused);
        try (DataParallel dp = DataParallel.of(2, 2)) {
            dp.backward(params, BATCH, (s, from, to) -> m.loss(from, to));
        }
        assertNull(unused.grad());
        assertNotNull(m.params.values().iterator().next().grad());
    }

    /** Shards 0 and 2 run on the calling thread, shard 1 on a worker: shard 1's failure is the first in shard order. */
    @Test
    void failingShardsAddNothingAndTheFirstInShardOrderIsRethrown() {
        Model m = new Model(DType.F64, 8);
        IllegalStateException first = new IllegalStateException("shard 1 failed");
        IllegalStateException second = new IllegalStateException("shard 2 failed");
        try (DataParallel dp = DataParallel.of(3, 2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> dp.backward(m.params.values(), BATCH, (s, from, to) -> {
                if (s == 1) {
                    throw first;
                }
                if (s == 2) {
                    throw second;
                }
                return m.loss(from, to);
            }));
            assertSame(first, e);
        }
        m.grads().forEach((name, g) -> assertNull(g, name));
    }

    @Test
    void refusesWhatCannotBeSplit() {
        assertEquals("DataParallel: shards and threads must be at least 1, got 0 shards, 1 threads",
                assertThrows(IllegalArgumentException.class, () -> DataParallel.of(0, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataParallel.of(1, 0));
        Model m = new Model(DType.F64, 9);
        try (DataParallel dp = DataParallel.of(8, 1)) {
            assertEquals(8, dp.shards());
            assertEquals("DataParallel.backward: 7 rows cannot be split into 8 shards",
                    assertThrows(IllegalArgumentException.class, () -> dp.backward(m.params.values(), BATCH, (s, f, t) -> m.loss(f, t)))
                            .getMessage());
        }
        try (DataParallel dp = DataParallel.of(2, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dp.backward(m.params.values(), BATCH, (s, f, t) -> m.rnn.forward(Variable.constant(m.x).slice(0, f, t), null).outputs()));
            assertEquals("DataParallel.backward: the loss of shard 0 must be a scalar, got F64[3, 5, 4]", e.getMessage());
        }
        m.grads().forEach((name, g) -> assertNull(g, name));
    }
}
