package dev.jgrad.tensor;

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
        if (!c.busy.compareAndSet(false, true)) {
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
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            c.busy.set(false);
            if (c.retired && c.busy.compareAndSet(false, true)) {
                c.endWorkers();   // the crew was replaced while this kernel held it
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

        Crew(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker();
                workers[i].start();
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
                if (spins < 1 << 16) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();   // the block is long, or the worker is waiting for a core
                }
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
