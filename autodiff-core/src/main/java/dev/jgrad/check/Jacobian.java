package dev.jgrad.check;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Jacobians of functions at a point, computed by the tape (one vector-Jacobian product per output
 * element) or by central finite differences (two evaluations per input element). This is the one
 * place that builds Jacobians; {@link GradCheck} compares what it builds.
 *
 * <p>The result for an output of shape {@code O} and an input of shape {@code I} has shape
 * {@code O ++ I}: {@code J[o..., i...] = ∂out[o...] / ∂in[i...]}. For vectors that is the usual
 * {@code [m, n]} matrix with {@code J[i, j] = ∂yᵢ/∂xⱼ}.
 */
public final class Jacobian {
    private Jacobian() {
    }

    /**
     * A function recorded on a tape it is handed, so that it may differentiate its own intermediate
     * values on that tape (the gradient map a second-order check differentiates does).
     */
    @FunctionalInterface
    interface Recorded {
        Variable apply(Tape tape, List<Variable> inputs);
    }

    /**
     * {@code ∂f(x)/∂x} by the tape.
     *
     * @param f the function
     * @param x the point
     * @return the Jacobian, of shape {@code f(x).shape ++ x.shape}
     */
    public static Tensor of(UnaryOperator<Variable> f, Tensor x) {
        return analytic(in -> f.apply(in.get(0)), List.of(x), 0);
    }

    /**
     * {@code ∂f(x)/∂x} by central differences with step {@code eps} (computed in float64).
     *
     * @param f   the function
     * @param x   the point
     * @param eps the finite-difference step
     * @return the Jacobian, of shape {@code f(x).shape ++ x.shape}
     */
    public static Tensor numeric(UnaryOperator<Variable> f, Tensor x, double eps) {
        return numeric(in -> f.apply(in.get(0)), List.of(x), 0, eps);
    }

    /**
     * {@code ∂f(inputs)/∂inputs[wrt]} by the tape.
     *
     * @param f      the function
     * @param inputs the point
     * @param wrt    the position of the input differentiated with respect to
     * @return the Jacobian, of shape {@code f.shape ++ inputs[wrt].shape}
     */
    public static Tensor analytic(DifferentiableFunction f, List<Tensor> inputs, int wrt) {
        return analytic((tape, xs) -> f.apply(xs), inputs).get(wrt);
    }

    /**
     * {@code ∂f(inputs)/∂inputs[wrt]} by central differences, {@code (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / 2eps}.
     *
     * @param f      the function
     * @param inputs the point
     * @param wrt    the position of the input differentiated with respect to
     * @param eps    the finite-difference step
     * @return the Jacobian, of shape {@code f.shape ++ inputs[wrt].shape}
     */
    public static Tensor numeric(DifferentiableFunction f, List<Tensor> inputs, int wrt, double eps) {
        return centralDifferences(in -> evaluate(f, in), inputs, wrt, eps);
    }

    /** {@code ∂f/∂inputs[i]} for every input, by the tape: {@code f} recorded once, one backward pass per output element. */
    static List<Tensor> analytic(Recorded f, List<Tensor> inputs) {
        List<Variable> xs = leaves(inputs);
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(tape, xs);
            int m = y.shape().size();
            List<double[]> j = new ArrayList<>();
            for (Tensor x : inputs) {
                j.add(new double[m * x.size()]);
            }
            for (int o = 0; o < m; o++) {
                double[] e = new double[m];
                e[o] = 1;
                Variable cot = Variable.constant(Tensor.of(DType.F64, e, y.shape().dims()).cast(y.dtype()));
                List<Variable> gs = tape.gradients(List.of(y), List.of(cot), xs, false);
                for (int i = 0; i < xs.size(); i++) {
                    Tensor g = gs.get(i).value();
                    int n = g.size();
                    for (int k = 0; k < n; k++) {
                        j.get(i)[o * n + k] = g.at(k);
                    }
                }
            }
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                out.add(Tensor.of(j.get(i), concat(y.shape().dims(), inputs.get(i).shape().dims())));
            }
            return out;
        }
    }

    /**
     * {@code ∂value/∂inputs[wrt]} by central differences: {@code value} evaluated at the inputs with
     * element {@code i} of {@code inputs[wrt]} moved by {@code ±eps}, for every {@code i}.
     */
    static Tensor centralDifferences(Function<List<Tensor>, Tensor> value, List<Tensor> inputs, int wrt, double eps) {
        Tensor x = inputs.get(wrt);
        double[] base = x.toDoubleArray();
        int n = base.length;
        Tensor y0 = value.apply(inputs);
        int m = y0.size();
        double[] j = new double[m * n];
        for (int i = 0; i < n; i++) {
            double orig = base[i];
            base[i] = orig + eps;
            Tensor plus = value.apply(replace(inputs, wrt, Tensor.of(DType.F64, base, x.shape().dims()).cast(x.dtype())));
            base[i] = orig - eps;
            Tensor minus = value.apply(replace(inputs, wrt, Tensor.of(DType.F64, base, x.shape().dims()).cast(x.dtype())));
            base[i] = orig;
            for (int o = 0; o < m; o++) {
                j[o * n + i] = (plus.at(o) - minus.at(o)) / (2 * eps);
            }
        }
        return Tensor.of(j, concat(y0.shape().dims(), x.shape().dims()));
    }

    /** The vector-Jacobian products {@code cᵀ·∂f/∂inputs[i]} for every input, by one backward pass. */
    static List<Tensor> vjp(Recorded f, List<Tensor> inputs, Tensor c) {
        List<Variable> xs = leaves(inputs);
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(tape, xs);
            List<Tensor> out = new ArrayList<>();
            for (Variable g : tape.gradients(List.of(y), List.of(Variable.constant(c.cast(y.dtype()))), xs, false)) {
                out.add(g.value());
            }
            return out;
        }
    }

    /** Evaluates {@code f} with nothing recorded. */
    static Tensor evaluate(DifferentiableFunction f, List<Tensor> inputs) {
        try (Tape.Scope s = Tape.noGrad()) {
            List<Variable> vs = new ArrayList<>();
            for (Tensor t : inputs) {
                vs.add(Variable.constant(t));
            }
            return f.apply(vs).value();
        }
    }

    static List<Variable> leaves(List<Tensor> inputs) {
        List<Variable> vs = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            vs.add(Variable.leaf("input " + i, inputs.get(i)));
        }
        return vs;
    }

    private static List<Tensor> replace(List<Tensor> inputs, int i, Tensor t) {
        List<Tensor> copy = new ArrayList<>(inputs);
        copy.set(i, t);
        return copy;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = new int[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
