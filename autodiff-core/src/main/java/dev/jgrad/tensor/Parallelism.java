package dev.jgrad.tensor;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * How many threads the large kernels ({@link Kernels#matmul} and the elementwise kernels on large
 * tensors) may use. The default is the number of available processors; {@link #setThreads}
 * changes it for the whole process.
 *
 * <p>A kernel splits its output into disjoint blocks and every output element is computed by one
 * thread in the same order as on one thread, so jgrad's own kernels give the same bits with 1 or N
 * threads. Native products are split the same way, into blocks of rows or columns that each run on
 * one OpenBLAS thread (Note [Backends and bits] on {@link Blas}).
 *
 * <p>Note [Kernel threads]: the blocks beyond the first run on a crew of worker threads that spin
 * for a short while after each block before they park. A recurrent step hands out a few thousand
 * blocks a second, each worth tens of microseconds; waking a parked thread for each costs a
 * noticeable share of that, and a crew that spins answers at once. OpenBLAS runs on one thread
 * because its own workers spin as well: with both, the two crews' spinning threads outnumber the
 * cores and take turns on them. A block that its worker has not begun within a short grace after
 * the caller has finished its own block is run by the caller instead: a worker waiting for a core
 * (the JIT compiler's threads or another process hold it) would otherwise hold up the whole kernel
 * for a scheduler time slice. A kernel that needs more workers than the crew has gets a larger
 * crew; the one it replaces ends its workers as soon as no kernel holds it, without waiting for that.
 */
public final class Parallelism {
    private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long a worker spins for its next block before it parks. */
    private static final long SPIN_NANOS = 200_000;
    /**
     * How long a caller done with its own block waits for a worker to begin its block before taking
     * it back: about what waking a parked worker takes, so that a product large enough to be worth
     * splitting is not run whole by the caller for a worker that is merely waking up. Not final, so
     * that a test can see blocks taken back at once.
     */
    static volatile long takeBackNanos = 50_000;
    /** The workers, for the blocks beyond the first (the caller runs the first block itself). */
    private static volatile Crew crew;

    private Parallelism() {
    }

    /**
     * The number of threads kernels may use, at least 1.
     *
     * @return the thread count
     */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the number of threads kernels may use; {@code n} must be at least 1.
     *
     * @param n the thread count, at least 1
     */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallelism.setThreads: thread count must be at least 1, got " + n);
        }
        threads = n;
    }

    /**
     * Runs {@code body.accept(t)} for {@code t = 0 .. tasks-1}, task 0 on the calling thread and the
     * others on the crew (Note [Kernel threads]), and returns when all are done. Rethrows the first
     * task failure. While another thread's kernel holds the crew, the caller runs every task itself:
     * the blocks and so the bits are the same.
     */
    static void run(int tasks, IntConsumer body) {
        if (tasks <= 1) {
            if (tasks == 1) body.accept(0);
            return;
        }
        Crew c = crew(tasks - 1);
        if (!c.busy.compareAndSet(false, true) && !c.collectBackground()) {
            for (int t = 0; t < tasks; t++) body.accept(t);
            return;
        }
        try {
            for (int t = 1; t < tasks; t++) {
                c.workers[t - 1].hand(body, t);
            }
            Throwable failure = null;
            try {
                body.accept(0);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            for (int t = 1; t < tasks; t++) {
                Throwable f = c.workers[t - 1].await();
                if (failure == null) failure = f;
            }
            rethrow(failure);
        } finally {
            c.release();
        }
    }

    /**
     * Starts {@code work} on a crew worker and returns at once, while the calling thread goes on
     * (Note [Started work]); returns null, having run nothing, when there is one thread or a kernel
     * holds the crew, so the caller runs the work itself.
     */
    static Started start(Runnable work) {
        if (threads < 2) {
            return null;
        }
        Crew c = crew(1);
        Started s = new Started(work);
        Background running = c.background;
        if (running != null && running.offer(s)) {
            return s;
        }
        if (!c.busy.compareAndSet(false, true) && !c.collectBackground()) {
            return null;
        }
        Background b = new Background(c, s);
        c.background = b;
        c.workers[0].hand(b, 0);
        return s;
    }

    /**
     * Waits until no started work is running (Note [Started work]): what a workspace scope does
     * before it takes back storage such work may still be writing, after a caller gave up on it.
     */
    static void awaitStarted() {
        Crew c = crew;
        Background b = c == null ? null : c.background;
        for (int spins = 0; b != null && !b.isFinished(); spins++) {
            pause(spins);
        }
    }

    /** Throws {@code failure}, a block's or started work's, on the thread waiting for it; nothing when null. */
    private static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
    }

    /** One turn of a wait: spinning at first, then yielding the core, since the thread waited for may need it. */
    private static void pause(int spins) {
        if (spins < 1 << 16) {
            Thread.onSpinWait();
        } else {
            Thread.yield();   // the work is long, or its thread is waiting for a core
        }
    }

    /**
     * Work running on a crew worker while the thread that started it goes on.
     *
     * <p>Note [Started work]: a gradient total's deferred product need not be summed before the
     * backward walk next touches that total, so it runs beside the walk instead of being split into
     * blocks. Work started while earlier work runs queues behind it on the same worker. The worker
     * holds the crew while it has work, so kernels called meanwhile, by the walk and by the work
     * itself, run all their blocks on their own thread: the same blocks, so the same bits, as split
     * over the crew. A thread waiting for its work ({@link #join}) meanwhile runs work still queued,
     * from the back, so that at the end of a walk both threads sum totals. The first kernel to find
     * the worker done, or a joiner, lets the crew go.
     */
    static final class Started {
        private final Runnable work;
        /** Set by whichever thread takes the work from the queue: it runs once. */
        private final AtomicBoolean taken = new AtomicBoolean();
        private Throwable failure;
        /** Set last, when the work has ended; publishes {@link #failure}. */
        private volatile boolean done;
        /** The worker's queue this work is in; set before the work is handed out. */
        private Background background;

        private Started(Runnable work) {
            this.work = work;
        }

        /** Runs the work here unless another thread has taken it. */
        private void runIfUntaken() {
            if (!taken.compareAndSet(false, true)) {
                return;
            }
            try {
                work.run();
            } catch (Throwable t) {
                failure = t;
            } finally {
                done = true;
            }
        }

        /** Whether the work has ended, so that {@link #join} would not wait. */
        boolean isDone() {
            return done;
        }

        /**
         * Waits for the work to end, running work still queued meanwhile (this one first, if no
         * thread has begun it); lets the crew go if the worker has ended and no kernel has taken the
         * crew; rethrows the work's failure.
         */
        void join() {
            for (int spins = 0; !done; spins++) {
                Started queued = background.takeLast();
                if (queued != null) {
                    queued.runIfUntaken();
                    spins = 0;
                } else {
                    pause(spins);
                }
            }
            background.crew.collectBackground(true);
            rethrow(failure);
        }
    }

    /** The worker's queue of started work: it runs from the front until the queue is empty, then ends. */
    private static final class Background implements IntConsumer {
        final Crew crew;
        private final ArrayDeque<Started> queue = new ArrayDeque<>();   // guarded by this
        private boolean finished;   // guarded by this: the worker found the queue empty, and nothing more joins it
        private final AtomicBoolean collected = new AtomicBoolean();

        Background(Crew crew, Started first) {
            this.crew = crew;
            first.background = this;
            queue.add(first);
        }

        /** Queues {@code s} behind the running work, or returns false when the worker has ended. */
        synchronized boolean offer(Started s) {
            if (finished) {
                return false;
            }
            s.background = this;
            queue.add(s);
            return true;
        }

        synchronized Started takeLast() {
            return queue.pollLast();
        }

        synchronized boolean isFinished() {
            return finished;
        }

        @Override
        public void accept(int ignored) {
            while (true) {
                Started next;
                synchronized (this) {
                    next = queue.pollFirst();
                    if (next == null) {
                        finished = true;
                        return;
                    }
                }
                next.runIfUntaken();
            }
        }
    }

    /** A crew of at least {@code n} workers; a larger one replaces it when needed, and its workers end. */
    private static Crew crew(int n) {
        Crew c = crew;
        if (c != null && c.workers.length >= n) {
            return c;
        }
        synchronized (Parallelism.class) {
            c = crew;
            if (c == null || c.workers.length < n) {
                Crew old = c;
                c = new Crew(n);
                crew = c;
                if (old != null) {
                    old.retire();
                }
            }
            return c;
        }
    }

    private static final class Crew {
        final AtomicBoolean busy = new AtomicBoolean();
        final Worker[] workers;
        /** Set when a larger crew replaced this one: whoever next takes it free ends its workers. */
        volatile boolean retired;
        /** The worker's started work, holding the crew until collected (Note [Started work]). */
        volatile Background background;

        Crew(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker();
                workers[i].start();
            }
        }

        /**
         * Takes the crew from the worker's started work once it has ended, unless another thread
         * has: true when the caller now holds the crew. With {@code release}, lets it go at once.
         */
        boolean collectBackground(boolean release) {
            Background b = background;
            if (b == null || !b.isFinished() || !b.collected.compareAndSet(false, true)) {
                return false;
            }
            for (int spins = 0; !workers[0].idle(); spins++) {
                pause(spins);   // the worker has found its queue empty and is about to stop
            }
            background = null;
            if (release) {
                release();
            }
            return true;
        }

        boolean collectBackground() {
            return collectBackground(false);
        }

        /** Lets the crew go, ending its workers if it was replaced while held. */
        void release() {
            busy.set(false);
            if (retired && busy.compareAndSet(false, true)) {
                endWorkers();   // the crew was replaced while this kernel held it
            }
        }

        /**
         * Ends the workers now if no kernel holds the crew, else leaves that to the kernel holding it
         * when it lets go: waiting for it here would never end when that kernel's own block (or a
         * worker it waits for) is what asked for the larger crew.
         */
        void retire() {
            retired = true;
            if (busy.compareAndSet(false, true)) {
                endWorkers();
            }
        }

        /** Ends the workers; the caller holds the crew, which stays taken so no kernel uses it again. */
        void endWorkers() {
            for (Worker w : workers) {
                w.hand(t -> { throw new Retired(); }, 0);
            }
        }
    }

    /** Thrown into a retired crew's workers to end them. */
    private static final class Retired extends RuntimeException {
        Retired() {
            super(null, null, false, false);
        }
    }

    /**
     * A daemon thread that runs one block at a time, handed over through {@link #state}: the worker
     * and, taking a block not yet begun back (Note [Kernel threads]), the caller claim it by one
     * compare-and-set, so it runs once.
     */
    private static final class Worker extends Thread {
        private static final int IDLE = 0;
        private static final int HANDED = 1;
        private static final int RUNNING = 2;
        /** IDLE, HANDED (set by {@link #hand}; the worker or, taking it back, the caller claims it) or RUNNING. */
        private final AtomicInteger state = new AtomicInteger(IDLE);
        private IntConsumer body;
        private int task;
        private Throwable failure;

        Worker() {
            super("jgrad-kernel");
            setDaemon(true);
        }

        /** Whether the worker has no block handed over or running. */
        boolean idle() {
            return state.get() == IDLE;
        }

        void hand(IntConsumer b, int t) {
            task = t;
            failure = null;
            body = b;
            state.set(HANDED);   // publishes task, failure and body
            LockSupport.unpark(this);
        }

        /**
         * Runs the block handed over on the calling thread if the worker has not begun it within
         * {@link #takeBackNanos}, else waits for it to end; returns its failure, or null.
         */
        Throwable await() {
            long deadline = System.nanoTime() + takeBackNanos;
            while (state.get() == HANDED && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            if (state.compareAndSet(HANDED, IDLE)) {
                try {
                    body.accept(task);
                } catch (Throwable t) {
                    return t;   // as the worker reports it
                }
                return null;
            }
            for (int spins = 0; state.get() != IDLE; spins++) {
                pause(spins);
            }
            return failure;
        }

        @Override
        public void run() {
            while (true) {
                if (state.get() != HANDED) {
                    long deadline = System.nanoTime() + SPIN_NANOS;
                    while (state.get() != HANDED && System.nanoTime() - deadline < 0) {
                        Thread.onSpinWait();
                    }
                    while (state.get() != HANDED) {
                        LockSupport.park(this);
                    }
                }
                if (!state.compareAndSet(HANDED, RUNNING)) {
                    continue;   // the caller took the block back
                }
                try {
                    body.accept(task);
                } catch (Retired r) {
                    state.set(IDLE);
                    return;
                } catch (Throwable t) {
                    failure = t;
                }
                state.set(IDLE);   // publishes failure
            }
        }
    }
}
