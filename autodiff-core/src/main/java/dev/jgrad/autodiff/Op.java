package dev.jgrad.autodiff;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Kernels.Binary;
import dev.jgrad.tensor.Kernels.Unary;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * The closed set of differentiable ops. Each op is a record holding its static arguments, with its
 * forward ({@link #forward}) and its derivative rule ({@link #backward}) side by side. Because the
 * interface is sealed, an op without a rule does not compile.
 *
 * <p>Rules are vector-Jacobian products written with the same differentiable ops on
 * {@link Variable}, so when the tape records the backward pass ({@code createGraph}) the gradient is
 * itself differentiable: grad-of-grad and Hessian-vector products work for every op. When nothing
 * records, the same rules run eagerly at the cost of their arithmetic. Rules may return a gradient
 * in the broadcast output shape; the tape sums it back to the input's shape in one place
 * (Note [Broadcasting] on {@link Shape}). A {@code null} entry means "no gradient for that input".
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
        /** The rule reads every input. */
        public static final Saves INPUTS = new Saves(false, ~0);

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

    /** {@code tanh(a)}. ∂/∂a = g ⊙ (1 − out²). */
    record Tanh() implements Op {
        public String name() { return "tanh"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.TANH, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(out.square().oneMinus())};
        }
    }

    /** {@code σ(a) = 1 / (1 + e^−a)}, stable for large |a|. ∂/∂a = g ⊙ out ⊙ (1 − out). */
    record Sigmoid() implements Op {
        public String name() { return "sigmoid"; }
        public Saves saves() { return Saves.OUTPUT; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.SIGMOID, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(out.times(out.oneMinus()))};
        }
    }

    /** {@code max(a, 0)}. ∂/∂a = g ⊙ [a > 0] (the step is a constant: its own derivative is 0 almost everywhere). */
    record Relu() implements Op {
        public String name() { return "relu"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.unary(Unary.RELU, in[0]); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.times(Variable.constant(Kernels.unary(Unary.STEP, in[0].value())))};
        }
    }

    /**
     * Conversion to another dtype. ∂/∂a = g cast back to a's dtype.
     *
     * @param to the dtype converted to
     */
    record Cast(DType to) implements Op {
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

    // ------------------------------------------------------------------ reductions and broadcasting

    /**
     * Sum over {@code axes} (all when empty). ∂/∂a = g, reshaped to keep the reduced axes, broadcast back.
     *
     * @param axes     the axes summed over (all when empty)
     * @param keepDims whether the summed axes stay as size 1
     */
    record Sum(int[] axes, boolean keepDims) implements Op {
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
     * Repeats {@code a} along broadcast dimensions to {@code shape}. Its rule passes {@code g}
     * through unchanged: summing back to the input's shape is the tape's job (Note [Broadcasting]).
     *
     * @param shape the shape broadcast to
     */
    record BroadcastTo(Shape shape) implements Op {
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
        public String name() { return "crossEntropy"; }
        public Saves saves() { return Saves.FIRST; }
        public Tensor forward(Tensor[] in) { return Kernels.crossEntropy(in[0], targets); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            Variable logits = in[0];
            int n = logits.shape().dim(0);
            int c = logits.shape().dim(1);
            Variable oneHot = Variable.constant(Tensor.oneHot(logits.dtype(), targets, c, n));
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
    record Gather(int axis, int[] indices) implements Op {
        public String name() { return "gather"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.gather(in[0], axis, indices); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.indexAdd(axis, indices, in[0].shape().dim(axis))};
        }
        @Override public boolean equals(Object o) { return o instanceof Gather x && axis == x.axis && Arrays.equals(indices, x.indices); }
        @Override public int hashCode() { return Arrays.hashCode(indices) * 31 + axis; }
        @Override public String toString() { return "Gather[axis=" + axis + ", " + indices.length + " indices]"; }
    }

    /**
     * Scatter-add along {@code axis} into zeros of length {@code size}: the adjoint of {@link Gather}. ∂/∂a = g gathered.
     *
     * @param axis    the axis added along
     * @param indices the position each input slice is added at
     * @param size    the output's length along it
     */
    record IndexAdd(int axis, int[] indices, int size) implements Op {
        public String name() { return "indexAdd"; }
        public Saves saves() { return Saves.NOTHING; }
        public Tensor forward(Tensor[] in) { return Kernels.indexAdd(in[0], axis, indices, size); }
        public Variable[] backward(Variable[] in, Variable out, Variable g) {
            return new Variable[] {g.gather(axis, indices)};
        }
        @Override public boolean equals(Object o) { return o instanceof IndexAdd x && axis == x.axis && size == x.size && Arrays.equals(indices, x.indices); }
        @Override public int hashCode() { return (Arrays.hashCode(indices) * 31 + axis) * 31 + size; }
        @Override public String toString() { return "IndexAdd[axis=" + axis + ", size=" + size + "]"; }
    }
}
