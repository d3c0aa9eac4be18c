package dev.jgrad.check;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Gradient checking as public API, the analogue of PyTorch's {@code gradcheck} and
 * {@code gradgradcheck}: compares the tape's derivatives of a function against central finite
 * differences in float64, element by element, with {@code |analytic − numeric| ≤ atol + rtol·|numeric|}.
 *
 * <pre>{@code
 * GradCheck.assertGradients(in -> in.get(0).matmul(in.get(1)).tanh(), List.of(a, b));
 * }</pre>
 *
 * <p>Two modes. {@link Mode#FULL} builds the whole Jacobian both ways (one backward pass per output
 * element, two forward passes per input element) and names the first mismatching input element.
 * {@link Mode#RANDOM_DIRECTION} compares one directional derivative {@code cᵀ·J·u} per direction,
 * for random {@code u} over all inputs and {@code c} over the output, so its cost does not grow
 * with the number of parameters. The checker depends on no test framework; the {@code assert…}
 * forms throw {@link AssertionError} with the report.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** How derivatives are compared. */
    public enum Mode {
        /** Every element of every Jacobian. */
        FULL,
        /** Random directional derivatives; cost flat in the number of inputs. */
        RANDOM_DIRECTION
    }

    /**
     * Tolerances and mode. Defaults as PyTorch's gradcheck: {@code eps = 1e-6}, {@code atol = 1e-5},
     * {@code rtol = 1e-3}, full mode.
     *
     * @param eps        the finite-difference step
     * @param atol       the absolute tolerance
     * @param rtol       the tolerance relative to the numeric value
     * @param mode       full Jacobians or random directions
     * @param directions the number of random directions
     * @param seed       the seed of the random directions
     */
    public record Options(double eps, double atol, double rtol, Mode mode, int directions, long seed) {
        /** Refuses a null mode. */
        public Options {
            Objects.requireNonNull(mode, "mode");
        }

        /**
         * PyTorch's gradcheck defaults.
         *
         * @return {@code eps = 1e-6}, {@code atol = 1e-5}, {@code rtol = 1e-3}, full mode
         */
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-3, Mode.FULL, 4, 20240611L);
        }

        /**
         * These options with another finite-difference step.
         *
         * @param e the step
         * @return the new options
         */
        public Options withEps(double e) {
            return new Options(e, atol, rtol, mode, directions, seed);
        }

        /**
         * These options with another absolute tolerance.
         *
         * @param a the tolerance
         * @return the new options
         */
        public Options withAtol(double a) {
            return new Options(eps, a, rtol, mode, directions, seed);
        }

        /**
         * These options with another relative tolerance.
         *
         * @param r the tolerance
         * @return the new options
         */
        public Options withRtol(double r) {
            return new Options(eps, atol, r, mode, directions, seed);
        }

        /**
         * These options with another seed for the random directions.
         *
         * @param s the seed
         * @return the new options
         */
        public Options withSeed(long s) {
            return new Options(eps, atol, rtol, mode, directions, s);
        }

        /**
         * Random-direction mode with {@code n} directions.
         *
         * @param n the number of directions
         * @return the new options
         */
        public Options randomDirections(int n) {
            return new Options(eps, atol, rtol, Mode.RANDOM_DIRECTION, n, seed);
        }

        /**
         * Full mode.
         *
         * @return the new options
         */
        public Options full() {
            return new Options(eps, atol, rtol, Mode.FULL, directions, seed);
        }

        /**
         * The comparison rule {@code |analytic − numeric| ≤ atol + rtol·|numeric|}; NaN on either side never passes.
         *
         * @param analytic the tape's derivative
         * @param numeric  the finite-difference derivative
         * @return whether {@code |analytic − numeric| ≤ atol + rtol·|numeric|}
         */
        public boolean accepts(double analytic, double numeric) {
            return Math.abs(analytic - numeric) <= atol + rtol * Math.abs(numeric);
        }
    }

    // ------------------------------------------------------------------ the checks

    /**
     * {@link #check(DifferentiableFunction, List, Options)} with the default options.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @return the report
     */
    public static GradCheckReport check(DifferentiableFunction f, List<Tensor> inputs) {
        return check(f, inputs, Options.defaults());
    }

    /**
     * Compares the tape's first derivatives of {@code f} at {@code inputs} (all float64) with finite differences.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param o      tolerances and mode
     * @return the report
     */
    public static GradCheckReport check(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(o, "o");
        requireF64(inputs);
        Shape out = Jacobian.evaluate(f, inputs).shape();
        Checked fn = new Checked((tape, xs) -> f.apply(xs), in -> Jacobian.evaluate(f, in), out, k -> index(out, k));
        return compare("gradient check", fn, inputs, o, Rng.seeded(o.seed()));
    }

    /**
     * {@link #check} that throws {@link AssertionError} with the report on any mismatch.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     */
    public static void assertGradients(DifferentiableFunction f, List<Tensor> inputs) {
        assertGradients(f, inputs, Options.defaults());
    }

    /**
     * {@link #check(DifferentiableFunction, List, Options)} that throws {@link AssertionError} with the report on any mismatch.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param o      tolerances and mode
     */
    public static void assertGradients(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        throwIfFailed(check(f, inputs, o));
    }

    /**
     * {@link #checkSecondOrder(DifferentiableFunction, List, Options)} with the default options.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @return the report
     */
    public static GradCheckReport checkSecondOrder(DifferentiableFunction f, List<Tensor> inputs) {
        return checkSecondOrder(f, inputs, Options.defaults());
    }

    /**
     * Checks the derivative of the gradient, the analogue of {@code gradgradcheck}: for a fixed random
     * cotangent {@code c}, the first derivatives of the gradient map {@code x ↦ ∂⟨c, f(x)⟩/∂x} (every
     * input's gradient, flattened and concatenated), by the tape through a backward pass recorded with
     * {@code createGraph}, against finite differences of that map.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param o      tolerances and mode
     * @return the report
     */
    public static GradCheckReport checkSecondOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        Objects.requireNonNull(f, "f");
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(o, "o");
        requireF64(inputs);
        Rng rng = Rng.seeded(o.seed() ^ 0x9E3779B97F4A7C15L);
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, Jacobian.evaluate(f, inputs).shape().dims());
        int total = 0;
        for (Tensor x : inputs) {
            total += x.size();
        }
        Checked gradient = new Checked((tape, xs) -> gradient(tape, f.apply(xs), c, xs, true), in -> gradientAt(f, in, c),
                Shape.of(total), k -> gradientElement(inputs, k));
        return compare("second-order check", gradient, inputs, o, rng);
    }

    /**
     * {@link #checkSecondOrder} that throws {@link AssertionError} with the report on any mismatch.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     */
    public static void assertSecondOrder(DifferentiableFunction f, List<Tensor> inputs) {
        assertSecondOrder(f, inputs, Options.defaults());
    }

    /**
     * {@link #checkSecondOrder(DifferentiableFunction, List, Options)} that throws {@link AssertionError} with the report on any mismatch.
     *
     * @param f      the function checked
     * @param inputs the float64 point at which it is checked
     * @param o      tolerances and mode
     */
    public static void assertSecondOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        throwIfFailed(checkSecondOrder(f, inputs, o));
    }

    // ------------------------------------------------------------------ the modes

    /**
     * A function under check in the two forms a check needs: recorded on a tape (for the tape's
     * derivatives) and evaluated (for finite differences); with its output's shape and the name of
     * output element {@code k} for reports.
     */
    private record Checked(Jacobian.Recorded recorded, Function<List<Tensor>, Tensor> value, Shape output,
            IntFunction<String> outputElement) {
    }

    private static GradCheckReport compare(String what, Checked fn, List<Tensor> inputs, Options o, Rng rng) {
        Comparison cmp = new Comparison(o);
        if (o.mode() == Mode.FULL) {
            full(fn, inputs, o, cmp);
        } else {
            randomDirections(fn, inputs, o, rng, cmp);
        }
        return cmp.report(what);
    }

    /** Every element of every Jacobian, by the tape and by finite differences. */
    private static void full(Checked fn, List<Tensor> inputs, Options o, Comparison cmp) {
        List<Tensor> analytic = Jacobian.analytic(fn.recorded(), inputs);
        for (int i = 0; i < inputs.size(); i++) {
            Tensor numeric = Jacobian.centralDifferences(fn.value(), inputs, i, o.eps());
            Shape in = inputs.get(i).shape();
            int n = in.size();
            for (int k = 0; k < numeric.size(); k++) {
                cmp.add("input " + i + " " + in, index(in, k % n), fn.outputElement().apply(k / n), analytic.get(i).at(k), numeric.at(k));
            }
        }
    }

    /** {@code cᵀ·J·u} for random {@code c} over the output and {@code u} over all inputs: the tape's against a central difference. */
    private static void randomDirections(Checked fn, List<Tensor> inputs, Options o, Rng rng, Comparison cmp) {
        for (int d = 0; d < o.directions(); d++) {
            Tensor c = Tensor.randn(rng, DType.F64, 1.0, fn.output().dims());
            List<Tensor> u = new ArrayList<>();
            for (Tensor x : inputs) {
                u.add(Tensor.randn(rng, DType.F64, 1.0, x.shape().dims()));
            }
            double analytic = dot(Jacobian.vjp(fn.recorded(), inputs, c), u);
            double plus = dot(fn.value().apply(shifted(inputs, u, o.eps())), c);
            double minus = dot(fn.value().apply(shifted(inputs, u, -o.eps())), c);
            cmp.add("all inputs", "random direction " + d, "random cotangent", analytic, (plus - minus) / (2 * o.eps()));
        }
    }

    /** Compares analytic with numeric values one by one, keeping every mismatch for the report. */
    private static final class Comparison {
        private final Options o;
        private final List<Mismatch> bad = new ArrayList<>();
        private int compared;

        Comparison(Options o) {
            this.o = o;
        }

        void add(String input, String element, String outputElement, double analytic, double numeric) {
            compared++;
            if (!o.accepts(analytic, numeric)) {
                bad.add(new Mismatch(input, element, outputElement, analytic, numeric));
            }
        }

        GradCheckReport report(String what) {
            return new GradCheckReport(what, compared, List.copyOf(bad), o);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** {@code ∂⟨c, y⟩/∂xs}, every input's gradient flattened and concatenated into one vector {@code [Σ sizes]}. */
    private static Variable gradient(Tape tape, Variable y, Tensor c, List<Variable> xs, boolean createGraph) {
        List<Variable> parts = new ArrayList<>();
        for (Variable g : tape.gradients(List.of(y), List.of(Variable.constant(c.cast(y.dtype()))), xs, createGraph)) {
            parts.add(g.reshape(-1));
        }
        return Variable.concat(0, parts);
    }

    /** The gradient map's value at {@code inputs}, computed by a fresh tape. */
    private static Tensor gradientAt(DifferentiableFunction f, List<Tensor> inputs, Tensor c) {
        List<Variable> xs = Jacobian.leaves(inputs);
        try (Tape tape = Tape.record()) {
            return gradient(tape, f.apply(xs), c, xs, false).value();
        }
    }

    /** Element {@code k} of the concatenated gradients, named by its input and its index there. */
    private static String gradientElement(List<Tensor> inputs, int k) {
        int i = 0;
        while (k >= inputs.get(i).size()) {
            k -= inputs.get(i).size();
            i++;
        }
        return "gradient of input " + i + " at " + index(inputs.get(i).shape(), k);
    }

    private static void throwIfFailed(GradCheckReport r) {
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
    }

    private static void requireF64(List<Tensor> inputs) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).dtype() != DType.F64) {
                throw new IllegalArgumentException("gradient check: input " + i + " is " + inputs.get(i).dtype()
                        + inputs.get(i).shape() + "; finite differences need float64 (cast it, and compare float32 "
                        + "results against float64 ones instead)");
            }
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += a.at(i) * b.at(i);
        }
        return s;
    }

    private static double dot(List<Tensor> a, List<Tensor> b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += dot(a.get(i), b.get(i));
        }
        return s;
    }

    private static List<Tensor> shifted(List<Tensor> inputs, List<Tensor> u, double eps) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            double[] x = inputs.get(i).toDoubleArray();
            for (int k = 0; k < x.length; k++) {
                x[k] += eps * u.get(i).at(k);
            }
            out.add(Tensor.of(x, inputs.get(i).shape().dims()));
        }
        return out;
    }

    private static String index(Shape s, int flat) {
        return Arrays.toString(s.unravel(flat));
    }
}
