package dev.jgrad.autodiff;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.GradientAccumulator;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A tensor value that takes part in differentiation: a leaf (an input or parameter, possibly
 * requiring a gradient), a constant, or the output of an op recorded on a {@link Tape}.
 *
 * <p>The fluent methods are exactly the op set of {@link Op} plus a few compositions of it
 * ({@code mean}, {@code var}, {@code std}, {@code stack}, {@code squeeze}, {@code transpose}, …); an
 * op of your own is a {@link CustomOp}. Each computes its value at once; when a tape is recording
 * (see {@link Tape#record()}) and some input requires a gradient, it is also recorded. Outside a
 * recording tape the same calls are plain eager arithmetic.
 *
 * <pre>{@code
 * Variable x = Variable.leaf("x", Tensor.vector(1, 2, 3));
 * try (Tape tape = Tape.record()) {
 *     Variable y = x.times(x).sigmoid().sum();
 *     y.backward();
 * }
 * Tensor dydx = x.grad();
 * }</pre>
 */
public final class Variable {
    /**
     * The value; null in a {@link #ghost()} (Note [Saved values] on {@link Op}) and in a deferred
     * term until it is first read (Note [Deferred gradient terms]).
     */
    private Tensor value;
    private final Shape shape;
    /** Final but for a leaf's {@link #assign}, which may change it (a module cast to another dtype). */
    private DType dtype;
    private final boolean requiresGrad;
    private final String name;
    /** For a recorded node: its op, inputs, tape and position on the tape; null / −1 otherwise. */
    final Op op;
    final Variable[] inputs;
    final Tape tape;
    final int index;
    /** Where the node was recorded, captured only under anomaly detection. */
    final StackTraceElement[] origin;
    /** Accumulated gradient of a leaf after {@link #backward()}. */
    private Tensor grad;
    /** How many times this leaf has been {@link #assign assigned}: tapes refuse to differentiate values recorded before. */
    int version;
    /** This node's value-less stand-in on the tape, made once on first need. */
    private Variable ghost;
    /** Whether this is a gradient total handed to derivative rules by a backward walk that builds no graph. */
    private boolean cotangent;
    /** Set on a step input or hoisted result of an open {@link Unrolled} scope: which rows of what it is. */
    Unrolled.StepRows stepRows;
    /** Whether this is an op of parameters computed once in an unrolled scope and shared by its steps (Note [Loop invariants] on {@link Unrolled}). */
    boolean invariant;
    /** A term computed on first read: the op and its input values (Note [Deferred gradient terms]). */
    private Op deferredOp;
    private Tensor[] deferredIn;

    private Variable(Tensor value, boolean requiresGrad, String name, Op op, Variable[] inputs, Tape tape, int index,
            StackTraceElement[] origin) {
        this(value, value.shape(), value.dtype(), requiresGrad, name, op, inputs, tape, index, origin);
    }

    private Variable(Tensor value, Shape shape, DType dtype, boolean requiresGrad, String name, Op op, Variable[] inputs,
            Tape tape, int index, StackTraceElement[] origin) {
        this.value = value;
        this.shape = shape;
        this.dtype = dtype;
        this.requiresGrad = requiresGrad;
        this.name = name;
        this.op = op;
        this.inputs = inputs;
        this.tape = tape;
        this.index = index;
        this.origin = origin;
    }

    /**
     * A leaf that requires a gradient: an input to differentiate with respect to.
     *
     * @param value the leaf's value
     * @return an unnamed leaf that requires a gradient
     */
    public static Variable leaf(Tensor value) {
        Objects.requireNonNull(value, "value");
        return new Variable(value, true, null, null, null, null, -1, null);
    }

    /**
     * A named leaf that requires a gradient; the name appears in error and gradient-check reports.
     *
     * @param name  the name error messages and anomaly reports use
     * @param value the leaf's value
     * @return a named leaf that requires a gradient
     */
    public static Variable leaf(String name, Tensor value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        return new Variable(value, true, name, null, null, null, -1, null);
    }

    /**
     * A value that never receives a gradient.
     *
     * @param value the constant's value
     * @return a value that never gets a gradient and passes none on
     */
    public static Variable constant(Tensor value) {
        Objects.requireNonNull(value, "value");
        return new Variable(value, false, null, null, null, null, -1, null);
    }

    /** A gradient total of a backward walk that builds no graph: rules applied to it may defer their terms. */
    static Variable cotangent(Tensor value) {
        Variable v = constant(value);
        v.cotangent = true;
        return v;
    }

    static Variable node(Tensor value, Op op, Variable[] inputs, Tape tape, int index, StackTraceElement[] origin) {
        return new Variable(value, true, null, op, inputs, tape, index, origin);
    }

    /**
     * How an op recorded on {@code recording} holds this input, {@code read} saying whether its
     * derivative rule reads the value (Note [Saved values] on {@link Op}):
     * <ul>
     *   <li>a leaf or constant: itself (the caller owns it anyway);
     *   <li>a node of the same tape: itself when read, else its {@link #ghost()};
     *   <li>a node of another tape: a constant, since gradients never flow back into another tape,
     *       so holding it must not keep that tape's graph alive either (a state carried between
     *       truncated-BPTT batches without {@link #detach()} would otherwise chain every earlier
     *       batch's graph to the current one).
     * </ul>
     */
    Variable heldBy(Tape recording, boolean read) {
        if (tape == null) {
            return this;
        }
        if (tape == recording) {
            return read ? this : ghost();
        }
        return read ? constant(value()) : new Variable(null, shape, dtype, false, name, null, null, null, -1, null);
    }

    /**
     * This recorded node without its value: same op, inputs, tape position, shape and dtype, so the
     * backward walk routes gradients to it exactly as to the node itself, but holding it does not keep
     * the value alive.
     */
    Variable ghost() {
        Variable g = ghost;
        if (g == null) {
            g = ghost = new Variable(null, shape, dtype, requiresGrad, name, op, inputs, tape, index, origin);
        }
        return g;
    }

    /** Applies an op: computes it and, when a tape is recording and an input needs a gradient, records it. */
    static Variable apply(Op op, Variable... in) {
        if (anyStepRows(in)) {
            Unrolled unrolled = Unrolled.current();
            if (unrolled != null) {
                Variable rows = unrolled.hoist(op, in);
                if (rows != null) {
                    return rows;
                }
            }
        } else if (parametersOrInvariants(in)) {
            Unrolled unrolled = Unrolled.current();
            if (unrolled != null) {
                Variable once = unrolled.invariant(op, in);
                if (once != null) {
                    return once;
                }
            }
        }
        return compute(op, in);
    }

    /** {@link #apply} without looking at an unrolled scope: the op computed on these inputs, recorded when one needs a gradient. */
    static Variable compute(Op op, Variable[] in) {
        Tape tape = Tape.current();
        if (tape == null) {
            Variable term = deferredTerm(op, in);
            if (term != null) {
                return term;
            }
        }
        return computed(tape, op, in, op.forward(values(in)));
    }

    /** {@code out}, the result of {@code op} on {@code in}, as {@link #compute} gives it: recorded on {@code tape} when one records and an input needs a gradient. */
    static Variable computed(Tape tape, Op op, Variable[] in, Tensor out) {
        if (tape == null) {
            return constant(out);
        }
        if (tape.anomalyDetection()) {
            tape.checkForward(op, in, out);
        }
        return recordedOrConstant(tape, op, in, out);
    }

    /** The values of {@code in}, for an op's forward. */
    static Tensor[] values(Variable[] in) {
        Tensor[] vals = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            vals[i] = in[i].value();
        }
        return vals;
    }

    /** {@code out}, the result of {@code op} on {@code in}: recorded on {@code tape} when an input needs a gradient, else a constant. */
    static Variable recordedOrConstant(Tape tape, Op op, Variable[] in, Tensor out) {
        for (Variable v : in) {
            if (v.requiresGrad) {
                return tape.record(op, in, out);
            }
        }
        return constant(out);
    }

    /** Whether every input is a parameter (a leaf that needs a gradient) or a loop invariant: only then is an op computed once for all steps. */
    private static boolean parametersOrInvariants(Variable[] in) {
        if (in.length == 0) {
            return false;
        }
        for (Variable v : in) {
            if (!v.invariant && !(v.isLeaf() && v.requiresGrad)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an input is a step's rows: only then can the op be hoisted, so other ops skip the scope's look-up. */
    private static boolean anyStepRows(Variable[] in) {
        for (Variable v : in) {
            if (v.stepRows != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Note [Deferred gradient terms]: in a backward walk that builds no graph, two terms a derivative
     * rule makes directly from the incoming gradient total are not computed when the rule returns
     * them but added to the receiving total in bulk ({@link GradientAccumulator}):
     * <ul>
     *   <li>the product {@code aᵀ·g} (matmul's rule for a right operand: the gradient of a weight
     *       {@code W} in {@code x·W}). A weight used at each of T steps receives T such products with
     *       K = batch rows each; the total stacks them and runs one product with K = T·batch rows,
     *       which a BLAS runs several times faster.
     *   <li>the placement {@code unslice(g)} (slice's rule), added into the total's own buffer. T slices
     *       of one sequence would otherwise materialise T zero-padded full-size tensors: T² work.
     * </ul>
     * A deferred term read by anything else (a rule, a broadcast reduction, anomaly detection) is
     * computed on first read by the op's own forward, so its value is the one the op gives.
     */
    private static Variable deferredTerm(Op op, Variable[] in) {
        boolean fromCotangent = false;
        for (Variable v : in) {
            fromCotangent |= v.cotangent;
        }
        if (!fromCotangent) {
            return null;
        }
        Shape s0 = in[0].shape();
        Shape out = switch (op) {
            case Op.MatMul(boolean ta, boolean tb) when ta && !tb && s0.rank() == 2 && in[1].shape().rank() == 2
                    && s0.dim(0) == in[1].shape().dim(0) && in[0].dtype() == in[1].dtype() -> Shape.of(s0.dim(1), in[1].shape().dim(1));
            case Op.Unslice(int axis, int start, int full) when start >= 0 && start + s0.dim(axis) <= full -> s0.with(axis, full);
            default -> null;
        };
        if (out == null) {
            return null;
        }
        Variable term = new Variable(null, out, in[0].dtype(), false, null, null, null, null, -1, null);
        term.deferredOp = op;
        term.deferredIn = values(in);
        return term;
    }

    /** Adds this gradient term to a walk's running total, deferred terms without computing them. */
    void addTo(GradientAccumulator total) {
        switch (deferredOp) {
            case Op.MatMul m -> total.addProduct(deferredIn[0], deferredIn[1]);
            case Op.Unslice u -> total.addPlaced(deferredIn[0], u.axis(), u.start(), u.full());
            case null, default -> total.add(value());
        }
    }

    // ------------------------------------------------------------------ state

    /**
     * This value's tensor; reading a recorded value the tape did not keep throws, naming the op that made it (Note [Saved values] on {@link Op}).
     *
     * @return the value
     */
    public Tensor value() {
        if (value == null && deferredOp != null) {
            value = deferredOp.forward(deferredIn);
            deferredOp = null;
            deferredIn = null;
        }
        if (value == null) {
            // Only a derivative rule can reach a ghost: its op's saves() left out a value it reads.
            String what = op != null ? op.name() + " output " + dtype + shape + " at tape position " + index
                    : "the value " + dtype + shape + " from another tape";
            throw new IllegalStateException(what + " was not saved for backward; the derivative rule that read it must list it in Op.saves()");
        }
        return value;
    }

    /** The tensor this variable holds, or null for a stand-in without one; never computes a deferred value. */
    Tensor heldValue() {
        return value;
    }

    /**
     * The value's shape, known even when the tensor is not kept.
     *
     * @return the shape
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The value's dtype, known even when the tensor is not kept.
     *
     * @return the dtype
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Whether gradients flow to this value (a leaf that asked for one, or a recorded node).
     *
     * @return whether gradients flow to or through this value
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Whether this is a leaf (not the output of a recorded op).
     *
     * @return whether this value was made by {@link #leaf} or {@link #constant} rather than recorded by an op
     */
    public boolean isLeaf() {
        return op == null;
    }

    /**
     * The name given at creation, or null.
     *
     * @return the name given to {@link #leaf(String, Tensor)}, or null
     */
    public String name() {
        return name;
    }

    /**
     * The op that produced this node, or null for leaves and constants.
     *
     * @return the op that recorded this value, or null for a leaf or constant
     */
    public Op op() {
        return op;
    }

    /**
     * The gradient accumulated into this leaf by {@link #backward()} calls, or null before any.
     *
     * @return the accumulated gradient, in this value's shape and dtype, or null
     */
    public Tensor grad() {
        return grad;
    }

    /** Forgets the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /**
     * Replaces this leaf's value in place and forgets its gradient, as an optimizer step or loading
     * weights does: every holder of this {@code Variable} sees the new value, so none is left
     * differentiating a stale copy. The shape must stay; the dtype may change (a module cast to
     * float64 for a gradient check). A tape that recorded an op on this leaf before the assignment
     * refuses to run backward afterwards, since its derivative rules would read the new value.
     *
     * @param newValue the new value, of this leaf's shape
     * @throws IllegalStateException    when this is not a leaf that requires a gradient
     * @throws IllegalArgumentException when the new value's shape differs
     */
    public void assign(Tensor newValue) {
        Objects.requireNonNull(newValue, "newValue");
        if (!isLeaf() || !requiresGrad) {
            throw new IllegalStateException("assign: only a leaf that requires a gradient (a parameter) can be assigned, not "
                    + (isLeaf() ? "a constant" : "the output of " + op.name()));
        }
        if (!newValue.shape().equals(shape)) {
            throw new IllegalArgumentException("assign: " + (name != null ? name + " " : "") + dtype + shape + " cannot take a value of shape "
                    + newValue.shape());
        }
        value = newValue;
        dtype = newValue.dtype();
        grad = null;
        version++;
    }

    void accumulateGrad(Tensor g) {
        grad = grad == null ? g : Kernels.binary(Kernels.Binary.ADD, grad, g);
    }

    /**
     * The same value cut off from the graph: no gradient flows through it (stop-gradient).
     *
     * @return a constant with this value
     */
    public Variable detach() {
        return constant(value());
    }

    /**
     * Backpropagates from this scalar (a loss: dloss/dloss = 1), adding each reached leaf's gradient
     * to {@link #grad()}. The graph is freed as it is walked (Note [Freed graphs] on {@link Tape}): a
     * second backward through it is refused; {@link Tape#gradients} keeps it.
     *
     * @throws IllegalStateException when this value has more than one element: say which combination
     *                               of its elements to differentiate by passing a cotangent,
     *                               {@link #backward(Tensor)}, or reduce it first
     */
    public void backward() {
        requireScalar(this, "backward");
        Tape.backwardFrom(this, Variable.constant(Tensor.full(dtype(), 1.0, shape())));
    }

    /** Refuses an implicit cotangent of ones for a value that is not a scalar (PyTorch and JAX refuse too). */
    static void requireScalar(Variable output, String op) {
        if (output.shape().size() != 1) {
            throw new IllegalStateException(op + ": the value " + output.dtype() + output.shape() + " is not a scalar; pass a cotangent of"
                    + " its shape (backward(cotangent): the gradient of Σ cotangent ⊙ value) or reduce it to a scalar first");
        }
    }

    /**
     * Backpropagates from this value with the given cotangent (same shape and dtype), freeing the
     * graph as {@link #backward()} does.
     *
     * @param cotangent the gradient of the quantity being differentiated with respect to this value
     */
    public void backward(Tensor cotangent) {
        Objects.requireNonNull(cotangent, "cotangent");
        Tape.backwardFrom(this, Variable.constant(cotangent));
    }

    /**
     * The gradients {@link #backward(Tensor)} would add to the leaves it reaches, returned instead of
     * added: no leaf's {@link #grad()} changes, so several threads, each with its own tape, can
     * differentiate functions of the same leaves at once and their gradients be summed in a fixed
     * order afterwards. Frees the graph as {@code backward} does.
     *
     * @param cotangent the gradient of the quantity being differentiated with respect to this value
     * @return each reached leaf's gradient (leaves by identity), in an unmodifiable map; a leaf the
     *         value does not depend on is absent
     */
    public Map<Variable, Tensor> leafGradients(Tensor cotangent) {
        Objects.requireNonNull(cotangent, "cotangent");
        return Collections.unmodifiableMap(Tape.leafGradientsFrom(this, Variable.constant(cotangent), "leafGradients"));
    }

    // ------------------------------------------------------------------ arithmetic

    /**
     * {@code this + other}, broadcasting.
     *
     * @param other the right operand; shapes broadcast
     * @return {@code this + other}
     */
    public Variable plus(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Add(), this, other);
    }

    /**
     * {@code this + c}.
     *
     * @param c the constant added
     * @return {@code this + c}
     */
    public Variable plus(double c) {
        return apply(new Op.Affine(1.0, c), this);
    }

    /**
     * {@code this − other}, broadcasting.
     *
     * @param other the right operand; shapes broadcast
     * @return {@code this − other}
     */
    public Variable minus(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Sub(), this, other);
    }

    /**
     * {@code this − c}.
     *
     * @param c the constant subtracted
     * @return {@code this − c}
     */
    public Variable minus(double c) {
        return apply(new Op.Affine(1.0, -c), this);
    }

    /**
     * {@code this ⊙ other} (Hadamard), broadcasting.
     *
     * @param other the right operand; shapes broadcast
     * @return {@code this ⊙ other}
     */
    public Variable times(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Mul(), this, other);
    }

    /**
     * {@code this · c}.
     *
     * @param c the constant factor
     * @return {@code this · c}
     */
    public Variable times(double c) {
        return apply(new Op.Affine(c, 0.0), this);
    }

    /**
     * {@code this / other}, broadcasting.
     *
     * @param other the divisor; shapes broadcast
     * @return {@code this / other}
     */
    public Variable div(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Div(), this, other);
    }

    /**
     * {@code this / c}: a true division, finite even where {@code 1 / c} is not (|c| below about 1e-308).
     *
     * @param c the constant divisor
     * @return {@code this / c}
     */
    public Variable div(double c) {
        return apply(new Op.DivScalar(c), this);
    }

    /**
     * {@code c − x}, the scalar on the left: {@code Variable.minus(1.0, z)} is {@code 1 − z}.
     *
     * @param c the constant
     * @param x the value subtracted
     * @return {@code c − x}
     */
    public static Variable minus(double c, Variable x) {
        Objects.requireNonNull(x, "x");
        return apply(new Op.Affine(-1.0, c), x);
    }

    /**
     * {@code c / x} elementwise, the scalar on the left: {@code Variable.div(1.0, x)} is the reciprocal.
     *
     * @param c the constant
     * @param x the divisor
     * @return {@code c / x}
     */
    public static Variable div(double c, Variable x) {
        Objects.requireNonNull(x, "x");
        return apply(new Op.ScalarDiv(c), x);
    }

    /**
     * {@code max(this, other)} elementwise, broadcasting; ties split the gradient evenly.
     *
     * @param other the other operand
     * @return the elementwise maximum
     */
    public Variable maximum(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Maximum(), this, other);
    }

    /**
     * {@code this + weight ⊙ (end − this)} elementwise, broadcasting all three: the point a fraction
     * {@code weight} of the way from this value to {@code end}, as PyTorch's {@code torch.lerp}. A GRU's
     * state update {@code z ⊙ h + (1 − z) ⊙ h̃} is {@code hTilde.lerp(h, z)}: one op that keeps only its
     * inputs for backward, where the composed form also keeps {@code 1 − z}.
     *
     * @param end    the end, where a weight of 1 lands
     * @param weight the fraction of the way from this value to {@code end}
     * @return {@code this + weight ⊙ (end − this)}, of the broadcast shape
     * @throws IllegalArgumentException when the shapes do not broadcast or the dtypes differ, naming them
     */
    public Variable lerp(Variable end, Variable weight) {
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(weight, "weight");
        return apply(new Op.Lerp(), this, end, weight);
    }

    /**
     * {@code min(this, other)} elementwise, broadcasting; ties split the gradient evenly.
     *
     * @param other the other operand
     * @return the elementwise minimum
     */
    public Variable minimum(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.Minimum(), this, other);
    }

    /**
     * {@code condition ? ifTrue : ifFalse} elementwise, the three broadcasting together. The condition
     * holds only 0 (false) and 1 (true), in any dtype; it is a constant, so no gradient flows into it.
     *
     * @param condition 0s and 1s
     * @param ifTrue    the values where the condition is 1
     * @param ifFalse   the values where it is 0
     * @return the selection, in the broadcast shape
     * @throws IllegalArgumentException when the condition holds another value, or the shapes do not broadcast
     */
    public static Variable where(Tensor condition, Variable ifTrue, Variable ifFalse) {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(ifTrue, "ifTrue");
        Objects.requireNonNull(ifFalse, "ifFalse");
        return apply(new Op.Where(condition), ifTrue, ifFalse);
    }

    /**
     * This value with {@code fill} wherever {@code mask} is 1 (PyTorch's {@code masked_fill}): {@code where(mask, fill, this)}.
     *
     * @param mask 0s and 1s, broadcasting to this value
     * @param fill the value put where the mask is 1
     * @return the filled value
     */
    public Variable maskedFill(Tensor mask, double fill) {
        Objects.requireNonNull(mask, "mask");
        return where(mask, constant(Tensor.full(dtype(), fill, Shape.scalar())), this);
    }

    /**
     * {@code −this}.
     *
     * @return {@code −this}
     */
    public Variable neg() {
        return apply(new Op.Neg(), this);
    }

    /**
     * {@code 1 − this}, as in the GRU's {@code (1 − z)}.
     *
     * @return {@code 1 − this}
     */
    public Variable oneMinus() {
        return minus(1.0, this);
    }

    /**
     * {@code this^p} elementwise.
     *
     * @param p the constant exponent
     * @return {@code this^p} elementwise
     */
    public Variable pow(double p) {
        return apply(new Op.Pow(p), this);
    }

    /**
     * {@code this²} elementwise.
     *
     * @return {@code this²} elementwise
     */
    public Variable square() {
        return apply(new Op.Square(), this);
    }

    /**
     * {@code exp(this)} elementwise.
     *
     * @return the exponential
     */
    public Variable exp() {
        return apply(new Op.Exp(), this);
    }

    /**
     * {@code log(this)} elementwise (natural logarithm).
     *
     * @return the logarithm
     */
    public Variable log() {
        return apply(new Op.Log(), this);
    }

    /**
     * {@code tanh(this)} elementwise.
     *
     * @return the hyperbolic tangent
     */
    public Variable tanh() {
        return apply(new Op.Tanh(), this);
    }

    /**
     * The logistic function, finite and in [0, 1] for every input.
     *
     * @return {@code σ(this)} elementwise
     */
    public Variable sigmoid() {
        return apply(new Op.Sigmoid(), this);
    }

    /**
     * {@code g ⊙ (1 − this²)} in one pass: tanh's derivative rule, with {@code this} a tanh output and
     * {@code g} its cotangent (PyTorch's {@code tanh_backward}). It is itself differentiable, so tanh's
     * gradients can be differentiated again.
     *
     * @param g the cotangent; shapes broadcast
     * @return {@code g ⊙ (1 − this²)}
     */
    public Variable tanhGrad(Variable g) {
        Objects.requireNonNull(g, "g");
        return apply(new Op.TanhGrad(), this, g);
    }

    /**
     * {@code g ⊙ this ⊙ (1 − this)} in one pass: σ's derivative rule, with {@code this} a σ output and
     * {@code g} its cotangent (PyTorch's {@code sigmoid_backward}). It is itself differentiable, so σ's
     * gradients can be differentiated again.
     *
     * @param g the cotangent; shapes broadcast
     * @return {@code g ⊙ this ⊙ (1 − this)}
     */
    public Variable sigmoidGrad(Variable g) {
        Objects.requireNonNull(g, "g");
        return apply(new Op.SigmoidGrad(), this, g);
    }

    /**
     * {@code max(this, 0)} elementwise, with a NaN and a −0 kept as they are, as PyTorch's {@code relu}; its
     * derivative at 0 is taken as 0, and at a NaN it passes the gradient on, as PyTorch's does.
     *
     * @return the rectified value
     */
    public Variable relu() {
        return apply(new Op.Relu(), this);
    }

    /**
     * {@code √this}; its gradient is infinite at 0.
     *
     * @return the square root
     */
    public Variable sqrt() {
        return apply(new Op.Sqrt(), this);
    }

    /**
     * {@code |this|}; the gradient at 0 is 0.
     *
     * @return the absolute value
     */
    public Variable abs() {
        return apply(new Op.Abs(), this);
    }

    /**
     * {@code sin(this)} elementwise.
     *
     * @return the sine
     */
    public Variable sin() {
        return apply(new Op.Sin(), this);
    }

    /**
     * {@code cos(this)} elementwise.
     *
     * @return the cosine
     */
    public Variable cos() {
        return apply(new Op.Cos(), this);
    }

    /**
     * {@code log(1 + this)}, accurate for small values.
     *
     * @return {@code log(1 + this)}
     */
    public Variable log1p() {
        return apply(new Op.Log1p(), this);
    }

    /**
     * {@code exp(this) − 1}, accurate for small values.
     *
     * @return {@code exp(this) − 1}
     */
    public Variable expm1() {
        return apply(new Op.Expm1(), this);
    }

    /**
     * {@code log(1 + exp(this))}, finite for every finite input.
     *
     * @return {@code log(1 + exp(this))}
     */
    public Variable softplus() {
        return apply(new Op.Softplus(), this);
    }

    /**
     * {@code min(max(this, lo), hi)}; the gradient passes where {@code lo ≤ this ≤ hi}. Either bound
     * may be infinite (a one-sided clamp).
     *
     * @param lo the lower bound ({@code -∞} for none)
     * @param hi the upper bound ({@code +∞} for none)
     * @return the clamped value
     * @throws IllegalArgumentException when {@code lo > hi} or a bound is NaN
     */
    public Variable clamp(double lo, double hi) {
        return apply(new Op.Clamp(lo, hi), this);
    }

    /**
     * This value in another dtype (itself when it already has it).
     *
     * @param to the dtype wanted
     * @return this value in {@code to}
     */
    public Variable cast(DType to) {
        Objects.requireNonNull(to, "to");
        return to == dtype() ? this : apply(new Op.Cast(to), this);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Matrix product {@code this · other}: {@code [..., m, k] x [..., k, n] → [..., m, n]}, batch dimensions broadcast.
     *
     * @param other the right operand {@code [..., k, n]}
     * @return the product {@code [..., m, n]}
     */
    public Variable matmul(Variable other) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.MatMul(false, false), this, other);
    }

    /**
     * {@code op(this) · op(other)}, where a set flag transposes that operand's last two dimensions (read in place).
     *
     * @param other      the right operand
     * @param transThis  read this operand with its last two axes swapped
     * @param transOther read {@code other} with its last two axes swapped
     * @return the product {@code [..., m, n]}
     */
    public Variable matmul(Variable other, boolean transThis, boolean transOther) {
        Objects.requireNonNull(other, "other");
        return apply(new Op.MatMul(transThis, transOther), this, other);
    }

    /**
     * {@code this · other + addend} as one op: a layer's affine map without a separate product
     * tensor, bit for bit {@code matmul(other).plus(addend)}.
     *
     * @param other  the right operand
     * @param addend a value that broadcasts to the product's shape {@code [..., m, n]}, such as a bias {@code [n]}
     * @return the sum {@code [..., m, n]}
     */
    public Variable matmulPlus(Variable other, Variable addend) {
        return matmulPlus(other, false, false, addend);
    }

    /**
     * {@code op(this) · op(other) + addend} as one op, a set flag transposing that operand's last two
     * dimensions (read in place): bit for bit {@code matmul(other, transThis, transOther).plus(addend)}.
     *
     * @param other      the right operand
     * @param transThis  read this operand with its last two axes swapped
     * @param transOther read {@code other} with its last two axes swapped
     * @param addend     a value that broadcasts to the product's shape {@code [..., m, n]}, such as a bias {@code [n]}
     * @return the sum {@code [..., m, n]}
     */
    public Variable matmulPlus(Variable other, boolean transThis, boolean transOther, Variable addend) {
        Objects.requireNonNull(other, "other");
        Objects.requireNonNull(addend, "addend");
        return apply(new Op.MatMulPlus(transThis, transOther), this, other, addend);
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Sum of all elements, a scalar.
     *
     * @return the sum of all elements, a scalar
     */
    public Variable sum() {
        return apply(new Op.Sum(new int[0], false), this);
    }

    /**
     * Sum over the given axes, dropping them.
     *
     * @param axes the axes summed over (negative counts from the end)
     * @return the sum, without the summed axes
     */
    public Variable sum(int... axes) {
        requireAxes("sum", axes);
        return apply(new Op.Sum(axes.clone(), false), this);
    }

    /**
     * Sum over the given axes, keeping them as size 1 when {@code keepDims}.
     *
     * @param keepDims whether the summed axes stay as size 1
     * @param axes     the axes summed over (all when empty)
     * @return the sum
     */
    public Variable sum(boolean keepDims, int... axes) {
        requireAxes("sum", axes);
        return apply(new Op.Sum(axes.clone(), keepDims), this);
    }

    /**
     * Mean of all elements.
     *
     * @return the mean of all elements, a scalar
     */
    public Variable mean() {
        return sum().times(1.0 / shape().size());
    }

    /**
     * Mean over the given axes, dropping them.
     *
     * @param axes the axes averaged over (negative counts from the end)
     * @return the mean, without those axes
     */
    public Variable mean(int... axes) {
        return mean(false, axes);
    }

    /**
     * Mean over the given axes.
     *
     * @param keepDims whether the averaged axes stay as size 1
     * @param axes     the axes averaged over (all when empty)
     * @return the mean
     */
    public Variable mean(boolean keepDims, int... axes) {
        requireAxes("mean", axes);
        int n = count(axes, "mean");
        return sum(keepDims, axes).times(1.0 / n);
    }

    /** The number of elements in each group reduced over {@code axes}; resolving them here names the calling op in errors. */
    private int count(int[] axes, String op) {
        int count = 1;
        for (int a : Kernels.axes(shape(), axes, op)) {
            count *= shape().dim(a);
        }
        return count;
    }

    /**
     * Maximum of all elements.
     *
     * @return the largest element, a scalar
     */
    public Variable max() {
        return apply(new Op.Max(new int[0], false), this);
    }

    /**
     * Maximum over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the maximum, without those axes
     */
    public Variable max(int... axes) {
        return max(false, axes);
    }

    /**
     * Maximum over the given axes.
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the maximum
     */
    public Variable max(boolean keepDims, int... axes) {
        requireAxes("max", axes);
        return apply(new Op.Max(axes.clone(), keepDims), this);
    }

    /**
     * The index of the largest element along {@code axis} of this value ({@link Tensor#argmax}); not
     * recorded, since indices have no gradient.
     *
     * @param axis the axis searched (negative counts from the end)
     * @return one index per position of the other axes
     */
    public int[] argmax(int axis) {
        return value().argmax(axis);
    }

    /**
     * Minimum of all elements.
     *
     * @return the smallest element, a scalar
     */
    public Variable min() {
        return apply(new Op.Min(new int[0], false), this);
    }

    /**
     * Minimum over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the minimum, without those axes
     */
    public Variable min(int... axes) {
        return min(false, axes);
    }

    /**
     * Minimum over the given axes; ties share the gradient.
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the minimum
     */
    public Variable min(boolean keepDims, int... axes) {
        requireAxes("min", axes);
        return apply(new Op.Min(axes.clone(), keepDims), this);
    }

    /**
     * {@code log Σ exp} of all elements, stable for large values.
     *
     * @return a scalar
     */
    public Variable logSumExp() {
        return apply(new Op.LogSumExp(new int[0], false), this);
    }

    /**
     * {@code log Σ exp} over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the log-sum-exp, without those axes
     */
    public Variable logSumExp(int... axes) {
        return logSumExp(false, axes);
    }

    /**
     * {@code log Σ exp} over the given axes, with the max trick (Note [Softmax max trick]).
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the log-sum-exp
     */
    public Variable logSumExp(boolean keepDims, int... axes) {
        requireAxes("logSumExp", axes);
        return apply(new Op.LogSumExp(axes.clone(), keepDims), this);
    }

    /**
     * The Euclidean norm of all elements, {@code √Σ x²}; its gradient at 0 is 0.
     *
     * @return a scalar
     */
    public Variable norm() {
        return apply(new Op.Norm(new int[0], false), this);
    }

    /**
     * The Euclidean norm over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the norm, without those axes
     */
    public Variable norm(int... axes) {
        return norm(false, axes);
    }

    /**
     * The Euclidean norm over the given axes (each group scaled first, so 1e200 does not overflow).
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the norm
     */
    public Variable norm(boolean keepDims, int... axes) {
        requireAxes("norm", axes);
        return apply(new Op.Norm(axes.clone(), keepDims), this);
    }

    /**
     * The variance of all elements, {@code mean((x − mean(x))²)}: the population variance, dividing by
     * n as NumPy and layer normalisation do (PyTorch's {@code torch.var} divides by n − 1 unless given
     * {@code correction=0}).
     *
     * @return a scalar
     */
    public Variable var() {
        return minus(mean()).square().mean();
    }

    /**
     * The population variance over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the variance, without those axes
     */
    public Variable var(int... axes) {
        return var(false, axes);
    }

    /**
     * The population variance over the given axes.
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the variance
     */
    public Variable var(boolean keepDims, int... axes) {
        requireAxes("var", axes);
        count(axes, "var"); // resolves the axes first, so a bad one is reported as var's
        return minus(mean(true, axes)).square().mean(keepDims, axes);
    }

    /**
     * The population standard deviation of all elements, {@code √var}, computed as the norm of the
     * deviations over √n: so its gradient at a constant input, where it has a kink, is 0 (as the
     * norm's), not the NaN of {@code var().sqrt()}.
     *
     * @return a scalar
     */
    public Variable std() {
        return minus(mean()).norm().times(1.0 / Math.sqrt(shape().size()));
    }

    /**
     * The population standard deviation over the given axes, dropping them.
     *
     * @param axes the axes reduced (negative counts from the end)
     * @return the standard deviation, without those axes
     */
    public Variable std(int... axes) {
        return std(false, axes);
    }

    /**
     * The population standard deviation over the given axes.
     *
     * @param keepDims whether the reduced axes stay as size 1
     * @param axes     the axes reduced (all when empty)
     * @return the standard deviation
     */
    public Variable std(boolean keepDims, int... axes) {
        requireAxes("std", axes);
        int n = count(axes, "std");
        return minus(mean(true, axes)).norm(keepDims, axes).times(1.0 / Math.sqrt(n));
    }

    /** Refuses null axes by name, and an empty list (which would mean every axis: the no-argument form says so). */
    private void requireAxes(String op, int[] axes) {
        if (Objects.requireNonNull(axes, "axes").length == 0) {
            throw new IllegalArgumentException(op + ": no axes given for " + shape() + "; use " + op + "() to reduce all");
        }
    }

    /**
     * {@code sum(this ⊙ other)}: the inner product of two same-shaped values, a scalar.
     *
     * @param other a vector of the same length
     * @return the scalar {@code Σ this ⊙ other}
     */
    public Variable dot(Variable other) {
        return times(other).sum();
    }

    // ------------------------------------------------------------------ softmax family

    /**
     * Softmax along {@code axis}, with the max-subtraction trick.
     *
     * @param axis the axis normalised over
     * @return the softmax, in this value's shape
     */
    public Variable softmax(int axis) {
        return apply(new Op.Softmax(shape().axis(axis, "softmax")), this);
    }

    /**
     * Log-softmax along {@code axis}, with the max-subtraction trick.
     *
     * @param axis the axis normalised over
     * @return the log-softmax, in this value's shape
     */
    public Variable logSoftmax(int axis) {
        return apply(new Op.LogSoftmax(shape().axis(axis, "logSoftmax")), this);
    }

    /**
     * Mean softmax cross-entropy of these logits {@code [N, C]} against targets in [0, C), fused and stable.
     *
     * @param targets the class index of each row, in [0, C)
     * @return the mean cross-entropy, a scalar
     */
    public Variable crossEntropy(int[] targets) {
        Kernels.checkTargets(value, targets);
        return apply(new Op.CrossEntropy(targets.clone()), this);
    }

    // ------------------------------------------------------------------ shape ops

    /**
     * Same values, another shape; one dimension may be −1.
     *
     * @param dims the new dimensions, of the same total size
     * @return the same values in that shape
     */
    public Variable reshape(int... dims) {
        return reshape(value().reshape(dims).shape());
    }

    /**
     * The same values in shape {@code to}, of the same size.
     *
     * @param to the new shape
     * @return the reshaped value
     */
    public Variable reshape(Shape to) {
        Objects.requireNonNull(to, "to");
        if (to.equals(shape())) {
            return this;
        }
        value().reshape(to); // validates with a message naming both shapes
        return apply(new Op.Reshape(to), this);
    }

    /**
     * The transpose of a matrix {@code [m, n] → [n, m]}. For more dimensions say which two to swap,
     * {@link #transpose(int, int)}, or swap the last two of a batch of matrices with
     * {@link #matrixTranspose()}.
     *
     * @return this value with its last two axes swapped
     * @throws IllegalArgumentException when this is not a matrix
     */
    public Variable transpose() {
        if (shape().rank() != 2) {
            throw new IllegalArgumentException("transpose: " + shape() + " is not a matrix; use transpose(a, b) to swap two axes"
                    + (shape().rank() > 2 ? " or matrixTranspose() to swap the last two" : ""));
        }
        return transpose(0, 1);
    }

    /**
     * Swaps the last two dimensions: the transpose of every matrix in a batch {@code [..., m, n] → [..., n, m]} (PyTorch's {@code mT}).
     *
     * @return the batch of transposed matrices
     */
    public Variable matrixTranspose() {
        if (shape().rank() < 2) {
            throw new IllegalArgumentException("matrixTranspose: needs at least 2 dimensions, got " + shape());
        }
        return transpose(-2, -1);
    }

    /**
     * Swaps two dimensions.
     *
     * @param a one axis
     * @param b the other axis
     * @return this value with axes {@code a} and {@code b} swapped
     */
    public Variable transpose(int a, int b) {
        int r = shape().rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        int x = shape().axis(a, "transpose");
        int y = shape().axis(b, "transpose");
        perm[x] = y;
        perm[y] = x;
        return permute(perm);
    }

    /**
     * Reorders dimensions: result dimension i is this value's dimension {@code perm[i]}.
     *
     * @param perm the source axis of each output axis
     * @return the permuted value
     */
    public Variable permute(int... perm) {
        Objects.requireNonNull(perm, "perm");
        return apply(new Op.Permute(perm.clone()), this);
    }

    /**
     * This value without its dimensions of size 1 (a scalar stays a scalar).
     *
     * @return the squeezed value
     */
    public Variable squeeze() {
        return reshape(Shape.of(java.util.stream.IntStream.of(shape().dims()).filter(d -> d != 1).toArray()));
    }

    /**
     * This value without the given dimensions, each of which must have size 1.
     *
     * @param axes the axes removed, each of size 1
     * @return the squeezed value
     * @throws IllegalArgumentException naming the axis when it is out of range or its size is not 1
     */
    public Variable squeeze(int... axes) {
        Objects.requireNonNull(axes, "axes");
        if (axes.length == 0) {
            throw new IllegalArgumentException("squeeze: no axes given for " + shape() + "; use squeeze() to drop every axis of size 1");
        }
        int[] ax = Kernels.axes(shape(), axes, "squeeze");
        for (int a : ax) {
            if (shape().dim(a) != 1) {
                throw new IllegalArgumentException("squeeze: axis " + a + " of " + shape() + " has size " + shape().dim(a) + ", not 1");
            }
        }
        return reshape(Kernels.reducedShape(shape(), ax, false));
    }

    /**
     * This value with a new dimension of size 1 at {@code axis} ({@code 0 ≤ axis ≤ rank}, or negative counting from after the last).
     *
     * @param axis the new axis's position
     * @return the value with one more axis
     */
    public Variable unsqueeze(int axis) {
        int r = shape().rank();
        int a = axis < 0 ? axis + r + 1 : axis;
        if (a < 0 || a > r) {
            throw new IllegalArgumentException("unsqueeze: axis " + axis + " is out of range for shape " + shape() + " (allowed "
                    + (-r - 1) + " to " + r + ")");
        }
        return reshape(withUnitAxis(shape(), a));
    }

    /** {@code s} with a new axis of size 1 at position {@code axis} (already checked to lie in 0..rank). */
    private static Shape withUnitAxis(Shape s, int axis) {
        int[] d = s.dims();
        int[] e = new int[d.length + 1];
        System.arraycopy(d, 0, e, 0, axis);
        e[axis] = 1;
        System.arraycopy(d, axis, e, axis + 1, d.length - axis);
        return Shape.of(e);
    }

    /**
     * All elements as a vector {@code [size]}.
     *
     * @return the vector
     */
    public Variable flatten() {
        return reshape(Shape.of(shape().size()));
    }

    /**
     * Merges dimensions {@code startAxis} to {@code endAxis} (both included, negative counting from the end) into one.
     *
     * @param startAxis the first axis merged
     * @param endAxis   the last axis merged
     * @return the value with those axes merged
     */
    public Variable flatten(int startAxis, int endAxis) {
        int a = shape().axis(startAxis, "flatten");
        int b = shape().axis(endAxis, "flatten");
        if (a > b) {
            throw new IllegalArgumentException("flatten: start axis " + startAxis + " comes after end axis " + endAxis + " in " + shape());
        }
        int[] d = shape().dims();
        int[] e = new int[d.length - (b - a)];
        System.arraycopy(d, 0, e, 0, a);
        int merged = 1;
        for (int i = a; i <= b; i++) {
            merged *= d[i];
        }
        e[a] = merged;
        System.arraycopy(d, b + 1, e, a + 1, d.length - b - 1);
        return reshape(Shape.of(e));
    }

    /**
     * {@code this[..., start:end, ...]} along {@code axis}.
     *
     * @param axis  the axis sliced
     * @param start the first index kept
     * @param end   the index after the last one kept
     * @return the slice
     */
    public Variable slice(int axis, int start, int end) {
        return apply(new Op.Slice(shape().axis(axis, "slice"), start, end), this);
    }

    /**
     * This value placed at {@code start} inside zeros of length {@code full} along {@code axis} (the adjoint of slice).
     *
     * @param axis  the axis placed along
     * @param start where this value starts along it
     * @param full  the result's length along it
     * @return zeros with this value placed at {@code start}
     */
    public Variable unslice(int axis, int start, int full) {
        return apply(new Op.Unslice(shape().axis(axis, "unslice"), start, full), this);
    }

    /**
     * Joins values along an existing axis.
     *
     * @param axis  the axis joined along
     * @param parts the values joined, equal in every other dimension and in dtype
     * @return the concatenation
     */
    public static Variable concat(int axis, List<Variable> parts) {
        Objects.requireNonNull(parts, "parts");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no values");
        }
        return apply(new Op.Concat(parts.get(0).shape().axis(axis, "concat")), parts.toArray(Variable[]::new));
    }

    /**
     * Joins values along an existing axis.
     *
     * @param axis  the axis joined along
     * @param parts the values joined, equal in every other dimension and in dtype
     * @return the concatenation
     */
    public static Variable concat(int axis, Variable... parts) {
        Objects.requireNonNull(parts, "parts");
        return concat(axis, List.of(parts));
    }

    /**
     * Stacks same-shaped values along a new axis {@code axis} (0 ≤ axis ≤ rank).
     *
     * @param axis  the new axis's position in the result
     * @param parts the values stacked, all of one shape and dtype
     * @return the stack, with one more axis
     */
    public static Variable stack(int axis, List<Variable> parts) {
        Objects.requireNonNull(parts, "parts");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("stack: no values");
        }
        Shape s = parts.get(0).shape();
        if (axis < 0) {
            axis += s.rank() + 1;
        }
        if (axis < 0 || axis > s.rank()) {
            throw new IllegalArgumentException("stack: axis " + axis + " is out of range for values of shape " + s);
        }
        Shape expandedShape = withUnitAxis(s, axis);
        // every shape is checked before any reshape is recorded, so a rejected stack leaves the tape as it was
        for (Variable p : parts) {
            if (!p.shape().equals(s)) {
                throw new IllegalArgumentException("stack: shapes " + s + " and " + p.shape() + " differ");
            }
        }
        Variable[] expanded = new Variable[parts.size()];
        for (int i = 0; i < expanded.length; i++) {
            expanded[i] = parts.get(i).reshape(expandedShape);
        }
        return concat(axis, Arrays.asList(expanded));
    }

    /**
     * Index-select along {@code axis}: {@code out[..., i, ...] = this[..., indices[i], ...]}, whole
     * slices (PyTorch's {@code index_select}, NumPy's {@code take}). Rows of an embedding table. For
     * one element per position, {@code x[i, t_i]}, use {@link #gather(int, int[], int...)}.
     *
     * @param axis    the axis selected along
     * @param indices the positions selected, in output order (repeats allowed)
     * @return the selected slices
     */
    public Variable indexSelect(int axis, int[] indices) {
        Objects.requireNonNull(indices, "indices");
        return apply(new Op.IndexSelect(shape().axis(axis, "indexSelect"), indices.clone()), this);
    }

    /**
     * Per-element gather along {@code axis} (PyTorch's {@code torch.gather}, NumPy's
     * {@code take_along_axis}): {@code index} holds one entry per element of {@code indexDims}, row-major,
     * and {@code out[i] = this[i with i[axis] replaced by index[i]]}. The index has this value's rank
     * and is no larger outside {@code axis}; the result has its shape. For logits {@code [N, C]} and
     * targets {@code t}, {@code gather(1, t, N, 1)} is {@code [N, 1]} holding {@code logits[n, t_n]}.
     *
     * @param axis      the axis read along
     * @param index     the position along {@code axis} of each output element, row-major
     * @param indexDims the shape of {@code index}, which is the output's
     * @return the gathered elements
     * @throws IllegalArgumentException naming the shapes when the index does not fit, or an index
     *                                  entry when it is out of range
     */
    public Variable gather(int axis, int[] index, int... indexDims) {
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(indexDims, "indexDims");
        if (indexDims.length == 0 && shape().rank() > 0) {
            throw new IllegalArgumentException("gather: give the index's shape (" + shape().rank() + " dimensions for " + shape()
                    + "); gather picks one element per index entry, as torch.gather. For whole slices use indexSelect");
        }
        return apply(new Op.Gather(shape().axis(axis, "gather"), index.clone(), Shape.of(indexDims)), this);
    }

    /**
     * This value plus {@code src}'s elements added at per-element positions along {@code axis}
     * (PyTorch's {@code scatter_add}): {@code out[i with i[axis] replaced by index[i]] += src[i]} for
     * every position i of {@code src}, repeats adding up. {@code index} has one entry per element of
     * {@code src}, row-major. The adjoint of {@link #gather(int, int[], int...)}.
     *
     * @param axis  the axis added along
     * @param index the position along {@code axis} of each element of {@code src}, row-major
     * @param src   the elements added
     * @return this value with {@code src} added at those positions
     */
    public Variable scatterAdd(int axis, int[] index, Variable src) {
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(src, "src");
        return apply(new Op.ScatterAdd(shape().axis(axis, "scatterAdd"), index.clone()), this, src);
    }

    /**
     * Adds slices of this value into zeros of length {@code size} along {@code axis} at {@code indices} (the adjoint of indexSelect).
     *
     * @param axis    the axis added along
     * @param indices the position each slice of this value is added at
     * @param size    the result's length along {@code axis}
     * @return zeros with the slices added at their positions
     */
    public Variable indexAdd(int axis, int[] indices, int size) {
        Objects.requireNonNull(indices, "indices");
        return apply(new Op.IndexAdd(shape().axis(axis, "indexAdd"), indices.clone(), size), this);
    }

    /**
     * Repeats this value along broadcast dimensions to {@code target}.
     *
     * @param target a shape this value broadcasts to
     * @return this value repeated along the broadcast dimensions
     */
    public Variable broadcastTo(Shape target) {
        Objects.requireNonNull(target, "target");
        if (target.equals(shape())) {
            return this;
        }
        if (!shape().broadcastsTo(target)) {
            throw new IllegalArgumentException("broadcastTo: " + shape() + " does not broadcast to " + target);
        }
        return apply(new Op.BroadcastTo(target), this);
    }

    /**
     * Sums this value down to {@code target}, the shape it was broadcast from.
     *
     * @param target a shape that broadcasts to this value's
     * @return the sum over the dimensions {@code target} was broadcast along
     */
    public Variable sumTo(Shape target) {
        Objects.requireNonNull(target, "target");
        if (target.equals(shape())) {
            return this;
        }
        if (!target.broadcastsTo(shape())) {
            throw new IllegalArgumentException("sumTo: " + target + " does not broadcast to " + shape());
        }
        return apply(new Op.SumTo(target), this);
    }

    @Override
    public String toString() {
        String kind = op != null ? op.name() : requiresGrad ? "leaf" : "constant";
        return "Variable(" + (name != null ? name + ", " : "") + kind + ", " + value + ")";
    }
}
