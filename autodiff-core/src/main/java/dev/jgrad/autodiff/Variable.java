package dev.jgrad.autodiff;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.GradientAccumulator;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor value that takes part in differentiation: a leaf (an input or parameter, possibly
 * requiring a gradient), a constant, or the output of an op recorded on a {@link Tape}.
 *
 * <p>The fluent methods are exactly the op set of {@link Op} plus a few compositions of it
 * ({@code mean}, {@code stack}, {@code transpose}, …). Each computes its value at once; when a tape
 * is recording (see {@link Tape#record()}) and some input requires a gradient, it is also recorded.
 * Outside a recording tape the same calls are plain eager arithmetic.
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
    private final DType dtype;
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
    /** This node's value-less stand-in on the tape, made once on first need. */
    private Variable ghost;
    /** Whether this is a gradient total handed to derivative rules by a backward walk that builds no graph. */
    private boolean cotangent;
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
        return new Variable(value, true, name, null, null, null, -1, null);
    }

    /**
     * A value that never receives a gradient.
     *
     * @param value the constant's value
     * @return a value that never gets a gradient and passes none on
     */
    public static Variable constant(Tensor value) {
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
        Unrolled unrolled = Unrolled.current();
        if (unrolled != null) {
            Variable rows = unrolled.hoist(op, in);
            if (rows != null) {
                return rows;
            }
        }
        Tape tape = Tape.current();
        if (tape == null) {
            Variable term = deferredTerm(op, in);
            if (term != null) {
                return term;
            }
        }
        Tensor[] vals = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            vals[i] = in[i].value();
        }
        Tensor out = op.forward(vals);
        if (tape == null) {
            return constant(out);
        }
        if (tape.anomalyDetection()) {
            tape.checkForward(op, in, out);
        }
        for (Variable v : in) {
            if (v.requiresGrad) {
                return tape.record(op, in, out);
            }
        }
        return constant(out);
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
        Tensor[] vals = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            vals[i] = in[i].value();
        }
        Variable term = new Variable(null, out, in[0].dtype(), false, null, null, null, null, -1, null);
        term.deferredOp = op;
        term.deferredIn = vals;
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

    void accumulateGrad(Tensor g) {
        grad = grad == null ? g : dev.jgrad.tensor.Kernels.binary(dev.jgrad.tensor.Kernels.Binary.ADD, grad, g);
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
     * Backpropagates from this value with a cotangent of ones (for a scalar loss: dloss/dloss = 1),
     * adding each reached leaf's gradient to {@link #grad()}.
     */
    public void backward() {
        Tape.backwardFrom(this, Variable.constant(Tensor.full(dtype(), 1.0, shape())));
    }

    /**
     * Backpropagates from this value with the given cotangent (same shape and dtype).
     *
     * @param cotangent the gradient of the quantity being differentiated with respect to this value
     */
    public void backward(Tensor cotangent) {
        Tape.backwardFrom(this, Variable.constant(cotangent));
    }

    // ------------------------------------------------------------------ arithmetic

    /**
     * {@code this + other}, broadcasting.
     *
     * @param other the right operand; shapes broadcast
     * @return {@code this + other}
     */
    public Variable plus(Variable other) {
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
        return apply(new Op.Div(), this, other);
    }

    /**
     * {@code this / c}.
     *
     * @param c the constant divisor
     * @return {@code this / c}
     */
    public Variable div(double c) {
        return apply(new Op.Affine(1.0 / c, 0.0), this);
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
        return apply(new Op.Affine(-1.0, 1.0), this);
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
     * {@code max(this, 0)} elementwise; its derivative at 0 is taken as 0.
     *
     * @return the rectified value
     */
    public Variable relu() {
        return apply(new Op.Relu(), this);
    }

    /**
     * This value in another dtype (itself when it already has it).
     *
     * @param to the dtype wanted
     * @return this value in {@code to}
     */
    public Variable cast(DType to) {
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
        return apply(new Op.MatMul(transThis, transOther), this, other);
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
     * Mean over the given axes.
     *
     * @param keepDims whether the averaged axes stay as size 1
     * @param axes     the axes averaged over (all when empty)
     * @return the mean
     */
    public Variable mean(boolean keepDims, int... axes) {
        requireAxes("mean", axes);
        int count = 1;
        // resolved here so a bad or repeated axis is reported as mean's, not as a bare shape lookup's
        for (int a : dev.jgrad.tensor.Kernels.axes(shape(), axes, "mean")) {
            count *= shape().dim(a);
        }
        return sum(keepDims, axes).times(1.0 / count);
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

    private void requireAxes(String op, int[] axes) {
        if (axes.length == 0) {
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
        dev.jgrad.tensor.Kernels.checkTargets(value, targets);
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
        if (to.equals(shape())) {
            return this;
        }
        value().reshape(to); // validates with a message naming both shapes
        return apply(new Op.Reshape(to), this);
    }

    /**
     * Swaps the last two dimensions.
     *
     * @return this value with its last two axes swapped
     */
    public Variable transpose() {
        if (shape().rank() < 2) {
            throw new IllegalArgumentException("transpose: needs at least 2 dimensions, got " + shape());
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
        return apply(new Op.Permute(perm.clone()), this);
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
        int[] d = s.dims();
        int[] e = new int[d.length + 1];
        System.arraycopy(d, 0, e, 0, axis);
        e[axis] = 1;
        System.arraycopy(d, axis, e, axis + 1, d.length - axis);
        // every shape is checked before any reshape is recorded, so a rejected stack leaves the tape as it was
        for (Variable p : parts) {
            if (!p.shape().equals(s)) {
                throw new IllegalArgumentException("stack: shapes " + s + " and " + p.shape() + " differ");
            }
        }
        Variable[] expanded = new Variable[parts.size()];
        for (int i = 0; i < expanded.length; i++) {
            expanded[i] = parts.get(i).reshape(e);
        }
        return concat(axis, Arrays.asList(expanded));
    }

    /**
     * Index-select along {@code axis}: {@code out[..., i, ...] = this[..., indices[i], ...]}. Rows of an embedding table.
     *
     * @param axis    the axis selected along
     * @param indices the positions selected, in output order (repeats allowed)
     * @return the selected slices
     */
    public Variable gather(int axis, int[] indices) {
        return apply(new Op.Gather(shape().axis(axis, "gather"), indices.clone()), this);
    }

    /**
     * Adds slices of this value into zeros of length {@code size} along {@code axis} at {@code indices} (the adjoint of gather).
     *
     * @param axis    the axis added along
     * @param indices the position each slice of this value is added at
     * @param size    the result's length along {@code axis}
     * @return zeros with the slices added at their positions
     */
    public Variable indexAdd(int axis, int[] indices, int size) {
        return apply(new Op.IndexAdd(shape().axis(axis, "indexAdd"), indices.clone(), size), this);
    }

    /**
     * Repeats this value along broadcast dimensions to {@code target}.
     *
     * @param target a shape this value broadcasts to
     * @return this value repeated along the broadcast dimensions
     */
    public Variable broadcastTo(Shape target) {
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
