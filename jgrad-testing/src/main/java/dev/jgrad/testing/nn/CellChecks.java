package dev.jgrad.testing.nn;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.DifferentiableFunction;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.CotangentChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The gradient-check suite of a recurrent cell in one call: {@code CellChecks.assertGradients(cell, seed)}
 * checks every parameter gradient through {@value #STEPS} unrolled steps, every input and initial-state
 * gradient, and the second derivatives, all against central finite differences in float64 and through a
 * random cotangent on every part of the final state. Make the cell float64 and small (input 3, hidden 4 is
 * plenty): finite differences cost two forward passes per parameter element.
 *
 * <pre>{@code
 * @Test
 * void gradients() {
 *     CellChecks.assertGradients(MyCell.create(3, 4, DType.F64, Rng.seeded(7)), 1);
 * }
 * }</pre>
 *
 * <p>Steps start from a random state (each part of {@link RecurrentCell#initialState} filled with
 * U(−0.9, 0.9)), not zeros, so the hidden-to-hidden weights get non-trivial gradients. Inputs are
 * N(0, 1). Each check throws {@link AssertionError} with the report of the check that failed.
 */
public final class CellChecks {
    /** Steps unrolled for the parameter check: enough that the recurrence itself is differentiated. */
    public static final int STEPS = 3;
    /** Batch size of the generated inputs; 2, so rows that mix by mistake are caught. */
    public static final int BATCH = 2;

    private CellChecks() {
    }

    /**
     * {@link #assertParameterGradients}, {@link #assertInputAndStateGradients} and {@link #assertSecondOrder},
     * with inputs, states and cotangents drawn from {@code seed}.
     *
     * @param cell a float64 cell
     * @param seed draws inputs, initial states and cotangents
     */
    public static void assertGradients(RecurrentCell cell, long seed) {
        assertParameterGradients(cell, seed);
        assertInputAndStateGradients(cell, seed);
        assertSecondOrder(cell, seed);
    }

    /**
     * Every parameter gradient of {@code Σ s_T ⊙ c} after {@value #STEPS} steps ({@code s_T} all parts of the
     * final state side by side) against finite differences, and every parameter reached by the backward pass
     * ({@link ModuleChecks#assertGradients}). A recurrence cut by a stray {@code detach()} fails here.
     *
     * @param cell a float64 cell
     * @param seed draws the inputs, the initial state and the cotangent
     */
    public static void assertParameterGradients(RecurrentCell cell, long seed) {
        Objects.requireNonNull(cell, "cell");
        Rng rng = Rng.seeded(seed);
        List<Variable> xs = new ArrayList<>();
        for (int t = 0; t < STEPS; t++) {
            xs.add(Variable.constant(input(cell, BATCH, rng)));
        }
        State s0 = new State(randomState(cell, BATCH, rng).stream().map(Variable::constant).toList());
        ModuleChecks.assertGradients(cell, () -> unroll(cell, xs, s0), rng.nextLong());
    }

    /**
     * The gradients of {@code Σ s_2 ⊙ c} with respect to both steps' inputs and every part of the initial
     * state, against finite differences ({@link CotangentChecks#assertFirstOrder}).
     *
     * @param cell a float64 cell
     * @param seed draws the inputs, the initial state and the cotangent
     */
    public static void assertInputAndStateGradients(RecurrentCell cell, long seed) {
        Objects.requireNonNull(cell, "cell");
        Rng rng = Rng.seeded(seed);
        CotangentChecks.assertFirstOrder(stepsFromInputs(cell, 2), inputs(cell, 2, BATCH, rng), rng.nextLong());
    }

    /**
     * The second derivatives of one step with respect to its input and initial state (gradgradcheck of
     * {@code Σ s_1 ⊙ c}, batch 1): the cell's backward pass is itself differentiable, as Hessian-vector
     * products and gradient penalties need.
     *
     * @param cell a float64 cell
     * @param seed draws the input, the initial state and the cotangent
     */
    public static void assertSecondOrder(RecurrentCell cell, long seed) {
        Objects.requireNonNull(cell, "cell");
        Rng rng = Rng.seeded(seed);
        CotangentChecks.assertSecondOrder(stepsFromInputs(cell, 1), inputs(cell, 1, 1, rng), rng.nextLong());
    }

    /**
     * A random state for {@code batch} rows: every part of {@link RecurrentCell#initialState} (float64)
     * filled with U(−0.9, 0.9), away from the zeros that would hide the hidden-to-hidden gradients.
     *
     * @param cell  the cell whose state shape is used
     * @param batch rows
     * @param rng   the generator drawn from
     * @return one tensor per state part, in the cell's order ({@code h} first)
     */
    public static List<Tensor> randomState(RecurrentCell cell, int batch, Rng rng) {
        Objects.requireNonNull(cell, "cell");
        List<Tensor> parts = new ArrayList<>();
        for (Variable part : cell.initialState(batch, DType.F64).parts()) {
            parts.add(Tensor.uniform(rng, DType.F64, -0.9, 0.9, part.shape().dims()));
        }
        return parts;
    }

    /** The steps' inputs {@code x_1..x_steps [batch, I]} followed by the initial state's parts. */
    private static List<Tensor> inputs(RecurrentCell cell, int steps, int batch, Rng rng) {
        List<Tensor> in = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            in.add(input(cell, batch, rng));
        }
        in.addAll(randomState(cell, batch, rng));
        return in;
    }

    private static Tensor input(RecurrentCell cell, int batch, Rng rng) {
        return Tensor.randn(rng, DType.F64, 1.0, batch, cell.inputSize());
    }

    /** {@code (x_1..x_steps, s_0 parts) ↦ s_steps}, for the checks with respect to inputs and state. */
    private static DifferentiableFunction stepsFromInputs(RecurrentCell cell, int steps) {
        return in -> unroll(cell, in.subList(0, steps), new State(in.subList(steps, in.size())));
    }

    /** All parts of the state after stepping through {@code xs}, concatenated along the feature axis. */
    private static Variable unroll(RecurrentCell cell, List<Variable> xs, State s0) {
        State s = s0;
        for (Variable x : xs) {
            s = cell.step(x, s);
        }
        return Variable.concat(1, s.parts());
    }
}
