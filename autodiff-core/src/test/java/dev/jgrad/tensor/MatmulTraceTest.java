package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link MatmulTrace}: which products a piece of code runs, and how long they take in it. */
class MatmulTraceTest {
    private static final Rng RNG = Rng.seeded(7);

    @Test
    void duringListsTheProductsOfTheCallingThreadInOrder() {
        Tensor a = Tensor.randn(RNG, DType.F64, 1, 3, 5);
        Tensor b = Tensor.randn(RNG, DType.F64, 1, 5, 4);
        List<MatmulTrace.Product> seen = MatmulTrace.during(() -> {
            Kernels.matmul(a, b, false, false);
            Kernels.matmul(b, a, true, true);
        });
        assertEquals(List.of(new MatmulTrace.Product(3, 4, 5, false, false, DType.F64),
                new MatmulTrace.Product(4, 3, 5, true, true, DType.F64)), seen);
    }

    /** A trace inside a trace sees its own products, and the outer one, once the inner has ended, its own again. */
    @Test
    void aNestedTraceEndsWhereItsBodyEnds() {
        Tensor a = Tensor.randn(RNG, DType.F64, 1, 3, 5);
        Tensor b = Tensor.randn(RNG, DType.F64, 1, 5, 4);
        List<List<MatmulTrace.Product>> inner = new ArrayList<>();
        List<MatmulTrace.Product> outer = MatmulTrace.during(() -> {
            Kernels.matmul(a, b, false, false);
            inner.add(MatmulTrace.during(() -> Kernels.matmul(b, a, true, true)));
            Kernels.matmul(b, a, true, true);
        });
        MatmulTrace.Product ab = new MatmulTrace.Product(3, 4, 5, false, false, DType.F64);
        MatmulTrace.Product baT = new MatmulTrace.Product(4, 3, 5, true, true, DType.F64);
        assertEquals(List.of(baT), inner.get(0));
        assertEquals(List.of(ab, baT), outer);
    }

    /** A product's floating-point operations, a multiply and an add per term, in double: no int overflow at large sizes. */
    @Test
    void flopsAreTwicePerTermWithoutOverflow() {
        assertEquals(120.0, new MatmulTrace.Product(3, 4, 5, false, false, DType.F64).flops());
        assertEquals(0x1p34, new MatmulTrace.Product(2048, 2048, 2048, true, false, DType.F32).flops());
    }

    /**
     * The clock counts the time inside products and nothing else: code that runs no product takes
     * none, and the products' share of a body that also spins for a known time is below that body's
     * wall time by at least the spin.
     */
    @Test
    void productNanosCountsTheTimeInsideProductsOnly() {
        assertEquals(0, MatmulTrace.productNanos(() -> spin(2_000_000)), "no product, no time");
        Tensor a = Tensor.randn(RNG, DType.F32, 1, 64, 256);
        Tensor b = Tensor.randn(RNG, DType.F32, 1, 256, 256);
        long start = System.nanoTime();
        long inProducts = MatmulTrace.productNanos(() -> {
            for (int i = 0; i < 20; i++) {
                Kernels.matmul(a, b, false, false);
                spin(1_000_000);
            }
        });
        long wall = System.nanoTime() - start;
        assertTrue(inProducts > 0, "twenty products took no time");
        assertTrue(inProducts <= wall - 20_000_000L, inProducts + " ns in products of " + wall + " ns, 20 ms of it spinning outside them");
        Tensor c = Tensor.randn(RNG, DType.F32, 1, 256, 64);
        assertEquals(0, MatmulTrace.productNanos(() -> { }), "the clock stopped with its body");
        assertTrue(MatmulTrace.productNanos(() -> Kernels.matmul(c, a, false, false)) > 0, "a product after an earlier timing");
    }

    /**
     * Each distinct product's calls and time: three calls of one and one of another, each timed, the
     * longest total first, and their sum what {@link MatmulTrace#productNanos} counts; none without products.
     */
    @Test
    void productTimesCountEachDistinctProductsCallsAndTime() {
        Tensor a = Tensor.randn(RNG, DType.F32, 1, 64, 256);
        Tensor b = Tensor.randn(RNG, DType.F32, 1, 256, 256);
        Tensor small = Tensor.randn(RNG, DType.F32, 1, 8, 4);
        List<MatmulTrace.ProductTime> times = MatmulTrace.productTimes(() -> {
            for (int i = 0; i < 3; i++) {
                Kernels.matmul(a, b, false, false);
            }
            Kernels.matmul(small, small, true, false);
        });
        assertEquals(2, times.size(), times.toString());
        // Which comes first is a matter of wall time; each is found by its shape.
        Map<MatmulTrace.Product, Long> calls = times.stream()
                .collect(Collectors.toMap(MatmulTrace.ProductTime::product, MatmulTrace.ProductTime::calls));
        assertEquals(Map.of(new MatmulTrace.Product(64, 256, 256, false, false, DType.F32), 3L,
                new MatmulTrace.Product(4, 4, 8, true, false, DType.F32), 1L), calls);
        assertTrue(times.get(1).nanos() > 0 && times.get(0).nanos() >= times.get(1).nanos(), "the longest total first: " + times);
        assertEquals(List.of(), MatmulTrace.productTimes(() -> spin(1_000_000)), "no product, no times");
        assertThrows(NullPointerException.class, () -> new MatmulTrace.ProductTime(null, 1, 1));
    }

