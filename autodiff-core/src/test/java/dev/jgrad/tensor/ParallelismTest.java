package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Note [Kernel threads]: {@code Parallelism.run} runs every block once, the first on the caller and
 * the rest on the crew unless the caller, done with its own, finds one not yet begun; a block's
 * failure reaches the caller after every block has ended; a kernel that finds the crew taken by
 * another thread runs its blocks itself; and the crew grows with the thread count, even from inside
 * a block. Note [Started work]: work started on the crew runs beside its caller, holding the crew,
 * and is joined once.
 */
class ParallelismTest {
    @Test
    void everyBlockRunsOnceTheFirstOnTheCaller() {
        for (int tasks : new int[] {1, 2, 3, 5}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Thread caller = Thread.currentThread();
            for (int repeat = 0; repeat < 1000; repeat++) {
                Parallelism.run(tasks, t -> {
                    runs.incrementAndGet(t);
                    if (t == 0) {
                        assertSame(caller, Thread.currentThread(), "block 0 runs on the caller");
                        spin(20_000);   // long enough for spinning workers to begin their blocks
                    } else if (Thread.currentThread() != caller) {
                        threads.add(Thread.currentThread().getName());
                    }
                });
            }
            for (int t = 0; t < tasks; t++) {
                assertEquals(1000, runs.get(t), tasks + " blocks: block " + t);
            }
            assertTrue(tasks == 1 ? threads.isEmpty() : threads.equals(Set.of("jgrad-kernel")), tasks + " blocks ran on " + threads);
        }
    }

    /**
     * A block its worker has not begun by the time the caller has finished its own (here with no
     * grace) is run by the caller, once: the worker is parked (idle for longer than it spins) and
     * the caller's block is empty, so the caller gets there before the woken worker does.
     */
    @Test
    void aBlockTheWorkerHasNotBegunIsRunByTheCallerOnce() {
        Thread caller = Thread.currentThread();
        AtomicIntegerArray runs = new AtomicIntegerArray(2);
        int onCaller = 0;
        long grace = Parallelism.takeBackNanos;
        Parallelism.takeBackNanos = 0;
        try {
            for (int repeat = 0; repeat < 50; repeat++) {
                sleep(2);   // ten times the workers' spin: they park
                boolean[] mine = new boolean[1];
                Parallelism.run(2, t -> {
                    runs.incrementAndGet(t);
                    if (t == 1) {
                        mine[0] = Thread.currentThread() == caller;
                    }
                });
                onCaller += mine[0] ? 1 : 0;
            }
        } finally {
            Parallelism.takeBackNanos = grace;
        }
        assertEquals("[50, 50]", runs.toString(), "every block once");
        assertTrue(onCaller > 0, "the caller took back block 1 in none of 50 kernels");
    }

    @Test
    void aBlocksFailureReachesTheCallerAfterEveryBlockEndedAndTheCrewGoesOn() throws Exception {
        IllegalArgumentException thrown = new IllegalArgumentException("block 1 failed");
        CountDownLatch slowBlockEnded = new CountDownLatch(1);
        IllegalArgumentException got = assertThrows(IllegalArgumentException.class, () -> Parallelism.run(3, t -> {
            if (t == 1) {
                throw thrown;
            }
            if (t == 2) {
                sleep(50);
                slowBlockEnded.countDown();
            }
        }));
        assertSame(thrown, got);
        assertEquals(0, slowBlockEnded.getCount(), "the caller returned only after the slow block ended");
        AssertionError error = new AssertionError("an Error in a block");
        assertSame(error, assertThrows(AssertionError.class, () -> Parallelism.run(2, t -> {
            if (t == 1) {
                throw error;
            }
        })));
        AtomicIntegerArray runs = new AtomicIntegerArray(3);
        Parallelism.run(3, runs::incrementAndGet);
        assertEquals("[1, 1, 1]", runs.toString(), "the crew still runs every block");
    }

