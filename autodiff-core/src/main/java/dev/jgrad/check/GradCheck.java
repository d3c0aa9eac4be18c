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
import java.util.Locale;

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

    public enum Mode {
        /** Every element of every Jacobian. */
        FULL,
        /** Random directional derivatives; cost flat in the number of inputs. */
        RANDOM_DIRECTION
    }

    /**
     * Tolerances and mode. Defaults as PyTorch's gradcheck: {@code eps = 1e-6}, {@code atol = 1e-5},
     * {@code rtol = 1e-3}, full mode.
     */
    public record Options(double eps, double atol, double rtol, Mode mode, int directions, long seed) {
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-3, Mode.FULL, 4, 20240611L);
        }

        public Options withEps(double e) {
            return new Options(e, atol, rtol, mode, directions, seed);
        }

        public Options withAtol(double a) {
            return new Options(eps, a, rtol, mode, directions, seed);
        }

        public Options withRtol(double r) {
            return new Options(eps, atol, r, mode, directions, seed);
        }

        public Options withSeed(long s) {
            return new Options(eps, atol, rtol, mode, directions, s);
        }

        /** Random-direction mode with {@code n} directions. */
        public Options randomDirections(int n) {
            return new Options(eps, atol, rtol, Mode.RANDOM_DIRECTION, n, seed);
        }

        /** Full mode. */
        public Options full() {
            return new Options(eps, atol, rtol, Mode.FULL, directions, seed);
        }
    }

    /**
     * One disagreement: which input and element (or which random direction), the output element,
     * and both values.
     */
    public record Mismatch(String input, String element, String outputElement, double analytic, double numeric) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s, element %s, output element %s: analytic %.12g, numeric %.12g (difference %.3g)",
                    input, element, outputElement, analytic, numeric, Math.abs(analytic - numeric));
        }
    }

    /** The outcome of a check: how many values were compared and every mismatch found. */
    public record Report(String what, int compared, List<Mismatch> mismatches, Options options) {
        public boolean passed() {
            return mismatches.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(what).append(passed() ? " passed: " : " FAILED: ").append(compared).append(" values compared (")
                    .append(options.mode()).append(", eps ").append(options.eps()).append(", atol ").append(options.atol())
                    .append(", rtol ").append(options.rtol()).append(")");
            int shown = 0;
            for (Mismatch m : mismatches) {
                if (shown++ == 10) {
                    sb.append("\n  … and ").append(mismatches.size() - 10).append(" more");
                    break;
                }
                sb.append("\n  ").append(m);
            }
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ first order

    public static Report check(DifferentiableFunction f, List<Tensor> inputs) {
        return check(f, inputs, Options.defaults());
    }

    /** Compares the tape's first derivatives of {@code f} at {@code inputs} (all float64) with finite differences. */
    public static Report check(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        requireF64(inputs);
        return o.mode() == Mode.FULL ? fullFirstOrder(f, inputs, o) : directionalFirstOrder(f, inputs, o);
    }

    /** {@link #check} that throws {@link AssertionError} with the report on any mismatch. */
    public static void assertGradients(DifferentiableFunction f, List<Tensor> inputs) {
        assertGradients(f, inputs, Options.defaults());
    }

    public static void assertGradients(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        Report r = check(f, inputs, o);
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
    }

    private static Report fullFirstOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        List<Variable> xs = Jacobian.leaves(inputs);
        List<Mismatch> bad = new ArrayList<>();
        int compared = 0;
        double[][] analytic = new double[inputs.size()][];
        Shape outShape;
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(xs);
            outShape = y.shape();
            int m = y.shape().size();
            for (int i = 0; i < inputs.size(); i++) {
                analytic[i] = new double[m * inputs.get(i).size()];
            }
            for (int out = 0; out < m; out++) {
                double[] e = new double[m];
                e[out] = 1;
                Variable cot = Variable.constant(Tensor.of(e, y.shape().dims()).cast(y.dtype()));
                List<Variable> gs = tape.gradients(List.of(y), List.of(cot), xs, false);
                for (int i = 0; i < inputs.size(); i++) {
                    Tensor g = gs.get(i).value();
                    int n = inputs.get(i).size();
                    for (int k = 0; k < n; k++) {
                        analytic[i][out * n + k] = g.at(k);
                    }
                }
            }
        }
        for (int i = 0; i < inputs.size(); i++) {
            Tensor numeric = Jacobian.numeric(f, inputs, i, o.eps());
            int n = inputs.get(i).size();
            for (int k = 0; k < numeric.size(); k++) {
                compared++;
                double a = analytic[i][k];
                double nu = numeric.at(k);
                if (!close(a, nu, o)) {
                    bad.add(new Mismatch("input " + i + " " + inputs.get(i).shape(), index(inputs.get(i).shape(), k % n),
                            index(outShape, k / n), a, nu));
                }
            }
        }
        return new Report("gradient check", compared, List.copyOf(bad), o);
    }

    private static Report directionalFirstOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        Rng rng = Rng.seeded(o.seed());
        List<Mismatch> bad = new ArrayList<>();
        Tensor y0 = Jacobian.evaluate(f, inputs);
        for (int d = 0; d < o.directions(); d++) {
            Tensor c = Tensor.randn(rng, DType.F64, 1.0, y0.shape().dims());
            List<Tensor> u = new ArrayList<>();
            for (Tensor x : inputs) {
                u.add(Tensor.randn(rng, DType.F64, 1.0, x.shape().dims()));
            }
            List<Tensor> grads = firstOrder(f, inputs, c.cast(y0.dtype()));
            double analytic = 0;
            for (int i = 0; i < inputs.size(); i++) {
                analytic += dot(grads.get(i), u.get(i));
            }
            double plus = dot(Jacobian.evaluate(f, shifted(inputs, u, o.eps())), c);
            double minus = dot(Jacobian.evaluate(f, shifted(inputs, u, -o.eps())), c);
            double numeric = (plus - minus) / (2 * o.eps());
            if (!close(analytic, numeric, o)) {
                bad.add(new Mismatch("all inputs", "random direction " + d, "random cotangent", analytic, numeric));
            }
        }
        return new Report("gradient check", o.directions(), List.copyOf(bad), o);
    }

    /** ∂⟨c, f(x)⟩/∂xᵢ for every input, by the tape, nothing recorded beyond one fresh tape. */
    private static List<Tensor> firstOrder(DifferentiableFunction f, List<Tensor> inputs, Tensor c) {
        List<Variable> xs = Jacobian.leaves(inputs);
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(xs);
            List<Tensor> out = new ArrayList<>();
            for (Variable g : tape.gradients(List.of(y), List.of(Variable.constant(c)), xs, false)) {
                out.add(g.value());
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ second order

    public static Report checkSecondOrder(DifferentiableFunction f, List<Tensor> inputs) {
        return checkSecondOrder(f, inputs, Options.defaults());
    }

    /**
     * Checks the derivative of the gradient, the analogue of {@code gradgradcheck}: for a fixed random
     * cotangent {@code c}, the tape's derivative of {@code x ↦ ∂⟨c, f(x)⟩/∂x} (recorded with
     * {@code createGraph}) against finite differences of the first-order gradients.
     */
    public static Report checkSecondOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        requireF64(inputs);
        Rng rng = Rng.seeded(o.seed() ^ 0x9E3779B97F4A7C15L);
        Tensor y0 = Jacobian.evaluate(f, inputs);
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, y0.shape().dims());
        int total = 0;
        int[] offsets = new int[inputs.size() + 1];
        for (int i = 0; i < inputs.size(); i++) {
            offsets[i + 1] = offsets[i] + inputs.get(i).size();
        }
        total = offsets[inputs.size()];
        List<Mismatch> bad = new ArrayList<>();
        int compared = 0;
        if (o.mode() == Mode.FULL) {
            // analytic H[r, (i,k)] = ∂ grad_flat[r] / ∂ x_i[k]
            double[][] h = new double[total][];
            List<Variable> xs = Jacobian.leaves(inputs);
            try (Tape tape = Tape.record()) {
                Variable y = f.apply(xs);
                List<Variable> g = tape.gradients(List.of(y), List.of(Variable.constant(c)), xs, true);
                for (int gi = 0; gi < g.size(); gi++) {
                    Variable gv = g.get(gi);
                    for (int k = 0; k < gv.shape().size(); k++) {
                        int r = offsets[gi] + k;
                        h[r] = new double[total];
                        if (!gv.requiresGrad()) {
                            continue; // gradient is constant in x: second derivative is zero
                        }
                        double[] e = new double[gv.shape().size()];
                        e[k] = 1;
                        List<Variable> hs = tape.gradients(List.of(gv), List.of(Variable.constant(Tensor.of(e, gv.shape().dims()))), xs, false);
                        for (int j = 0; j < xs.size(); j++) {
                            Tensor hv = hs.get(j).value();
                            for (int q = 0; q < hv.size(); q++) {
                                h[r][offsets[j] + q] = hv.at(q);
                            }
                        }
                    }
                }
            }
            for (int j = 0; j < inputs.size(); j++) {
                double[] base = inputs.get(j).toDoubleArray();
                for (int q = 0; q < base.length; q++) {
                    double orig = base[q];
                    base[q] = orig + o.eps();
                    List<Tensor> gp = firstOrder(f, Jacobian.replace(inputs, j, Tensor.of(base, inputs.get(j).shape().dims())), c);
                    base[q] = orig - o.eps();
                    List<Tensor> gm = firstOrder(f, Jacobian.replace(inputs, j, Tensor.of(base, inputs.get(j).shape().dims())), c);
                    base[q] = orig;
                    for (int gi = 0; gi < inputs.size(); gi++) {
                        for (int k = 0; k < gp.get(gi).size(); k++) {
                            double numeric = (gp.get(gi).at(k) - gm.get(gi).at(k)) / (2 * o.eps());
                            double analytic = h[offsets[gi] + k][offsets[j] + q];
                            compared++;
                            if (!close(analytic, numeric, o)) {
                                bad.add(new Mismatch("input " + j + " " + inputs.get(j).shape(), index(inputs.get(j).shape(), q),
                                        "gradient of input " + gi + " at " + index(inputs.get(gi).shape(), k), analytic, numeric));
                            }
                        }
                    }
                }
            }
        } else {
            for (int d = 0; d < o.directions(); d++) {
                List<Tensor> u = new ArrayList<>();
                List<Tensor> v = new ArrayList<>();
                for (Tensor x : inputs) {
                    u.add(Tensor.randn(rng, DType.F64, 1.0, x.shape().dims()));
                    v.add(Tensor.randn(rng, DType.F64, 1.0, x.shape().dims()));
                }
                // analytic: ⟨v, H u⟩ with H the derivative of the gradient map
                double analytic = 0;
                List<Variable> xs = Jacobian.leaves(inputs);
                try (Tape tape = Tape.record()) {
                    Variable y = f.apply(xs);
                    List<Variable> g = tape.gradients(List.of(y), List.of(Variable.constant(c)), xs, true);
                    List<Variable> outs = new ArrayList<>();
                    List<Variable> cots = new ArrayList<>();
                    for (int i = 0; i < g.size(); i++) {
                        if (g.get(i).requiresGrad()) {
                            outs.add(g.get(i));
                            cots.add(Variable.constant(v.get(i)));
                        }
                    }
                    if (!outs.isEmpty()) {
                        List<Variable> hv = tape.gradients(outs, cots, xs, false);
                        for (int i = 0; i < xs.size(); i++) {
                            analytic += dot(hv.get(i).value(), u.get(i));
                        }
                    }
                }
                List<Tensor> gp = firstOrder(f, shifted(inputs, u, o.eps()), c);
                List<Tensor> gm = firstOrder(f, shifted(inputs, u, -o.eps()), c);
                double numeric = 0;
                for (int i = 0; i < inputs.size(); i++) {
                    numeric += (dot(gp.get(i), v.get(i)) - dot(gm.get(i), v.get(i))) / (2 * o.eps());
                }
                compared++;
                if (!close(analytic, numeric, o)) {
                    bad.add(new Mismatch("all inputs", "random direction " + d, "random cotangent", analytic, numeric));
                }
            }
        }
        return new Report("second-order check", compared, List.copyOf(bad), o);
    }

    /** {@link #checkSecondOrder} that throws {@link AssertionError} with the report on any mismatch. */
    public static void assertSecondOrder(DifferentiableFunction f, List<Tensor> inputs) {
        assertSecondOrder(f, inputs, Options.defaults());
    }

    public static void assertSecondOrder(DifferentiableFunction f, List<Tensor> inputs, Options o) {
        Report r = checkSecondOrder(f, inputs, o);
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
    }

    // ------------------------------------------------------------------ helpers

    static boolean close(double analytic, double numeric, Options o) {
        return Math.abs(analytic - numeric) <= o.atol() + o.rtol() * Math.abs(numeric);
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