    /** Timed, every product still computes its values: plain, added into C, and a gradient total's started flush, on each backend. */
    @Test
    void timedProductsComputeTheValuesUntimedOnesDo() {
        Tensor a = Tensor.randn(RNG, DType.F64, 1, 64, 96);
        Tensor b = Tensor.randn(RNG, DType.F64, 1, 64, 80);
        for (Blas.Backend backend : BlasBackends.available()) {
            BlasBackends.on(backend, () -> {
                Tensor[] untimed = products(a, b);
                Tensor[][] timed = new Tensor[1][];
                List<MatmulTrace.ProductTime> times = MatmulTrace.productTimes(() -> timed[0] = products(a, b));
                assertEquals(3, times.stream().mapToLong(MatmulTrace.ProductTime::calls).sum(), backend + ": three products timed");
                for (int i = 0; i < untimed.length; i++) {
                    assertEquals(0.0, untimed[i].maxAbsDiff(timed[0][i]), backend + ": product " + i);
                }
            });
        }
    }

    /** {@code aᵀ·b} as a product, {@code aᵀ·a} added into zeros, and {@code aᵀ·b} again through a gradient total's started flush. */
    private static Tensor[] products(Tensor a, Tensor b) {
        Tensor plain = Kernels.matmul(a, b, true, false);
        Tensor added = Tensor.zeros(DType.F64, 96, 96);
        Gemm.gemm(a, 0, true, a, 0, false, added, 0, 96, 96, 64);
        GradientAccumulator total = GradientAccumulator.create();
        total.addProduct(a, b);
        total.startSum();
        return new Tensor[] {plain, added, total.sum()};
    }

    @Test
    void oneTimingAtATimeAndNullRefusedByName() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MatmulTrace.productNanos(() -> MatmulTrace.productNanos(() -> { })));
        assertTrue(e.getMessage().contains("already being timed"), e.getMessage());
        assertEquals(0, MatmulTrace.productNanos(() -> { }), "a refused nested timing leaves none running");
        NullPointerException npe = assertThrows(NullPointerException.class, () -> MatmulTrace.productNanos(null));
        assertEquals("body", npe.getMessage());
        assertEquals("body", assertThrows(NullPointerException.class, () -> MatmulTrace.productTimes(null)).getMessage());
        assertThrows(IllegalStateException.class, () -> MatmulTrace.productTimes(() -> MatmulTrace.productTimes(() -> { })));
    }

    /** A product run on a thread the body starts: {@link MatmulTrace#during} does not see it, the all-threads trace does. */
    @Test
    void duringAllThreadsSeesTheProductsOfOtherThreadsToo() throws Exception {
        Tensor a = Tensor.randn(RNG, DType.F32, 1, 2, 3);
        Tensor b = Tensor.randn(RNG, DType.F32, 1, 3, 5);
        Runnable body = () -> {
            Kernels.matmul(a, b, false, false);
            Thread other = new Thread(() -> Kernels.matmul(b, a, true, true));
            other.start();
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        MatmulTrace.Product here = new MatmulTrace.Product(2, 5, 3, false, false, DType.F32);
        MatmulTrace.Product there = new MatmulTrace.Product(5, 2, 3, true, true, DType.F32);
        assertEquals(List.of(here), MatmulTrace.during(body));
        assertEquals(List.of(here, there), MatmulTrace.duringAllThreads(body));
        assertEquals(List.of(here), MatmulTrace.during(body), "the all-threads trace ended with its body");
    }

    @Test
    void oneAllThreadsTraceAtATimeAndNullRefusedByName() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MatmulTrace.duringAllThreads(() -> MatmulTrace.duringAllThreads(() -> { })));
        assertTrue(e.getMessage().contains("already being traced"), e.getMessage());
        assertEquals(List.of(), MatmulTrace.duringAllThreads(() -> { }), "a refused nested trace leaves none running");
        NullPointerException npe = assertThrows(NullPointerException.class, () -> MatmulTrace.duringAllThreads(null));
        assertEquals("body", npe.getMessage());
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
