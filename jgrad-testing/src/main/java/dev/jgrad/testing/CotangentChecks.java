package dev.jgrad.testing;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.DifferentiableFunction;
import dev.jgrad.check.GradCheck;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Gradient checks of a function through a random cotangent: {@code f} is checked as the scalar
 * {@code sum(f(x) ⊙ c)}, never as {@code sum(f(x))} — the latter is constant for softmax, so a
 * backward pass returning zeros would pass it. Both orders go through the public {@link GradCheck}
 * with its default tolerances (eps 1e-6, atol 1e-5, rtol 1e-3); failures throw {@link AssertionError}
 * carrying GradCheck's report (input, element, analytic and numeric values).
 */
public final class CotangentChecks {
    private CotangentChecks() {
    }

    /**
     * A cotangent for an output of this shape: magnitudes in [0.25, 1.5], random signs (as {@link TensorArbitraries#cotangents}).
     *
     * @param shape the output's shape
     * @param seed  the generator's seed; the same seed gives the same cotangent
     * @return a float64 tensor of {@code shape} with no zero element
     */
    public static Tensor cotangent(Shape shape, long seed) {
        Objects.requireNonNull(shape, "shape");
        Rng rng = Rng.seeded(seed);
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) {
            double m = rng.uniform(0.25, 1.5);
            v[i] = rng.nextDouble() < 0.5 ? -m : m;
        }
        return Tensor.of(v, shape.dims());
    }

    /**
     * {@code x ↦ sum(f(x) ⊙ c)}. Each input first passes through a recorded {@code x·1} (exact in
     * both orders), so {@code f} sees tape nodes rather than leaves: a node's value reaches a
     * derivative rule only if the op lists it in {@code Op.saves()} (leaves are always kept), so this
     * is what makes the checks fail for an op whose rule reads a value it did not declare.
     *
     * @param f the function checked
     * @param c the cotangent, of {@code f}'s output shape
     * @return the scalar function {@code x ↦ sum(f(x) ⊙ c)}
     */
    public static DifferentiableFunction weighted(DifferentiableFunction f, Tensor c) {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(c, "c");
        return in -> f.apply(in.stream().map(v -> v.requiresGrad() ? v.times(1.0) : v).toList()).times(Variable.constant(c)).sum();
    }

    /**
     * The shape of {@code f}'s output at {@code inputs}, computed with nothing recorded.
     *
     * @param f      the function
     * @param inputs its inputs
     * @return the output's shape
     */
    public static Shape outputShape(DifferentiableFunction f, List<Tensor> inputs) {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(inputs, "inputs");
        try (Tape.Scope s = Tape.noGrad()) {
            List<Variable> vs = new ArrayList<>();
            for (Tensor t : inputs) {
                vs.add(Variable.constant(t));
            }
            return f.apply(vs).shape();
        }
    }

    /**
     * First-order check of {@code sum(f(x) ⊙ c)} with a cotangent drawn from {@code seed}.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param seed   draws the cotangent
     * @throws AssertionError with {@link GradCheck}'s report when a gradient differs
     */
    public static void assertFirstOrder(DifferentiableFunction f, List<Tensor> inputs, long seed) {
        GradCheck.assertGradients(contracted(f, inputs, seed), inputs);
    }

    /**
     * Second-order check (gradgradcheck) of {@code sum(f(x) ⊙ c)} with a cotangent drawn from {@code seed}.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param seed   draws the cotangent
     * @throws AssertionError with {@link GradCheck}'s report when a second derivative differs
     */
    public static void assertSecondOrder(DifferentiableFunction f, List<Tensor> inputs, long seed) {
        GradCheck.assertSecondOrder(contracted(f, inputs, seed), inputs);
    }

    /**
     * Both {@link #assertFirstOrder} and {@link #assertSecondOrder}, with the same cotangent.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param seed   draws the cotangent
     * @throws AssertionError with {@link GradCheck}'s report when a first or second derivative differs
     */
    public static void assertBothOrders(DifferentiableFunction f, List<Tensor> inputs, long seed) {
        DifferentiableFunction contracted = contracted(f, inputs, seed);   // one shape pass and cotangent for both orders
        GradCheck.assertGradients(contracted, inputs);
        GradCheck.assertSecondOrder(contracted, inputs);
    }

    /** {@code sum(f(x) ⊙ c)} with the cotangent {@code c} drawn from {@code seed} for {@code f}'s output at {@code inputs}. */
    private static DifferentiableFunction contracted(DifferentiableFunction f, List<Tensor> inputs, long seed) {
        return weighted(f, cotangent(outputShape(f, inputs), seed));   // outputShape refuses a null f or inputs by name
    }
}
