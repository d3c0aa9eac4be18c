package dev.jgrad.autodiff;

import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The inputs of a loop unrolled over time, such as a recurrent layer's steps, with the work that
 * depends only on them done once for all steps.
 *
 * <pre>{@code
 * Variable xs = x.permute(1, 0, 2).reshape(T * B, I);      // time-major rows
 * try (Unrolled steps = Unrolled.over(xs, T)) {
 *     for (int t = 0; t < T; t++) {
 *         try (Unrolled.Step step = steps.step(t)) {
 *             h = step.carry(cell.step(step.input(), h));    // x_t = rows [t·B, (t+1)·B)
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Inside a {@link Step}, the storage a {@link dev.jgrad.tensor.Workspace} lends belongs to the
 * step (Note [Step-local storage] on {@code Workspace}): what the step computes and neither
 * {@linkplain Step#carry carries} out nor a derivative rule reads is reused by the next step, so a
 * loop's forward pass holds the values backward needs, not every temporary of every step. A value
 * of a step that was not carried is not to be read after the step: once its storage is taken back,
 * reading it throws.
 *
 * <p>Note [Hoisting over time steps]: while the scope is open on this thread, an op applied to step
 * inputs and otherwise only to leaves (parameters, constants) is computed once on the rows of all
 * steps, and each step gets its rows of that result. So {@code x_t·W_x + b} in a cell's equations
 * becomes one {@code [T·B, I]·[I, N]} matrix product instead of T products of {@code B} rows, exactly
 * as PyTorch's {@code nn.GRU} precomputes its input projections, while the cell is still written as
 * its per-step equations. Results of hoisted ops are step inputs in turn, so chains ({@code x·W + b})
 * are hoisted whole. Only ops that act row by row are hoisted: matrix products with the step input on
 * the left, and elementwise ops whose other operands broadcast over the rows; anything else runs on
 * the step's rows as usual, and so does a product with one-hot step rows, which is a gather whatever
 * its rows (Note [One-hot products] on {@code OneHotProducts}). Slices along a later axis (a gate
 * block cut from {@code x·W}) act row by row too but are not hoisted: all steps' blocks would be
 * copies, and their gradients buffers of the whole sequence, for no saving. An op first met after step 0 (its leaves changed between steps, say)
 * also runs per step, and so does an op whose result for one step has fewer than
 * {@link #MIN_STEP_ELEMENTS} elements: there each step's op costs about what recording it costs, so
 * computing it once only adds the slices that hand each step its rows.
 *
 * <p>On the tape the hoisted op is one node and each step's rows are a slice of it, so the backward
 * walk places the steps' gradients into one buffer and runs the op's rule once (Note [Deferred
 * gradient terms] on {@link Variable}). Values are those of the per-step computation up to the
 * summation order inside the one product.
 *
 * <p>Note [Loop invariants]: while a step is open, an op whose inputs are all parameters (leaves
 * that need a gradient) or such results, a gate block sliced from a packed weight say, is computed
 * once, at step 0, and every later step gets that same node. Its gradient is then the sum of all
 * steps' terms, added in one total as a leaf's (Note [Deferred gradient terms] on {@link Variable}),
 * where computed at every step it would copy the weight every step and place every step's gradient
 * back into the weight's. Its value is marked {@link Tensor#readAgainAndAgain}, so products keep
 * their copies of it (panels, gather rows) from its first use. Constants are left out: an initial
 * state of zeros is one, and an op on it is never met again. Ops first met after step 0 run per
 * step, so do those whose inputs' values changed since (a parameter assigned between steps), and so
 * do custom ops, which need not be pure. Hoisting treats invariants as leaves: {@code x_t·W_kᵀ} over
 * a sliced {@code W_k} is hoisted as over {@code W}. With no tape recording (a model generating text
 * a character at a time, one loop per character), an invariant of one parameter is kept with the
 * parameter's tensor ({@link Tensor#derived}), so later loops neither slice it again nor repack it.
 * While one records, its value is on the step's workspace and new each training step, so its panels
 * take the storage of the panels of the previous step's (the optimizer replaced the parameter's
 * tensor), as a weight's do, rather than making new ones every step. Of a parameter of fewer than
 * {@link #MIN_KEPT_ELEMENTS} elements, a recording loop computes the invariant afresh: for so small
 * a tensor the look-up and the hand-over cost more than the copies they save.
 *
 * <p>A product whose step inputs need no gradient (features given as data, say) is hoisted for its value
 * only: it is computed for {@link #CHUNK_ROWS} rows of steps at once, and each step records its own
 * product node on its rows, so the tape is the per-step computation's and the weight's gradient is
 * the steps' products stacked as any weight's (Note [Deferred gradient terms]). That rule needs no
 * gradient of the whole sequence's product, which for {@code [T·B, 3H]} would be the largest
 * tensor of the backward walk, nor all steps' values at once.
 */
public final class Unrolled implements AutoCloseable {
    private static final ThreadLocal<Unrolled> CURRENT = new ThreadLocal<>();
    /** The smallest result of one step, in elements, for which an op is hoisted (Note [Hoisting over time steps]). */
    static final int MIN_STEP_ELEMENTS = 1024;
    /**
     * The fewest elements of a parameter whose invariant a recording loop derives from the parameter's tensor (Note
     * [Loop invariants]); a smaller one's is computed afresh, since the look-up costs more than the copies it saves.
     */
    static final int MIN_KEPT_ELEMENTS = 1024;
    /** The rows a value-only hoisted product computes at once: enough for a matrix product near its peak rate, a fraction of all steps' memory. */
    static final int CHUNK_ROWS = 512;

    private final Unrolled previous;
    private final Variable rows;
    private final int steps;
    private final int batch;
    /** Hoisted ops by op and inputs (all-steps values and leaves, by identity). */
    private final Map<Key, Variable> hoisted = new LinkedHashMap<>();
    /** Value-only hoisted ops by op and inputs: the chunk of steps computed last. */
    private final Map<Key, Chunk> chunks = new LinkedHashMap<>();
    /** Ops of parameters and loop invariants alone, by op and inputs, computed at step 0 and shared by all steps (Note [Loop invariants]). */
    private final Map<Key, Invariant> invariants = new HashMap<>();
    /** The loop invariants in the order step 0 met them; each later step meets them in that order too. */
    private final List<Invariant> invariantOrder = new ArrayList<>();
    /** Where in {@link #invariantOrder} the open step's next invariant is looked for before the map. */
    private int nextInvariant;
    /** The step open now, or null. */
    private Step open;
    private boolean closed;

    /** Which all-steps value a step input or hoisted result is the rows of, in which scope, for which step. */
    record StepRows(Unrolled scope, Variable all, int step) {
    }

    /** The value of a value-only hoisted op for steps {@code [first, end)}: rows {@code [first·B, end·B)}. */
    private record Chunk(int first, int end, Tensor value) {
    }

    /** A loop invariant's node and the input values it was computed from. */
    private record Invariant(Key key, Variable result, Tensor[] values, int place) {
        /** Whether {@code in} still hold the values it was computed from (an optimizer may have replaced one). */
        boolean computedFrom(Variable[] in) {
            for (int i = 0; i < values.length; i++) {
                if (values[i] != in[i].value()) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether {@code a} and {@code b} hold the same objects, by identity, in the same order. */
    private static boolean sameInstances(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    private record Key(Op op, Variable[] in) {
        /** Whether this is the key of {@code op} on {@code in}: an equal op on the same instances. */
        boolean is(Op op, Variable[] in) {
            return this.op.equals(op) && sameInstances(this.in, in);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && is(k.op, k.in);
        }

        @Override
        public int hashCode() {
            int h = op.hashCode();
            for (Variable v : in) {
                h = 31 * h + System.identityHashCode(v);
            }
            return h;
        }

        @Override
        public String toString() {
            return op.name() + Arrays.toString(in);
        }
    }

    private Unrolled(Unrolled previous, Variable rows, int steps) {
        this.previous = previous;
        this.rows = rows;
        this.steps = steps;
        this.batch = rows.shape().dim(0) / steps;
    }

    /**
     * Opens a scope over {@code rows}, the inputs of {@code steps} steps stacked time-major
     * ({@code [T·B, …]}: step t is rows {@code [t·B, (t+1)·B)}), on the current thread until
     * {@link #close()}.
     *
     * @param rows  the inputs of all steps, {@code [T·B, …]}
     * @param steps the number of steps {@code T}
     * @return the open scope, to close with try-with-resources
     * @throws IllegalArgumentException when {@code rows} has rank 0 or its first dimension is not a
     *                                  positive multiple of {@code steps}
     */
    public static Unrolled over(Variable rows, int steps) {
        Objects.requireNonNull(rows, "rows");
        Shape s = rows.shape();
        if (steps < 1 || s.rank() == 0 || s.dim(0) == 0 || s.dim(0) % steps != 0) {
            throw new IllegalArgumentException("Unrolled.over: " + s + " is not the rows of " + steps + " steps stacked along axis 0");
        }
        Unrolled u = new Unrolled(CURRENT.get(), rows, steps);
        CURRENT.set(u);
        return u;
    }

    /**
     * The number of steps.
     *
     * @return the number of steps {@code T}
     */
    public int steps() {
        return steps;
    }

    /**
     * The input of step {@code t}: rows {@code [t·B, (t+1)·B)}.
     *
     * @param t the step, in [0, T)
     * @return that step's input {@code [B, …]}
     */
    public Variable input(int t) {
        if (t < 0 || t >= steps) {
            throw new IndexOutOfBoundsException("Unrolled.input: step " + t + " of " + steps);
        }
        return rowsOf(rows, t);
    }

    /**
     * Opens step {@code t}: until the step is closed, the storage lent on this thread belongs to it
     * unless carried out (Note [Step-local storage] on {@link dev.jgrad.tensor.Workspace}).
     *
     * @param t the step, in [0, T)
     * @return the open step, to close with try-with-resources
     * @throws IndexOutOfBoundsException when {@code t} is outside [0, T)
     * @throws IllegalStateException     when the scope is closed or another of its steps is open
     */
    public Step step(int t) {
        if (t < 0 || t >= steps) {
            throw new IndexOutOfBoundsException("Unrolled.step: step " + t + " of " + steps);
        }
        if (closed) {
            throw new IllegalStateException("Unrolled.step: the scope is closed");
        }
        if (open != null) {
            throw new IllegalStateException("Unrolled.step: step " + open.t + " is still open; close it before opening step " + t);
        }
        open = new Step(t);
        nextInvariant = 0;
        return open;
    }

    /** One step of an unrolled loop: its input, and what it carries out to later steps and the caller. */
    public final class Step implements AutoCloseable {
        private final int t;
        private final Workspace.StepRegion region = Workspace.stepRegion();

        private Step(int t) {
            this.t = t;
        }

        /**
         * This step's input: rows {@code [t·B, (t+1)·B)} of the scope's rows.
         *
         * @return the input {@code [B, …]}
         */
        public Variable input() {
            return Unrolled.this.input(t);
        }

        /**
         * Lets {@code v}'s value outlive the step: the state the next step reads, or the step's output.
         *
         * @param v a value computed in this step, or any value
         * @return {@code v}
         */
        public Variable carry(Variable v) {
            Objects.requireNonNull(v, "v");
            region.carry(v.value());
            return v;
        }

        /**
         * {@link #carry(Variable)} for each of {@code vs}.
         *
         * @param vs the values, such as a recurrent state's parts
         */
        public void carry(List<Variable> vs) {
            Objects.requireNonNull(vs, "vs");
            vs.forEach(this::carry);
        }

        /** Ends the step; what it did not carry and no rule reads is taken back. Never throws. */
        @Override
        public void close() {
            if (open == this) {
                open = null;
                region.close();
            }
        }
    }

    /** Closes the scope and a step left open; ops are no longer hoisted, and the all-steps results' storage is taken back once no rule reads it. Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (open != null) {
            open.close();
        }
        // The all-steps results reach the caller only through their rows, which are copies; the rules
        // that read them hold them (Tape.record), so their storage is taken back after the last such rule.
        hoisted.values().forEach(v -> Workspace.drop(v.value()));
        chunks.values().forEach(c -> Workspace.drop(c.value()));
        invariantOrder.forEach(i -> Workspace.drop(i.result().value()));
        if (CURRENT.get() == this) {
            Unrolled p = previous;
            while (p != null && p.closed) {
                p = p.previous;
            }
            CURRENT.set(p);
        }
    }

    /** The open scope on this thread, or null. */
    static Unrolled current() {
        return CURRENT.get();
    }

    private Variable rowsOf(Variable all, int t) {
        Variable v = all.slice(0, t * batch, (t + 1) * batch);
        v.stepRows = new StepRows(this, all, t);
        return v;
    }

    /** Whether {@code v} is a step input or hoisted result of this scope. */
    private boolean marked(Variable v) {
        StepRows r = v.stepRows;
        return r != null && r.scope() == this;
    }

    /**
     * The rows for this step of {@code op} applied once to all steps, or null when {@code op} on these
     * inputs is not hoisted (Note [Hoisting over time steps]).
     */
    Variable hoist(Op op, Variable[] in) {
        int step = -1;
        for (Variable v : in) {
            if (marked(v)) {
                if (step >= 0 && v.stepRows.step() != step) {
                    return null;
                }
                step = v.stepRows.step();
            } else if (!v.isLeaf() && !v.invariant) {
                return null;
            }
        }
        if (step < 0 || !rowWise(op, in) || stepElements(op, in) < MIN_STEP_ELEMENTS || gathers(op, in)) {
            return null;
        }
        Variable[] all = new Variable[in.length];
        for (int i = 0; i < in.length; i++) {
            all[i] = marked(in[i]) ? in[i].stepRows.all() : in[i];
        }
        Key key = new Key(op, all);
        Tape tape = valueOnly(op, in) ? Tape.current() : null;
        if (tape != null) {   // with no tape recording, nothing needs a gradient and the whole product is hoisted
            return valueOnlyRows(tape, key, in, step);
        }
        Variable result = hoisted.get(key);
        if (result == null) {
            if (step > 0) {
                return null;
            }
            result = Variable.apply(op, all);
            if (open != null) {
                open.region.carry(result.value());   // later steps read their rows of it
            }
            hoisted.put(key, result);
        }
        return rowsOf(result, step);
    }

    /**
     * The node of {@code op} on parameters and loop invariants alone, computed at step 0 and shared by
     * every later step (Note [Loop invariants]), or null when the op runs as usual.
     */
    Variable invariant(Op op, Variable[] in) {
        if (open == null || op instanceof Op.Custom) {
            return null;
        }
        Invariant known = expectedInvariant(op, in);
        Key key = null;
        if (known == null) {
            key = new Key(op, in);
            known = invariants.get(key);
        }
        if (known != null) {
            nextInvariant = known.place() + 1;
            return known.computedFrom(in) ? known.result() : null;
        }
        if (open.t != 0) {
            return null;
        }
        Tensor[] values = Variable.values(in);
        Variable result;
        if (values.length == 1) {
            // Of one parameter, its value is derived from the parameter's tensor: kept for later loops when unrecorded,
            // and otherwise taking the storage of the copies made of the one before the optimizer's step, where the
            // parameter is large enough for that to pay (MIN_KEPT_ELEMENTS).
            Tape tape = Tape.current();
            Tensor value = tape == null || values[0].size() >= MIN_KEPT_ELEMENTS
                    ? values[0].derived(op, () -> op.forward(values))
                    : op.forward(values);
            result = Variable.computed(tape, op, in, value);
        } else {
            result = Variable.compute(op, in);
        }
        result.invariant = true;
        open.region.carry(result.value());   // later steps read it
        result.value().readAgainAndAgain();
        Invariant made = new Invariant(key, result, values, invariantOrder.size());
        invariants.put(key, made);
        invariantOrder.add(made);
        nextInvariant = invariantOrder.size();
        return result;
    }

    /**
     * The invariant step 0 met next after the one this step met last, when it is {@code op} on {@code in}: a cell
     * makes the same calls at every step, so a later step finds each invariant there without hashing a key.
     */
    private Invariant expectedInvariant(Op op, Variable[] in) {
        if (nextInvariant >= invariantOrder.size()) {
            return null;
        }
        Invariant next = invariantOrder.get(nextInvariant);
        return next.key().is(op, in) ? next : null;
    }

    /**
     * This step's node of a value-only hoisted op: its value is the step's rows of the op computed
     * for a chunk of steps at once, and its rule runs on the step's own inputs as if nothing were
     * hoisted. It is not marked, so no later op is hoisted over it (its gradient would not reach it).
     */
    private Variable valueOnlyRows(Tape tape, Key key, Variable[] in, int step) {
        Chunk c = chunks.get(key);
        if (c == null && step > 0) {
            return null;
        }
        if (c == null || step < c.first() || step >= c.end()) {
            int end = Math.min(steps, step + Math.max(1, Math.ceilDiv(CHUNK_ROWS, batch)));
            Tensor value = forwardRows(tape, key, step * batch, end * batch);
            if (c != null) {
                Workspace.drop(c.value());   // its steps took copies of their rows
            }
            c = new Chunk(step, end, value);
            chunks.put(key, c);
            if (open != null) {
                open.region.carry(value);   // later steps of the chunk read their rows of it
            }
        }
        int from = (step - c.first()) * batch;
        return Variable.recordedOrConstant(tape, key.op(), in, Kernels.slice(c.value(), 0, from, from + batch));
    }

    /** {@code key}'s product on rows {@code [from, to)} of its left operand, the steps' rows; unrecorded, checked as a recorded op's under anomaly detection. */
    private static Tensor forwardRows(Tape tape, Key key, int from, int to) {
        Variable[] in = key.in().clone();
        Tensor rows = in[0].value();
        if (from != 0 || to != rows.shape().dim(0)) {
            in[0] = Variable.constant(Kernels.slice(rows, 0, from, to));
        }
        Tensor out = key.op().forward(Variable.values(in));
        if (tape.anomalyDetection()) {
            tape.checkForward(key.op(), in, out);
        }
        return out;
    }

    /**
     * Whether {@code op} is a product that reads its weight at the ones of one-hot step rows
     * ({@link Tensor#productsReadAtOnes}): a gather for one step's rows costs what those rows of a
     * gather over all steps cost, so hoisting it would only add a copy of each step's rows.
     */
    private static boolean gathers(Op op, Variable[] in) {
        return isProduct(op) && in[0].value().productsReadAtOnes();
    }

    /**
     * Whether only the value of {@code op} is computed for all steps at once (Note [Hoisting over time
     * steps]): a product of step inputs that need no gradient, such as features given as data, with a
     * weight. Its rule then runs per step, so the weight's gradient is the stacked product of the
     * steps' rows and gradients, and the gradient of the whole sequence's product is never built.
     */
    private static boolean valueOnly(Op op, Variable[] in) {
        return isProduct(op) && !in[0].requiresGrad();
    }

    /** Whether {@code op} is a matrix product, with or without an addend. */
    private static boolean isProduct(Op op) {
        return op instanceof Op.MatMul || op instanceof Op.MatMulPlus;
    }

    /** Whether {@code op} on these inputs computes each output row from the same rows of the step inputs alone. */
    private boolean rowWise(Op op, Variable[] in) {
        return switch (op) {
            case Op.MatMul(boolean ta, boolean tb) -> productOverRows(ta, in);
            case Op.MatMulPlus(boolean ta, boolean tb) -> productOverRows(ta, in) && !marked(in[2])
                    && in[2].shape().rank() <= 2 && (in[2].shape().rank() < 2 || in[2].shape().dim(0) == 1);
            case Op.Add a -> elementwiseOverRows(in);
            case Op.Sub s -> elementwiseOverRows(in);
            case Op.Mul m -> elementwiseOverRows(in);
            case Op.Div d -> elementwiseOverRows(in);
            case Op.Maximum m -> elementwiseOverRows(in);
            case Op.Minimum m -> elementwiseOverRows(in);
            case Op.TanhGrad t -> elementwiseOverRows(in);
            case Op.SigmoidGrad s -> elementwiseOverRows(in);
            case Op.Lerp l -> elementwiseOverRows(in);
            case Op.Neg n -> true;
            case Op.Affine a -> true;
            case Op.DivScalar d -> true;
            case Op.ScalarDiv d -> true;
            case Op.Pow p -> true;
            case Op.Square s -> true;
            case Op.Exp e -> true;
            case Op.Log l -> true;
            case Op.Tanh t -> true;
            case Op.Sigmoid s -> true;
            case Op.Relu r -> true;
            case Op.Sqrt r -> true;
            case Op.Abs a -> true;
            case Op.Sin r -> true;
            case Op.Cos r -> true;
            case Op.Log1p l -> true;
            case Op.Expm1 e -> true;
            case Op.Softplus r -> true;
            case Op.Clamp c -> true;
            case Op.Cast c -> true;
            default -> false;
        };
    }

    /** A product {@code rows·W} of a step input's rows and a matrix that is not one. */
    private boolean productOverRows(boolean transA, Variable[] in) {
        return !transA && marked(in[0]) && !marked(in[1]) && in[0].shape().rank() == 2 && in[1].shape().rank() == 2;
    }

    /** The elements of one step's result of a row-wise op: a product's rows × columns, else a step input's size. */
    private long stepElements(Op op, Variable[] in) {
        return switch (op) {
            case Op.MatMul(boolean ta, boolean tb) -> productElements(in, tb);
            case Op.MatMulPlus(boolean ta, boolean tb) -> productElements(in, tb);
            default -> stepInputElements(in);
        };
    }

    /** A step's rows × the product's columns, which for {@code x·Wᵀ} are W's rows. */
    private static long productElements(Variable[] in, boolean transB) {
        return (long) in[0].shape().dim(0) * in[1].shape().dim(transB ? 0 : 1);
    }

    /** The size of the step input among {@code in}: an elementwise op's result for one step. */
    private long stepInputElements(Variable[] in) {
        for (Variable v : in) {
            if (marked(v)) {
                return v.shape().size();
            }
        }
        throw new IllegalStateException("unreachable: a hoisted op has a step input");
    }

    /** Step inputs of one shape, and leaves that broadcast to it without spanning its rows. */
    private boolean elementwiseOverRows(Variable[] in) {
        Shape rowsShape = null;
        for (Variable v : in) {
            if (marked(v)) {
                if (rowsShape != null && !rowsShape.equals(v.shape())) {
                    return false;
                }
                rowsShape = v.shape();
            }
        }
        for (Variable v : in) {
            if (!marked(v)) {
                Shape s = v.shape();
                boolean spansRows = s.rank() == rowsShape.rank() && s.dim(0) != 1;
                if (s.rank() > rowsShape.rank() || spansRows || !s.broadcastsTo(rowsShape)) {
                    return false;
                }
            }
        }
        return true;
    }
}
