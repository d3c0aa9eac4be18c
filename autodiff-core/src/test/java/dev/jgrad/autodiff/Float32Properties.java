package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.check.DifferentiableFunction;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.CotangentChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Every op computed in float32 agrees with the same op in float64 — its value and its gradient
 * through a random cotangent — on the same inputs (drawn in float64, rounded to float32 once, and
 * used by both paths, so only the arithmetic differs).
 *
 * <p>Tolerance, normwise per tensor: {@code |r32 − r64| ≤ TOL · max(1, max|r64|)} with
 * {@code TOL = 32 · ε32 ≈ 3.8e-6} (ε32 = 2⁻²³, float32's machine epsilon). Each float32 operation
 * rounds with relative error at most ε32/2; the longest forward-plus-backward chain here is under 10
 * operations and the longest sum has 25 terms, with inputs in [−4, 4] where no op amplifies relative
 * error by more than about 4. The worst case, every rounding in the same direction, is
 * (10 + 25)·ε32/2·4 ≈ 70·ε32; round-to-nearest errors add like a random walk, √35·ε32/2·4 ≈ 12·ε32,
 * and 32·ε32 leaves room above that. A float32 path that silently returns float64 is reported
 * as such. ({@code cast} itself is checked in {@code ClosedFormTest}.)
 */
class Float32Properties {

    static final double TOL = 32 * DType.F32.epsilon();

    /** An op, and how to draw inputs for it. */
    record OpCase(String name, Function<Rng, List<Tensor>> inputs, DifferentiableFunction f) {
    }

    /** Uniform float64 values in [lo, hi) that are exactly representable in float32. */
    private static Tensor u(Rng r, double lo, double hi, int... dims) {
        return Tensor.uniform(r, DType.F64, lo, hi, dims).cast(DType.F32).cast(DType.F64);
    }

    private static final List<OpCase> CASES = cases();

    private static List<OpCase> cases() {
        List<OpCase> c = new ArrayList<>();
        c.add(new OpCase("add", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 4)), x -> x.get(0).plus(x.get(1))));
        c.add(new OpCase("sub", r -> List.of(u(r, -2, 2, 3, 1), u(r, -2, 2, 2, 1, 4)), x -> x.get(0).minus(x.get(1))));
        c.add(new OpCase("mul", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 3, 4)), x -> x.get(0).times(x.get(1))));
        c.add(new OpCase("div", r -> List.of(u(r, -2, 2, 3, 4), u(r, 0.5, 2, 3, 1)), x -> x.get(0).div(x.get(1))));
        c.add(new OpCase("neg", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).neg()));
        c.add(new OpCase("plusScalar", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).plus(0.7)));
        c.add(new OpCase("minusScalar", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).minus(1.3)));
        c.add(new OpCase("timesScalar", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).times(-2.5)));
        c.add(new OpCase("divScalar", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).div(3.0)));
        c.add(new OpCase("oneMinus", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).oneMinus()));
        c.add(new OpCase("pow", r -> List.of(u(r, 0.5, 2, 5)), x -> x.get(0).pow(2.5)));
        c.add(new OpCase("square", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).square()));
        c.add(new OpCase("exp", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).exp()));
        c.add(new OpCase("log", r -> List.of(u(r, 0.5, 2, 5)), x -> x.get(0).log()));
        c.add(new OpCase("tanh", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).tanh()));
        c.add(new OpCase("sigmoid", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).sigmoid()));
        c.add(new OpCase("tanhGrad", r -> List.of(u(r, -1, 1, 3, 4), u(r, -2, 2, 3, 4)), x -> x.get(0).tanhGrad(x.get(1))));
        c.add(new OpCase("sigmoidGrad", r -> List.of(u(r, 0, 1, 3, 4), u(r, -2, 2, 4)), x -> x.get(0).sigmoidGrad(x.get(1))));
        c.add(new OpCase("lerp", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 3, 4), u(r, 0, 1, 3, 4)), x -> x.get(0).lerp(x.get(1), x.get(2))));
        c.add(new OpCase("lerpBroadcast", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 4), u(r, 0, 1, 3, 1)), x -> x.get(0).lerp(x.get(1), x.get(2))));
        c.add(new OpCase("relu", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).relu()));
        c.add(new OpCase("matmul", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 4, 5)), x -> x.get(0).matmul(x.get(1))));
        c.add(new OpCase("matmulTA", r -> List.of(u(r, -2, 2, 4, 3), u(r, -2, 2, 4, 5)), x -> x.get(0).matmul(x.get(1), true, false)));
        c.add(new OpCase("matmulTB", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 5, 4)), x -> x.get(0).matmul(x.get(1), false, true)));
        c.add(new OpCase("matmulTATB", r -> List.of(u(r, -2, 2, 4, 3), u(r, -2, 2, 5, 4)), x -> x.get(0).matmul(x.get(1), true, true)));
        c.add(new OpCase("batchedMatmul", r -> List.of(u(r, -2, 2, 2, 1, 3, 4), u(r, -2, 2, 3, 4, 2)), x -> x.get(0).matmul(x.get(1))));
        c.add(new OpCase("sum", r -> List.of(u(r, -2, 2, 5, 5)), x -> x.get(0).sum()));
        c.add(new OpCase("sumAxes", r -> List.of(u(r, -2, 2, 2, 3, 4)), x -> x.get(0).sum(true, 0, 2)));
        c.add(new OpCase("mean", r -> List.of(u(r, -2, 2, 2, 3, 4)), x -> x.get(0).mean(false, 1)));
        c.add(new OpCase("max", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).max(false, 1)));
        c.add(new OpCase("maxAll", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).max()));
        c.add(new OpCase("broadcastTo", r -> List.of(u(r, -2, 2, 3, 1)), x -> x.get(0).broadcastTo(Shape.of(2, 3, 4))));
        c.add(new OpCase("sumTo", r -> List.of(u(r, -2, 2, 2, 3, 4)), x -> x.get(0).sumTo(Shape.of(3, 1))));
        c.add(new OpCase("softmax", r -> List.of(u(r, -4, 4, 3, 5)), x -> x.get(0).softmax(1)));
        c.add(new OpCase("logSoftmax", r -> List.of(u(r, -4, 4, 3, 5)), x -> x.get(0).logSoftmax(0)));
        c.add(new OpCase("crossEntropy", r -> List.of(u(r, -4, 4, 4, 5)), x -> x.get(0).crossEntropy(new int[] {0, 4, 2, 2})));
        c.add(new OpCase("reshape", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).reshape(2, -1, 2)));
        c.add(new OpCase("transpose", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).transpose()));
        c.add(new OpCase("matrixTranspose", r -> List.of(u(r, -2, 2, 2, 3, 4)), x -> x.get(0).matrixTranspose()));
        c.add(new OpCase("permute", r -> List.of(u(r, -2, 2, 2, 3, 4)), x -> x.get(0).permute(2, 0, 1)));
        c.add(new OpCase("slice", r -> List.of(u(r, -2, 2, 3, 5)), x -> x.get(0).slice(1, 1, 4)));
        c.add(new OpCase("unslice", r -> List.of(u(r, -2, 2, 3, 2)), x -> x.get(0).unslice(1, 1, 5)));
        c.add(new OpCase("concat", r -> List.of(u(r, -2, 2, 2, 3), u(r, -2, 2, 2, 1)), x -> Variable.concat(1, x)));
        c.add(new OpCase("stack", r -> List.of(u(r, -2, 2, 2, 3), u(r, -2, 2, 2, 3)), x -> Variable.stack(1, x)));
        c.add(new OpCase("indexSelect", r -> List.of(u(r, -2, 2, 4, 3)), x -> x.get(0).indexSelect(0, new int[] {3, 0, 3, 1})));
        c.add(new OpCase("indexAdd", r -> List.of(u(r, -2, 2, 4, 3)), x -> x.get(0).indexAdd(0, new int[] {1, 1, 0, 4}, 5)));
        c.add(new OpCase("dot", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 3, 4)), x -> x.get(0).dot(x.get(1))));
        c.add(new OpCase("scalarMinus", r -> List.of(u(r, -2, 2, 5)), x -> Variable.minus(0.7, x.get(0))));
        c.add(new OpCase("scalarDiv", r -> List.of(u(r, 0.5, 2, 5)), x -> Variable.div(-1.5, x.get(0))));
        c.add(new OpCase("maximum", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 4)), x -> x.get(0).maximum(x.get(1))));
        c.add(new OpCase("minimum", r -> List.of(u(r, -2, 2, 3, 1), u(r, -2, 2, 4)), x -> x.get(0).minimum(x.get(1))));
        c.add(new OpCase("where", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 4)),
                x -> Variable.where(Tensor.of(new double[] {1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1}, 3, 4), x.get(0), x.get(1))));
        c.add(new OpCase("sqrt", r -> List.of(u(r, 0.5, 2, 5)), x -> x.get(0).sqrt()));
        c.add(new OpCase("abs", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).abs()));
        c.add(new OpCase("sin", r -> List.of(u(r, -4, 4, 5)), x -> x.get(0).sin()));
        c.add(new OpCase("cos", r -> List.of(u(r, -4, 4, 5)), x -> x.get(0).cos()));
        c.add(new OpCase("log1p", r -> List.of(u(r, -0.5, 2, 5)), x -> x.get(0).log1p()));
        c.add(new OpCase("expm1", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).expm1()));
        c.add(new OpCase("softplus", r -> List.of(u(r, -4, 4, 5)), x -> x.get(0).softplus()));
        c.add(new OpCase("clamp", r -> List.of(u(r, -2, 2, 5)), x -> x.get(0).clamp(-0.5, 1)));
        c.add(new OpCase("min", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).min(1)));
        c.add(new OpCase("logSumExp", r -> List.of(u(r, -4, 4, 3, 5)), x -> x.get(0).logSumExp(true, 1)));
        c.add(new OpCase("norm", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).norm(0)));
        c.add(new OpCase("var", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).var(1)));
        c.add(new OpCase("std", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).std(true, 0)));
        c.add(new OpCase("gatherAlong", r -> List.of(u(r, -2, 2, 3, 4)), x -> x.get(0).gather(1, new int[] {3, 0, 0, 2, 1, 1}, 3, 2)));
        c.add(new OpCase("scatterAdd", r -> List.of(u(r, -2, 2, 3, 4), u(r, -2, 2, 2, 4)),
                x -> x.get(0).scatterAdd(0, new int[] {2, 0, 1, 2, 0, 0, 2, 1}, x.get(1))));
        return c;
    }

    @Property(tries = 30)
    void float32AgreesWithFloat64(@ForAll long seed) {
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < CASES.size(); k++) {
            OpCase op = CASES.get(k);
            List<Tensor> in64 = op.inputs().apply(Rng.seeded(seed + 7919L * k));
            Tensor c64 = CotangentChecks.cotangent(CotangentChecks.outputShape(op.f(), in64), seed ^ k).cast(DType.F32).cast(DType.F64);
            List<Tensor> r64 = valueAndGradients(op.f(), in64, c64);
            List<Tensor> in32 = new ArrayList<>();
            for (Tensor t : in64) {
                in32.add(t.cast(DType.F32));
            }
            List<Tensor> r32 = valueAndGradients(op.f(), in32, c64.cast(DType.F32));
            for (int i = 0; i < r64.size(); i++) {
                Tensor a = r64.get(i);
                Tensor b = r32.get(i);
                String what = op.name() + (i == 0 ? " value" : " gradient of input " + (i - 1));
                if (b.dtype() != DType.F32) {
                    failures.add(what + ": float32 path produced " + b.dtype());
                    continue;
                }
                double scale = 1;
                for (int q = 0; q < a.size(); q++) {
                    scale = Math.max(scale, Math.abs(a.at(q)));
                }
                double diff = a.maxAbsDiff(b.cast(DType.F64));
                if (!(diff <= TOL * scale)) {
                    failures.add(what + ": max |f32 − f64| = " + diff + " > " + TOL * scale);
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** [f(x), ∂⟨c, f(x)⟩/∂x₀, ∂⟨c, f(x)⟩/∂x₁, …] in the inputs' dtype. */
    private static List<Tensor> valueAndGradients(DifferentiableFunction f, List<Tensor> inputs, Tensor c) {
        List<Variable> xs = new ArrayList<>();
        for (Tensor t : inputs) {
            xs.add(Variable.leaf(t));
        }
        try (Tape tape = Tape.record()) {
            Variable y = f.apply(xs);
            List<Tensor> out = new ArrayList<>();
            out.add(y.value());
            for (Variable g : tape.gradients(List.of(y), List.of(Variable.constant(c)), xs, false)) {
                out.add(g.value());
            }
            return out;
        }
    }
}
