package dev.jgrad.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A matrix's panels kept with its tensor (the copy {@code VectorGemm} reads, made from a right
 * operand's second use on, or its first in storage handed on), and how many products are reading them.
 *
 * <p>Note [Panels handed on]: an optimizer replaces every weight by a new tensor each step
 * ({@link Kernels#update}), and the new weight makes panels of the same size, while the old one's
 * become garbage: a weight's size in each orientation, every step. Objects that live for one step
 * outlast the young generation's collections within it, so the collector copies them.
 * {@link #handOn} gives the old panels' storage to the new weight instead, once no product is
 * reading them; the new weight packs its own values into it at its first use (the old one was read
 * again, so the new one will be), so no bits change. A product that finds its panels handed on
 * reads B as at a first use. Each product holds its panels ({@link #acquire}) from before it is cut over threads until
 * its last block is done ({@link #release}), so storage is never handed on under a reader.
 * Handed-on storage stays live from the optimizer's step until the new weight's first use in each
 * orientation, some of it through the next step's forward pass, where the old copy would have been
 * garbage: in a heap already four fifths full after a collection, that can tip a collection over
 * the nine tenths at which every workspace gives way ({@link HeapPressure}). So nothing is handed on
 * while the last full collection left the heap {@linkplain HeapPressure#crowded() crowded}; the
 * collector takes the old copy as before.
 */
final class KeptPanels {
    private static final VarHandle READERS;
    private static final VarHandle SPARE;
    private static final VarHandle SPARE_TRANSPOSED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            READERS = lookup.findVarHandle(KeptPanels.class, "readers", int.class);
            SPARE = lookup.findVarHandle(Tensor.class, "sparePanels", Object.class);
            SPARE_TRANSPOSED = lookup.findVarHandle(Tensor.class, "spareTransposedPanels", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The panels: a float[] or double[] of the tensor's dtype. */
    final Object data;
    /** Products reading {@link #data} now; −1 once it has been handed on. */
    @SuppressWarnings("unused")   // through READERS
    private volatile int readers;

    /** Panels in {@code data}, held by the product that made them. */
    KeptPanels(Object data) {
        this.data = data;
        this.readers = 1;
    }

    /** Holds the panels for one product; false, holding nothing, once they have been handed on. */
    boolean acquire() {
        for (int r = (int) READERS.getVolatile(this); r >= 0; r = (int) READERS.getVolatile(this)) {
            if (READERS.compareAndSet(this, r, r + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Lets go of what {@link #acquire} (or the constructor) held. */
    void release() {
        READERS.getAndAdd(this, -1);
    }

    /** The array of {@code panels}, as {@code VectorGemm.panelsFor} returned them: kept, or a product's own. */
    static Object data(Object panels) {
        return panels instanceof KeptPanels k ? k.data : panels;
    }

    /** Lets go of {@code panels} if they are kept ones; nothing for a product's own. */
    static void release(Object panels) {
        if (panels instanceof KeptPanels k) {
            k.release();
        }
    }

    /**
     * Gives the storage of {@code from}'s kept panels, each orientation whose panels no product is
     * reading, to {@code to}, which replaces {@code from} (Note [Panels handed on]); nothing when the
     * last full collection left the heap {@linkplain HeapPressure#crowded() crowded}. {@code to} must
     * not be visible to other threads yet.
     */
    static void handOn(Tensor from, Tensor to) {
        handOn(from, to, HeapPressure.crowded());
    }

    /** {@link #handOn(Tensor, Tensor)}, nothing when {@code crowded}. */
    static void handOn(Tensor from, Tensor to, boolean crowded) {
        if (crowded) {
            return;
        }
        KeptPanels p = from.panels;
        if (p != null && READERS.compareAndSet(p, 0, -1)) {
            from.panels = null;
            to.sparePanels = p.data;
        }
        KeptPanels t = from.transposedPanels;
        if (t != null && READERS.compareAndSet(t, 0, -1)) {
            from.transposedPanels = null;
            to.spareTransposedPanels = t.data;
        }
    }

    /**
     * Takes the storage handed on to {@code b} for its panels in one orientation, if there is some
     * of {@code size} elements of its dtype: once, whichever thread asks first.
     */
    static Object takeSpare(Tensor b, boolean transposed, int size) {
        Object spare = (transposed ? SPARE_TRANSPOSED : SPARE).getAndSet(b, (Object) null);
        int length = spare instanceof float[] f && b.dtype == DType.F32 ? f.length
                : spare instanceof double[] d && b.dtype == DType.F64 ? d.length : -1;
        return length == size ? spare : null;
    }
}
