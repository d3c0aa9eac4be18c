package dev.jgrad.nn.check;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheck.Options;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.check.Mismatch;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A gradient check for any {@link Module} in a few lines: the analytic gradients are the parameter
 * gradients the tape accumulates from one {@code backward()} of the loss, the numeric ones come from
 * central differences obtained by {@link Parameter#set setting} perturbed parameter values.
 * Tolerances and modes are {@link GradCheck}'s.
 *
 * <pre>{@code
 * TorchGRUCell cell = TorchGRUCell.create(3, 4, true, DType.F64, Rng.seeded(1));
 * Variable x = Variable.constant(Tensor.randn(rng, DType.F64, 1, 2, 3));
 * Supplier<Variable> loss = ModuleGradCheck.contracted(
 *         () -> cell.step(x, cell.initialState(2, DType.F64)).h(), rng);    // sum(h' ⊙ c), c random
 * ModuleGradCheck.assertGradients(cell, loss);
 * }</pre>
 *
 * <p>The loss must be a scalar computed from the module's current {@link Parameter#variable()}s
 * each time it is called, and every parameter must be float64. The parameters hold their original
 * values again when the check returns; their gradients are cleared.
 */
public final class ModuleGradCheck {
    private ModuleGradCheck() {
    }

    /**
     * The scalar {@code sum(f() ⊙ c)} for a random cotangent {@code c ~ N(0, 1)} drawn once, at the first
     * call, with the output's shape: contracting with a random {@code c} makes a backward that returns
     * wrong or constant gradients visible (a plain {@code sum} would miss, e.g., softmax's).
     *
     * @param output computes the output from the module's current parameters
     * @param rng    draws the cotangent
     * @return the scalar loss {@code sum(output() ⊙ c)}
     */
    public static Supplier<Variable> contracted(Supplier<Variable> output, Rng rng) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(rng, "rng");
        Tensor[] c = new Tensor[1];
        return () -> {
            Variable y = output.get();
            if (c[0] == null) {
                c[0] = Tensor.randn(rng, y.dtype(), 1.0, y.shape().dims());
            }
            return y.times(Variable.constant(c[0])).sum();
        };
    }

    /**
     * {@link #check(Module, Supplier, Options)} with the default options.
     *
     * @param m    the module whose parameters are checked
     * @param loss computes the scalar loss from the module's current parameters
     * @return the report
     */
    public static GradCheckReport check(Module m, Supplier<Variable> loss) {
        return check(m, loss, Options.defaults());
    }

    /**
     * Compares the module's parameter gradients of {@code loss} with finite differences.
     *
     * @param m    the module whose parameters are checked
     * @param loss computes the scalar loss from the module's current parameters
     * @param o    tolerances and mode
     * @return the report
     */
    public static GradCheckReport check(Module m, Supplier<Variable> loss, Options o) {
        Objects.requireNonNull(m, "m");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(o, "o");
        Map<String, Parameter> params = m.parameters();
        Map<String, Tensor> original = new LinkedHashMap<>();
        params.forEach((k, p) -> {
            if (p.value().dtype() != DType.F64) {
                throw new IllegalArgumentException("ModuleGradCheck: parameter " + k + " is " + p.value().dtype()
                        + p.value().shape() + "; gradient checks need F64");
            }
            original.put(k, p.value());
        });
        try {
            Map<String, Tensor> analytic = analytic(params, loss);
            return o.mode() == GradCheck.Mode.FULL ? full(params, loss, analytic, o) : directional(params, loss, analytic, o);
        } finally {
            params.forEach((k, p) -> p.set(original.get(k)));
        }
    }

    /**
     * {@link #assertGradients(Module, Supplier, Options)} with the default options.
     *
     * @param m    the module whose parameters are checked
     * @param loss computes the scalar loss from the module's current parameters
     */
    public static void assertGradients(Module m, Supplier<Variable> loss) {
        assertGradients(m, loss, Options.defaults());
    }

    /**
     * {@link #check} that throws {@link AssertionError} with the report on any mismatch.
     *
     * @param m    the module whose parameters are checked
     * @param loss computes the scalar loss from the module's current parameters
     * @param o    tolerances and mode
     */
    public static void assertGradients(Module m, Supplier<Variable> loss, Options o) {
        GradCheckReport r = check(m, loss, o);
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
    }

    private static Map<String, Tensor> analytic(Map<String, Parameter> params, Supplier<Variable> loss) {
        params.values().forEach(Parameter::zeroGrad);
        try (Tape tape = Tape.record()) {
            Variable l = loss.get();
            if (l.shape().size() != 1) {
                throw new IllegalArgumentException("ModuleGradCheck: the loss must be a scalar, got " + l.shape()
                        + " (contract an output with a random cotangent, see contracted())");
            }
            l.backward();
        }
        Map<String, Tensor> g = new LinkedHashMap<>();
        params.forEach((k, p) -> g.put(k, p.grad() != null ? p.grad() : Tensor.zeros(DType.F64, p.value().shape())));
        params.values().forEach(Parameter::zeroGrad);
        return g;
    }

    private static double evaluate(Supplier<Variable> loss) {
        try (Tape.Scope s = Tape.noGrad()) {
            return loss.get().value().item();
        }
    }

    private static GradCheckReport full(Map<String, Parameter> params, Supplier<Variable> loss, Map<String, Tensor> analytic, Options o) {
        List<Mismatch> bad = new ArrayList<>();
        int compared = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            Tensor base = p.value();
            double[] w = base.toDoubleArray();
            int[] dims = base.shape().dims();
            for (int i = 0; i < w.length; i++) {
                double orig = w[i];
                w[i] = orig + o.eps();
                p.set(Tensor.of(w, dims));
                double plus = evaluate(loss);
                w[i] = orig - o.eps();
                p.set(Tensor.of(w, dims));
                double minus = evaluate(loss);
                w[i] = orig;
                p.set(base);
                double numeric = (plus - minus) / (2 * o.eps());
                double a = analytic.get(e.getKey()).at(i);
                compared++;
                if (!o.accepts(a, numeric)) {
                    bad.add(new Mismatch(e.getKey() + " " + base.shape(), Arrays.toString(base.shape().unravel(i)), "loss", a, numeric));
                }
            }
        }
        return new GradCheckReport("module gradient check", compared, List.copyOf(bad), o);
    }

    private static GradCheckReport directional(Map<String, Parameter> params, Supplier<Variable> loss, Map<String, Tensor> analytic,
            Options o) {
        Rng rng = Rng.seeded(o.seed());
        List<Mismatch> bad = new ArrayList<>();
        for (int d = 0; d < o.directions(); d++) {
            Map<String, Tensor> u = new LinkedHashMap<>();
            double a = 0;
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                Tensor ui = Tensor.randn(rng, DType.F64, 1.0, e.getValue().value().shape().dims());
                u.put(e.getKey(), ui);
                Tensor g = analytic.get(e.getKey());
                for (int i = 0; i < ui.size(); i++) {
                    a += g.at(i) * ui.at(i);
                }
            }
            shift(params, u, o.eps());
            double plus = evaluate(loss);
            shift(params, u, -2 * o.eps());
            double minus = evaluate(loss);
            shift(params, u, o.eps());
            double numeric = (plus - minus) / (2 * o.eps());
            if (!o.accepts(a, numeric)) {
                bad.add(new Mismatch("all parameters", "random direction " + d, "loss", a, numeric));
            }
        }
        return new GradCheckReport("module gradient check", o.directions(), List.copyOf(bad), o);
    }

    /** Moves every parameter by {@code t·u}. */
    private static void shift(Map<String, Parameter> params, Map<String, Tensor> u, double t) {
        params.forEach((k, p) -> {
            double[] w = p.value().toDoubleArray();
            Tensor ui = u.get(k);
            for (int i = 0; i < w.length; i++) {
                w[i] += t * ui.at(i);
            }
            p.set(Tensor.of(w, p.value().shape().dims()));
        });
    }
}
