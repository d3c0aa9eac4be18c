package dev.jgrad.tensor;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;

/**
 * Test code run on a new thread, whose per-thread buffers (the kernels' scratch) start empty: a test on
 * the thread that ran the tests before it would find them grown already.
 */
final class FreshThread {
    private FreshThread() {
    }

    /** Runs {@code body} on a new thread and rethrows, as an assertion failure, what it threw. */
    static void run(Runnable body) throws InterruptedException {
        Throwable[] failed = new Throwable[1];
        Thread fresh = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        fresh.start();
        fresh.join();
        if (failed[0] != null) {
            throw new AssertionError("on a thread that had run no product: " + failed[0], failed[0]);
        }
    }

    /** The bytes a new thread allocates running {@code body} {@code times} times after running it once to grow its buffers. */
    static long allocatedAfterTheFirst(Runnable body, int times) throws InterruptedException {
        long[] allocated = new long[1];
        run(() -> {
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            body.run();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < times; i++) {
                body.run();
            }
            allocated[0] = threads.getCurrentThreadAllocatedBytes() - before;
        });
        return allocated[0];
    }
}
