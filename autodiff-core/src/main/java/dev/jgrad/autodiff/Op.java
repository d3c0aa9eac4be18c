package dev.jgrad.autodiff;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Kernels.Binary;
import dev.jgrad.tensor.Kernels.Unary;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The closed set of differentiable ops. Each op is a record holding its static arguments, with its
 * forward ({@link #forward}) and its derivative rule ({@link #backward}) side by side. Because the
 * interface is sealed, an op without a rule does not compile. A user's op enters through one
 * record, {@link Custom}, which wraps a {@link CustomOp}.
 *
 * <p>Rules are vector-Jacobian products written with the same differentiable ops on
 * {@link Variable}, so when the tape records the backward pass ({@code createGraph}) the gradient is
 * itself differentiable: grad-of-grad and Hessian-vector products work for every op. When nothing
 * records, the same rules run eagerly at the cost of their arithmetic. Rules may return a gradient
 * in the broadcast output shape; the tape sums it back to the input's shape in one place
 * (Note [Broadcasting] on {@link Shape}). A {@code null} entry means "no gradient for that input".
 *
 * <p>{@link #forward} and {@link #backward} are the tape's to call, with the values it recorded; they check
 * nothing, so that each rule stays one line of math. Programs reach them through {@link Variable}'s methods and
 * {@link CustomOp#apply}, which refuse null arguments by name before anything is computed or recorded.
 */
public sealed interface Op {

    /**
     * The op's name, as used in error and anomaly messages.
     *
     * @return the op's name, as error messages and anomaly reports show it
     */
    String name();

    /**
     * Computes the output from input values.
     *
     * @param in the input values, in the order the op was applied to them
     * @return the output value
     */
    Tensor forward(Tensor[] in);

    /**
     * Which values {@link #backward} reads (Note [Saved values]).
     *
     * @return which values the derivative rule reads, so the tape keeps only those
     */
    Saves saves();

    /**
     * Note [Saved values]: the tape keeps alive only the values a derivative rule reads. Every op
     * declares them: its output ({@code output}) and the inputs whose bit is set in {@code inputs}
     * (bit {@code j} for input {@code j}). Every other recorded value is held on the tape and by its
     * consumers through a value-less stand-in that keeps its shape, dtype and tape position, so a
     * temporary such as the {@code x·W} in {@code σ(x·W + h·U)} is garbage as soon as the user's code
     * drops it (only {@code σ}'s output is read by backward). A rule that reads an undeclared value
     * fails with a message naming the op that produced it. Leaves and constants are always kept; a
     * value from another tape is held as a constant when read and not at all otherwise.
     *
     * @param output whether the rule reads the op's output
     * @param inputs a bit per input whose value the rule reads ({@code ~0}: all of them)
     */
    record Saves(boolean output, int inputs) {
        /** The rule reads only shapes and the cotangent. */
        public static final Saves NOTHING = new Saves(false, 0);
        /** The rule reads the output only (σ, tanh, exp, softmax). */
        public static final Saves OUTPUT = new Saves(true, 0);
        /** The rule reads the first input only. */
        public static final Saves FIRST = new Saves(false, 1);
        /** The rule reads its output and the second input (division: {@code −(g ⊙ out) / b}). */
        public static final Saves OUTPUT_AND_SECOND = new Saves(true, 1 << 1);
        /** The rule reads its output and the first input (logsumexp: {@code g ⊙ exp(a − out)}). */
        public static final Saves OUTPUT_AND_FIRST = new Saves(true, 1);
        /** The rule reads every input. */
        public static final Saves INPUTS = new Saves(false, ~0);
        /** The rule reads the first two inputs (a product's factors, not the addend of {@link MatMulPlus}). */
        public static final Saves FIRST_TWO = new Saves(false, 0b11);

        /**
         * Whether input {@code j}'s value is read.
         *
         * @param j the input's position
         * @return whether the rule reads that input's value
         */
        public boolean input(int j) {
            return j >= Integer.SIZE ? inputs == ~0 : (inputs >>> j & 1) != 0;
        }
    }

    /**
     * The vector-Jacobian product: given the inputs, the output and the output's cotangent {@code g},
     * one gradient per input (broadcast shape allowed, {@code null} for none).
     *
     * @param in  the op's inputs (ghosts without values unless {@link #saves()} lists them)
     * @param out the op's output
     * @param g   the cotangent of the output
     * @return one gradient per input, in the input's shape or one that broadcasts to it; {@code null} for an input that gets none
     */
    Variable[] backward(Variable[] in, Variable out, Variable g);

    // ------------------------------------------------------------------ elementwise binary

    /** {@code a + b}, broadcasting. ∂/∂a = g, ∂/∂b = g. */
    record Add() implements Op {
        public String name() { return "add"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.ADD, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g, g}; }
    }

    /** {@code a − b}, broadcasting. ∂/∂a = g, ∂/∂b = −g. */
    record Sub() implements Op {
        public String name() { return "sub"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.SUB, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g, g.neg()}; }
    }

    /** {@code a ⊙ b} (Hadamard), broadcasting. ∂/∂a = g ⊙ b, ∂/∂b = g ⊙ a. */
    record Mul() implements Op {
        public String name() { return "mul"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.MUL, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {in[0].requiresGrad() ? g.times(in[1]) : null, in[1].requiresGrad() ? g.times(in[0]) : null};
        }
    }

    /** {@code a / b}, broadcasting. ∂/∂a = g / b, ∂/∂b = −g ⊙ a / b² = −(g ⊙ out) / b. */
    record Div() implements Op {
        public String name() { return "div"; }
        public Saves saves() { return Saves.OUTPUT_AND_SECOND; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.DIV, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.div(in[1]), g.times(out).div(in[1]).neg()};
        }
    }

    /**
     * {@code max(a, b)} elementwise, broadcasting. ∂/∂a = g ⊙ m, ∂/∂b = g ⊙ (1 − m) with the constant
     * {@code m = [a > b] + ½[a = b]} (ties split the gradient, as PyTorch does).
     */
    record Maximum() implements Op {
        public String name() { return "maximum"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.MAXIMUM, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return routeByComparison(in, g, true); }
    }

    /**
     * {@code a + w ⊙ (b − a)}, broadcasting: the point a fraction {@code w} of the way from {@code a} to
     * {@code b}, as PyTorch's {@code lerp}; a GRU's state update {@code z ⊙ h + (1 − z) ⊙ h̃} is
     * {@code lerp(h̃, h, z)}. ∂/∂a = g ⊙ (1 − w), ∂/∂b = g ⊙ w, ∂/∂w = g ⊙ (b − a). It reads only its
     * inputs, which a recurrent cell keeps for other rules anyway, where the composed form also keeps
     * {@code 1 − w}. In a backward walk that builds no graph, operands of one shape get the three terms
     * from one pass ({@link Kernels#lerpGradients}), with the bits of the ops that build them otherwise.
     */
    record Lerp() implements Op {
        public String name() { return "lerp"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.lerp(in[0], in[1], in[2]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            boolean[] need = {in[0].requiresGrad(), in[1].requiresGrad(), in[2].requiresGrad()};
            if (Tape.current() == null && sameShapes(g, in)) {
                // No graph is built: the same terms, bit for bit, in one pass instead of five.
                Tensor[] terms = Kernels.lerpGradients(g.value(), in[0].value(), in[1].value(), in[2].value(), need);
                return new Variable[] {constantOrNull(terms[0]), constantOrNull(terms[1]), constantOrNull(terms[2])};
            }
            return new Variable[] {need[0] ? g.times(in[2].oneMinus()) : null,
                    need[1] ? g.times(in[2]) : null,
                    need[2] ? g.times(in[1].minus(in[0])) : null};
        }
    }

    /** {@code min(a, b)} elementwise, broadcasting. {@code ∂/∂a = g ⊙ ([a < b] + ½[a = b])}, {@code ∂/∂b = g ⊙ ([b < a] + ½[a = b])}. */
    record Minimum() implements Op {
        public String name() { return "minimum"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.MINIMUM, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return routeByComparison(in, g, false); }
    }

    /** Whether {@code g} and every input have one shape, so that a rule's terms need no broadcasting undone. */
    private static boolean sameShapes(Variable g, Variable[] in) {
        for (Variable v : in) {
            if (!v.value().shape().equals(g.value().shape())) {
                return false;
            }
        }
        return true;
    }

    /** {@code t} as a constant, or null for no term. */
    private static Variable constantOrNull(Tensor t) {
        return t == null ? null : Variable.constant(t);
    }

    /**
     * The rule of maximum (the greater operand takes the gradient) and minimum (the smaller one does).
     * The masks are constants: their derivative is 0 away from ties.
     */
    private static Variable[] routeByComparison(Variable[] in, Variable g, boolean greaterWins) {
        Tensor a = in[0].value();
        Tensor b = in[1].value();
        Tensor aGreater = Kernels.binary(Binary.GREATER, a, b);
        Tensor bGreater = Kernels.binary(Binary.GREATER, b, a);
        Variable toA = Variable.constant(greaterWins ? aGreater : bGreater);
        Variable toB = Variable.constant(greaterWins ? bGreater : aGreater);
        return new Variable[] {in[0].requiresGrad() ? g.times(toA) : null, in[1].requiresGrad() ? g.times(toB) : null};
    }

    /**
     * {@code condition ? a : b} elementwise, all three broadcasting; the condition is a constant of 0s
     * and 1s. ∂/∂a = g ⊙ condition, ∂/∂b = g ⊙ (1 − condition).
     *
     * @param condition 1 where the first input is taken, 0 where the second is
     */
    record Where(Tensor condition) implements Op {
        /** Refuses null components by name. */
        public Where { Objects.requireNonNull(condition, "condition"); }
        public String name() { return "where"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.where(condition, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Tensor c = condition.cast(g.dtype());
            return new Variable[] {in[0].requiresGrad() ? g.times(Variable.constant(c)) : null,
                    in[1].requiresGrad() ? g.times(Variable.constant(Kernels.affine(c, -1.0, 1.0))) : null};
        }
    }

    // ------------------------------------------------------------------ elementwise unary

    /** {@code −a}. ∂/∂a = −g. */
    record Neg() implements Op {
        public String name() { return "neg"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.NEG, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.neg()}; }
    }

    /**
     * {@code a·scale + shift} with constants. ∂/∂a = g·scale.
     *
     * @param scale the constant factor
     * @param shift the constant added
     */
    record Affine(double scale, double shift) implements Op {
        public String name() { return "affine"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.affine(in[0], scale, shift); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(scale)}; }
    }

    /**
     * {@code a / c} for a constant {@code c}, a true division (see {@link Kernels#div(Tensor, double)}). ∂/∂a = g / c.
     *
     * @param c the constant divisor
     */
    record DivScalar(double c) implements Op {
        public String name() { return "div"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.div(in[0], c); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.div(c)}; }
    }

    /**
     * {@code c / a} for a constant {@code c}. ∂/∂a = −g ⊙ c / a² = −(g ⊙ out) / a.
     *
     * @param c the constant numerator
     */
    record ScalarDiv(double c) implements Op {
        public String name() { return "div"; }
        public Saves saves() { return Saves.OUTPUT_AND_FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.div(c, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(out).div(in[0]).neg()}; }
    }

    /**
     * {@code a^p} for a constant real {@code p}. ∂/∂a = g ⊙ p·a^(p−1), and 0 for p = 0 (a constant).
     *
     * @param p the constant exponent
     */
    record Pow(double p) implements Op {
        public String name() { return "pow"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.pow(in[0], p); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            if (p == 0) {
                return new Variable[] {null}; // a^0 is constant; 0·a^(−1) would be NaN at a = 0
            }
            return new Variable[] {g.times(in[0].pow(p - 1).times(p))};
        }
    }

    /** {@code a²}. ∂/∂a = 2 g ⊙ a. */
    record Square() implements Op {
        public String name() { return "square"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SQUARE, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(in[0]).times(2)}; }
    }

    /** {@code exp(a)}. ∂/∂a = g ⊙ out. */
    record Exp() implements Op {
        public String name() { return "exp"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.EXP, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(out)}; }
    }

    /** {@code log(a)}. ∂/∂a = g / a. */
    record Log() implements Op {
        public String name() { return "log"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.LOG, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.div(in[0])}; }
    }

    /** {@code tanh(a)}. ∂/∂a = g ⊙ (1 − out²), one {@link TanhGrad}. */
    record Tanh() implements Op {
        public String name() { return "tanh"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.TANH, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {out.tanhGrad(g)}; }
    }

    /**
     * {@code g ⊙ (1 − y²)} from {@code (y, g)}, broadcasting: tanh's derivative rule at its output y for the
     * cotangent g, in one pass (PyTorch's {@code tanh_backward}), bit for bit what {@code g.times(y.square().oneMinus())}
     * gives. ∂/∂y = −2·ḡ ⊙ g ⊙ y, ∂/∂g = ḡ ⊙ (1 − y²) = TanhGrad(y, ḡ), for ḡ the cotangent of the output.
     */
    record TanhGrad() implements Op {
        public String name() { return "tanhGrad"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.TANH_GRAD, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable y = in[0];
            return new Variable[] {y.requiresGrad() ? g.times(in[1]).times(y).times(-2) : null,
                    in[1].requiresGrad() ? y.tanhGrad(g) : null};
        }
    }

    /** {@code σ(a) = 1 / (1 + e^−a)}, stable for large |a|. ∂/∂a = g ⊙ out ⊙ (1 − out), one {@link SigmoidGrad}. */
    record Sigmoid() implements Op {
        public String name() { return "sigmoid"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SIGMOID, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {out.sigmoidGrad(g)}; }
    }

    /**
     * {@code g ⊙ y ⊙ (1 − y)} from {@code (y, g)}, broadcasting: σ's derivative rule at its output y for the
     * cotangent g, in one pass (PyTorch's {@code sigmoid_backward}), bit for bit what {@code g.times(y.times(y.oneMinus()))}
     * gives. ∂/∂y = ḡ ⊙ g ⊙ (1 − 2y), ∂/∂g = ḡ ⊙ y ⊙ (1 − y) = SigmoidGrad(y, ḡ), for ḡ the cotangent of the output.
     */
    record SigmoidGrad() implements Op {
        public String name() { return "sigmoidGrad"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.binary(Binary.SIGMOID_GRAD, in[0], in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable y = in[0];
            return new Variable[] {y.requiresGrad() ? g.times(in[1]).times(Variable.minus(1.0, y.times(2))) : null,
                    in[1].requiresGrad() ? y.sigmoidGrad(g) : null};
        }
    }

    /**
     * {@code max(a, 0)}, a NaN and a −0 kept as they are (PyTorch's {@code relu}). ∂/∂a = g ⊙ [a > 0], and g at a NaN
     * as PyTorch's {@code threshold_backward} passes it (the step is a constant: its own derivative is 0 almost everywhere).
     */
    record Relu() implements Op {
        public String name() { return "relu"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.RELU, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(Variable.constant(Kernels.unary(Unary.STEP, in[0].value())))};
        }
    }

    /** {@code √a}. ∂/∂a = g / (2·out) (infinite at a = 0, where √ has a vertical tangent). */
    record Sqrt() implements Op {
        public String name() { return "sqrt"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SQRT, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.div(out.times(2))}; }
    }

    /** {@code |a|}. ∂/∂a = g ⊙ sign(a), a constant, 0 at the kink a = 0 (as PyTorch). */
    record Abs() implements Op {
        public String name() { return "abs"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.ABS, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(Variable.constant(Kernels.unary(Unary.SIGN, in[0].value())))};
        }
    }

    /** {@code sin(a)}. ∂/∂a = g ⊙ cos(a). */
    record Sin() implements Op {
        public String name() { return "sin"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SIN, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(in[0].cos())}; }
    }

    /** {@code cos(a)}. ∂/∂a = −g ⊙ sin(a). */
    record Cos() implements Op {
        public String name() { return "cos"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.COS, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(in[0].sin()).neg()}; }
    }

    /** {@code log(1 + a)}, accurate near 0. ∂/∂a = g / (1 + a). */
    record Log1p() implements Op {
        public String name() { return "log1p"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.LOG1P, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.div(in[0].plus(1))}; }
    }

    /** {@code exp(a) − 1}, accurate near 0. ∂/∂a = g ⊙ (out + 1). */
    record Expm1() implements Op {
        public String name() { return "expm1"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.EXPM1, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(out.plus(1))}; }
    }

    /** {@code log(1 + exp(a))}, computed without overflow. ∂/∂a = g ⊙ σ(a). */
    record Softplus() implements Op {
        public String name() { return "softplus"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SOFTPLUS, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.times(in[0].sigmoid())}; }
    }

    /**
     * {@code min(max(a, lo), hi)}. ∂/∂a = g ⊙ [lo ≤ a ≤ hi], a constant (the bounds themselves pass the gradient, as PyTorch).
     *
     * @param lo the lower bound
     * @param hi the upper bound
     */
    record Clamp(double lo, double hi) implements Op {
        public String name() { return "clamp"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.clamp(in[0], lo, hi); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(Variable.constant(Kernels.inRange(in[0].value(), lo, hi)))};
        }
    }

    /**
     * Conversion to another dtype. ∂/∂a = g cast back to a's dtype.
     *
     * @param to the dtype converted to
     */
    record Cast(DType to) implements Op {
        /** Refuses null components by name. */
        public Cast { Objects.requireNonNull(to, "to"); }
        public String name() { return "cast"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return in[0].cast(to); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.cast(in[0].dtype())};
        }
    }

    // ------------------------------------------------------------------ matmul

    /**
     * {@code op(A) · op(B)}, batched over leading dimensions with broadcasting, where {@code op}
     * transposes the last two dimensions when its flag is set. With {@code C = op(A)·op(B)}:
     * {@code ∂/∂op(A) = G·op(B)ᵀ} and {@code ∂/∂op(B) = op(A)ᵀ·G}, expressed again as flagged matmuls
     * so no transpose is ever materialised.
     *
     * @param transA whether the first operand is read transposed (its last two axes swapped)
     * @param transB whether the second operand is read transposed
     */
    record MatMul(boolean transA, boolean transB) implements Op {
        public String name() { return "matmul"; }
        public Saves saves() { return Saves.INPUTS; }
        public Tensor forward(Tensor[] in) { return Kernels.matmul(in[0], in[1], transA, transB); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable a = in[0];
            Variable b = in[1];
            // An operand that needs no gradient (a constant one-hot input, say) costs no product.
            Variable ga = !a.requiresGrad() ? null : transA ? b.matmul(g, transB, true) : g.matmul(b, false, !transB);
            Variable gb = !b.requiresGrad() ? null : transB ? g.matmul(a, true, transA) : a.matmul(g, !transA, false);
            return new Variable[] {ga, gb};
        }
    }

    /**
     * {@code op(A)·op(B) + c}, {@code c} broadcasting to the product's shape: a layer's
     * {@code x·Wᵀ + b} as one op, so the product is never kept apart from the sum, with the bits of
     * {@link MatMul} followed by {@link Add}. ∂/∂A and ∂/∂B are {@link MatMul}'s, ∂/∂c = g (summed
     * back to {@code c}'s shape by the walk, Note [Broadcasting]).
     *
     * @param transA whether the first operand is read transposed (its last two axes swapped)
     * @param transB whether the second operand is read transposed
     */
    record MatMulPlus(boolean transA, boolean transB) implements Op {
        public String name() { return "matmulPlus"; }
        public Saves saves() { return Saves.FIRST_TWO; }
        public Tensor forward(Tensor[] in) { return Kernels.matmulPlus(in[0], in[1], transA, transB, in[2]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable[] product = new MatMul(transA, transB).backward(in, out, g);
            return new Variable[] {product[0], product[1], g};
        }
    }

    // ------------------------------------------------------------------ reductions and broadcasting

    /**
     * Sum over {@code axes} (all when empty). ∂/∂a = g, reshaped to keep the reduced axes, broadcast back.
     *
     * @param axes     the axes summed over (all when empty)
     * @param keepDims whether the summed axes stay as size 1
     */
    record Sum(int[] axes, boolean keepDims) implements Op {
        /** Refuses null components by name. */
        public Sum { Objects.requireNonNull(axes, "axes"); }
        public String name() { return "sum"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.sum(in[0], axes, keepDims); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Shape s = in[0].shape();
            Shape kept = Kernels.reducedShape(s, Kernels.axes(s, axes, "sum"), true);
            return new Variable[] {g.reshape(kept).broadcastTo(s)};
        }
        @Override public boolean equals(Object o) { return o instanceof Sum x && Arrays.equals(axes, x.axes) && keepDims == x.keepDims; }
        @Override public int hashCode() { return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims); }
        @Override public String toString() { return "Sum[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]"; }
    }

    /**
     * Maximum over {@code axes}. ∂/∂a = g broadcast back, times a constant mask that is 1/k at the k
     * positions attaining the maximum (ties share the gradient).
     *
     * @param axes     the axes reduced (all when empty)
     * @param keepDims whether the reduced axes stay as size 1
     */
    record Max(int[] axes, boolean keepDims) implements Op {
        /** Refuses null components by name. */
        public Max { Objects.requireNonNull(axes, "axes"); }
        public String name() { return "max"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.max(in[0], axes, keepDims); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Shape s = in[0].shape();
            Shape kept = Kernels.reducedShape(s, Kernels.axes(s, axes, "max"), true);
            Variable mask = Variable.constant(Kernels.maxMask(in[0].value(), axes));
            return new Variable[] {g.reshape(kept).broadcastTo(s).times(mask)};
        }
        @Override public boolean equals(Object o) { return o instanceof Max x && Arrays.equals(axes, x.axes) && keepDims == x.keepDims; }
        @Override public int hashCode() { return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims); }
        @Override public String toString() { return "Max[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]"; }
    }

    /**
     * Minimum over {@code axes}. ∂/∂a = g broadcast back, times the constant mask 1/k at the k positions attaining the minimum.
     *
     * @param axes     the axes reduced (all when empty)
     * @param keepDims whether the reduced axes stay as size 1
     */
    record Min(int[] axes, boolean keepDims) implements Op {
        /** Refuses null components by name. */
        public Min { Objects.requireNonNull(axes, "axes"); }
        public String name() { return "min"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.min(in[0], axes, keepDims); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Shape s = in[0].shape();
            Shape kept = Kernels.reducedShape(s, Kernels.axes(s, axes, "min"), true);
            Variable mask = Variable.constant(Kernels.minMask(in[0].value(), axes));
            return new Variable[] {g.reshape(kept).broadcastTo(s).times(mask)};
        }
        @Override public boolean equals(Object o) { return o instanceof Min x && Arrays.equals(axes, x.axes) && keepDims == x.keepDims; }
        @Override public int hashCode() { return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims); }
        @Override public String toString() { return "Min[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]"; }
    }

    /**
     * {@code log Σ exp(a)} over {@code axes}, with the max trick. ∂/∂a = g ⊙ exp(a − out), the softmax over the axes.
     *
     * @param axes     the axes reduced (all when empty)
     * @param keepDims whether the reduced axes stay as size 1
     */
    record LogSumExp(int[] axes, boolean keepDims) implements Op {
        /** Refuses null components by name. */
        public LogSumExp { Objects.requireNonNull(axes, "axes"); }
        public String name() { return "logSumExp"; }
        public Saves saves() { return Saves.OUTPUT_AND_FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.logSumExp(in[0], axes, keepDims); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Shape kept = Kernels.reducedShape(in[0].shape(), Kernels.axes(in[0].shape(), axes, "logSumExp"), true);
            return new Variable[] {g.reshape(kept).times(in[0].minus(out.reshape(kept)).exp())};
        }
        @Override public boolean equals(Object o) { return o instanceof LogSumExp x && Arrays.equals(axes, x.axes) && keepDims == x.keepDims; }
        @Override public int hashCode() { return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims); }
        @Override public String toString() { return "LogSumExp[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]"; }
    }

    /**
     * The Euclidean norm {@code √Σ a²} over {@code axes}. ∂/∂a = g ⊙ a / out, and 0 where out = 0 (the
     * kink, as PyTorch): the rule divides by {@code out + [out = 0]}, which is out itself except there,
     * where a is 0 too.
     *
     * @param axes     the axes reduced (all when empty)
     * @param keepDims whether the reduced axes stay as size 1
     */
    record Norm(int[] axes, boolean keepDims) implements Op {
        /** Refuses null components by name. */
        public Norm { Objects.requireNonNull(axes, "axes"); }
        public String name() { return "norm"; }
        public Saves saves() { return Saves.OUTPUT_AND_FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.norm(in[0], axes, keepDims); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Shape kept = Kernels.reducedShape(in[0].shape(), Kernels.axes(in[0].shape(), axes, "norm"), true);
            Variable n = out.reshape(kept);
            Variable atZero = Variable.constant(Kernels.inRange(n.value(), 0, 0));
            return new Variable[] {g.reshape(kept).times(in[0].div(n.plus(atZero)))};
        }
        @Override public boolean equals(Object o) { return o instanceof Norm x && Arrays.equals(axes, x.axes) && keepDims == x.keepDims; }
        @Override public int hashCode() { return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims); }
        @Override public String toString() { return "Norm[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]"; }
    }

    /**
     * Repeats {@code a} along broadcast dimensions to {@code shape}. Its rule passes {@code g}
     * through unchanged: summing back to the input's shape is the tape's job (Note [Broadcasting]).
     *
     * @param shape the shape broadcast to
     */
    record BroadcastTo(Shape shape) implements Op {
        /** Refuses null components by name. */
        public BroadcastTo { Objects.requireNonNull(shape, "shape"); }
        public String name() { return "broadcastTo"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.broadcastTo(in[0], shape); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g}; }
    }

    /**
     * Sums {@code a} down to {@code shape}, the adjoint of broadcasting. ∂/∂a = g broadcast to a's shape.
     *
     * @param shape the shape summed down to
     */
    record SumTo(Shape shape) implements Op {
        /** Refuses null components by name. */
        public SumTo { Objects.requireNonNull(shape, "shape"); }
        public String name() { return "sumTo"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.sumTo(in[0], shape); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.broadcastTo(in[0].shape())}; }
    }

    // ------------------------------------------------------------------ softmax family and loss

    /**
     * Softmax along {@code axis} (Note [Softmax max trick] in {@link Kernels#softmax}). ∂/∂a = y ⊙ (g − Σ_axis g ⊙ y), y = out.
     *
     * @param axis the axis normalised over
     */
    record Softmax(int axis) implements Op {
        public String name() { return "softmax"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.softmax(in[0], axis); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {out.times(g.minus(g.times(out).sum(true, axis)))};
        }
    }

    /**
     * Log-softmax along {@code axis}. ∂/∂a = g − exp(out) ⊙ Σ_axis g.
     *
     * @param axis the axis normalised over
     */
    record LogSoftmax(int axis) implements Op {
        public String name() { return "logSoftmax"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.logSoftmax(in[0], axis); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.minus(out.exp().times(g.sum(true, axis)))};
        }
    }

    /**
     * Mean softmax cross-entropy of logits {@code [N, C]} against integer targets, fused and stable.
     * ∂/∂logits = (softmax(logits) − onehot(targets)) · g / N.
     *
     * @param targets the class index of each row, in [0, C)
     */
    record CrossEntropy(int[] targets) implements Op {
        /** Refuses null components by name. */
        public CrossEntropy { Objects.requireNonNull(targets, "targets"); }
        public String name() { return "crossEntropy"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.crossEntropy(in[0], targets); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable logits = in[0];
            int n = logits.shape().dim(0);
            int c = logits.shape().dim(1);
            Variable oneHot = Variable.constant(Kernels.oneHot(logits.dtype(), targets, c, n));
            return new Variable[] {logits.softmax(1).minus(oneHot).times(g.times(1.0 / n))};
        }
        @Override public boolean equals(Object o) { return o instanceof CrossEntropy x && Arrays.equals(targets, x.targets); }
        @Override public int hashCode() { return Arrays.hashCode(targets); }
        @Override public String toString() { return "CrossEntropy[" + targets.length + " targets]"; }
    }

    // ------------------------------------------------------------------ shape ops

    /**
     * Same values, new shape. ∂/∂a = g reshaped back.
     *
     * @param shape the new shape, of the same size
     */
    record Reshape(Shape shape) implements Op {
        /** Refuses null components by name. */
        public Reshape { Objects.requireNonNull(shape, "shape"); }
        public String name() { return "reshape"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return in[0].reshape(shape); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) { return new Variable[] {g.reshape(in[0].shape())}; }
    }

    /**
     * Reorders dimensions: {@code out.dim(i) = a.dim(perm[i])}. ∂/∂a = g permuted by the inverse.
     *
     * @param perm the source axis of each output axis
     */
    record Permute(int[] perm) implements Op {
        /** Refuses null components by name. */
        public Permute { Objects.requireNonNull(perm, "perm"); }
        public String name() { return "permute"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.permute(in[0], perm); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            int[] inv = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inv[Math.floorMod(perm[i], perm.length)] = i;
            }
            return new Variable[] {g.permute(inv)};
        }
        @Override public boolean equals(Object o) { return o instanceof Permute x && Arrays.equals(perm, x.perm); }
        @Override public int hashCode() { return Arrays.hashCode(perm); }
        @Override public String toString() { return "Permute" + Arrays.toString(perm); }
    }

    /**
     * {@code a[..., start:end, ...]} along {@code axis}. ∂/∂a = g placed back into zeros.
     *
     * @param axis  the axis sliced
     * @param start the first index kept
     * @param end   the index after the last one kept
     */
    record Slice(int axis, int start, int end) implements Op {
        public String name() { return "slice"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.slice(in[0], axis, start, end); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.unslice(axis, start, in[0].shape().dim(axis))};
        }
    }

    /**
     * {@code a} placed at {@code start} in zeros of length {@code full} along {@code axis}: the adjoint of {@link Slice}. ∂/∂a = g sliced.
     *
     * @param axis  the axis placed along
     * @param start where the input starts along it
     * @param full  the output's length along it
     */
    record Unslice(int axis, int start, int full) implements Op {
        public String name() { return "unslice"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.unslice(in[0], axis, start, full); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.slice(axis, start, start + in[0].shape().dim(axis))};
        }
    }

    /**
     * Joins inputs along an existing {@code axis}. ∂/∂aᵢ = the slice of g that aᵢ occupies.
     *
     * @param axis the axis joined along
     */
    record Concat(int axis) implements Op {
        public String name() { return "concat"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.concat(List.of(in), axis); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable[] gs = new Variable[in.length];
            int at = 0;
            for (int i = 0; i < in.length; i++) {
                int len = in[i].shape().dim(axis);
                gs[i] = g.slice(axis, at, at + len);
                at += len;
            }
            return gs;
        }
    }

    /**
     * Index-select along {@code axis}: {@code out[..., i, ...] = a[..., indices[i], ...]}. ∂/∂a = g scatter-added at the indices.
     *
     * @param axis    the axis selected along
     * @param indices the positions selected, in output order
     */
    record IndexSelect(int axis, int[] indices) implements Op {
        /** Refuses null components by name. */
        public IndexSelect { Objects.requireNonNull(indices, "indices"); }
        public String name() { return "indexSelect"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.indexSelect(in[0], axis, indices); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.indexAdd(axis, indices, in[0].shape().dim(axis))};
        }
        @Override public boolean equals(Object o) { return o instanceof IndexSelect x && axis == x.axis && Arrays.equals(indices, x.indices); }
        @Override public int hashCode() { return Arrays.hashCode(indices) * 31 + axis; }
        @Override public String toString() { return "IndexSelect[axis=" + axis + ", " + indices.length + " indices]"; }
    }

    /**
     * Scatter-add along {@code axis} into zeros of length {@code size}: the adjoint of {@link IndexSelect}. ∂/∂a = g index-selected.
     *
     * @param axis    the axis added along
     * @param indices the position each input slice is added at
     * @param size    the output's length along it
     */
    record IndexAdd(int axis, int[] indices, int size) implements Op {
        /** Refuses null components by name. */
        public IndexAdd { Objects.requireNonNull(indices, "indices"); }
        public String name() { return "indexAdd"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.indexAdd(in[0], axis, indices, size); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.indexSelect(axis, indices)};
        }
        @Override public boolean equals(Object o) { return o instanceof IndexAdd x && axis == x.axis && size == x.size && Arrays.equals(indices, x.indices); }
        @Override public int hashCode() { return (Arrays.hashCode(indices) * 31 + axis) * 31 + size; }
        @Override public String toString() { return "IndexAdd[axis=" + axis + ", size=" + size + "]"; }
    }

    /**
     * Per-element gather along {@code axis} ({@code torch.gather}): {@code out[i] = a[i with i[axis] =
     * index[i]]} for every position i of {@code indexShape} ({@link Kernels#gather}). ∂/∂a = g
     * scatter-added back to those positions.
     *
     * @param axis       the axis read along
     * @param index      the position along {@code axis} of each output element, row-major
     * @param indexShape the shape of {@code index}, which is the output's
     */
    record Gather(int axis, int[] index, Shape indexShape) implements Op {
        /** Refuses null components by name. */
        public Gather { Objects.requireNonNull(index, "index"); Objects.requireNonNull(indexShape, "indexShape"); }
        public String name() { return "gather"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.gather(in[0], axis, index, indexShape); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {Variable.constant(Tensor.zeros(g.dtype(), in[0].shape())).scatterAdd(axis, index, g)};
        }
        @Override public boolean equals(Object o) {
            return o instanceof Gather x && axis == x.axis && indexShape.equals(x.indexShape) && Arrays.equals(index, x.index);
        }
        @Override public int hashCode() { return (Arrays.hashCode(index) * 31 + axis) * 31 + indexShape.hashCode(); }
        @Override public String toString() { return "Gather[axis=" + axis + ", index " + indexShape + "]"; }
    }

    /**
     * {@code base} with {@code src} added at per-element positions along {@code axis}
     * ({@code scatter_add}, {@link Kernels#scatterAdd}), inputs {@code [base, src]}: the adjoint of
     * {@link Gather}. ∂/∂base = g, ∂/∂src = g gathered at the same positions.
     *
     * @param axis  the axis added along
     * @param index the position along {@code axis} of each element of {@code src}, row-major
     */
    record ScatterAdd(int axis, int[] index) implements Op {
        /** Refuses null components by name. */
        public ScatterAdd { Objects.requireNonNull(index, "index"); }
        public String name() { return "scatterAdd"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.scatterAdd(in[0], axis, index, in[1]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g, in[1].requiresGrad() ? g.gather(axis, index, in[1].shape().dims()) : null};
        }
        @Override public boolean equals(Object o) { return o instanceof ScatterAdd x && axis == x.axis && Arrays.equals(index, x.index); }
        @Override public int hashCode() { return Arrays.hashCode(index) * 31 + axis; }
        @Override public String toString() { return "ScatterAdd[axis=" + axis + ", " + index.length + " indices]"; }
    }

    // ------------------------------------------------------------------ user ops

    /**
     * A user's op ({@link CustomOp}), the one door into this closed set: its name, saved values,
     * forward and rule are the user's, and the tape records, checks and differentiates it as any
     * other op. The forward runs with recording suspended, on constants holding the input values, so
     * the op is one node however many ops its forward uses.
     *
     * @param definition the user's op
     */
    record Custom(CustomOp definition) implements Op {
        /** Refuses null components by name. */
        public Custom { Objects.requireNonNull(definition, "definition"); }
        public String name() { return definition.name(); }
        public Saves saves() { return definition.saves(); }

        public Tensor forward(Tensor[] in) {
            Variable[] vs = new Variable[in.length];
            for (int i = 0; i < in.length; i++) {
                vs[i] = Variable.constant(in[i]);
            }
            Variable y;
            try (Tape.Scope s = Tape.noGrad()) {
                y = definition.forward(vs);
            }
            if (y == null) {
                throw new IllegalStateException("custom op " + name() + ": forward returned null");
            }
            return y.value();
        }

        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable[] gs = definition.backward(in, out, g);
            if (gs == null || gs.length != in.length) {
                throw new IllegalStateException("custom op " + name() + ": backward returned " + (gs == null ? "null" : gs.length + " gradients")
                        + " for " + in.length + " inputs (one per input, null for none)");
            }
            for (int j = 0; j < in.length; j++) {
                Variable gj = gs[j];
                if (gj != null && (gj.dtype() != in[j].dtype() || !in[j].shape().broadcastsTo(gj.shape()))) {
                    throw new IllegalStateException("custom op " + name() + ": backward returned a gradient " + gj.dtype() + gj.shape()
                            + " for input " + j + " " + in[j].dtype() + in[j].shape() + " (it needs the input's dtype, and its shape or one it broadcasts to)");
                }
            }
            return gs;
        }
    }
}
