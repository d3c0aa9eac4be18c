package dev.jgrad.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The matrix products a piece of code runs, for measuring how close it comes to the speed of its
 * matrix products alone (a GEMM roofline): every 2-D product {@link Kernels#matmul} or a gradient
 * total runs on the calling thread while {@link #during} is tracing (on any thread, for
 * {@link #duringAllThreads}), and the wall time those
 * products take while {@link #productNanos} is timing, which says how much of the code's time is
 * not spent in products at all, and each product's ({@link #productTimes}), which says which products
 * run slower inside the code than alone.
 */
public final class MatmulTrace {
    private static final ScopedThreadLocal<List<Product>> ACTIVE = new ScopedThreadLocal<>();
    /** Every thread's products while {@link #duringAllThreads} runs, else null. */
    private static volatile List<Product> everywhere;
    /** Each product's calls and nanoseconds while {@link #productTimes} runs, else null. */
    private static volatile Clock clock;

    private MatmulTrace() {
    }

    /**
     * One product {@code op(A)[m×k] · op(B)[k×n]}, {@code op} transposing the operand stored
     * transposed.
     *
     * @param m      rows of the product
     * @param n      columns of the product
     * @param k      the inner dimension
     * @param transA whether the left operand was stored transposed
     * @param transB whether the right operand was stored transposed
     * @param dtype  the operands' dtype
     */
    public record Product(int m, int n, int k, boolean transA, boolean transB, DType dtype) {
        /** Refuses a null dtype. */
        public Product {
            Objects.requireNonNull(dtype, "dtype");
        }

        /**
         * Floating-point operations: a multiply and an add per term.
         *
         * @return {@code 2·m·n·k}
         */
        public double flops() {
            return 2.0 * m * n * k;
        }
    }

    /**
     * Runs {@code body} and returns the products it ran on this thread, in order.
     *
     * @param body the code traced
     * @return the products, in the order they ran
     */
    public static List<Product> during(Runnable body) {
        Objects.requireNonNull(body, "body");
        List<Product> seen = new ArrayList<>();
        List<Product> saved = ACTIVE.enter(seen);
        try {
            body.run();
        } finally {
            ACTIVE.exit(saved);
        }
        return List.copyOf(seen);
    }

    /**
     * Runs {@code body} and returns the products run on any thread while it ran: what {@link #during}
     * sees, and the products of threads the body hands work to, such as data-parallel shards. Products
     * of different threads come in the order they began, interleaved. One such trace at a time in the
     * process.
     *
     * @param body the code traced
     * @return the products that ran while it ran
     * @throws IllegalStateException if another thread is tracing all threads' products already
     */
    public static List<Product> duringAllThreads(Runnable body) {
        Objects.requireNonNull(body, "body");
        List<Product> seen = Collections.synchronizedList(new ArrayList<>());
        synchronized (MatmulTrace.class) {
            if (everywhere != null) {
                throw new IllegalStateException("MatmulTrace.duringAllThreads: all threads' products are already being traced");
            }
            everywhere = seen;
        }
        try {
            body.run();
        } finally {
            everywhere = null;
        }
        return List.copyOf(seen);
    }

    /**
     * One distinct product's calls and their wall time while {@link #productTimes} ran.
     *
     * @param product the product
     * @param calls   how many times it ran
     * @param nanos   the wall-clock nanoseconds of those calls, summed over the threads that made them
     */
    public record ProductTime(Product product, long calls, long nanos) {
        /** Refuses a null product. */
        public ProductTime {
            Objects.requireNonNull(product, "product");
        }
    }

    /**
     * Runs {@code body} and returns the wall-clock nanoseconds that matrix products took while it
     * ran, summed over the threads that called them: each product from its call to its return,
     * including the blocks it hands to other kernel threads and the wait for them. Products that
     * run side by side on several threads (data-parallel shards, or a product started beside its
     * caller, Note [Started work] on {@link Parallelism}) each count in full, so the sum can exceed
     * the wall time. One timing at a time in the process.
     *
     * @param body the code timed
     * @return nanoseconds spent in matrix products while {@code body} ran
     * @throws IllegalStateException if another thread is timing products already
     */
    public static long productNanos(Runnable body) {
        long nanos = 0;
        for (ProductTime t : productTimes(body)) {
            nanos += t.nanos();
        }
        return nanos;
    }

    /**
     * Runs {@code body} and returns, for each distinct product it ran, how often and for how long, as
     * {@link #productNanos} counts them: what a product costs inside the code, to set beside what it
     * costs run alone. Longest total first.
     *
     * @param body the code timed
     * @return each distinct product's calls and nanoseconds, by decreasing nanoseconds
     * @throws IllegalStateException if another thread is timing products already
     */
    public static List<ProductTime> productTimes(Runnable body) {
        Objects.requireNonNull(body, "body");
        Clock mine = new Clock();
        synchronized (MatmulTrace.class) {
            if (clock != null) {
                throw new IllegalStateException("MatmulTrace: products are already being timed");
            }
            clock = mine;
        }
        try {
            body.run();
        } finally {
            clock = null;
        }
        List<ProductTime> times = new ArrayList<>();
        mine.tallies.forEach((p, t) -> times.add(new ProductTime(p, t.calls.sum(), t.nanos.sum())));
        times.sort(Comparator.comparingLong(ProductTime::nanos).reversed());
        return List.copyOf(times);
    }

    /** The running product clock, or null: read once per product by {@link Gemm#gemm}. */
    static Clock clock() {
        return clock;
    }

    /** Each product's calls and time while {@link #productTimes} runs, from any thread. */
    static final class Clock {
        private final ConcurrentHashMap<Product, Tally> tallies = new ConcurrentHashMap<>();

        /** One call of {@code op(A)[m×k] · op(B)[k×n]} that took {@code nanos}. */
        void add(int m, int n, int k, boolean ta, boolean tb, DType dtype, long nanos) {
            Tally t = tallies.computeIfAbsent(new Product(m, n, k, ta, tb, dtype), p -> new Tally());
            t.calls.increment();
            t.nanos.add(nanos);
        }
    }

    private static final class Tally {
        final LongAdder calls = new LongAdder();
        final LongAdder nanos = new LongAdder();
    }

    static void record(int m, int n, int k, boolean ta, boolean tb, DType dtype) {
        List<Product> seen = ACTIVE.get();
        List<Product> all = everywhere;
        if (seen != null || all != null) {
            Product p = new Product(m, n, k, ta, tb, dtype);
            if (seen != null) seen.add(p);
            if (all != null) all.add(p);
        }
    }
}
