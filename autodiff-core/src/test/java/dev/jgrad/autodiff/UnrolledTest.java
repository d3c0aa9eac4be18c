package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Note [Hoisting over time steps] on {@link Unrolled}: a cell written per step gets the values and
 * gradients of the per-step computation, with its step-input-only ops recorded once for all steps.
 * The Java matmul kernel computes each output row from that row alone (Note [Matmul summation
 * order]), so on it hoisting changes no bit.
 */
class UnrolledTest {
    private static final int T = 5;
    /** Rows a step: enough for a step's input {@code [B, 4]}, and so everything computed from it, to reach the hoisting threshold. */
    private static final int B = Math.ceilDiv(Unrolled.MIN_STEP_ELEMENTS, 4);
    private Blas.Backend saved;

    @BeforeEach
    void javaKernel() {
        saved = Blas.backend();
        Blas.use(Blas.Backend.JAVA);
    }

    @AfterEach
    void restore() {
        Blas.use(saved);
    }

    private final Rng rng = Rng.seeded(8);
    private final Variable wx = Variable.leaf("Wx", Tensor.randn(rng, DType.F64, 1, 4, 6));
    private final Variable wh = Variable.leaf("Wh", Tensor.randn(rng, DType.F64, 1, 2, 6));
    private final Variable bias = Variable.leaf("b", Tensor.randn(rng, DType.F64, 1, 6));
    private final Variable xs = Variable.leaf("x", Tensor.randn(rng, DType.F64, 1, T * B, 4));
    private final Tensor cot = Tensor.randn(rng, DType.F64, 1, T * B, 2);

    /** A small gated cell: the input projection, a bias, a gate block sliced off, a tanh candidate. */
    private Variable cell(Variable x, Variable h) {
        return gates(x.matmul(wx).plus(bias), h);
    }

    /** The cell's state update from its input projection {@code gi}. */
    private Variable gates(Variable gi, Variable h) {
        return gates(gi, h, h.matmul(wh));
    }

    /** {@link #gates(Variable, Variable)} with the hidden projection {@code gh} given. */
    private static Variable gates(Variable gi, Variable h, Variable gh) {
        Variable z = gi.slice(1, 0, 2).plus(gh.slice(1, 0, 2)).sigmoid();
        Variable n = gi.slice(1, 2, 4).tanh().plus(gh.slice(1, 2, 4).times(z)).tanh();
        return z.times(h).plus(z.oneMinus().times(n)).plus(gi.slice(1, 4, 6).times(0.5));
    }

    /** One run's output values, tape size and recorded ops (listed before backward, which frees the graph). */
    private record Run(Tensor out, int tapeSize, List<Op> ops) {
        int matmuls() {
            return count(Op.MatMul.class);
        }

        /** How many of the recorded ops are of {@code kind}. */
        int count(Class<? extends Op> kind) {
            return (int) ops.stream().filter(kind::isInstance).count();
        }
    }

    /** Runs the cell over the T steps, hoisted or not, differentiating Σ ⟨h_t, c_t⟩. */
    private Run run(boolean hoisted, BiFunction<Variable, Variable, Variable> step) {
        return run(hoisted, step, xs, cot);
    }

    /** {@link #run(boolean, BiFunction)} over inputs {@code xs [T·b, 4]} with cotangent {@code cot [T·b, 2]}. */
    private Run run(boolean hoisted, BiFunction<Variable, Variable, Variable> step, Variable xs, Tensor cot) {
        int b = xs.shape().dim(0) / T;
        for (Variable v : List.of(wx, wh, bias, xs)) {
            v.zeroGrad();
        }
        try (Tape tape = Tape.record()) {
            Variable h = Variable.constant(Tensor.zeros(DType.F64, b, 2));
            List<Variable> hs = new ArrayList<>();
            if (hoisted) {
                try (Unrolled steps = Unrolled.over(xs, T)) {
                    for (int t = 0; t < T; t++) {
                        try (Unrolled.Step open = steps.step(t)) {
                            h = open.carry(step.apply(open.input(), h));
                            hs.add(h);
                        }
                    }
                }
            } else {
                for (int t = 0; t < T; t++) {
                    h = step.apply(xs.slice(0, t * b, (t + 1) * b), h);
                    hs.add(h);
                }
            }
            Variable out = Variable.concat(0, hs);
            List<Op> recorded = tape.ops();
            out.times(Variable.constant(cot)).sum().backward();
            return new Run(out.value(), tape.size(), recorded);
        }
    }


