package dev.jgrad.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * How many threads the large kernels ({@link Kernels#matmul} and the elementwise kernels on large
 * tensors) may use. The default is the
 * number of available processors; {@link #setThreads} changes it for the whole process.
 *
 * <p>A kernel splits its output into disjoint blocks and every output element is computed by one
 * thread in the same fixed order as on one thread, so jgrad's own kernels give the same bits with 1
 * or N threads. Products on the native backend may not: a float32 product of a batch's rows goes to
 * the Vector API kernel on one thread and to OpenBLAS on more (Note [Backends and bits] on
 * {@link Blas}).
 */
public final class Parallelism {
    private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** Workers for the blocks beyond the first (the caller runs the first block itself). */
    private static ExecutorService workers;
    private static int workerCount;

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
        Blas.threadsChanged(n);
    }

    /**
     * Runs {@code body.accept(t)} for {@code t = 0 .. tasks-1}, task 0 on the calling thread and the
     * others on worker threads, and returns when all are done. Rethrows the first task failure.
     */
    static void run(int tasks, IntConsumer body) {
        if (tasks <= 1) {
            if (tasks == 1) body.accept(0);
            return;
        }
        ExecutorService pool = workers(tasks - 1);
        List<Future<?>> pending = new ArrayList<>(tasks - 1);
        for (int t = 1; t < tasks; t++) {
            int task = t;
            pending.add(pool.submit(() -> body.accept(task)));
        }
        RuntimeException failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("parallel kernel interrupted", e);
            }
        }
        if (failure != null) throw failure;
    }

    /** A pool of at least {@code n} daemon workers, grown (never shrunk below need) on demand. */
    private static synchronized ExecutorService workers(int n) {
        if (workers == null || workerCount < n) {
            if (workers != null) workers.shutdown();
            workerCount = n;
            workers = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(r, "jgrad-kernel");
                t.setDaemon(true);
                return t;
            });
        }
        return workers;
    }
}
