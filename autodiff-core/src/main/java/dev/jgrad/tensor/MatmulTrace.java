package dev.jgrad.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The matrix products a piece of code runs, for measuring how close it comes to the speed of its
 * matrix products alone (a GEMM roofline): every 2-D product {@link Kernels#matmul} or a gradient
 * total runs on the calling thread while {@link #during} is tracing.
 */
public final class MatmulTrace {
    private static final ScopedThreadLocal<List<Product>> ACTIVE = new ScopedThreadLocal<>();

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

    static void record(int m, int n, int k, boolean ta, boolean tb, DType dtype) {
        List<Product> seen = ACTIVE.get();
        if (seen != null) {
            seen.add(new Product(m, n, k, ta, tb, dtype));
        }
    }
}
