package dev.jgrad.check;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Jacobians of functions at a point, computed by the tape (one vector-Jacobian product per output
 * element) or by central finite differences (two evaluations per input element).
 *
 * <p>The result for an output of shape {@code O} and an input of shape {@code I} has shape
 * {@code O ++ I}: {@code J[o..., i...] = ∂out[o...] / ∂in[i...]}. For vectors that is the usual
 * {@code [m, n]} matrix with {@code J[i, j] = ∂yᵢ/∂xⱼ}.
 */
public final class Jacobian {
    private Jacobian() {
    }

    /** {@code ∂f(x)/∂x} by the tape. */
    public static Tensor of(UnaryOperator<Variable> f, Tensor x) {
        return analytic(in -> f.apply(in.get(0)), List.of(x), 0);
    }

    /** {@code ∂f(x)/∂x} by central differences with step {@code eps} (computed in float64). */
    public static Tensor numeric(UnaryOperator<Variable> f, Tensor x, double eps) {
        return numeric(in -> f.apply(in.get(0)), List.of(x), 0, eps);
    }

    /** {@code ∂f(inputs)/∂inputs[wrt]} by the tape. */
    public static Tensor analytic(DifferentiableFunction f, List<Tensor> inputs, int wrt) {
        List<Variable> leaves = leaves(inputs);
        Variable x = leaves.get(wrt);
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(leaves);
            int m = y.shape().size();
            int n = x.shape().size();
            double[] j = new double[m * n];
            for (int o = 0; o < m; o++) {
                double[] e = new double[m];
                e[o] = 1;
                Variable cot = Variable.constant(Tensor.of(DType.F64, e, y.shape().dims()).cast(y.dtype()));
                Tensor g = tape.gradients(List.of(y), List.of(cot), List.of(x), false).get(0).value();
                for (int i = 0; i < n; i++) {
                    j[o * n + i] = g.at(i);
                }
            }
            return Tensor.of(j, concat(y.shape().dims(), x.shape().dims()));
        }
    }

    /** {@code ∂f(inputs)/∂inputs[wrt]} by central differences, {@code (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / 2eps}. */
    public static Tensor numeric(DifferentiableFunction f, List<Tensor> inputs, int wrt, double eps) {
        Tensor x = inputs.get(wrt);
        double[] base = x.toDoubleArray();
        int n = base.length;
        Tensor y0 = evaluate(f, inputs);
        int m = y0.size();
        double[] j = new double[m * n];
        for (int i = 0; i < n; i++) {
            double orig = base[i];
            base[i] = orig + eps;
            Tensor plus = evaluate(f, replace(inputs, wrt, Tensor.of(DType.F64, base, x.shape().dims()).cast(x.dtype())));
            base[i] = orig - eps;
            Tensor minus = evaluate(f, replace(inputs, wrt, Tensor.of(DType.F64, base, x.shape().dims()).cast(x.dtype())));
            base[i] = orig;
            for (int o = 0; o < m; o++) {
                j[o * n + i] = (plus.at(o) - minus.at(o)) / (2 * eps);
            }
        }
        return Tensor.of(j, concat(y0.shape().dims(), x.shape().dims()));
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

    static List<Tensor> replace(List<Tensor> inputs, int i, Tensor t) {
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
