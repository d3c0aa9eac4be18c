package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.testing.TensorArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The in-place running sum must equal the allocating left-to-right sum bit for bit, and must never
 * write into a tensor anyone else holds: its terms, or a sum it has already published. Deferred
 * products equal the sum of the individual products to rounding, and are computed as one product of
 * the stacked operands; placed terms equal the zero-padded slices exactly.
 */
class GradientAccumulatorProperties {

    @Property(tries = 40)
    void sumIsBitIdenticalToTheAllocatingChainAndTouchesNoTerm(@ForAll("seeds") long seed,
            @ForAll @IntRange(min = 1, max = 6) int terms, @ForAll boolean f32) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int[] dims = {1 + rng.nextInt(4), 1 + rng.nextInt(8)};
        Tensor[] ts = new Tensor[terms];
        double[][] before = new double[terms][];
        for (int i = 0; i < terms; i++) {
            ts[i] = Tensor.uniform(rng, dt, -1e3, 1e3, dims);
            before[i] = ts[i].toDoubleArray();
        }
        GradientAccumulator acc = GradientAccumulator.create();
        Tensor expected = null;
        Tensor published = null;
        double[] publishedValues = null;
        for (int i = 0; i < terms; i++) {
            acc.add(ts[i]);
            expected = expected == null ? ts[i] : Kernels.binary(Kernels.Binary.ADD, expected, ts[i]);
            if (i == terms / 2) {
                // publishing midway: the published tensor must stay as it was while later terms arrive
                published = acc.sum();
                publishedValues = published.toDoubleArray();
            }
        }
        Tensor sum = acc.sum();
        assertArrayEquals(expected.toDoubleArray(), sum.toDoubleArray(), 0.0);
        assertArrayEquals(publishedValues, published.toDoubleArray(), 0.0);
        for (int i = 0; i < terms; i++) {
            assertArrayEquals(before[i], ts[i].toDoubleArray(), 0.0, "term " + i + " was written");
        }
        if (terms == 1) {
            assertSame(ts[0], sum, "a single term needs no copy");
        }
    }

    @Provide
    Arbitrary<Long> seeds() {
        return TensorArbitraries.seeds();
    }

    @Test
    void emptyAccumulatorHasNoSum() {
        GradientAccumulator acc = GradientAccumulator.create();
        assertTrue(acc.isEmpty());
        assertNull(acc.sum());
        GradientAccumulator pending = GradientAccumulator.create();
        pending.addProduct(Tensor.zeros(DType.F64, 2, 3), Tensor.zeros(DType.F64, 2, 4));
        assertFalse(pending.isEmpty(), "a pending product is a term");
        acc.add(Tensor.zeros(DType.F64, 2));
        assertFalse(acc.isEmpty());
    }

    /**
     * A term of another shape or dtype is refused, also one that would broadcast to the sum ([3] onto
     * [2, 3], which a plain addition would accept and so give a wrong gradient), whether the sum is
     * still the first term or a buffer of the accumulator's own.
     */
    @Test
    void mismatchedTermsAreRejectedNamingBothShapes() {
        for (int held = 1; held <= 2; held++) {
            GradientAccumulator acc = GradientAccumulator.create();
            for (int t = 0; t < held; t++) {
                acc.add(Tensor.zeros(DType.F64, 2, 3));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> acc.add(Tensor.zeros(DType.F64, 3, 2)));
            assertEquals("gradient accumulation: term F64[3, 2] does not match the running sum F64[2, 3]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> acc.add(Tensor.zeros(DType.F64, 3)));
            assertEquals("gradient accumulation: term F64[3] does not match the running sum F64[2, 3]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> acc.add(Tensor.zeros(DType.F32, 2, 3)));
            assertEquals("gradient accumulation: term F32[2, 3] does not match the running sum F64[2, 3]", e.getMessage());
        }
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> GradientAccumulator.create().addProduct(Tensor.zeros(DType.F64, 4, 2), Tensor.zeros(DType.F32, 4, 3)));
        assertEquals("gradient accumulation: dtypes F64[4, 2] and F32[4, 3] differ; cast one explicitly", mixed.getMessage());
    }

    /**
     * Pending products are summed, as one product over all their rows, as soon as
     * {@link GradientAccumulator#FLUSH_ROWS} rows are pending (so their operands are not held any
     * longer), and the rest when the sum is read.
     */
    @Test
    void pendingProductsAreSummedOnceFlushRowsArePending() {
        Rng rng = Rng.seeded(10);
        int half = GradientAccumulator.FLUSH_ROWS / 2;
        GradientAccumulator acc = GradientAccumulator.create();
        java.util.function.IntFunction<Runnable> addRows = k -> () -> acc.addProduct(Tensor.uniform(rng, DType.F64, -1, 1, k, 3),
                Tensor.uniform(rng, DType.F64, -1, 1, k, 4));
        assertEquals(java.util.List.of(), MatmulTrace.during(addRows.apply(half)), "half the rows: nothing is computed yet");
        assertEquals(java.util.List.of(new MatmulTrace.Product(3, 4, 2 * half, true, false, DType.F64)), MatmulTrace.during(addRows.apply(half)));
        assertEquals(java.util.List.of(), MatmulTrace.during(addRows.apply(5)));
        assertEquals(java.util.List.of(new MatmulTrace.Product(3, 4, 5, true, false, DType.F64)), MatmulTrace.during(acc::sum));
    }

    /**
     * Wide factors flush before {@link GradientAccumulator#FLUSH_ROWS} rows: once the stacked operands
     * would take {@link GradientAccumulator#FLUSH_BYTES}, so a flush never stacks more than that.
     */
    @Test
    void wideFactorsFlushOnceTheirStackWouldTakeFlushBytes() {
        Rng rng = Rng.seeded(11);
        int wide = 8192;   // [k, 8192] and [k, 4] doubles: 64 KiB a row of both
        int narrow = 4;
        int k = 64;
        long termBytes = (long) k * (wide + narrow) * Double.BYTES;
        int perFlush = (int) ((GradientAccumulator.FLUSH_BYTES + termBytes - 1) / termBytes);
        assertTrue(perFlush * k < GradientAccumulator.FLUSH_ROWS, "the bytes, not the rows, decide here");
        GradientAccumulator acc = GradientAccumulator.create();
        Runnable add = () -> acc.addProduct(Tensor.uniform(rng, DType.F64, -1, 1, k, wide), Tensor.uniform(rng, DType.F64, -1, 1, k, narrow));
        for (int t = 1; t < perFlush; t++) {
            assertEquals(java.util.List.of(), MatmulTrace.during(add), "term " + t + " of " + perFlush);
        }
        assertEquals(java.util.List.of(new MatmulTrace.Product(wide, narrow, perFlush * k, true, false, DType.F64)), MatmulTrace.during(add));
    }

    @Property(tries = 40)
    void deferredProductsEqualTheSumOfTheProductsAndAreOneStackedProduct(@ForAll("seeds") long seed,
            @ForAll @IntRange(min = 1, max = 5) int terms, @ForAll boolean f32, @ForAll boolean withPlainTerm) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int m = 1 + rng.nextInt(9);
        int n = 1 + rng.nextInt(9);
        GradientAccumulator acc = GradientAccumulator.create();
        Tensor plain = Tensor.uniform(rng, dt, -1, 1, m, n);
        if (withPlainTerm) {
            acc.add(plain);
        }
        Tensor[] as = new Tensor[terms];
        Tensor[] bs = new Tensor[terms];
        double[] naive = withPlainTerm ? plain.toDoubleArray() : new double[m * n];
        int rows = 0;
        for (int t = 0; t < terms; t++) {
            int k = 1 + rng.nextInt(7);
            rows += k;
            as[t] = Tensor.uniform(rng, dt, -1, 1, k, m);
            bs[t] = Tensor.uniform(rng, dt, -1, 1, k, n);
            double[] p = Kernels.matmul(as[t], bs[t], true, false).toDoubleArray();
            for (int i = 0; i < p.length; i++) {
                naive[i] += p[i];
            }
            acc.addProduct(as[t], bs[t]);
        }
        Tensor sum = acc.sum();
        double tol = f32 ? 1e-4 : 1e-12;
        double[] got = sum.toDoubleArray();
        for (int i = 0; i < got.length; i++) {
            assertEquals(naive[i], got[i], tol * (1 + rows), "element " + i);
        }
        // The mechanism: the products are summed as one product of the operands stacked along K.
        Tensor stackedA = Kernels.concat(java.util.List.of(as), 0);
        Tensor stackedB = Kernels.concat(java.util.List.of(bs), 0);
        Tensor one = Kernels.matmul(stackedA, stackedB, true, false);
        Tensor want = withPlainTerm ? Kernels.binary(Kernels.Binary.ADD, Tensor.zeros(dt, m, n), plain) : Tensor.zeros(dt, m, n);
        want = Kernels.binary(Kernels.Binary.ADD, want, one);
        assertArrayEquals(want.toDoubleArray(), got, 0.0);
    }

    /**
     * Pending products whose factors the Vector API kernel reads where they lie ({@link Gemm#takesStacked}):
     * parts whose row counts cut across the kernel's 8-row tiles, an A of one chunk of rows and one of
     * two, each dtype, the sum's first total and one added to a plain term, on one thread and two. Each
     * sum has the bits of the product of the stacked tensors; a one-hot factor, or a shape the kernel
     * does not take, is stacked instead.
     */
    @Test
    void productsOfFactorsReadWhereTheyLieHaveTheBitsOfTheStackedProduct() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        int[] rows = {13, 35, 64, 1, 7, 100};
        int k = java.util.Arrays.stream(rows).sum();
        for (int threads = 1; threads <= 2; threads++) {
            for (DType dt : DType.values()) {
                for (int m : new int[] {40, 128}) {
                    for (boolean withPlainTerm : new boolean[] {false, true}) {
                        String what = dt + " m " + m + (withPlainTerm ? " added" : " first") + " on " + threads + " threads";
                        BlasBackends.on(Blas.Backend.NATIVE, threads, () -> {
                            Rng rng = Rng.seeded(m + k);
                            int n = 64;
                            java.util.List<Tensor> as = new java.util.ArrayList<>();
                            java.util.List<Tensor> bs = new java.util.ArrayList<>();
                            for (int r : rows) {
                                as.add(Tensor.uniform(rng, dt, -1, 1, r, m));
                                bs.add(Tensor.uniform(rng, dt, -1, 1, r, n));
                            }
                            assertTrue(Gemm.takesStacked(as, bs, m, n, k), what);
                            assertSumHasTheStackedProductsBits(as, bs, withPlainTerm ? Tensor.uniform(rng, dt, -1, 1, m, n) : null, what);
                        });
                    }
                }
            }
        }
        Tensor hot = Tensor.oneHot(DType.F32, new int[] {0, 63, 1, 2, 0, 3, 1, 2}, 64, 8);
        Tensor g = Tensor.ones(DType.F32, 8, 64);
        Tensor narrow = Tensor.ones(DType.F32, 8, 33);
        java.util.List<Tensor> gs = java.util.List.of(g, g);
        assertTrue(BlasBackends.on(Blas.Backend.NATIVE, () -> Gemm.takesStacked(gs, gs, 64, 64, 16)), "dense factors");
        assertFalse(BlasBackends.on(Blas.Backend.NATIVE, () -> Gemm.takesStacked(java.util.List.of(hot, hot), gs, 64, 64, 16)),
                "a one-hot factor");
        assertFalse(BlasBackends.on(Blas.Backend.NATIVE, () -> Gemm.takesStacked(gs, java.util.List.of(narrow, narrow), 64, 33, 16)),
                "33 columns are not whole panels");
        assertFalse(BlasBackends.on(Blas.Backend.JAVA, () -> Gemm.takesStacked(gs, gs, 64, 64, 16)),
                "the Java backend");
    }

    /**
     * Pending products with a one-hot factor (a step's characters against the input weight's gradient),
     * the ones on either side, read where they lie by the scatter-add: parts whose row counts cut across
     * the Java kernel's groups of four and blocks of {@link Gemm#KC}, rows repeating a character inside a
     * group, each dtype, written and added to, on each backend. Each sum has the bits of the product of
     * the stacked tensors, also when a NaN among the dense values sends the product to the dense kernels.
     */
    @Test
    void oneHotProductsReadWhereTheFactorsLieHaveTheBitsOfTheStackedProduct() {
        int[] rows = {13, 35, 64, 1, 7, 100};
        int k = java.util.Arrays.stream(rows).sum();
        int classes = 11;
        int width = 48;
        int[] cases = {0};   // each case its own ones, so that positions a scratch buffer kept from the case before do not pass
        for (Blas.Backend backend : BlasBackends.available()) {
            for (DType dt : DType.values()) {
                for (boolean hotOnTheLeft : new boolean[] {true, false}) {
                    for (boolean withPlainTerm : new boolean[] {false, true}) {
                        for (boolean nan : new boolean[] {false, true}) {
                            String what = backend + " " + dt + (hotOnTheLeft ? " Xᵀ·G" : " Gᵀ·X") + (withPlainTerm ? " added" : " first")
                                    + (nan ? " with a NaN" : "");
                            BlasBackends.on(backend, () -> {
                                Rng rng = Rng.seeded(k + classes + 31L * cases[0]++);
                                java.util.List<Tensor> hot = new java.util.ArrayList<>();
                                java.util.List<Tensor> dense = new java.util.ArrayList<>();
                                for (int r : rows) {
                                    int[] ids = new int[r];
                                    for (int i = 0; i < r; i++) {
                                        ids[i] = i % 5 == 3 ? ids[i - 1] : rng.nextInt(classes);   // repeats within a group of four
                                    }
                                    hot.add(Tensor.oneHot(dt, ids, classes, r));
                                    dense.add(Tensor.uniform(rng, dt, -1, 1, r, width));
                                }
                                if (nan) {
                                    double[] d = dense.get(2).toDoubleArray();
                                    d[5] = Double.NaN;
                                    dense.set(2, Tensor.of(dt, d, 64, width));
                                }
                                java.util.List<Tensor> as = hotOnTheLeft ? hot : dense;
                                java.util.List<Tensor> bs = hotOnTheLeft ? dense : hot;
                                Tensor plain = Tensor.uniform(rng, dt, -1, 1, as.get(0).shape.dim(1), bs.get(0).shape.dim(1));
                                assertSumHasTheStackedProductsBits(as, bs, withPlainTerm ? plain : null, what);
                            });
                        }
                    }
                }
            }
        }
    }

    /**
     * Note [Started work] on {@link Parallelism}: on two threads a flush large enough to pay for a
     * handover runs beside the caller, inside a workspace's recycling region. The sum has the bits of
     * the same stacked products run at once, and what the started products read stays held until they
     * end: sweeps and the NaN-filled loans that follow each flush, which reuse whatever storage was
     * taken back, change nothing.
     */
    @Test
    void flushesStartedBesideTheCallerHaveTheBitsOfProductsRunAtOnceAndKeepWhatTheyRead() throws Exception {
        onTwoThreads(() -> {
            for (DType dt : DType.values()) {
                Rng rng = Rng.seeded(12);
                int m = 64;
                int n = 96;
                int k = 64;
                int perFlush = GradientAccumulator.FLUSH_ROWS / k;
                assertTrue((long) m * n * GradientAccumulator.FLUSH_ROWS >= Gemm.NATIVE_PARALLEL_MIN_WORK, "large enough to start");
                int terms = 2 * perFlush + 3;   // two flushes during the walk, the rest when the sum is read
                java.util.List<Tensor> as = new java.util.ArrayList<>();
                java.util.List<Tensor> bs = new java.util.ArrayList<>();
                for (int t = 0; t < terms; t++) {
                    as.add(Tensor.uniform(rng, dt, -1, 1, k, m));
                    bs.add(Tensor.uniform(rng, dt, -1, 1, k, n));
                }
                Tensor want = Tensor.zeros(dt, m, n);
                for (int from = 0; from < terms; from += perFlush) {
                    int to = Math.min(terms, from + perFlush);
                    addStackedProduct(as.subList(from, to), bs.subList(from, to), want);
                }
                Workspace ws = new Workspace(256L << 20);
                try (Workspace.Scope scope = ws.open(); Workspace.Recycling region = Workspace.recycling()) {
                    GradientAccumulator acc = GradientAccumulator.create();
                    for (int t = 0; t < terms; t++) {
                        acc.addProduct(lentCopy(as.get(t)), lentCopy(bs.get(t)));
                        region.sweep();
                        for (Shape shape : new Shape[] {Shape.matrix(perFlush * k, m), Shape.matrix(perFlush * k, n), Shape.matrix(k, m),
                                Shape.matrix(k, n)}) {
                            Kernels.unary(Kernels.Unary.LOG, Tensor.full(dt, -1, shape));   // NaN in any storage taken back
                        }
                        region.sweep();
                    }
                    assertArrayEquals(want.toDoubleArray(), acc.sum().toDoubleArray(), 0.0, dt.toString());
                }
            }
        });
    }

    /**
     * Every use of a total waits for its started flush: with the worker held, a started product
     * queues and has not begun when the total is used, by {@code sum}, {@code add} or
     * {@code addPlaced}, and the total has the bits of the same product run at once followed by that
     * use. {@code sum} of pending terms runs their product before it returns; a flush started while
     * the total's previous one is still queued waits for it. A flush of zero rows sums to zeros.
     */
    @Test
    void everyUseOfATotalWaitsForItsStartedFlush() throws Exception {
        onTwoThreadsWithTheWorkerHeld(() -> {
            Rng rng = Rng.seeded(13);
            int width = 512;
            int k = 64;
            int terms = GradientAccumulator.FLUSH_ROWS / k;   // the last one starts the flush
            java.util.List<Tensor> as = new java.util.ArrayList<>();
            java.util.List<Tensor> bs = new java.util.ArrayList<>();
            for (int t = 0; t < terms; t++) {
                as.add(Tensor.uniform(rng, DType.F64, -1, 1, k, width));
                bs.add(Tensor.uniform(rng, DType.F64, -1, 1, k, width));
            }
            Tensor product = Tensor.zeros(DType.F64, width, width);
            addStackedProduct(as, bs, product);
            Tensor plain = Tensor.uniform(rng, DType.F64, -1, 1, width, width);
            Tensor placed = Tensor.uniform(rng, DType.F64, -1, 1, width, 100);
            Tensor plusPlaced = Kernels.binary(Kernels.Binary.ADD, Tensor.zeros(DType.F64, width, width), product);
            Kernels.addInto(plusPlaced, placed, 1, 7);
            java.util.Map<String, java.util.function.Function<GradientAccumulator, Tensor>> uses = new java.util.LinkedHashMap<>();
            uses.put("sum", GradientAccumulator::sum);
            uses.put("add", acc -> {
                acc.add(plain);
                return acc.sum();
            });
            uses.put("addPlaced", acc -> {
                acc.addPlaced(placed, 1, 7, width);
                return acc.sum();
            });
            java.util.Map<String, Tensor> wants = java.util.Map.of("sum", product, "add", Kernels.binary(Kernels.Binary.ADD, product, plain),
                    "addPlaced", plusPlaced);
            for (var use : uses.entrySet()) {
                GradientAccumulator acc = GradientAccumulator.create();
                for (int t = 0; t < terms; t++) {
                    acc.addProduct(as.get(t), bs.get(t));
                }
                Tensor want = wants.get(use.getKey());
                Tensor got = use.getValue().apply(acc);
                assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 0.0, use.getKey());
            }
            GradientAccumulator pending = GradientAccumulator.create();
            for (int t = 0; t < terms - 1; t++) {
                pending.addProduct(as.get(t), bs.get(t));
            }
            Tensor fewer = Tensor.zeros(DType.F64, width, width);
            addStackedProduct(as.subList(0, terms - 1), bs.subList(0, terms - 1), fewer);
            assertArrayEquals(fewer.toDoubleArray(), pending.sum().toDoubleArray(), 0.0, "sum of pending terms");
            GradientAccumulator twice = GradientAccumulator.create();   // a second flush starts while the first is queued
            for (int t = 0; t < 2 * terms; t++) {
                twice.addProduct(as.get(t % terms), bs.get(t % terms));
            }
            Tensor twiceWant = Kernels.binary(Kernels.Binary.ADD, Tensor.zeros(DType.F64, width, width), product);
            addStackedProduct(as, bs, twiceWant);
            assertArrayEquals(twiceWant.toDoubleArray(), twice.sum().toDoubleArray(), 0.0, "two flushes, one after the other");
            GradientAccumulator empty = GradientAccumulator.create();
            empty.addProduct(Tensor.zeros(DType.F64, 0, 3), Tensor.zeros(DType.F64, 0, 4));
            empty.startSum();
            assertArrayEquals(new double[12], empty.sum().toDoubleArray(), 0.0, "no rows: zeros");
        });
    }

    /**
     * A total released while its flush is started waits for it and lets go of everything the
     * flush read: the recycling region then takes back all the storage lent in it.
     */
    @Test
    void releasingATotalWhoseFlushIsStartedLetsGoOfAllItsStorage() throws Exception {
        onTwoThreads(() -> {
            Rng rng = Rng.seeded(14);
            Workspace ws = new Workspace(256L << 20);
            try (Workspace.Scope scope = ws.open(); Workspace.Recycling region = Workspace.recycling()) {
                long before = scope.lentBytes();
                GradientAccumulator acc = GradientAccumulator.create();
                addLentProductsUntilAFlushStarts(acc, rng, 512, region);
                assertTrue(scope.lentBytes() > before, "the factors, the stacks and the total are lent");
                acc.release();
                region.sweep();
                assertEquals(before, scope.lentBytes(), "all taken back once the total is released");
            }
        });
    }

    /**
     * A scope closed while a total it lent is being written by a started flush (a walk that failed
     * and never read its totals) waits for the product before its storage is lent again: what the
     * next scope lends has the values it computes there, none the product's.
     */
    @Test
    void aScopeClosedUnderAStartedFlushLendsItsStorageAgainOnlyOnceTheProductHasEnded() throws Exception {
        onTwoThreads(() -> {
            Rng rng = Rng.seeded(15);
            int width = 1024;   // a product of some ten milliseconds
            Workspace ws = new Workspace(256L << 20);
            try (Workspace.Scope scope = ws.open(); Workspace.Recycling region = Workspace.recycling()) {
                addLentProductsUntilAFlushStarts(GradientAccumulator.create(), rng, width, region);   // never read: abandoned
            }
            try (Workspace.Scope scope = ws.open()) {
                Tensor minusOnes = Tensor.full(DType.F64, -1, width, width);
                Tensor ones = Kernels.unary(Kernels.Unary.NEG, minusOnes);   // in the total's storage: the only [1024, 1024] idle
                Thread.sleep(50);   // long enough for a product still running to write over it
                assertArrayEquals(Tensor.full(DType.F64, 1, width, width).toDoubleArray(), ones.toDoubleArray(), 0.0);
            }
        });
    }

    /** Runs {@code body} with kernels on two threads, as started flushes need, and restores the count. */
    private static void onTwoThreads(Body body) throws Exception {
        int saved = Parallelism.threads();
        Parallelism.setThreads(2);
        try {
            body.run();
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    /**
     * The products {@code as[t]ᵀ·bs[t]}, after {@code plain} when not null, summed by an accumulator: the
     * bits of {@code plain} (copied) plus, or else the product of, the stacked tensors.
     */
    private static void assertSumHasTheStackedProductsBits(java.util.List<Tensor> as, java.util.List<Tensor> bs, Tensor plain, String what) {
        int m = as.get(0).shape.dim(1);
        int n = bs.get(0).shape.dim(1);
        GradientAccumulator acc = GradientAccumulator.create();
        Tensor want = Tensor.zeros(as.get(0).dtype(), m, n);
        if (plain != null) {
            acc.add(plain);
            want = Kernels.binary(Kernels.Binary.ADD, want, plain);
            addStackedProduct(as, bs, want);
        } else {
            Tensor a = Kernels.concat(as, 0);
            Gemm.product(a, 0, true, Kernels.concat(bs, 0), 0, false, want, 0, m, n, a.shape.dim(0));
        }
        for (int t = 0; t < as.size(); t++) {
            acc.addProduct(as.get(t), bs.get(t));
        }
        assertArrayEquals(want.toDoubleArray(), acc.sum().toDoubleArray(), 0.0, what);
    }

    /** {@code into += Aᵀ·B} for A and B the {@code as} and {@code bs} stacked by rows, as one product, as a flush runs it. */
    private static void addStackedProduct(java.util.List<Tensor> as, java.util.List<Tensor> bs, Tensor into) {
        Tensor a = Kernels.concat(as, 0);
        Tensor b = Kernels.concat(bs, 0);
        Gemm.gemm(a, 0, true, b, 0, false, into, 0, a.shape.dim(1), b.shape.dim(1), a.shape.dim(0));
    }

    /**
     * {@link #onTwoThreads}, with the crew's worker held by started work of its own until {@code body}
     * ends: work started meanwhile queues behind it, and runs only when a thread joins it.
     */
    private static void onTwoThreadsWithTheWorkerHeld(Body body) throws Exception {
        onTwoThreads(() -> {
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            Parallelism.Started holder = Parallelism.start(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(holder != null, "two threads start work");
            try {
                body.run();
            } finally {
                hold.countDown();
                holder.join();
            }
        });
    }

    private interface Body {
        void run() throws Exception;
    }

    /**
     * Adds to {@code acc} products of lent float64 {@code [64, width]} factors, sweeping {@code region}
     * after each, up to the one whose rows start a flush.
     */
    private static void addLentProductsUntilAFlushStarts(GradientAccumulator acc, Rng rng, int width, Workspace.Recycling region) {
        int k = 64;
        for (int t = 0; t < GradientAccumulator.FLUSH_ROWS / k; t++) {
            acc.addProduct(lentCopy(Tensor.uniform(rng, DType.F64, -1, 1, k, width)), lentCopy(Tensor.uniform(rng, DType.F64, -1, 1, k, width)));
            region.sweep();
        }
    }

    /** A copy of {@code t} in storage lent by the workspace scope open on this thread. */
    private static Tensor lentCopy(Tensor t) {
        return Kernels.unary(Kernels.Unary.NEG, Kernels.unary(Kernels.Unary.NEG, t));
    }

    @Test
    void manyPendingRowsFlushInBlocksOfFlushRows() {
        Rng rng = Rng.seeded(9);
        GradientAccumulator acc = GradientAccumulator.create();
        int k = 500;
        int terms = 2 * GradientAccumulator.FLUSH_ROWS / k + 1; // crosses the threshold twice
        Tensor[] as = new Tensor[terms];
        Tensor[] bs = new Tensor[terms];
        for (int t = 0; t < terms; t++) {
            as[t] = Tensor.uniform(rng, DType.F64, -1, 1, k, 3);
            bs[t] = Tensor.uniform(rng, DType.F64, -1, 1, k, 4);
            acc.addProduct(as[t], bs[t]);
        }
        double[] got = acc.sum().toDoubleArray();
        Tensor all = Kernels.matmul(Kernels.concat(java.util.List.of(as), 0), Kernels.concat(java.util.List.of(bs), 0), true, false);
        assertArrayEquals(all.toDoubleArray(), got, 1e-11);
    }

    @Property(tries = 40)
    void placedTermsEqualTheZeroPaddedSlicesExactly(@ForAll("seeds") long seed, @ForAll @IntRange(min = 1, max = 5) int terms,
                                                    @ForAll boolean f32) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int[] dims = {1 + rng.nextInt(4), 1 + rng.nextInt(6), 1 + rng.nextInt(4)};
        int axis = rng.nextInt(3);
        int full = dims[axis];
        GradientAccumulator acc = GradientAccumulator.create();
        Tensor expected = null;
        for (int t = 0; t < terms; t++) {
            int start = rng.nextInt(full);
            int len = 1 + rng.nextInt(full - start);
            int[] gd = dims.clone();
            gd[axis] = len;
            Tensor g = Tensor.uniform(rng, dt, -1, 1, gd);
            double[] before = g.toDoubleArray();
            if (t == 0 && terms > 1) {
                acc.add(Kernels.unslice(g, axis, start, full)); // a plain first term, then placed ones on top
            } else {
                acc.addPlaced(g, axis, start, full);
            }
            assertArrayEquals(before, g.toDoubleArray(), 0.0, "the placed term was written");
            Tensor padded = Kernels.unslice(g, axis, start, full);
            expected = expected == null ? padded : Kernels.binary(Kernels.Binary.ADD, expected, padded);
        }
        assertArrayEquals(expected.toDoubleArray(), acc.sum().toDoubleArray(), 0.0);
    }

    /**
     * Placed terms that begin a sum are copied into storage that a workspace lends again without
     * zero-filling it: what they leave uncovered must read as zeros whatever comes next (the sum read,
     * a plain term, an overlapping placed term, one along the other axis, or a deferred product).
     */
    @Property(tries = 80)
    void placedTermsBeginningASumLeaveNothingStaleInReusedStorage(@ForAll("seeds") long seed, @ForAll boolean tile,
            @ForAll @IntRange(min = 1, max = 4) int terms, @ForAll @IntRange(min = 0, max = 4) int then, @ForAll boolean f32) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int[] dims = {33 + rng.nextInt(16), 33 + rng.nextInt(16)};   // at least Workspace.MIN_ELEMENTS, so lent
        int axis = rng.nextInt(2);
        int full = dims[axis];
        try (Workspace.Scope scope = new Workspace(64L << 20).open()) {
            Workspace.drop(lentCopy(Tensor.full(dt, Double.NaN, dims)));   // the sum's size, NaN, lent again next
            GradientAccumulator acc = GradientAccumulator.create();
            Tensor expected = Tensor.zeros(dt, dims);
            int[] cuts = new int[terms + 1];   // tile: [cuts[i], cuts[i+1]) in a shuffled order cover the axis once
            for (int i = 1; i < terms; i++) cuts[i] = Math.max(cuts[i - 1], rng.nextInt(full));
            cuts[terms] = full;
            int[] order = shuffled(rng, terms);
            for (int t = 0; t < terms; t++) {
                int start = tile ? cuts[order[t]] : rng.nextInt(full);
                int len = tile ? cuts[order[t] + 1] - start : 1 + rng.nextInt(Math.min(3, full - start));
                expected = placeInto(acc, expected, rng, dt, dims, axis, start, len);
            }
            double tolerance = 0.0;
            switch (then) {
                case 1 -> {
                    Tensor p = Tensor.uniform(rng, dt, -1, 1, dims);
                    acc.add(p);
                    expected = Kernels.binary(Kernels.Binary.ADD, expected, p);
                }
                case 2 -> expected = placeInto(acc, expected, rng, dt, dims, axis, 0, full);   // overlaps every term
                case 3 -> expected = placeInto(acc, expected, rng, dt, dims, 1 - axis, rng.nextInt(dims[1 - axis]), 1);
                case 4 -> {
                    Tensor a = Tensor.uniform(rng, dt, -1, 1, 5, dims[0]);
                    Tensor b = Tensor.uniform(rng, dt, -1, 1, 5, dims[1]);
                    acc.addProduct(a, b);
                    expected = Kernels.binary(Kernels.Binary.ADD, expected, Kernels.matmul(a, b, true, false));
                    tolerance = f32 ? 1e-5 : 1e-13;   // the flush adds the product into the sum in the kernel's own order
                }
                default -> { }
            }
            assertArrayEquals(expected.toDoubleArray(), acc.sum().toDoubleArray(), tolerance);
        }
    }

    /** Places a random {@code len}-long term at {@code start} along {@code axis} and returns {@code expected} plus its zero-padding. */
    private static Tensor placeInto(GradientAccumulator acc, Tensor expected, Rng rng, DType dt, int[] dims, int axis, int start, int len) {
        int[] gd = dims.clone();
        gd[axis] = len;
        Tensor g = Tensor.uniform(rng, dt, -1, 1, gd);
        acc.addPlaced(g, axis, start, dims[axis]);
        return Kernels.binary(Kernels.Binary.ADD, expected, Kernels.unslice(g, axis, start, dims[axis]));
    }

    private static int[] shuffled(Rng rng, int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    @Test
    void mismatchedStructuredTermsAreRejectedNamingTheShapes() {
        GradientAccumulator acc = GradientAccumulator.create();
        acc.add(Tensor.zeros(DType.F64, 2, 3));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> acc.addProduct(Tensor.zeros(DType.F64, 4, 3), Tensor.zeros(DType.F64, 4, 2)));
        assertTrue(p.getMessage().contains("[3, 2]") && p.getMessage().contains("[2, 3]"), p.getMessage());
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> acc.addProduct(Tensor.zeros(DType.F64, 4, 2), Tensor.zeros(DType.F64, 5, 3)));
        assertTrue(rows.getMessage().contains("[4, 2]ᵀ x [5, 3]"), rows.getMessage());
        IllegalArgumentException placed = assertThrows(IllegalArgumentException.class,
                () -> acc.addPlaced(Tensor.zeros(DType.F64, 2, 2), 1, 2, 4));
        assertTrue(placed.getMessage().contains("[2, 4]") && placed.getMessage().contains("[2, 3]"), placed.getMessage());
        IllegalArgumentException fit = assertThrows(IllegalArgumentException.class,
                () -> acc.addPlaced(Tensor.zeros(DType.F64, 2, 2), 1, 2, 3));
        assertTrue(fit.getMessage().contains("does not fit length 3"), fit.getMessage());
    }
}