    @Test
    void kernelsOnTwoThreadsAtOnceEachRunEveryBlockOnce() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            Future<?>[] done = new Future<?>[2];
            AtomicIntegerArray[] runs = {new AtomicIntegerArray(4), new AtomicIntegerArray(4)};
            for (int c = 0; c < 2; c++) {
                AtomicIntegerArray mine = runs[c];
                done[c] = callers.submit(() -> {
                    for (int repeat = 0; repeat < 2000; repeat++) {
                        Parallelism.run(4, mine::incrementAndGet);
                    }
                });
            }
            for (int c = 0; c < 2; c++) {
                done[c].get(60, TimeUnit.SECONDS);
                assertEquals("[2000, 2000, 2000, 2000]", runs[c].toString(), "caller " + c);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /**
     * A block that needs a larger crew than the one its kernel holds, on the caller or on a worker the
     * caller waits for, gets it without waiting for the held crew to come free (which would never
     * happen), and the replaced crew's workers end once its kernel lets go.
     */
    @Test
    void aBlockThatGrowsTheCrewWhileItsKernelHoldsItNeitherWaitsNorLeavesWorkersBehind() {
        int nested = 17;   // more blocks than any other test asks for: the crew must grow
        AtomicIntegerArray runs = new AtomicIntegerArray(nested);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Parallelism.run(2, t -> Parallelism.run(nested, runs::incrementAndGet)));
        for (int t = 0; t < nested; t++) {
            assertEquals(2, runs.get(t), "nested block " + t + " ran once for each outer block");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long alive;
        while ((alive = kernelThreads()) != nested - 1 && System.nanoTime() < deadline) {
            sleep(10);
        }
        assertEquals(nested - 1, alive, "only the new crew's workers are left");
    }

    /**
     * Note [Started work]: started work runs on a crew worker while the caller goes on, and holds the
     * crew, so a kernel called meanwhile runs both its blocks on its caller; join waits for the work
     * and lets the crew go, so the next kernel's blocks run on the crew again.
     */
    @Test
    void startedWorkRunsOnAWorkerBesideTheCallerAndJoinLetsTheCrewGo() {
        withThreads(2, () -> {
            Thread caller = Thread.currentThread();
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            Parallelism.Started started = Parallelism.start(() -> {
                ranOn.set(Thread.currentThread());
                awaitLatch(release);
            });
            assertNotNull(started, "two threads and a free crew: the work starts");
            waitFor(() -> ranOn.get() != null, "the worker to begin the work");
            assertEquals("jgrad-kernel", ranOn.get().getName());
            Set<Thread> blocks = ConcurrentHashMap.newKeySet();
            Parallelism.run(2, t -> blocks.add(Thread.currentThread()));
            assertEquals(Set.of(caller), blocks, "while the work holds the crew, a kernel runs its blocks on its caller");
            release.countDown();
            started.join();
            assertTrue(secondBlockRunsOnTheCrew(), "after the join, kernels split over the crew again");
        });
    }

    /**
     * Work started while earlier work runs queues behind it; a caller joining it runs it itself when
     * the worker has not begun it, once; a failure reaches the joiner, and the crew goes on.
     */
    @Test
    void queuedWorkRunsOnceOnItsJoinerAndAFailureReachesTheJoiner() {
        withThreads(2, () -> {
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger firstRuns = new AtomicInteger();
            Parallelism.Started first = Parallelism.start(() -> {
                firstRuns.incrementAndGet();
                awaitLatch(release);
            });
            waitFor(() -> firstRuns.get() == 1, "the worker to begin the first work");
            List<Thread> secondRanOn = new CopyOnWriteArrayList<>();
            Parallelism.Started second = Parallelism.start(() -> secondRanOn.add(Thread.currentThread()));
            assertNotNull(second, "queued behind the running work");
            second.join();
            assertEquals(List.of(Thread.currentThread()), secondRanOn, "the joiner ran the queued work, once");
            release.countDown();
            first.join();
            assertEquals(1, firstRuns.get());
            IllegalArgumentException thrown = new IllegalArgumentException("started work failed");
            Parallelism.Started failing = Parallelism.start(() -> {
                throw thrown;
            });
            assertSame(thrown, assertThrows(IllegalArgumentException.class, failing::join));
            assertTrue(secondBlockRunsOnTheCrew(), "the crew goes on after a failure");
        });
    }

    /**
     * With one thread nothing starts; {@code awaitStarted} returns only once started work has
     * ended, even when nothing joins it; and the next kernel then takes the crew back from it.
     */
    @Test
    void oneThreadStartsNothingAndAwaitStartedWaitsForWorkNobodyJoined() {
        withThreads(1, () -> assertNull(Parallelism.start(() -> fail("nothing starts on one thread"))));
        withThreads(2, () -> {
            AtomicBoolean ended = new AtomicBoolean();
            assertNotNull(Parallelism.start(() -> {
                sleep(50);
                ended.set(true);
            }));
            Parallelism.awaitStarted();
            assertTrue(ended.get(), "awaitStarted returned before the work ended");
            assertTrue(secondBlockRunsOnTheCrew(), "a kernel took the crew back from work nobody joined");
        });
    }

    /** Whether, within ten seconds of kernels, a second block ran on a crew worker (a busy machine may delay the worker). */
    private static boolean secondBlockRunsOnTheCrew() {
        Thread caller = Thread.currentThread();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            boolean[] onCrew = new boolean[1];
            Parallelism.run(2, t -> {
                if (t == 0) {
                    spin(20_000);
                } else {
                    onCrew[0] = Thread.currentThread() != caller;
                }
            });
            if (onCrew[0]) {
                return true;
            }
        }
        return false;
    }

    private static void withThreads(int n, Runnable body) {
        int saved = Parallelism.threads();
        Parallelism.setThreads(n);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), body::run);
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS), "released within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static long kernelThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(th -> th.isAlive() && th.getName().equals("jgrad-kernel")).count();
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
