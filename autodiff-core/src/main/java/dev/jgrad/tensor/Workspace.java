package dev.jgrad.tensor;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
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
 *   <li>The workspace holds at most {@link #limitBytes()} of storage, idle and lent together: its
 *       capacity, unless the heap has been nearly full (below).
 *       A size that finds no idle storage of its own and no room evicts idle storage of other
 *       sizes, the longest idle first and only as much as it needs, so the sizes a loop asks for
 *       again keep theirs. A scope that needs more than the limit ends the lending: its later
 *       tensors and those of every later scope get storage of their own, which the collector frees
 *       as usual, because holding a part of a step that large would take heap the rest of the step
 *       needs; the workspace lets go of the arrays it lent that scope, so they too are freed as their
 *       tensors die. A tensor lent before still refuses reads after its scope closes.
 *   <li>Storage held for reuse must never take heap the program's own data needs: a program that
 *       fits the heap without a workspace fits it with one. So the workspace holds its arrays, idle
 *       or lent, through soft references: an array no live tensor holds is one the collector may
 *       take, and takes before it would throw {@link OutOfMemoryError}; the workspace then allocates
 *       that size afresh. And once a collection has left the live heap above nine tenths of its
 *       maximum, whatever filled it, the workspace gives way at its next loan ({@link
 *       #gaveWayToTheHeap()}): it lets go of its idle storage and of the arrays lent to the open
 *       scope, as above, lends nothing more in that scope, and halves its limit for later scopes,
 *       so that a heap too small for it is not collected to the brink step after step.
 *   <li>A reused array is zero-filled before a kernel that adds into its output (the adjoints of
 *       slices and gathers) writes it; a kernel that overwrites every element (elementwise ops, matrix
 *       products) gets it as it is, since filling it first would write it twice. Either way every value is bit for
 *       bit the one computed without a workspace.
 *   <li>One scope of a workspace is open at a time; scopes of different workspaces nest on a thread
 *       (the innermost lends). A workspace is for one thread at a time.
 * </ul>
 *
 * <p>Note [Recycled backward storage]: a backward walk makes far more storage than it keeps (each
 * node's gradient total, the terms its rule returns, the temporaries inside the rule), and only the
 * leaves' totals outlive it. While a {@link Recycling} region is open, storage lent on the thread is
 * taken back as soon as nothing holds it, so the walk's later tensors reuse it within the same scope
 * and the scope needs the forward pass's storage and the walk's frontier, not the sum of both:
 * <ul>
 *   <li>A {@link GradientAccumulator} holds its running sum and its pending product factors; {@link
 *       GradientAccumulator#release()} lets go of them.
 *   <li>{@link Recycling#sweep()} takes back every tensor lent since the previous sweep that nothing
 *       holds; a tensor whose last hold is let go later is taken back then.
 *   <li>Only storage lent while the region is open is taken back, and only while it is open: the
 *       forward pass's values, which the caller may still read, are never touched. A tensor taken
 *       back refuses every read, as after its scope closed, so a hold that was missed throws
 *       instead of reading another tensor's values.
 * </ul>
 *
 * <p>Note [Step-local storage]: a loop over time steps makes, at every step, temporaries that no
 * later step reads: the {@code h·U} and the sums in {@code σ(x·W + h·U + b)}, which no derivative
 * rule reads either. While a {@link StepRegion} is open, the storage lent in it is the step's own:
 * <ul>
 *   <li>at {@link StepRegion#close()} every tensor lent in the region that the step did not
 *       {@linkplain StepRegion#carry carry} out and that nothing {@linkplain #hold holds} is taken
 *       back, so the next step reuses it while it is still in cache;
 *   <li>a tape's node holds the values its derivative rule reads from when it is recorded until a
 *       freeing backward walk has run the rule; a step-local tensor still held at the step's end,
 *       or one its owner {@linkplain #drop dropped}, is taken back when its last hold is let go
 *       inside a {@link Recycling} region, which is when a backward walk has run the last rule that
 *       reads it;
 *   <li>a step-local tensor taken back refuses every read, so a value kept past its step without
 *       being carried throws instead of reading another tensor's values.
 * </ul>
 */
public final class Workspace {
    /** The fewest elements a scope lends storage for: a fresh small array costs less than the bookkeeping. */
    static final int MIN_ELEMENTS = 1024;
    /** The scope lending on each thread. */
    private static final ScopedThreadLocal<Scope> CURRENT = new ScopedThreadLocal<>();

    private final long capacityBytes;
    /**
     * Idle storage by {@link #key}, most recently returned first (it is the likeliest to be in cache),
     * held softly as lent storage is (Note [Workspace loans]).
     */
    private final Map<Long, ArrayDeque<SoftReference<Object>>> idle = new HashMap<>();
    private long idleBytes;
    /** The capacity, halved each time the workspace gave way to a nearly full heap. */
    private long limitBytes;
    /** Set when a scope needed more than the limit: no scope lends after that. */
    private boolean outgrown;
    /** {@link HeapPressure#count()} when the workspace was made or last gave way: a larger count means the heap has been nearly full since. */
    private long pressureSeen;
    private Scope open;
    /** The most loans a scope's list held, as the next scope's first capacity: a step's list then need not regrow. */
    private int loansSeen;

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
        this.limitBytes = capacityBytes;
        this.pressureSeen = capacityBytes > 0 ? HeapPressure.count() : 0;
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
     * Whether a scope has needed more than the {@linkplain #limitBytes limit}, after which scopes lend nothing (Note
     * [Workspace loans]): their tensors get fresh arrays, which is slower; a larger heap or a larger
     * {@code -Djgrad.workspace} gives the workspace room.
     *
     * @return true once outgrown; never for a workspace of capacity 0, which lends nothing by choice
     */
    public boolean isOutgrown() {
        return outgrown;
    }

    /**
     * The most storage this workspace holds now, idle and lent together: its capacity, halved each
     * time it gave way to a nearly full heap (Note [Workspace loans]).
     *
     * @return bytes
     */
    public long limitBytes() {
        return limitBytes;
    }

    /**
     * Whether the workspace has given way to the heap: after a collection the live heap was above nine
     * tenths of its maximum, so it let go of its storage and halved its {@linkplain #limitBytes limit}
     * (Note [Workspace loans]). Steps then allocate more arrays afresh, which is slower; a larger heap
     * gives the workspace room.
     *
     * @return true once it gave way
     */
    public boolean gaveWayToTheHeap() {
        return limitBytes < capacityBytes;
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
     * Takes back the storage of a tensor that a scope of this workspace lent and {@linkplain
     * Scope#keep kept}, for later scopes to lend: for what outlives one step and is done with during
     * a later one, such as a shard's gradients once summed ({@code dev.jgrad.nn.parallel.DataParallel}),
     * so that each step does not allocate it afresh. Afterwards reading the tensor or a reshaped view
     * of it throws {@link IllegalStateException}. Does nothing for a tensor with storage of its own,
     * nor for storage given back already (through another view of it). Call it on the thread using
     * the workspace, or while no scope of it is open.
     *
     * @param t a tensor kept from a scope of this workspace, which nothing reads again
     * @throws IllegalStateException when {@code t} was lent by another workspace, or was not kept
     */
    public void giveBack(Tensor t) {
        Loan loan = Objects.requireNonNull(t, "t").loan();
        if (loan == null) {
            return;
        }
        if (loan.scope.workspace() != this) {
            throw new IllegalStateException("Workspace.giveBack: tensor " + t.dtype + t.shape + " was lent by another workspace");
        }
        if (loan.givenBack) {
            return;
        }
        if (!loan.kept) {
            throw new IllegalStateException("Workspace.giveBack: tensor " + t.dtype + t.shape
                    + " was not kept (Workspace.Scope.keep); its scope takes it back");
        }
        loan.returned = true;
        loan.givenBack = true;
        makeIdle(loan);
    }

    /** Keeps a returned loan's storage for later loans, while the workspace lends (is not outgrown) and has room. */
    private void makeIdle(Loan loan) {
        if (!outgrown && loan.storage != null && loan.storage.get() != null && idleBytes + loan.bytes() <= limitBytes) {
            idle.computeIfAbsent(key(loan.dtype, loan.length), k -> new ArrayDeque<>()).push(loan.storage);
            idleBytes += loan.bytes();
        }
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

    /**
     * Notes that something beyond {@code t}'s own references reads its storage later: a gradient
     * total, or a tape keeping the value for a derivative rule (Notes [Recycled backward storage]
     * and [Step-local storage]). Does nothing for a tensor with storage of its own.
     *
     * @param t the tensor whose storage is held
     */
    public static void hold(Tensor t) {
        Loan loan = Objects.requireNonNull(t, "t").loan();
        if (loan != null) {
            loan.holds++;
        }
    }

    /**
     * Lets go of a hold taken by {@link #hold}. Storage nothing holds any more is taken back at once
     * when it was lent in a recycling region that is still open, or in a step region that has closed
     * while a recycling region of its scope is open.
     *
     * @param t the tensor whose storage was held
     */
    public static void unhold(Tensor t) {
        Loan loan = Objects.requireNonNull(t, "t").loan();
        if (loan == null || --loan.holds != 0 || !loan.unheld()) {
            return;
        }
        boolean recyclable = loan.region instanceof Recycling r && r.open
                || loan.stepLocal && loan.scope.region instanceof Recycling walk && walk.open;
        if (recyclable) {
            loan.scope.takeBack(loan);
        }
    }

    /**
     * Declares that nothing reads {@code t} again except through the holds on it (Note [Step-local
     * storage]): storage lent by a scope still open is taken back now when nothing holds it, else
     * once its last hold is let go inside a recycling region. Does nothing for a tensor with storage
     * of its own or one {@linkplain Scope#keep kept}.
     *
     * @param t a tensor its owner is done with, such as a loop's all-steps temporary after the loop
     */
    public static void drop(Tensor t) {
        Loan loan = Objects.requireNonNull(t, "t").loan();
        if (loan == null || loan.kept || loan.returned) {
            return;
        }
        loan.region = null;
        loan.stepLocal = true;
        if (loan.holds == 0) {
            loan.scope.takeBack(loan);
        }
    }

    /**
     * Opens one step of a loop (Note [Step-local storage]): storage lent on this thread until the
     * region closes belongs to the step unless {@linkplain StepRegion#carry carried} out. With no
     * scope lending on this thread, or inside another region of its scope, the region does nothing.
     *
     * @return the region, to close (try-with-resources)
     */
    public static StepRegion stepRegion() {
        return openRegion(StepRegion::new);
    }

    /**
     * Opens a region in which storage lent on this thread is taken back as soon as nothing holds it
     * (Note [Recycled backward storage]): for a backward walk that builds no graph. With no scope
     * lending on this thread, or inside another region of its scope (a walk run by a derivative
     * rule), the region does nothing.
     *
     * @return the region, to close (try-with-resources)
     */
    public static Recycling recycling() {
        return openRegion(Recycling::new);
    }

    /** A region of the scope lending on this thread, or one that does nothing when none lends or a region is open already. */
    private static <R extends Region> R openRegion(Function<Scope, R> make) {
        Scope s = CURRENT.get();
        if (s == null || s.region != null) {
            return make.apply(null);
        }
        R r = make.apply(s);
        s.region = r;
        return r;
    }

    /** What both kinds of region keep: their scope (null for one that does nothing), whether open, and where their loans start. */
    abstract static sealed class Region implements AutoCloseable permits Recycling, StepRegion {
        final Scope scope;
        boolean open = true;
        /** Where in the scope's loans the tensors lent in the region (since its last sweep) start. */
        int from;

        Region(Scope scope) {
            this.scope = scope;
            this.from = scope == null ? 0 : scope.loans.size();
        }
    }

    /**
     * A span of a scope in which storage lent and no longer held is taken back at once (Note
     * [Recycled backward storage]). A tensor lent in the region must not be read after a
     * {@link #sweep} unless a {@link GradientAccumulator} holds it.
     */
    public static final class Recycling extends Region {
        private Recycling(Scope scope) {
            super(scope);
        }

        /** Takes back every tensor lent since the previous sweep that nothing holds. */
        public void sweep() {
            if (scope == null || !open || from == scope.loans.size()) {
                return;
            }
            from = scope.takeBackFrom(from, Loan::unheld);
        }

        /** Ends the region: storage lent from now on stays lent until its scope closes. Never throws. */
        @Override
        public void close() {
            if (open && scope != null) {
                scope.region = null;
            }
            open = false;
        }
    }

    /**
     * One step of a loop, whose storage is taken back at the step's end unless carried out or held
     * (Note [Step-local storage]). A tensor lent in the region must not be read after it closes
     * unless it was {@linkplain #carry carried}.
     */
    public static final class StepRegion extends Region {
        private StepRegion(Scope scope) {
            super(scope);
        }

        /**
         * Lets {@code t} outlive the step, as the step's result or the state the next step reads;
         * its storage stays lent until the scope closes. A tensor not lent in this region is
         * returned as it is.
         *
         * @param t a tensor computed in this step, or any tensor
         * @return {@code t}
         */
        public Tensor carry(Tensor t) {
            Objects.requireNonNull(t, "t");
            Loan loan = t.loan();
            if (loan != null && loan.region == this) {
                loan.region = null;
            }
            return t;
        }

        /**
         * Ends the step: takes back every tensor lent in it that was not carried and that nothing
         * holds; the held ones are taken back once their last hold is let go in a recycling region.
         * Never throws.
         */
        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            if (scope == null) {
                return;
            }
            scope.region = null;
            for (int i = from; i < scope.loans.size(); i++) {
                Loan loan = scope.loans.get(i);
                if (loan.region == this) {   // not carried out
                    loan.region = null;
                    loan.stepLocal = true;
                }
            }
            scope.takeBackFrom(from, loan -> loan.stepLocal && loan.unheld());
        }
    }

    private static long key(DType dtype, int n) {
        return (long) n << 1 | (dtype == DType.F64 ? 1 : 0);
    }

    /** The bytes of an array of {@link #key} {@code key}. */
    private static long bytes(long key) {
        return (key >>> 1) * ((key & 1) == 1 ? DType.F64 : DType.F32).bytes();
    }

    /** One tensor's borrowed storage, shared by the tensor and its reshaped views. */
    static final class Loan {
        /**
         * The array, for the workspace to take back, held softly: the tensor holds it strongly while
         * alive. Dropped once the scope lends no more and the workspace will never take it.
         */
        private SoftReference<Object> storage;
        private final DType dtype;
        private final int length;
        /** Set when the scope closed and took the storage back: every read then throws. */
        boolean returned;
        private boolean kept;
        private final Scope scope;
        /** How many gradient totals and saved tape values hold the storage (Notes [Recycled backward storage], [Step-local storage]). */
        private int holds;
        /** The open region the storage was lent in; null outside one, and once a step region closed or carried it. */
        private Region region;
        /** Set when a step region closed over the storage without its being carried (Note [Step-local storage]). */
        private boolean stepLocal;
        /** Set when a region took the storage back, before the scope closed. */
        private boolean recycled;
        /** Set when {@link Workspace#giveBack} took the kept storage back. */
        private boolean givenBack;

        private Loan(SoftReference<Object> storage, DType dtype, int length, Scope scope) {
            this.storage = storage;
            this.dtype = dtype;
            this.length = length;
            this.scope = scope;
        }

        private long bytes() {
            return (long) length * dtype.bytes();
        }

        /** Whether a recycling region may take the storage back: nothing holds it, it is not kept, nor back already. */
        private boolean unheld() {
            return holds == 0 && !kept && !returned;
        }

        IllegalStateException returnedError(Tensor t) {
            if (givenBack) {
                return new IllegalStateException("tensor " + t.dtype + t.shape + " was kept from a Workspace scope and then given"
                        + " back to its workspace (Workspace.giveBack), which lends its storage again");
            }
            if (recycled && stepLocal) {
                return new IllegalStateException("tensor " + t.dtype + t.shape + " was computed in a loop step (Workspace.StepRegion)"
                        + " and taken back after it, since the step did not carry it out (or it was dropped with Workspace.drop);"
                        + " carry it to read it after its step");
            }
            if (recycled) {
                return new IllegalStateException("tensor " + t.dtype + t.shape + " was lent in a Workspace.Recycling region and taken"
                        + " back once nothing held it; hold it in a GradientAccumulator to read it later");
            }
            return new IllegalStateException("tensor " + t.dtype + t.shape + " was computed in a Workspace scope that has"
                    + " closed and taken its storage back; keep it with Workspace.Scope.keep before the scope closes");
        }
    }

    /** The span during which tensors computed on the opening thread borrow the workspace's storage. */
    public final class Scope implements AutoCloseable {
        private final Thread thread = Thread.currentThread();
        private final Scope outer;
        private final List<Loan> loans = new ArrayList<>(loansSeen);
        private long lentBytes;
        private long peakBytes;
        private boolean closed;
        /** Cleared when the workspace outgrew its limit or gave way to the heap while the scope was open. */
        private boolean lending = true;
        /** The region open in this scope, or null. */
        private Region region;

        private Scope() {
            outer = CURRENT.enter(this);
        }

        /** The workspace that opened this scope. */
        private Workspace workspace() {
            return Workspace.this;
        }

        private Tensor lend(DType dtype, Shape shape, boolean zeroed) {
            if (outgrown || !lending || capacityBytes == 0) {
                return null;
            }
            long pressure = HeapPressure.count();
            if (pressure != pressureSeen) {
                pressureSeen = pressure;
                limitBytes /= 2;
                lending = false;
                letGo();
                return null;
            }
            int n = shape.size();
            long bytes = (long) n * dtype.bytes();
            ArrayDeque<SoftReference<Object>> free = idle.get(key(dtype, n));
            SoftReference<Object> ref = null;
            Object storage = null;
            while (storage == null && free != null && (ref = free.poll()) != null) {
                idleBytes -= bytes;
                storage = ref.get();   // null when the collector took it to avoid running out of memory
            }
            if (storage != null) {
                if (zeroed && storage instanceof double[] d) {
                    Arrays.fill(d, 0);
                } else if (zeroed) {
                    Arrays.fill((float[]) storage, 0);
                }
            } else {
                if (lentBytes + idleBytes + bytes > limitBytes) {
                    if (lentBytes + bytes <= limitBytes) {
                        evictIdle(lentBytes + idleBytes + bytes - limitBytes);
                    } else {
                        outgrown = true;
                        letGo();
                        return null;
                    }
                }
                storage = dtype == DType.F64 ? new double[n] : new float[n];
                ref = new SoftReference<>(storage);
            }
            lentBytes += bytes;
            peakBytes = Math.max(peakBytes, lentBytes);
            Loan loan = new Loan(ref, dtype, n, this);
            loan.region = region;
            loans.add(loan);
            return dtype == DType.F64
                    ? new Tensor(shape, dtype, (double[]) storage, null, loan)
                    : new Tensor(shape, dtype, null, (float[]) storage, loan);
        }

        /**
         * Lets go of every array held, once the scope lends no more: the idle ones, and those lent to
         * this scope, which then go as their tensors die instead of staying reachable until the scope
         * closes and holding heap the step needs.
         */
        private void letGo() {
            for (Loan loan : loans) {
                loan.storage = null;
            }
            idle.clear();
            idleBytes = 0;
        }

        /**
         * Lets the collector have at least {@code bytes} of idle storage of sizes not asked for just
         * now, the longest idle of each size first, so sizes the scope asks for again keep theirs.
         */
        private void evictIdle(long bytes) {
            long freed = 0;
            var pools = idle.entrySet().iterator();
            while (freed < bytes && pools.hasNext()) {
                var pool = pools.next();
                long each = bytes(pool.getKey());
                while (freed < bytes && !pool.getValue().isEmpty()) {
                    pool.getValue().pollLast();
                    freed += each;
                }
                if (pool.getValue().isEmpty()) {
                    pools.remove();
                }
            }
            idleBytes -= freed;
        }

        /**
         * The storage lent now to tensors of this scope.
         *
         * @return bytes
         */
        public long lentBytes() {
            return lentBytes;
        }

        /**
         * The most storage this scope has had lent at once: what a workspace needs to cover such a
         * scope (Note [Recycled backward storage] keeps it below the sum of all it lent).
         *
         * @return bytes
         */
        public long peakBytes() {
            return peakBytes;
        }

        /**
         * Takes back the loans from position {@code from} on that {@code takeable} accepts, and keeps
         * in the list only what the scope may still take back.
         *
         * @return the list's size afterwards
         */
        private int takeBackFrom(int from, Predicate<Loan> takeable) {
            int n = loans.size();
            loansSeen = Math.max(loansSeen, n);
            int to = from;
            for (int i = from; i < n; i++) {
                Loan loan = loans.get(i);
                if (takeable.test(loan)) {
                    takeBack(loan);
                }
                if (!loan.returned) {
                    loans.set(to++, loan);
                }
            }
            if (to < n) {
                loans.subList(to, n).clear();
            }
            return to;
        }

        /** Takes {@code loan}'s storage back before the scope closes (Note [Recycled backward storage]). */
        private void takeBack(Loan loan) {
            loan.returned = true;
            loan.recycled = true;
            lentBytes -= loan.bytes();
            makeIdle(loan);
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
            if (region != null) {
                region.open = false;   // the scope takes everything back below, so an open region only ends
            }
            Parallelism.awaitStarted();   // a product started by a walk that failed may still write its storage
            for (Loan loan : loans) {
                if (loan.kept || loan.returned) {
                    continue;   // a loan taken back by a recycling region is idle already
                }
                loan.returned = true;
                makeIdle(loan);
            }
            loansSeen = Math.max(loansSeen, loans.size());
            loans.clear();
        }
    }
}
