package dev.jgrad.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Storage that a loop of training steps reuses instead of allocating afresh, as PyTorch's caching
 * allocator hands freed blocks to the next tensor: while a {@link Scope} is open on a thread, the
 * tensors that ops compute on that thread borrow their arrays from the workspace, and closing the
 * scope takes them all back for the next scope.
 *
 * <pre>{@code
 * Workspace workspace = new Workspace();                  // a third of the maximum heap
 * for (int[][] batch : batches) {
 *     try (Workspace.Scope step = workspace.open(); Tape tape = Tape.record()) {
 *         Variable loss = model.loss(batch);
 *         lossSum += loss.value().item();
 *         loss.backward();
 *         optimizer.step();
 *         optimizer.zeroGrad();
 *         state = step.keep(next.value());             // what outlives the step
 *     }
 * }
 * }</pre>
 *
 * <p>Note [Workspace loans]:
 * <ul>
 *   <li>What is lent: the storage of every tensor of at least 1,024 elements that an op or kernel
 *       computes (values and gradients) on the scope's thread while it is open. Smaller tensors,
 *       whose fresh arrays cost less than the bookkeeping, tensors a user makes with
 *       {@code Tensor}'s factories ({@code of}, {@code zeros}, {@code randn}, …) and tensors
 *       computed on other threads have storage of their own.
 *   <li>At {@link Scope#close} every lent tensor not {@linkplain Scope#keep kept} is returned: reading
 *       it or a reshaped view of it afterwards throws {@link IllegalStateException} naming its dtype
 *       and shape, never a value the next step wrote. Optimizer steps on gradients computed in the
 *       scope belong inside it.
 *   <li>The workspace holds at most {@link #capacityBytes()} of storage, idle and lent together.
 *       A scope that needs more ends the lending: its later tensors and those of every later scope
 *       get storage of their own, which the collector frees as usual, because holding a part of a
 *       step that large would take heap the rest of the step needs; the workspace lets go of the
 *       arrays it lent that scope, so they too are freed as their tensors die. A tensor lent before
 *       still refuses reads after its scope closes.
 *   <li>A reused array is zero-filled before a kernel that adds into its output (matrix products,
 *       the adjoints of slices and gathers) writes it; a kernel that overwrites every element gets
 *       it as it is, since filling it first would write it twice. Either way every value is bit for
 *       bit the one computed without a workspace.
 *   <li>One scope of a workspace is open at a time; scopes of different workspaces nest on a thread
 *       (the innermost lends). A workspace is for one thread at a time.
 * </ul>
 */
public final class Workspace {
    /** The fewest elements a scope lends storage for: a fresh small array costs less than the bookkeeping. */
    static final int MIN_ELEMENTS = 1024;
    /** The scope lending on each thread. */
    private static final ScopedThreadLocal<Scope> CURRENT = new ScopedThreadLocal<>();

    private final long capacityBytes;
    /** Idle storage by {@link #key}, most recently returned first (it is the likeliest to be in cache). */
    private final Map<Long, ArrayDeque<Object>> idle = new HashMap<>();
    private long idleBytes;
    /** Set when a scope needed more than the capacity: no scope lends after that. */
    private boolean outgrown;
    private Scope open;

    /**
     * A workspace holding at most {@code capacityBytes} of storage.
     *
     * @param capacityBytes the most storage to hold, idle and lent together; 0 lends nothing
     */
    public Workspace(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("Workspace: capacity must be at least 0 bytes, got " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    /** A workspace of the {@linkplain #defaultCapacityBytes default capacity} (none with {@code -Djgrad.workspace=off}, to compare). */
    public Workspace() {
        this(defaultCapacityBytes());
    }

    /**
     * The capacity of {@link #Workspace()}: the system property {@code jgrad.workspace} when set, as
     * {@code off} (0) or a size such as {@code 200m} (suffix k, m or g), else a third of the JVM's
     * maximum heap.
     *
     * @return bytes
     * @throws IllegalArgumentException when the property is neither {@code off} nor a size
     */
    public static long defaultCapacityBytes() {
        String p = System.getProperty("jgrad.workspace");
        if (p == null) {
            return Runtime.getRuntime().maxMemory() / 3;
        }
        if (p.equals("off")) {
            return 0;
        }
        Matcher m = Pattern.compile("(\\d{1,12})([kmgKMG]?)").matcher(p.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("jgrad.workspace: expected off or a size such as 200m, got '" + p + "'");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    /**
     * The most storage this workspace holds, idle and lent together.
     *
     * @return bytes
     */
    public long capacityBytes() {
        return capacityBytes;
    }

    /**
     * The storage waiting for the next scope.
     *
     * @return bytes
     */
    public long idleBytes() {
        return idleBytes;
    }

    /**
     * Opens a scope on this thread: until it closes, tensors computed here borrow this workspace's storage.
     *
     * @return the scope, to close (try-with-resources)
     * @throws IllegalStateException when a scope of this workspace is already open
     */
    public Scope open() {
        if (open != null) {
            throw new IllegalStateException("Workspace.open: a scope of this workspace is already open on thread "
                    + open.thread.getName() + "; close it first");
        }
        open = new Scope();
        return open;
    }

    /**
     * A tensor on storage lent by the scope open on this thread, or null when none is open or it is
     * full; reused storage is zero-filled when {@code zeroed}, else holds an earlier tensor's values
     * for a caller that overwrites them all.
     */
    static Tensor lend(DType dtype, Shape shape, boolean zeroed) {
        if (shape.size() < MIN_ELEMENTS) {
            return null;
        }
        Scope s = CURRENT.get();
        return s == null ? null : s.lend(dtype, shape, zeroed);
    }

    /** {@code compute.get()} with no scope lending on this thread: for results kept beyond any step (caches). */
    static Tensor outside(Supplier<Tensor> compute) {
        Scope s = CURRENT.enter(null);
        try {
            return compute.get();
        } finally {
            CURRENT.exit(s);
        }
    }

    private static long key(DType dtype, int n) {
        return (long) n << 1 | (dtype == DType.F64 ? 1 : 0);
    }

    /** One tensor's borrowed storage, shared by the tensor and its reshaped views. */
    static final class Loan {
        /** The array, for the workspace to take back; dropped once the workspace is outgrown and will never take it. */
        private Object storage;
        private final DType dtype;
        /** Set when the scope closed and took the storage back: every read then throws. */
        boolean returned;
        private boolean kept;

        private Loan(Object storage, DType dtype) {
            this.storage = storage;
            this.dtype = dtype;
        }

        private int length() {
            return storage instanceof double[] d ? d.length : ((float[]) storage).length;
        }

        IllegalStateException returnedError(Tensor t) {
            return new IllegalStateException("tensor " + t.dtype + t.shape + " was computed in a Workspace scope that has"
                    + " closed and taken its storage back; keep it with Workspace.Scope.keep before the scope closes");
        }
    }

    /** The span during which tensors computed on the opening thread borrow the workspace's storage. */
    public final class Scope implements AutoCloseable {
        private final Thread thread = Thread.currentThread();
        private final Scope outer;
        private final List<Loan> loans = new ArrayList<>();
        private long lentBytes;
        private boolean closed;

        private Scope() {
            outer = CURRENT.enter(this);
        }

        private Tensor lend(DType dtype, Shape shape, boolean zeroed) {
            if (outgrown) {
                return null;
            }
            int n = shape.size();
            long bytes = (long) n * dtype.bytes();
            ArrayDeque<Object> free = idle.get(key(dtype, n));
            Object storage = free == null ? null : free.poll();
            if (storage != null) {
                idleBytes -= bytes;
                if (zeroed && storage instanceof double[] d) {
                    Arrays.fill(d, 0);
                } else if (zeroed) {
                    Arrays.fill((float[]) storage, 0);
                }
            } else {
                if (lentBytes + idleBytes + bytes > capacityBytes) {
                    idle.clear();     // storage of sizes this scope does not use gives way to sizes it does
                    idleBytes = 0;
                    if (lentBytes + bytes > capacityBytes) {
                        outgrown = true;
                        // Nothing will be lent again, so the arrays already lent go as their tensors die
                        // instead of staying reachable until the scope closes, which held heap the step needed.
                        for (Loan loan : loans) {
                            loan.storage = null;
                        }
                        return null;
                    }
                }
                storage = dtype == DType.F64 ? new double[n] : new float[n];
            }
            lentBytes += bytes;
            Loan loan = new Loan(storage, dtype);
            loans.add(loan);
            return dtype == DType.F64
                    ? new Tensor(shape, dtype, (double[]) storage, null, loan)
                    : new Tensor(shape, dtype, null, (float[]) storage, loan);
        }

        /**
         * Lets {@code t} outlive this scope: its storage leaves the workspace for good. A tensor with
         * storage of its own is returned as it is.
         *
         * @param t a tensor computed while this scope is open, or any tensor not lent
         * @return {@code t}
         * @throws IllegalStateException when {@code t}'s storage was already taken back by a closed scope
         */
        public Tensor keep(Tensor t) {
            Objects.requireNonNull(t, "t");
            Loan loan = t.loan();
            if (loan != null) {
                if (loan.returned) {
                    throw loan.returnedError(t);
                }
                loan.kept = true;
            }
            return t;
        }

        /**
         * Takes back the storage of every tensor computed in this scope and not kept; those tensors
         * can no longer be read. Closing twice does nothing.
         *
         * @throws IllegalStateException when called on another thread than the one that opened the scope,
         *                               or while a scope opened inside this one is still open
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("Workspace.Scope.close: the scope was opened on thread " + thread.getName()
                        + " and must be closed there, not on " + Thread.currentThread().getName());
            }
            if (CURRENT.get() != this) {
                throw new IllegalStateException("Workspace.Scope.close: a scope opened inside this one is still open; close it first");
            }
            closed = true;
            CURRENT.exit(outer);
            open = null;
            for (Loan loan : loans) {
                if (loan.kept) {
                    continue;
                }
                loan.returned = true;
                if (outgrown) {
                    continue;
                }
                long bytes = (long) loan.length() * loan.dtype.bytes();
                if (idleBytes + bytes <= capacityBytes) {
                    idle.computeIfAbsent(key(loan.dtype, loan.length()), k -> new ArrayDeque<>()).push(loan.storage);
                    idleBytes += bytes;
                }
            }
            loans.clear();
        }
    }
}
