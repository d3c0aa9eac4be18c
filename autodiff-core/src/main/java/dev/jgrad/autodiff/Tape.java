package dev.jgrad.autodiff;

import dev.jgrad.tensor.GradientAccumulator;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The reverse-mode tape: a scoped recording of the ops applied to values that need gradients.
 *
 * <pre>{@code
 * try (Tape tape = Tape.record()) {
 *     Variable loss = model(x).crossEntropy(targets);
 *     loss.backward();               // leaf gradients land in Variable.grad()
 * }
 * }</pre>
 *
 * <p>Recording is scoped to the current thread: {@link #record()} makes a new tape current until
 * {@link #close()}; {@link #noGrad()} suspends recording, so the ops inside it record nothing and
 * cost only their arithmetic. There is no global tape: a tape exists only inside its
 * try-with-resources block and is garbage once unreferenced, so a training loop that opens one tape
 * per step holds no graph between steps.
 *
 * <p>The recording order is a topological order (an op is recorded after its inputs exist), so
 * backward walks the tape from the output's position downwards: no graph search, no recursion, and
 * chains of any length cost no stack.
 *
 * <p>Values recorded on another tape, or before this one, are constants here: their gradients are
 * not propagated further (this is how state carried between truncated-BPTT batches is detached).
 *
 * <p>Memory: the tape keeps alive only the values derivative rules read (Note [Saved values] on
 * {@link Op}), and the backward walk drops each node's gradient once it has passed it on, so a step
 * holds its saved values plus the gradients of the walk's frontier, and nothing after the tape and
 * the step's results are dropped.
 *
 * <p>Note [Freed graphs]: {@link Variable#backward()} frees the graph as it walks it, as PyTorch's
 * {@code backward()} does: once a node's rule has run, the node lets go of its inputs, so the values
 * saved for backward become garbage during the walk, even while the caller still holds the loss. A
 * training step's peak memory is then its saved values or the backward pass's working set, not both.
 * Values of variables the caller holds stay readable; only a second backward through the same graph
 * is refused, naming the op. {@link #gradients} keeps the graph, for the analyses that differentiate
 * one graph several times (Jacobians, gradient checks, grad-of-grad).
 *
 * <p>Debugging a NaN: record with {@code Tape.record().withAnomalyDetection()} (and optionally a
 * {@link #label(String) label} such as the training step). Then the first op or derivative rule that
 * produces NaN or ±∞ throws {@link NonFiniteException}, naming the op, the shapes, the element, the
 * label and the line of your program that applied the op.
 *
 * <p>A leaf {@link Variable#assign assigned} after an op on it was recorded (a parameter updated
 * between forward and backward) makes this tape refuse backward, since the derivative rules would
 * read the new value.
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();

    private final Tape previous;
    private Variable[] nodes = new Variable[256];
    /** Per node, the sum of its leaf inputs' {@link Variable#version}s when recorded: versions only grow, so any assignment since changes it. */
    private int[] leafVersions = new int[256];
    /** Per node, what its rule reads ({@link Op#saves()}), asked once when recorded. */
    private Op.Saves[] saves = new Op.Saves[256];
    private int size;
    private boolean anomaly;
    private String label;
    private boolean closed;

    private Tape(Tape previous) {
        this.previous = previous;
    }

    /**
     * Opens a tape and makes it the current thread's recording tape until {@link #close()}.
     *
     * @return the open tape, to close with try-with-resources
     */
    public static Tape record() {
        Tape t = new Tape(CURRENT.get());
        CURRENT.set(t);
        return t;
    }

    /** A scope in which nothing is recorded; closing it restores recording. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Suspends recording on this thread until the returned scope is closed.
     *
     * @return the scope that resumes recording when closed
     */
    public static Scope noGrad() {
        Tape prev = CURRENT.get();
        CURRENT.set(null);
        return () -> CURRENT.set(prev);
    }

    /** The tape recording on this thread, or null. */
    static Tape current() {
        return CURRENT.get();
    }

    /**
     * Whether a tape is recording on this thread.
     *
     * @return true inside a {@link #record()} block that no {@link #noGrad()} scope suspends
     */
    public static boolean isRecording() {
        return CURRENT.get() != null;
    }

    /**
     * Turns on anomaly detection: every op's forward result and every derivative rule's result is
     * checked for NaN and ±∞, and the first one found throws {@link NonFiniteException} naming the
     * op, the shapes, this tape's label and where the op was recorded. Costs a scan per op and a
     * stack trace per recorded op; meant for debugging.
     *
     * @return this tape
     */
    public Tape withAnomalyDetection() {
        this.anomaly = true;
        return this;
    }

    /**
     * A label, such as {@code "epoch 3, batch 17"}, included in anomaly reports.
     *
     * @param label the text anomaly reports show for this tape
     * @return this tape
     */
    public Tape label(String label) {
        Objects.requireNonNull(label, "label");
        this.label = label;
        return this;
    }

    boolean anomalyDetection() {
        return anomaly;
    }

    /**
     * Number of ops recorded so far.
     *
     * @return the number of recorded ops
     */
    public int size() {
        return size;
    }

    /** The ops recorded so far, in order (those a freeing backward walk has released are left out). */
    List<Op> ops() {
        List<Op> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null) {
                out.add(nodes[i].op);
            }
        }
        return out;
    }

    /** Stops recording; values already recorded can still be differentiated. Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (CURRENT.get() == this) {
            // skip enclosing tapes closed out of order, so a closed tape never becomes current again
            Tape p = previous;
            while (p != null && p.closed) {
                p = p.previous;
            }
            CURRENT.set(p);
        }
    }

    Variable record(Op op, Variable[] in, Tensor out) {
        if (size == nodes.length) {
            nodes = Arrays.copyOf(nodes, size * 2);
            leafVersions = Arrays.copyOf(leafVersions, size * 2);
            saves = Arrays.copyOf(saves, size * 2);
        }
        StackTraceElement[] origin = anomaly ? new Throwable().getStackTrace() : null;
        // Note [Saved values]: hold recorded inputs and the output by value only where the rule reads them.
        Op.Saves reads = op.saves();
        // A private copy, so that a freeing backward walk can clear it (Note [Freed graphs]).
        Variable[] held = in.clone();
        int versions = 0;
        for (int j = 0; j < in.length; j++) {
            if (in[j].tape == null) {
                versions += in[j].version;
            }
            held[j] = in[j].heldBy(this, reads.input(j));
        }
        Variable v = Variable.node(out, op, held, this, size, origin);
        leafVersions[size] = versions;
        saves[size] = reads;
        nodes[size] = reads.output() ? v : v.ghost();
        // Note [Step-local storage]: what the rule reads is held until a freeing walk has run it, so
        // storage its owner dropped (Workspace.drop) is taken back then and not before.
        holdSaved(size++, true);
        return v;
    }

    /** Holds ({@code hold}) or lets go of each value the rule of the node at {@code i} reads. */
    private void holdSaved(int i, boolean hold) {
        Op.Saves reads = saves[i];
        Variable node = nodes[i];
        Variable[] in = node.inputs;
        for (int j = 0; j < in.length; j++) {
            Tensor t = reads.input(j) ? in[j].heldValue() : null;
            if (t != null) {
                holdOrLetGo(t, hold);
            }
        }
        if (reads.output()) {
            holdOrLetGo(node.heldValue(), hold);
        }
    }

    private static void holdOrLetGo(Tensor t, boolean hold) {
        if (hold) {
            Workspace.hold(t);
        } else {
            Workspace.unhold(t);
        }
    }

    // ------------------------------------------------------------------ backward

    static void backwardFrom(Variable output, Variable cotangent) {
        for (Map.Entry<Variable, Tensor> e : leafGradientsFrom(output, cotangent, "backward").entrySet()) {
            e.getKey().accumulateGrad(e.getValue());
        }
    }

    /** The gradient of every leaf reached from {@code output}, freeing the graph; no leaf's grad() changes. */
    static Map<Variable, Tensor> leafGradientsFrom(Variable output, Variable cotangent, String what) {
        checkCotangent(output, cotangent);
        if (!output.requiresGrad()) {
            throw new IllegalStateException(what + ": the value " + output.shape()
                    + " does not depend on anything that requires a gradient (was it computed outside a "
                    + "Tape.record() block, or from constants only?)");
        }
        Map<Variable, Tensor> out = new IdentityHashMap<>();
        if (output.isLeaf()) {
            out.put(output, cotangent.value());
            return out;
        }
        output.tape.requireLeavesUnchanged();
        Map<Variable, Variable> leaves = output.tape.walk(new Variable[] {output}, new Variable[] {cotangent}, List.of(), false, true);
        for (Map.Entry<Variable, Variable> e : leaves.entrySet()) {
            out.put(e.getKey(), e.getValue().value());
        }
        return out;
    }

    /**
     * The vector-Jacobian product: the gradients of {@code Σ_k ⟨cotangents[k], outputs[k]⟩} with
     * respect to each of {@code wrt} (leaves or recorded values), without touching any leaf's
     * {@link Variable#grad()}. An input the outputs do not depend on gets zeros.
     *
     * @param outputs     the values differentiated
     * @param cotangents  one per output, of its shape and dtype
     * @param wrt         the values the gradients are taken with respect to
     * @param createGraph record the backward pass on this tape, so the returned gradients can be
     *                    differentiated again (grad-of-grad, Hessian-vector products)
     * @return one gradient per value of {@code wrt}, in its shape
     */
    public List<Variable> gradients(List<Variable> outputs, List<Variable> cotangents, List<Variable> wrt, boolean createGraph) {
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(cotangents, "cotangents");
        Objects.requireNonNull(wrt, "wrt");
        if (outputs.size() != cotangents.size()) {
            throw new IllegalArgumentException("gradients: " + outputs.size() + " outputs but " + cotangents.size() + " cotangents");
        }
        for (int i = 0; i < outputs.size(); i++) {
            checkCotangent(outputs.get(i), cotangents.get(i));
        }
        requireLeavesUnchanged();
        Map<Variable, Variable> found = walk(outputs.toArray(Variable[]::new), cotangents.toArray(Variable[]::new), wrt, createGraph, false);
        List<Variable> result = new ArrayList<>(wrt.size());
        for (Variable w : wrt) {
            Variable g = found.get(w);
            result.add(g != null ? g : Variable.constant(Tensor.zeros(w.dtype(), w.shape())));
        }
        return result;
    }

    /**
     * {@link #gradients(List, List, List, boolean)} for one scalar output (a cotangent of 1).
     *
     * @param output      the value differentiated
     * @param wrt         the values the gradients are taken with respect to
     * @param createGraph record the backward pass on this tape, so the gradients can be differentiated again
     * @return one gradient per value of {@code wrt}, in its shape
     * @throws IllegalStateException when the output is not a scalar (pass its cotangent to the list form)
     */
    public List<Variable> gradients(Variable output, List<Variable> wrt, boolean createGraph) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(wrt, "wrt");
        Variable.requireScalar(output, "gradients");
        return gradients(List.of(output), List.of(Variable.constant(Tensor.full(output.dtype(), 1.0, output.shape()))), wrt, createGraph);
    }

    /** Refuses a backward pass when a leaf input of a recorded op was assigned since (see the class comment). */
    private void requireLeavesUnchanged() {
        for (int i = 0; i < size; i++) {
            if (nodes[i] == null) {
                continue; // freed by an earlier backward(): walking it again is refused anyway
            }
            Variable[] in = nodes[i].inputs;
            int versions = 0;
            for (Variable x : in) {
                if (x.tape == null) {
                    versions += x.version;
                }
            }
            if (versions != leafVersions[i]) {
                List<String> leaves = new ArrayList<>();
                for (Variable x : in) {
                    if (x.tape == null && x.requiresGrad()) {
                        leaves.add((x.name() != null ? x.name() + " " : "") + x.dtype() + x.shape());
                    }
                }
                throw new IllegalStateException("backward: a leaf input of " + nodes[i].op.name() + " at tape position " + i + " " + leaves
                        + " was assigned after the op was recorded; record the forward pass again with the new value");
            }
        }
    }

    private static void checkCotangent(Variable output, Variable cotangent) {
        if (!output.shape().equals(cotangent.shape()) || output.dtype() != cotangent.dtype()) {
            throw new IllegalArgumentException("backward: cotangent " + cotangent.dtype() + cotangent.shape()
                    + " does not match output " + output.dtype() + output.shape());
        }
    }

    /**
     * Walks the tape backwards from the outputs. Returns the total gradient of every reached leaf and
     * of every value in {@code wrt}.
     */
    private Map<Variable, Variable> walk(Variable[] outputs, Variable[] cotangents, List<Variable> wrt, boolean createGraph,
                                         boolean freeGraph) {
        Sums sums = new Sums(size, createGraph);
        // Positions whose total the caller asked for: kept; every other total is dropped as soon as
        // the walk has passed it on, so a backward pass holds the gradients of its frontier, not of
        // the whole tape.
        boolean[] keep = new boolean[size];
        for (Variable w : wrt) {
            if (w.tape == this && w.index < size) {
                keep[w.index] = true;
            }
        }
        int top = -1;
        Tape prev = CURRENT.get();
        CURRENT.set(createGraph ? this : null);
        // Note [Recycled backward storage]: without a graph, nothing outside the walk sees a node's
        // total or a rule's temporaries, so their storage is reused as soon as the walk drops them.
        try (Workspace.Recycling recycling = createGraph ? null : Workspace.recycling()) {
            for (int k = 0; k < outputs.length; k++) {
                Variable o = outputs[k];
                if (o.tape == this && o.inputs[0] == null) {
                    throw freed(o.op.name() + " " + o.dtype() + o.shape());
                }
                if (o.tape == this) {
                    sums.addNode(o.index, cotangents[k]);
                    top = Math.max(top, o.index);
                } else if (o.isLeaf() && o.requiresGrad()) {
                    sums.addLeaf(o, cotangents[k]);
                }
            }
            for (int i = top; i >= 0; i--) {
                Variable g = sums.node(i);
                if (g == null) {
                    continue;
                }
                Variable node = nodes[i];
                if (node == null) {
                    throw freed("tape position " + i);
                }
                Variable[] in = node.inputs;
                Variable[] gin = node.op.backward(in, node, g);
                for (int j = 0; j < in.length; j++) {
                    Variable x = in[j];
                    Variable gj = gin[j];
                    if (gj == null || !x.requiresGrad()) {
                        continue;
                    }
                    // Note [Broadcasting]: the one place where a gradient is summed back to its input's shape.
                    if (!gj.shape().equals(x.shape())) {
                        gj = gj.sumTo(x.shape());
                    }
                    if (anomaly) {
                        checkBackward(node, j, gj.value());
                    }
                    if (x.tape == this) {
                        sums.addNode(x.index, gj);
                    } else if (x.isLeaf()) {
                        sums.addLeaf(x, gj);
                    }
                }
                if (freeGraph) {
                    holdSaved(i, false);
                    Arrays.fill(in, null);
                    nodes[i] = null;
                    saves[i] = null;
                }
                if (!keep[i]) {
                    sums.release(i);
                }
                if (recycling != null) {
                    recycling.sweep();
                }
            }
            Map<Variable, Variable> result = sums.leaves();
            for (Variable w : wrt) {
                if (w.tape == this && w.index < size) {
                    Variable g = sums.node(w.index);
                    if (g != null) {
                        result.put(w, g);
                    }
                }
            }
            if (recycling != null) {
                recycling.sweep();   // the last flushes' stacked operands
            }
            return result;
        } finally {
            CURRENT.set(prev);
        }
    }

    private static IllegalStateException freed(String where) {
        return new IllegalStateException("backward: the graph through " + where + " was freed by an earlier backward(), which keeps "
                + "only what one backward pass needs; to differentiate one graph several times, use Tape.gradients(...)");
    }

    /**
     * The gradient totals of one backward walk, per tape position and per reached leaf. When a graph
     * is being built they are differentiable {@code plus} chains; otherwise each total is a
     * {@link GradientAccumulator}, so a weight used at every step of a long sequence costs one
     * buffer rather than one fresh tensor per use.
     */
    private static final class Sums {
        private final boolean createGraph;
        private final Variable[] graphNodes;
        private final GradientAccumulator[] eagerNodes;
        private final Map<Variable, Variable> graphLeaves;
        private final Map<Variable, GradientAccumulator> eagerLeaves;

        Sums(int size, boolean createGraph) {
            this.createGraph = createGraph;
            this.graphNodes = createGraph ? new Variable[size] : null;
            this.eagerNodes = createGraph ? null : new GradientAccumulator[size];
            this.graphLeaves = createGraph ? new IdentityHashMap<>() : null;
            this.eagerLeaves = createGraph ? null : new IdentityHashMap<>();
        }

        void addNode(int i, Variable g) {
            if (createGraph) {
                graphNodes[i] = graphNodes[i] == null ? g : graphNodes[i].plus(g);
            } else {
                GradientAccumulator acc = eagerNodes[i];
                if (acc == null) {
                    acc = eagerNodes[i] = GradientAccumulator.create();
                }
                g.addTo(acc);
            }
        }

        void addLeaf(Variable leaf, Variable g) {
            if (createGraph) {
                graphLeaves.merge(leaf, g, Variable::plus);
            } else {
                g.addTo(eagerLeaves.computeIfAbsent(leaf, k -> GradientAccumulator.create()));
            }
        }

        /** The total gradient of tape position {@code i}, or null when nothing reached it. */
        Variable node(int i) {
            if (createGraph) {
                return graphNodes[i];
            }
            GradientAccumulator acc = eagerNodes[i];
            return acc == null ? null : Variable.cotangent(acc.sum());
        }

        /** Forgets the total of tape position {@code i} once its rule has passed it on (its consumers are all behind the walk). */
        void release(int i) {
            if (createGraph) {
                graphNodes[i] = null;
            } else {
                eagerNodes[i].release();
                eagerNodes[i] = null;
            }
        }

        /** The total gradient of every reached leaf, in a fresh identity map. */
        Map<Variable, Variable> leaves() {
            if (createGraph) {
                return graphLeaves;
            }
            for (GradientAccumulator total : eagerLeaves.values()) {
                total.startSum();
            }
            Map<Variable, Variable> out = new IdentityHashMap<>();
            for (Map.Entry<Variable, GradientAccumulator> e : eagerLeaves.entrySet()) {
                out.put(e.getKey(), Variable.constant(e.getValue().sum()));
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ anomaly detection

    void checkForward(Op op, Variable[] in, Tensor out) {
        int bad = Kernels.firstNonFinite(out);
        if (bad < 0) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(op.name()).append(" produced ").append(describe(out.at(bad))).append(" in its forward pass at element ")
                .append(Arrays.toString(out.shape().unravel(bad))).append(" of its output ").append(out.dtype()).append(out.shape())
                .append("; inputs ").append(shapes(in));
        for (int i = 0; i < in.length; i++) {
            if (in[i].value().hasNonFinite()) {
                sb.append("; input ").append(i).append(" was already non-finite");
            }
        }
        appendContext(sb, new Throwable().getStackTrace());
        throw new NonFiniteException(op.name(), sb.toString());
    }

    private void checkBackward(Variable node, int input, Tensor g) {
        int bad = Kernels.firstNonFinite(g);
        if (bad < 0) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("the derivative rule of ").append(node.op.name()).append(" produced ").append(describe(g.at(bad)))
                .append(" in the gradient of input ").append(input).append(" ").append(g.dtype()).append(g.shape())
                .append(" at element ").append(Arrays.toString(g.shape().unravel(bad))).append("; inputs ").append(shapes(node.inputs));
        appendContext(sb, node.origin);
        throw new NonFiniteException(node.op.name(), sb.toString());
    }

    private void appendContext(StringBuilder sb, StackTraceElement[] trace) {
        if (label != null) {
            sb.append("; during ").append(label);
        }
        StackTraceElement site = userFrame(trace);
        if (site != null) {
            sb.append("; recorded at ").append(site);
        }
    }

    /**
     * The first frame outside the tape machinery (Tape, Variable, Op, CustomOp, Unrolled and their nested classes): where
     * user code applied the op. Matched by class, not by package, so code that itself lives in
     * {@code dev.jgrad.autodiff} (tests, say) is still found.
     */
    private static StackTraceElement userFrame(StackTraceElement[] trace) {
        if (trace == null) {
            return null;
        }
        for (StackTraceElement e : trace) {
            if (!isMachinery(e.getClassName())) {
                return e;
            }
        }
        return null;
    }

    private static boolean isMachinery(String className) {
        for (Class<?> c : new Class<?>[] {Tape.class, Variable.class, Op.class, CustomOp.class, Unrolled.class}) {
            if (className.equals(c.getName()) || className.startsWith(c.getName() + "$")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(double v) {
        return Double.isNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity";
    }

    private static String shapes(Variable[] in) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < in.length; i++) {
            sb.append(i > 0 ? ", " : "").append(in[i].dtype()).append(in[i].shape());
        }
        return sb.toString();
    }

}