    @Test
    void hoistingGivesThePerStepValuesAndGradientsBitForBit() {
        Run plain = run(false, this::cell);
        Tensor[] plainGrads = {wx.grad(), wh.grad(), bias.grad(), xs.grad()};
        Run hoisted = run(true, this::cell);
        Tensor[] hoistedGrads = {wx.grad(), wh.grad(), bias.grad(), xs.grad()};
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        String[] names = {"Wx", "Wh", "b", "x"};
        for (int i = 0; i < names.length; i++) {
            // the weight gradients are sums over steps, now in another grouping: equal to rounding
            assertEquals(0.0, plainGrads[i].maxAbsDiff(hoistedGrads[i]), 1e-12, names[i]);
        }
        assertEquals(2 * T, plain.matmuls(), "per step: x·Wx and h·Wh");
        assertEquals(1 + T, hoisted.matmuls(), "x·Wx once for all steps, h·Wh per step");
    }

    /** {@code x·Wx + b} as one op is hoisted like the product and the sum, with their bits and without the product apart. */
    @Test
    void aProductPlusABiasInOneOpIsHoistedWithTheBitsOfTwo() {
        BiFunction<Variable, Variable, Variable> fusedCell = (x, h) -> gates(x.matmulPlus(wx, bias), h);
        Run twoOps = run(true, this::cell);
        Tensor[] twoOpsGrads = {wx.grad(), wh.grad(), bias.grad(), xs.grad()};
        Run fused = run(true, fusedCell);
        Tensor[] fusedGrads = {wx.grad(), wh.grad(), bias.grad(), xs.grad()};
        assertArrayEquals(twoOps.out().toDoubleArray(), fused.out().toDoubleArray(), 0.0);
        for (int i = 0; i < fusedGrads.length; i++) {
            assertArrayEquals(twoOpsGrads[i].toDoubleArray(), fusedGrads[i].toDoubleArray(), 0.0, "gradient " + i);
        }
        assertEquals(1, fused.count(Op.MatMulPlus.class), "x·Wx + b once for all steps");
        assertEquals(T, fused.matmuls(), "h·Wh per step");
    }

    /**
     * Step inputs that need no gradient (one-hot characters): the product with the weight is computed
     * for a chunk of {@link Unrolled#CHUNK_ROWS} rows at once, and the tape is the per-step
     * computation's, op for op, so every gradient is its gradient bit for bit and the gradient of the
     * whole sequence's product is never built.
     */
    @Test
    void aProductOfInputsThatNeedNoGradientComputesItsValueInChunksAndRecordsEachStep() {
        Variable constantXs = Variable.constant(xs.value());
        for (BiFunction<Variable, Variable, Variable> step : List.<BiFunction<Variable, Variable, Variable>>of(
                this::cell, (x, h) -> gates(x.matmulPlus(wx, bias), h))) {
            List<dev.jgrad.tensor.MatmulTrace.Product> plainProducts = new ArrayList<>();
            Run plain = traced(() -> run(false, step, constantXs, cot), plainProducts);
            Tensor[] plainGrads = {wx.grad(), wh.grad(), bias.grad()};
            List<dev.jgrad.tensor.MatmulTrace.Product> hoistedProducts = new ArrayList<>();
            Run hoisted = traced(() -> run(true, step, constantXs, cot), hoistedProducts);
            Tensor[] hoistedGrads = {wx.grad(), wh.grad(), bias.grad()};
            assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
            for (int i = 0; i < plainGrads.length; i++) {
                assertArrayEquals(plainGrads[i].toDoubleArray(), hoistedGrads[i].toDoubleArray(), 0.0, "gradient " + i);
            }
            assertEquals(plain.ops(), hoisted.ops(), "the tape of the per-step computation, op for op");
            assertNull(constantXs.grad());
            int chunkSteps = Math.ceilDiv(Unrolled.CHUNK_ROWS, B);
            assertTrue(chunkSteps < T && T % chunkSteps != 0, "chunks of " + chunkSteps + " steps, the last one shorter");
            List<Integer> inputRows = new ArrayList<>();
            for (dev.jgrad.tensor.MatmulTrace.Product p : hoistedProducts) {
                if (p.n() == 6 && p.k() == 4 && !p.transA()) {
                    inputRows.add(p.m());
                }
            }
            List<Integer> chunks = new ArrayList<>();
            for (int first = 0; first < T; first += chunkSteps) {
                chunks.add((Math.min(T, first + chunkSteps) - first) * B);
            }
            assertEquals(chunks, inputRows, "x·Wx: one product a chunk of steps");
            assertEquals(plainProducts.size() - T + chunks.size(), hoistedProducts.size(), "every other product as per step");
        }
    }

