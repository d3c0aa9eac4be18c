package dev.jgrad.tensor;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A running sum of same-shape, same-dtype terms that allocates at most one buffer however many
 * terms arrive: what the backward walk needs when a weight is used at every step of an unrolled
 * sequence. Besides plain tensors ({@link #add}) it takes two structured terms without materialising
 * them (Note [Deferred gradient terms] on {@code dev.jgrad.autodiff.Variable}):
 * <ul>
 *   <li>{@link #addProduct}: {@code aᵀ·b} for {@code a [K, M]} and {@code b [K, N]}. Pending products
 *       are stacked along K and summed by one matrix product {@code [a₁; a₂; …]ᵀ·[b₁; b₂; …]} once
 *       {@link #FLUSH_ROWS} rows are pending, or the stacked operands would take {@link #FLUSH_BYTES},
 *       or the sum is read, so T products with K = batch rows cost one product with K = T·batch rows
 *       (or a few, for wide factors, whose pending terms would otherwise hold much of a step's memory).
 *   <li>{@link #addPlaced}: {@code g} added into the region {@code [start, start + len)} along an
 *       axis of the sum, the adjoint of a slice, without building the zero-padded tensor. Placed terms
 *       that begin a sum and do not overlap, such as the gate blocks of a packed projection's
 *       gradient, are copied into a buffer that is not zero-filled first; what none of them covers is
 *       zero-filled once the sum is read or something else is added. A placed term's zeros are
 *       exact, so the sum is the same as zero-padding and adding, except that a {@code −0.0} the term
 *       holds stays {@code −0.0} (as a plain first term does) instead of becoming {@code 0 + (−0.0) = +0.0}.
 * </ul>
 *
 * <p>Tensors stay immutable for everyone else: the first plain term is held by reference (never
 * written), any later term produces a private sum, and only that private buffer is updated in place.
 * {@link #sum()} publishes the buffer; once published it is never written again (a later term starts
 * a new private buffer). Plain terms are summed left to right, exactly as {@code ((t₁ + t₂) + t₃) + …}
 * with {@link Kernels#binary}; pending products are added to the running sum when flushed. The
 * summation order depends only on the sequence of terms, so results are reproducible.
 *
 * <p>On several threads ({@link Parallelism#setThreads}) a flush during the walk, and
 * {@link #startSum()}, run the product on another kernel thread while the caller goes on (Note
 * [Started work] on {@link Parallelism}): the same product, so the same bits; the accumulator
 * waits for it before its sum is next read or written.
 *
 * <p>The accumulator holds its running sum and its pending factors, so a workspace's recycling
 * region takes their storage back only once {@link #release()} has let go of them (Note [Recycled
 * backward storage] on {@link Workspace}).
 */
public final class GradientAccumulator {
    /**
     * Pending product rows that trigger a flush: enough K for a matrix product near its peak rate,
     * little memory, and on two threads flushes often enough that most of a walk's run beside it.
     */
    static final int FLUSH_ROWS = 512;
    /** Pending factors' bytes that trigger a flush sooner: what the flush stacks them into, bounded for wide factors. */
    static final long FLUSH_BYTES = 16L << 20;

    private Tensor sum;
    /** Whether {@link #sum} is this accumulator's unpublished buffer, safe to write. */
    private boolean owned;
    /**
     * For a sum begun by placed terms, the positions along {@link #placedAxis} they have written; the
     * rest of the buffer holds whatever its storage held before. Null when every element is written.
     */
    private BitSet placed;
    private int placedAxis;
    /** Pending products' factors, made on the first product: most totals never receive one. */
    private List<Tensor> pendingA = List.of();
    private List<Tensor> pendingB = List.of();
    private int pendingRows;
    /**
     * The flush running on another kernel thread while the walk goes on, or null, and the factors
     * and stacks it reads, held until it ends (Note [Started work] on {@link Parallelism}).
     */
    private Parallelism.Started flushing;
    private List<Tensor> flushingReads = List.of();

    private GradientAccumulator() {
    }

    /**
     * An empty accumulator.
     *
     * @return an accumulator with no terms
     */
    public static GradientAccumulator create() {
        return new GradientAccumulator();
    }

    /**
     * Adds {@code t} to the running sum.
     *
     * @param t the term added
     * @throws IllegalArgumentException when {@code t}'s shape or dtype differs from the earlier terms'
     */
    public void add(Tensor t) {
        Objects.requireNonNull(t, "t");
        settle();
        zeroUnplaced();
        if (sum == null) {
            replaceSum(t);
            return;
        }
        check(t.dtype, t.shape, "term");
        if (!owned) {
            replaceSum(Kernels.binary(Kernels.Binary.ADD, sum, t));
            owned = true;
            return;
        }
        Kernels.addInPlace(sum, t);
    }

    /**
     * Adds {@code aᵀ·b} for {@code a [K, M]} and {@code b [K, N]} (the {@code [M, N]} gradient of a
     * weight applied to {@code K} rows), deferring the product until enough rows are pending.
     *
     * @param a the left factor {@code [K, M]}, transposed in the product
     * @param b the right factor {@code [K, N]}
     * @throws IllegalArgumentException when the operands are not rank 2 with equal rows and one dtype,
     *                                  or their product's shape differs from the earlier terms'
     */
    public void addProduct(Tensor a, Tensor b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.rank() != 2 || b.rank() != 2 || a.shape.dim(0) != b.shape.dim(0)) {
            throw new IllegalArgumentException("gradient accumulation: product " + a.shape + "ᵀ x " + b.shape
                    + " needs two matrices with the same number of rows");
        }
        Kernels.sameDType("gradient accumulation", a, b);
        Shape out = Shape.matrix(a.shape.dim(1), b.shape.dim(1));
        if (sum != null) {
            check(a.dtype, out, "product");
        } else if (!pendingA.isEmpty()) {
            Tensor a0 = pendingA.get(0);
            if (a0.dtype != a.dtype || a0.shape.dim(1) != out.dim(0) || pendingB.get(0).shape.dim(1) != out.dim(1)) {
                throw new IllegalArgumentException("gradient accumulation: product " + a.dtype + out + " does not match the pending "
                        + a0.dtype + Shape.matrix(a0.shape.dim(1), pendingB.get(0).shape.dim(1)));
            }
        }
        if (flushing != null && flushing.isDone()) {
            settle();   // lets go of what the started flush read as soon as the walk comes back
        }
        if (pendingA.isEmpty()) {
            pendingA = new ArrayList<>();
            pendingB = new ArrayList<>();
        }
        pendingA.add(a);
        pendingB.add(b);
        Workspace.hold(a);
        Workspace.hold(b);
        pendingRows += a.shape.dim(0);
        if (pendingRows >= FLUSH_ROWS || (long) pendingRows * (out.dim(0) + out.dim(1)) * a.dtype.bytes() >= FLUSH_BYTES) {
            flush(true);
        }
    }

    /**
     * Adds {@code g} into positions {@code [start, start + g.dim(axis))} along {@code axis} of the sum,
     * whose length along that axis is {@code full}: the term {@code unslice(g, axis, start, full)}.
     *
     * @param g     the term placed
     * @param axis  the axis along which it is placed
     * @param start where it starts along that axis
     * @param full  the sum's length along that axis
     * @throws IllegalArgumentException when the placed shape differs from the earlier terms' or
     *                                  {@code g} does not fit
     */
    public void addPlaced(Tensor g, int axis, int start, int full) {
        Objects.requireNonNull(g, "g");
        int ax = g.shape.axis(axis, "gradient accumulation");
        int len = g.shape.dim(ax);
        if (start < 0 || start + len > full) {
            throw new IllegalArgumentException("gradient accumulation: " + g.shape + " at " + start + " does not fit length " + full
                    + " along axis " + axis);
        }
        Shape out = g.shape.with(ax, full);
        if (sum != null) {
            check(g.dtype, out, "placed term");
        }
        settle();
        if (sum == null) {
            replaceSum(Tensor.allocateOverwritten(g.dtype, out));
            owned = true;
            placed = new BitSet(full);
            placedAxis = ax;
        }
        if (placed != null && ax == placedAxis) {
            int overlap = placed.nextSetBit(start);
            if (overlap < 0 || overlap >= start + len) {
                Kernels.copyInto(sum, g, ax, start);
                placed.set(start, start + len);
                return;
            }
        }
        zeroUnplaced();
        own(g.dtype, out, true);
        Kernels.addInto(sum, g, ax, start);
    }

    /** Zero-fills what the placed terms that began the sum have not written, before the sum is read or added to otherwise. */
    private void zeroUnplaced() {
        if (placed == null) {
            return;
        }
        int full = sum.shape.dim(placedAxis);
        for (int from = placed.nextClearBit(0); from < full; ) {
            int to = placed.nextSetBit(from);
            to = to < 0 ? full : to;
            Kernels.zeroInto(sum, placedAxis, from, to - from);
            from = placed.nextClearBit(to);
        }
        placed = null;
    }

    /**
     * Whether no term has been added.
     *
     * @return true before the first term
     */
    public boolean isEmpty() {
        return sum == null && pendingA.isEmpty();
    }

    /**
     * The sum so far (null when empty); the returned tensor is never modified afterwards.
     *
     * @return the sum, or null when no term was added
     */
    public Tensor sum() {
        settle();
        zeroUnplaced();
        if (!pendingA.isEmpty()) {
            flush(false);
        }
        owned = false;
        return sum;
    }

    /**
     * Starts adding the pending products to the sum on another kernel thread, when there are several
     * and one is free, so that the totals a backward walk ends with are summed side by side;
     * {@link #sum()} waits for it. Does nothing when no product is pending.
     */
    public void startSum() {
        if (!pendingA.isEmpty()) {
            flush(true);
        }
    }

    private void check(DType dtype, Shape shape, String what) {
        Shape expected = sum != null ? sum.shape : shape;
        DType expectedType = sum != null ? sum.dtype : dtype;
        if (!expected.equals(shape) || expectedType != dtype) {
            throw new IllegalArgumentException("gradient accumulation: " + what + " " + dtype + shape
                    + " does not match the running sum " + expectedType + expected);
        }
    }

    /**
     * Makes {@link #sum} a private buffer of the given shape, so it can be written: when empty, a new
     * one, zero-filled when {@code zeroed} (else its caller writes every element before reading any).
     */
    private void own(DType dtype, Shape shape, boolean zeroed) {
        if (sum == null) {
            replaceSum(zeroed ? Tensor.allocate(dtype, shape) : Tensor.allocateOverwritten(dtype, shape));
            owned = true;
        } else if (!owned) {
            replaceSum(Kernels.binary(Kernels.Binary.ADD, Tensor.allocate(sum.dtype, sum.shape), sum));
            owned = true;
        }
    }

    /** Makes {@code t} the running sum, holding its storage and letting go of the previous sum's (Note [Recycled backward storage]). */
    private void replaceSum(Tensor t) {
        Workspace.hold(t);
        if (sum != null) {
            Workspace.unhold(sum);
        }
        sum = t;
    }

    /**
     * Empties this accumulator and lets go of its terms: storage a workspace lent inside a
     * {@link Workspace.Recycling} region is taken back once nothing else holds it, so the tensor
     * {@link #sum()} returned must not be read afterwards unless something else holds it.
     */
    public void release() {
        settle();
        dropPending();
        if (sum != null) {
            Workspace.unhold(sum);
        }
        sum = null;
        owned = false;
        placed = null;
    }

    /**
     * Adds the pending products to the sum as one product of the stacked operands; when {@code start},
     * on another kernel thread if one is free, while the walk goes on (Note [Started work] on
     * {@link Parallelism}), {@link #settle} waiting for it before the sum is next touched. A one-hot
     * product's scatter-add ({@link OneHotProducts#multiplyStacked}) and the kernel that packs its
     * operands anyway ({@link Gemm#takesStacked}) read the factors where they lie; for the others they
     * are stacked first.
     */
    private void flush(boolean start) {
        settle();
        zeroUnplaced();
        Tensor a0 = pendingA.get(0);
        Tensor b0 = pendingB.get(0);
        int m = a0.shape.dim(1);
        int n = b0.shape.dim(1);
        // The first total is the product itself, written without zero-filling its buffer first.
        boolean first = sum == null;
        own(a0.dtype, Shape.matrix(m, n), false);
        start &= pendingRows > 0;
        Tensor a = a0;
        Tensor b = b0;
        boolean parts = pendingA.size() > 1 && pendingRows > 0;
        if (parts && OneHotProducts.multiplyStacked(pendingA, pendingB, sum, m, n, pendingRows, !first)) {
            dropPending();   // a scatter-add, run now as Gemm.start runs one
            return;
        }
        if (parts && Gemm.takesStacked(pendingA, pendingB, m, n, pendingRows)) {
            flushing = Gemm.stacked(pendingA, pendingB, sum, m, n, pendingRows, !first, start);
        } else {
            a = pendingA.size() == 1 ? a0 : Kernels.concat(pendingA, 0);
            b = pendingB.size() == 1 ? b0 : Kernels.concat(pendingB, 0);
            if (start) {
                // Started, or run now when no kernel thread is free (then null).
                flushing = Gemm.start(a, 0, true, b, 0, false, sum, 0, m, n, pendingRows, !first);
            } else if (first) {
                Gemm.product(a, 0, true, b, 0, false, sum, 0, m, n, pendingRows);
            } else {
                Gemm.gemm(a, 0, true, b, 0, false, sum, 0, m, n, pendingRows);
            }
        }
        if (flushing == null) {
            dropPending();
            return;
        }
        // The factors stay held, and the stacks too, until the started product ends.
        List<Tensor> reads = new ArrayList<>(pendingA);
        reads.addAll(pendingB);
        if (a != a0) {
            Workspace.hold(a);
            reads.add(a);
        }
        if (b != b0) {
            Workspace.hold(b);
            reads.add(b);
        }
        flushingReads = reads;
        pendingA = List.of();
        pendingB = List.of();
        pendingRows = 0;
    }

    /** Waits for a started flush to end and lets go of what it read. */
    private void settle() {
        if (flushing == null) {
            return;
        }
        Parallelism.Started f = flushing;
        flushing = null;
        try {
            f.join();
        } finally {
            for (Tensor t : flushingReads) {
                Workspace.unhold(t);
            }
            flushingReads = List.of();
        }
    }

    /** Forgets the pending products, letting go of their factors; most totals have none, and skip the loops' iterators. */
    private void dropPending() {
        if (pendingA.isEmpty()) {
            return;
        }
        for (Tensor t : pendingA) {
            Workspace.unhold(t);
        }
        for (Tensor t : pendingB) {
            Workspace.unhold(t);
        }
        pendingA = List.of();
        pendingB = List.of();
        pendingRows = 0;
    }
}