    /** Under anomaly detection the chunk's product is checked like a recorded op, naming it. */
    @Test
    void anomalyDetectionChecksTheChunksOfAValueOnlyProduct() {
        Tensor w = Tensor.randn(rng, DType.F64, 1, 4, 6);
        double[] values = w.toDoubleArray();
        values[5] = Double.NaN;
        Variable badW = Variable.leaf("Wx", Tensor.of(DType.F64, values, 4, 6));
        try (Tape tape = Tape.record().withAnomalyDetection(); Unrolled steps = Unrolled.over(Variable.constant(xs.value()), T)) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> steps.input(0).matmul(badW));
            assertTrue(e.getMessage().startsWith("matmul produced NaN in its forward pass at element [0, 5] of its output F64[512, 6]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("recorded at " + UnrolledTest.class.getName()), "where the cell applied it: " + e.getMessage());
        }
    }

    /**
     * A product of one-hot step rows is a gather (Note [One-hot products] on {@code OneHotProducts}),
     * which costs per step what it costs over all steps: it runs per step, with the per-step tape and
     * bits, and a NaN in its weight is reported at a step's product rather than at a chunk of steps.
     */
    @Test
    void aProductOfOneHotStepRowsRunsPerStep() {
        int[] chars = new int[T * B];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (int) Math.floor(rng.uniform(0, 4));
        }
        Variable oneHots = Variable.constant(Tensor.oneHot(DType.F64, chars, 4, T * B));
        assertTrue(oneHots.value().productsReadAtOnes());
        for (BiFunction<Variable, Variable, Variable> step : List.<BiFunction<Variable, Variable, Variable>>of(
                this::cell, (x, h) -> gates(x.matmulPlus(wx, bias), h))) {
            Run plain = run(false, step, oneHots, cot);
            Tensor[] plainGrads = {wx.grad(), wh.grad(), bias.grad()};
            Run unrolled = run(true, step, oneHots, cot);
            assertArrayEquals(plain.out().toDoubleArray(), unrolled.out().toDoubleArray(), 0.0);
            Tensor[] grads = {wx.grad(), wh.grad(), bias.grad()};
            for (int i = 0; i < grads.length; i++) {
                assertArrayEquals(plainGrads[i].toDoubleArray(), grads[i].toDoubleArray(), 0.0, "gradient " + i);
            }
            assertEquals(plain.ops(), unrolled.ops(), "the tape of the per-step computation, op for op");
        }
        double[] values = wx.value().toDoubleArray();
        values[5] = Double.NaN;
        Variable badW = Variable.leaf("Wx", Tensor.of(DType.F64, values, 4, 6));
        try (Tape tape = Tape.record().withAnomalyDetection(); Unrolled steps = Unrolled.over(oneHots, T)) {
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> steps.input(0).matmul(badW));
            assertTrue(e.getMessage().startsWith("matmul produced NaN in its forward pass at element [0, 5] of its output F64["
                    + B + ", 6]"), e.getMessage());
        }
    }

    private static Run traced(java.util.function.Supplier<Run> body, List<dev.jgrad.tensor.MatmulTrace.Product> products) {
        Run[] run = new Run[1];
        products.addAll(dev.jgrad.tensor.MatmulTrace.during(() -> run[0] = body.get()));
        return run[0];
    }

    /**
     * A step's result under {@link Unrolled#MIN_STEP_ELEMENTS} elements is computed per step: there a
     * step's op costs about what recording it costs, so hoisting would only add the slices.
     */
    @Test
    void smallStepsAreNotHoisted() {
        int small = 3;
        Variable xsSmall = Variable.leaf("x", Tensor.randn(rng, DType.F64, 1, T * small, 4));
        Tensor cotSmall = Tensor.randn(rng, DType.F64, 1, T * small, 2);
        Run plain = run(false, this::cell, xsSmall, cotSmall);
        Tensor g = xsSmall.grad();
        Run unrolled = run(true, this::cell, xsSmall, cotSmall);
        assertArrayEquals(plain.out().toDoubleArray(), unrolled.out().toDoubleArray(), 0.0);
        assertArrayEquals(g.toDoubleArray(), xsSmall.grad().toDoubleArray(), 0.0, "the same ops in the same order: the same bits");
        assertEquals(plain.ops(), unrolled.ops(), "the tape of the per-step computation, op for op");
    }

    /**
     * A product {@code x·Wᵀ} (PyTorch's weight layout) is counted by its result's columns, W's rows:
     * a step's rows by W's 128 rows reach the threshold, though its rows by the input's 4 columns do not.
     */
    @Test
    void aProductWithATransposedWeightIsCountedByItsResultsColumns() {
        int rows = Unrolled.MIN_STEP_ELEMENTS / 128;
        Variable wT = Variable.leaf("WxT", Tensor.randn(rng, DType.F64, 1, 128, 4));
        Variable xsFew = Variable.leaf("x", Tensor.randn(rng, DType.F64, 1, T * rows, 4));
        Tensor cotFew = Tensor.randn(rng, DType.F64, 1, T * rows, 2);
        BiFunction<Variable, Variable, Variable> step = (x, h) -> gates(x.matmul(wT, false, true).slice(1, 0, 6), h);
        Run plain = run(false, step, xsFew, cotFew);
        Tensor g = xsFew.grad();
        Run hoisted = run(true, step, xsFew, cotFew);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        assertEquals(0.0, g.maxAbsDiff(xsFew.grad()), 1e-12);
        assertEquals(2 * T, plain.matmuls(), "per step: x·Wᵀ and h·Wh");
        assertEquals(1 + T, hoisted.matmuls(), "x·Wᵀ once for all steps, h·Wh per step");
    }

    /** The elementwise ops added for cell authors act row by row, so on the input projection they too run once for all steps. */
    @Test
    void newElementwiseOpsOnStepInputsAreHoisted() {
        BiFunction<Variable, Variable, Variable> step = (x, h) -> {
            Variable p = x.matmul(wx).plus(bias);
            Variable a = p.softplus().sqrt().log1p().plus(p.sin().times(p.cos())).plus(p.expm1().clamp(-1, 2)).div(3.0);
            Variable b = Variable.div(2.0, p.abs().plus(1)).maximum(p.minimum(bias));
            Variable c = p.tanhGrad(p).plus(p.sigmoidGrad(bias));
            return a.plus(b).plus(c).slice(1, 0, 2).tanh().plus(h);
        };
        Run plain = run(false, step);
        Tensor g = xs.grad();
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        assertEquals(0.0, g.maxAbsDiff(xs.grad()), 1e-12);
        java.util.function.Predicate<Op> elementwise = op -> switch (op) {
            case Op.Softplus o -> true;
            case Op.Sqrt o -> true;
            case Op.Log1p o -> true;
            case Op.Sin o -> true;
            case Op.Cos o -> true;
            case Op.Expm1 o -> true;
            case Op.Clamp o -> true;
            case Op.DivScalar o -> true;
            case Op.ScalarDiv o -> true;
            case Op.Abs o -> true;
            case Op.Maximum o -> true;
            case Op.Minimum o -> true;
            case Op.TanhGrad o -> true;
            case Op.SigmoidGrad o -> true;
            default -> false;
        };
        assertEquals(14 * T, (int) plain.ops().stream().filter(elementwise).count(), "per step: each of the 14 once a step");
        assertEquals(14, (int) hoisted.ops().stream().filter(elementwise).count(), "each of the 14 once for all steps");
    }

    @Test
    void opsThatAreNotRowWiseRunPerStep() {
        Variable spanning = Variable.leaf("S", Tensor.randn(rng, DType.F64, 1, B, 4)); // spans a step's rows: not hoisted
        BiFunction<Variable, Variable, Variable> step = (x, h) -> {
            Variable a = x.times(spanning).matmul(wx);                  // elementwise with a [B, 4] leaf
            Variable c = wh.matmul(x.slice(1, 0, 2).reshape(2, B).matmul(Variable.constant(Tensor.ones(DType.F64, B, 6))), true, false);
            Variable mean = x.sum(true, 0).matmul(wx);                  // a reduction over the rows
            return a.slice(1, 0, 2).plus(c.sum(0).reshape(1, 6).slice(1, 0, 2)).plus(mean.slice(1, 0, 2)).tanh().plus(h.times(0.5));
        };
        Run plain = run(false, step);
        Tensor g = xs.grad();
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        assertEquals(0.0, g.maxAbsDiff(xs.grad()), 1e-12);
        assertEquals(plain.matmuls(), hoisted.matmuls(), "nothing here acts row by row on the step input alone");
    }

    @Test
    void aLeafMadeAfreshEachStepIsNotReusedAcrossSteps() {
        BiFunction<Variable, Variable, Variable> step = (x, h) -> {
            Variable shift = Variable.constant(Tensor.full(DType.F64, h.value().at(0), 6)); // a constant that changes per step
            return x.matmul(wx).plus(shift).slice(1, 0, 2).tanh().plus(h);
        };
        Run plain = run(false, step);
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
    }

    /**
     * An op on the inputs of two different steps (the first step's and this one's) is not hoisted: its
     * rows belong to no one step. At step 0 the same op on x₀ and x₀ is hoisted, and x₀·x_t must not
     * be taken for its rows t.
     */
    @Test
    void anOpOnTwoStepsInputsRunsPerStep() {
        Variable[] first = new Variable[1];
        BiFunction<Variable, Variable, Variable> step = (x, h) -> {
            if (first[0] == null) {
                first[0] = x;
            }
            return first[0].times(x).matmul(wx).slice(1, 0, 2).tanh().plus(h);
        };
        Run plain = run(false, step);
        first[0] = null;
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
    }

    /** Rows 0–5 of a packed {@code [12, 2]} weight, as a PyTorch-layout cell cuts one gate's block from {@code weight_hh}. */
    private static Variable block(Variable packed) {
        return packed.slice(0, 0, 6);
    }

    /**
     * The cell with {@code h·W_kᵀ} for {@code gh}, W_k sliced from {@code packed} at every step or,
     * {@code byHand}, once before the loop; returns Σ ⟨h_t, c_t⟩'s output and the
     * gradients of the packed weight and the input weight, and adds each step's block to {@code blocks}.
     */
    private Tensor[] slicedRun(Variable packed, boolean byHand, List<Variable> blocks, List<Op> recorded) {
        for (Variable v : List.of(wx, bias, packed)) {
            v.zeroGrad();
        }
        try (Tape tape = Tape.record()) {
            Variable sliced = byHand ? block(packed) : null;
            Variable h = Variable.constant(Tensor.zeros(DType.F64, B, 2));
            List<Variable> hs = new ArrayList<>();
            try (Unrolled steps = Unrolled.over(xs, T)) {
                for (int t = 0; t < T; t++) {
                    try (Unrolled.Step step = steps.step(t)) {
                        Variable wk = sliced == null ? block(packed) : sliced;
                        blocks.add(wk);
                        h = step.carry(gates(step.input().matmul(wx).plus(bias), h, h.matmul(wk, false, true)));
                        hs.add(h);
                    }
                }
            }
            Variable out = Variable.concat(0, hs);
            recorded.addAll(tape.ops());
            out.times(Variable.constant(cot)).sum().backward();
            return new Tensor[] {out.value(), packed.grad(), wx.grad()};
        }
    }

    /**
     * Note [Loop invariants]: a gate block sliced from a parameter at every step is computed once, at
     * step 0, and is the same node at every later step, exactly as if the cell's author had sliced it
     * before the loop: the same values and gradients bit for bit, and one slice on the tape, not T.
     */
    @Test
    void anOpOfParametersAloneIsComputedOnceAndSharedByEveryStep() {
        Variable packed = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, 2));
        List<Variable> perStep = new ArrayList<>();
        List<Op> perStepOps = new ArrayList<>();
        Tensor[] inLoop = slicedRun(packed, false, perStep, perStepOps);
        List<Variable> byHand = new ArrayList<>();
        List<Op> byHandOps = new ArrayList<>();
        Tensor[] before = slicedRun(packed, true, byHand, byHandOps);
        for (Variable wk : perStep) {
            assertSame(perStep.get(0), wk, "every step reads step 0's block");
        }
        String[] names = {"output", "W_hh's gradient", "Wx's gradient"};
        for (int i = 0; i < names.length; i++) {
            assertArrayEquals(before[i].toDoubleArray(), inLoop[i].toDoubleArray(), 0.0, names[i]);
        }
        assertEquals(1, perStepOps.stream().filter(op -> op.equals(new Op.Slice(0, 0, 6))).count(), "one block cut for all steps");
        assertEquals(byHandOps.size(), perStepOps.size(), "the tape of the loop with the block cut by hand");
    }

    /**
     * A later step finds each invariant whatever order it meets them in: in step 0's order, reversed,
     * or one of them twice and another not at all, every step reads step 0's node.
     */
    @Test
    void invariantsMetInAnotherOrderThanAtStepZeroAreTheSameNodes() {
        Variable packed = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, 2));
        int[][] order = {{0, 1, 2}, {2, 1, 0}, {1, 1}, {0, 2, 1}, {2}};
        Variable[][] seen = new Variable[order.length][3];
        try (Tape tape = Tape.record(); Unrolled steps = Unrolled.over(xs, T)) {
            for (int t = 0; t < T; t++) {
                try (Unrolled.Step step = steps.step(t)) {
                    for (int b : order[t]) {
                        seen[t][b] = packed.slice(0, 4 * b, 4 * b + 4);
                    }
                }
            }
        }
        for (int t = 1; t < T; t++) {
            for (int b : order[t]) {
                assertSame(seen[0][b], seen[t][b], "step " + t + ", block " + b);
            }
        }
    }

    /**
     * What is not a loop invariant runs at every step: an op of parameters first met after step 0,
     * one whose parameter was assigned since step 0, and one of a constant (an initial state is one,
     * and is never read again).
     */
    @Test
    void opsMetAfterStepZeroOnChangedParametersOrOnConstantsRunPerStep() {
        Variable packed = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, 2));
        Variable constant = Variable.constant(Tensor.randn(rng, DType.F64, 1, 12, 2));
        Tensor replaced = Tensor.randn(rng, DType.F64, 1, 12, 2);
        Variable[][] seen = new Variable[3][T];
        try (Unrolled steps = Unrolled.over(xs, T)) {
            for (int t = 0; t < T; t++) {
                try (Unrolled.Step step = steps.step(t)) {
                    if (t == 3) {
                        packed.assign(replaced);
                    }
                    seen[0][t] = t == 0 ? null : packed.slice(0, 6, 12);   // first met at step 1
                    seen[1][t] = block(packed);
                    seen[2][t] = block(constant);
                }
            }
        }
        assertNotSame(seen[0][1], seen[0][2], "first met after step 0");
        assertSame(seen[1][0], seen[1][2], "the same parameter values: one node");
        assertNotSame(seen[1][2], seen[1][3], "assigned at step 3");
        assertArrayEquals(Kernels.slice(replaced, 0, 0, 6).toDoubleArray(), seen[1][3].value().toDoubleArray(), 0.0);
        assertNotSame(seen[2][0], seen[2][1], "a constant's op");
    }

    /**
     * With no tape recording, as when a model generates text one loop per character, a block of a
     * parameter is kept with the parameter's tensor: a later loop reads the same tensor, with the
     * same values, and does not slice it again. A recorded loop reads it too, through a node of its
     * own that gives the parameter its gradient, when the parameter has at least
     * {@link Unrolled#MIN_KEPT_ELEMENTS} elements.
     */
    @Test
    void anUnrecordedLoopKeepsAnInvariantForTheNextLoop() {
        int cols = Math.ceilDiv(Unrolled.MIN_KEPT_ELEMENTS, 12);
        Variable packed = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, cols));
        Variable[] blocks = new Variable[3];
        for (int loop = 0; loop < 3; loop++) {
            try (Tape.Scope off = loop < 2 ? Tape.noGrad() : null; Tape tape = loop < 2 ? null : Tape.record()) {
                try (Unrolled steps = Unrolled.over(xs, T); Unrolled.Step step = steps.step(0)) {
                    blocks[loop] = block(packed);
                }
                if (tape != null) {
                    blocks[loop].sum().backward();
                }
            }
        }
        assertSame(blocks[0].value(), blocks[1].value(), "the second unrecorded loop reads the first one's block");
        assertArrayEquals(Kernels.slice(packed.value(), 0, 0, 6).toDoubleArray(), blocks[0].value().toDoubleArray(), 0.0);
        assertSame(blocks[0].value(), blocks[2].value(), "so does a recorded loop");
        assertFalse(blocks[0].requiresGrad());
        assertTrue(blocks[2].requiresGrad(), "on a node of its own");
        double[] expected = new double[12 * cols];
        java.util.Arrays.fill(expected, 0, 6 * cols, 1.0);
        assertArrayEquals(expected, packed.grad().toDoubleArray(), 0.0, "d Σ W_hh[0:6] / d W_hh");
    }

    /**
     * Of a parameter of fewer than {@link Unrolled#MIN_KEPT_ELEMENTS} elements, a recorded loop slices
     * its invariant afresh and keeps nothing with the parameter's tensor: the same values and gradient,
     * without the look-up that costs a small model more than the slice.
     */
    @Test
    void aRecordedLoopSlicesASmallParametersInvariantAfresh() {
        Variable packed = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, 2));
        Variable[] blocks = new Variable[2];
        for (int loop = 0; loop < 2; loop++) {
            try (Tape.Scope off = loop == 0 ? Tape.noGrad() : null; Tape tape = loop == 0 ? null : Tape.record()) {
                try (Unrolled steps = Unrolled.over(xs, T); Unrolled.Step step = steps.step(0)) {
                    blocks[loop] = block(packed);
                }
                if (tape != null) {
                    blocks[loop].sum().backward();
                }
            }
        }
        assertNotSame(blocks[0].value(), blocks[1].value(), "the recorded loop slices afresh");
        assertArrayEquals(blocks[0].value().toDoubleArray(), blocks[1].value().toDoubleArray(), 0.0);
        double[] expected = new double[24];
        java.util.Arrays.fill(expected, 0, 12, 1.0);
        assertArrayEquals(expected, packed.grad().toDoubleArray(), 0.0, "d Σ W_hh[0:6] / d W_hh");

        Variable fresh = Variable.leaf("W_hh", Tensor.randn(rng, DType.F64, 1, 12, 2));
        try (Tape tape = Tape.record(); Unrolled steps = Unrolled.over(xs, T); Unrolled.Step step = steps.step(0)) {
            assertTrue(block(fresh).requiresGrad());
        }
        Tensor marker = Tensor.zeros(DType.F64, 6, 2);
        assertSame(marker, fresh.value().derived(new Op.Slice(0, 0, 6), () -> marker), "nothing kept with the tensor");
    }

    /** Hoisting treats a loop invariant as a leaf: {@code x_t·W_kᵀ} over a block of a packed input weight is one product for all steps. */
    @Test
    void aProductWithALoopInvariantIsHoisted() {
        Variable packedIn = Variable.leaf("W_ih", Tensor.randn(rng, DType.F64, 1, 12, 4));
        BiFunction<Variable, Variable, Variable> step = (x, h) -> gates(x.matmul(packedIn.slice(0, 0, 6), false, true), h);
        Run plain = run(false, step);
        Tensor plainGrad = packedIn.grad();
        packedIn.zeroGrad();
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        // the weight's gradient sums the steps' terms in another grouping: equal to rounding
        assertEquals(0.0, plainGrad.maxAbsDiff(packedIn.grad()), 1e-12);
        assertEquals(2 * T, plain.matmuls(), "per step: x·W_kᵀ and h·Wh");
        assertEquals(1 + T, hoisted.matmuls(), "x·W_kᵀ once for all steps, h·Wh per step");
    }

    /** A leaf of one row ([1, N]) broadcasts over a step's rows, so an op with it is hoisted like one with a bias [N]. */
    @Test
    void aLeafOfOneRowIsHoisted() {
        Variable row = Variable.leaf("r", Tensor.randn(rng, DType.F64, 1, 1, 6));
        BiFunction<Variable, Variable, Variable> step = (x, h) -> x.matmul(wx).plus(row).slice(1, 0, 2).tanh().plus(h);
        Run plain = run(false, step);
        Run hoisted = run(true, step);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        assertEquals(2 * T, plain.count(Op.Add.class), "per step: + r and + h");
        assertEquals(1 + T, hoisted.count(Op.Add.class), "+ r once for all steps, + h per step");
    }

    /**
     * Runs {@code step} per step, then hoisted, over the step inputs {@code xs}, with the gradients of
     * {@code leaves} zeroed before each run ({@link #run} zeroes the class's own leaves), and checks the
     * outputs bit for bit and each of {@code leaves}' gradients within 1e-12 (a weight's sum over steps
     * may group its terms otherwise). Returns the two runs, per step first.
     */
    private Run[] plainAndHoisted(BiFunction<Variable, Variable, Variable> step, Variable xs, Variable... leaves) {
        List.of(leaves).forEach(Variable::zeroGrad);
        Run plain = run(false, step, xs, cot);
        Tensor[] grads = new Tensor[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            grads[i] = leaves[i].grad();
            leaves[i].zeroGrad();
        }
        Run hoisted = run(true, step, xs, cot);
        assertArrayEquals(plain.out().toDoubleArray(), hoisted.out().toDoubleArray(), 0.0);
        for (int i = 0; i < leaves.length; i++) {
            assertEquals(0.0, grads[i].maxAbsDiff(leaves[i].grad()), 1e-12, "gradient " + i);
        }
        return new Run[] {plain, hoisted};
    }

    /** {@code x·W + r} with an addend of one row, {@code [1, N]}, is hoisted as one op, like one with a bias {@code [N]}. */
    @Test
    void aProductPlusAnAddendOfOneRowIsHoistedAsOneOp() {
        Variable row = Variable.leaf("r", Tensor.randn(rng, DType.F64, 1, 1, 6));
        Run[] runs = plainAndHoisted((x, h) -> x.matmulPlus(wx, row).slice(1, 0, 2).tanh().plus(h), xs, row);
        assertEquals(T, runs[0].count(Op.MatMulPlus.class));
        assertEquals(1, runs[1].count(Op.MatMulPlus.class), "x·W + r once for all steps");
    }

    /**
     * Products whose step rows are not the left operand's rows, and one whose addend spans a step's
     * rows, act on a step as a whole: they run per step, with the per-step values and gradients.
     */
    @Test
    void productsThatDoNotActRowByRowRunPerStep() {
        Variable w64 = Variable.leaf("V", Tensor.randn(rng, DType.F64, 1, 6, 4));
        Variable spanning = Variable.leaf("S", Tensor.randn(rng, DType.F64, 1, B, 6));   // spans a step's rows
        BiFunction<Variable, Variable, Variable> step = (x, h) -> {
            Variable right = w64.matmul(x, false, true);               // V·xᵀ [6, B]: the step's rows are its columns
            Variable transposed = x.matmul(spanning, true, false);     // xᵀ·S [4, 6]: the step's rows summed over
            Variable addend = x.matmulPlus(wx, spanning);              // x·W + S, S [B, 6]
            Variable mixed = right.sum(1).plus(transposed.sum(0)).reshape(1, 6);
            return addend.plus(mixed).slice(1, 0, 2).tanh().plus(h);
        };
        Run[] runs = plainAndHoisted(step, xs, xs, w64, spanning);
        assertEquals(runs[0].ops(), runs[1].ops(), "nothing here acts row by row on the step input alone");
    }

    /** Step inputs that need no gradient, as either operand of an elementwise op, give the per-step values and gradients. */
    @Test
    void elementwiseOpsOnStepInputsThatNeedNoGradientInEitherPlace() {
        Variable constantXs = Variable.constant(xs.value());
        Variable scale = Variable.leaf("c", Tensor.randn(rng, DType.F64, 1, 4));
        Variable offset = Variable.constant(Tensor.randn(rng, DType.F64, 1, 4));   // needs no gradient either
        BiFunction<Variable, Variable, Variable> step = (x, h) -> scale.times(x).plus(x.times(scale).exp()).plus(offset.minus(x))
                .matmul(wx).slice(1, 0, 2).tanh().plus(h);
        plainAndHoisted(step, constantXs, scale, wx);
    }

    /** Nested scopes restore the enclosing one; closing out of order never revives a closed scope. */
    @Test
    void nestedScopesAndOutOfOrderClose() {
        Unrolled outer = Unrolled.over(xs, T);
        Unrolled inner = Unrolled.over(xs, T);
        assertSame(inner, Unrolled.current());
        inner.close();
        assertSame(outer, Unrolled.current(), "closing the inner scope restores the outer one");
        inner.close(); // idempotent
        assertSame(outer, Unrolled.current());
        outer.close();
        assertNull(Unrolled.current());

        Unrolled a = Unrolled.over(xs, T);
        Unrolled b = Unrolled.over(xs, T);
        a.close(); // out of order: b is still open
        assertSame(b, Unrolled.current());
        b.close();
        assertNull(Unrolled.current(), "the closed outer scope must not become current again");
    }

    @Test
    void rejectsRowsThatAreNotWholeSteps() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Unrolled.over(xs, T * B + 1));
        assertEquals("Unrolled.over: [" + T * B + ", 4] is not the rows of " + (T * B + 1) + " steps stacked along axis 0", e.getMessage());
        try (Unrolled u = Unrolled.over(xs, T)) {
            assertThrows(IndexOutOfBoundsException.class, () -> u.input(T));
            assertEquals(T, u.steps());
        }
        try (Unrolled one = Unrolled.over(xs, 1)) {
            assertEquals(1, one.steps(), "all rows as one step");
        }
        assertNull(Unrolled.current(), "closing restores no scope");
    }
}
