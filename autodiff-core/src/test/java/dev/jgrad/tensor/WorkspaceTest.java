package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Note [Workspace loans] and Note [Recycled backward storage]: a scope lends its workspace's storage to what ops compute on its thread,
 * takes it back at close so that a later read fails loudly, reuses it zero-filled with the same bits,
 * and never lends more than the capacity, to factories, or on another thread.
 */
class WorkspaceTest {
    private static final long MIB = 1L << 20;
    /** The fewest elements a scope lends storage for. */
    private static final int N = Workspace.MIN_ELEMENTS;

    /** {@code n} float64 values 1, 2, 3, … (a factory's: storage of its own). */
    private static Tensor count(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i + 1;
        }
        return Tensor.of(v, n);
    }

    /** A small training-like computation: products (written over whatever their storage held), σ, tanh, backward. */
    private static double[][] stepValues(DType dtype) {
        Variable x = Variable.constant(Tensor.randn(Rng.seeded(1), dtype, 1, 32, 64));
        Variable w = Variable.leaf("w", Tensor.randn(Rng.seeded(2), dtype, 0.1, 64, 64));
        Variable u = Variable.leaf("u", Tensor.randn(Rng.seeded(3), dtype, 0.1, 64, 64));
        try (Tape tape = Tape.record()) {
            Variable h = x.matmul(w).tanh();
            for (int t = 0; t < 3; t++) {
                h = h.matmul(u).sigmoid().times(h).plus(h.matmul(u, false, true).tanh());
            }
            Variable loss = h.square().sum();
            loss.backward();
            return new double[][] {h.value().toDoubleArray(), w.grad().toDoubleArray(), u.grad().toDoubleArray()};
        }
    }

    @Test
    void valuesAndGradientsAreBitForBitThoseWithoutAWorkspaceEvenOnReusedStorage() {
        for (DType dtype : DType.values()) {
            double[][] plain = stepValues(dtype);
            Workspace ws = new Workspace(16 * MIB);
            for (int step = 0; step < 3; step++) {
                double[][] lent;
                try (Workspace.Scope scope = ws.open()) {
                    lent = stepValues(dtype);
                }
                for (int i = 0; i < plain.length; i++) {
                    assertArrayEquals(plain[i], lent[i], dtype + " step " + step + " result " + i);
                }
                assertTrue(ws.idleBytes() > 0, "the scope's storage waits for the next one");
            }
        }
    }

    /**
     * The kernels that overwrite every element of their result get reused storage without zero-filling
     * it, the others get it zero-filled. Every idle array is NaN here, so an element a kernel left
     * unwritten, or one it added into without the fill, would show.
     */
    @Test
    void everyKernelGivesTheSameBitsOnReusedStorageFullOfNaN() {
        for (DType dtype : DType.values()) {
            Tensor a = Tensor.uniform(Rng.seeded(5), dtype, 0.5, 2, 32, 64);
            Tensor b = Tensor.uniform(Rng.seeded(6), dtype, 0.5, 2, 32, 64);
            Tensor row = Tensor.uniform(Rng.seeded(7), dtype, 0.5, 2, 64);
            Tensor column = Tensor.uniform(Rng.seeded(8), dtype, 0.5, 2, 32, 1);
            Tensor cube = Tensor.uniform(Rng.seeded(9), dtype, 0.5, 2, 3, 32, 64);
            Tensor tall = Tensor.uniform(Rng.seeded(10), dtype, 0.5, 2, 40, 64);
            int[] rows = new int[32];
            int[] along = new int[32 * 64];
            for (int i = 0; i < along.length; i++) {
                rows[i % 32] = (i * 7) % 40;
                along[i] = (i * 5) % 40;
            }
            List<java.util.function.Supplier<Tensor>> kernels = new java.util.ArrayList<>();
            for (Kernels.Unary op : Kernels.Unary.values()) {
                kernels.add(() -> Kernels.unary(op, a));
            }
            for (Kernels.Binary op : Kernels.Binary.values()) {
                kernels.add(() -> Kernels.binary(op, a, b));
            }
            kernels.addAll(List.of(
                    () -> Kernels.binary(Kernels.Binary.MUL, a, row),
                    () -> Kernels.binary(Kernels.Binary.SUB, row, a),
                    () -> Kernels.binary(Kernels.Binary.ADD, column, row),
                    () -> Kernels.affine(a, 3, -1),
                    () -> Kernels.pow(a, 1.5),
                    () -> Kernels.div(a, 3),
                    () -> Kernels.div(3, a),
                    () -> Kernels.clamp(a, 0.8, 1.5),
                    () -> Kernels.inRange(a, 0.8, 1.5),
                    () -> Kernels.where(Kernels.inRange(b, 0.8, 1.5), a, b),
                    () -> Kernels.sum(cube, new int[] {0}, false),
                    () -> Kernels.max(cube, new int[] {0}, true),
                    () -> Kernels.maxMask(cube, new int[] {0}),
                    () -> Kernels.logSumExp(cube, new int[] {0}, false),
                    () -> Kernels.norm(cube, new int[] {0}, false),
                    () -> Kernels.softmax(a, 1),
                    () -> Kernels.logSoftmax(a, 0),
                    () -> Kernels.permute(a, new int[] {1, 0}),
                    () -> Kernels.slice(tall, 0, 8, 40),
                    () -> Kernels.concat(List.of(Kernels.slice(a, 0, 0, 16), Kernels.slice(b, 0, 16, 32)), 0),
                    () -> Kernels.indexSelect(tall, 0, rows),
                    () -> Kernels.gather(tall, 0, along, Shape.of(32, 64)),
                    () -> Kernels.scatterAdd(tall, 0, along, a),
                    // and those that add into zero-filled storage
                    () -> Kernels.matmul(a, b.reshape(64, 32), false, false),
                    () -> Kernels.sumTo(cube, Shape.of(32, 64)),
                    () -> Kernels.unslice(a, 0, 8, 40),
                    () -> Kernels.indexAdd(a, 0, rows, 40),
                    () -> {
                        GradientAccumulator acc = GradientAccumulator.create();
                        acc.addProduct(a.reshape(64, 32), b.reshape(64, 32));
                        acc.addProduct(b.reshape(64, 32), a.reshape(64, 32));
                        return acc.sum();
                    }));
            Workspace ws = new Workspace(64 * MIB);
            for (int k = 0; k < kernels.size(); k++) {
                Tensor plain = kernels.get(k).get();
                try (Workspace.Scope scope = ws.open()) {
                    Tensor nan = Tensor.full(dtype, -1, plain.shape());
                    for (int i = 0; i < 4; i++) {   // every array the kernel may borrow, NaN
                        Kernels.unary(Kernels.Unary.LOG, nan);
                    }
                }
                Tensor lent;
                try (Workspace.Scope scope = ws.open()) {
                    lent = scope.keep(kernels.get(k).get());
                }
                assertArrayEquals(plain.toDoubleArray(), lent.toDoubleArray(), dtype + " kernel " + k + " " + plain.shape());
            }
        }
    }

    /**
     * A recurrence whose weight receives enough deferred products to flush them during the walk, with
     * a slice per step (placed into its total) and a broadcast bias (summed back to its shape).
     * Returns the leaves' gradients; inside {@code scope}, also checks that the walk left lent only
     * the leaves' gradients (Note [Recycled backward storage]).
     */
    private static double[][] recurrenceGradients(DType dtype, Workspace.Scope scope) {
        int batch = 64;
        int hidden = 32;
        int steps = 40;
        assertTrue(steps * batch > GradientAccumulator.FLUSH_ROWS, "the weight's products flush during the walk");
        Variable xs = Variable.leaf("xs", Tensor.randn(Rng.seeded(1), dtype, 1, steps * batch, hidden));
        Variable u = Variable.leaf("u", Tensor.randn(Rng.seeded(2), dtype, 0.2, hidden, hidden));
        Variable b = Variable.leaf("b", Tensor.randn(Rng.seeded(3), dtype, 0.1, hidden));
        try (Tape tape = Tape.record()) {
            Variable h = xs.slice(0, 0, batch).tanh();
            for (int t = 1; t < steps; t++) {
                h = h.matmul(u).plus(b).plus(xs.slice(0, t * batch, (t + 1) * batch)).tanh();
            }
            Variable loss = h.square().sum();
            long before = scope == null ? 0 : scope.lentBytes();
            loss.backward();
            if (scope != null) {
                long leafGradients = (long) (steps * batch * hidden + hidden * hidden) * dtype.bytes();   // b's 32 are not lent
                assertEquals(before + leafGradients, scope.lentBytes(), dtype + ": lent after the walk beyond the forward pass");
            }
        }
        return new double[][] {xs.grad().toDoubleArray(), u.grad().toDoubleArray(), b.grad().toDoubleArray()};
    }

    @Test
    void aBackwardWalkReusesWhatItDropsKeepsTheBitsAndLeavesLentOnlyTheLeafGradients() {
        for (DType dtype : DType.values()) {
            double[][] plain = recurrenceGradients(dtype, null);
            Workspace ws = new Workspace(64 * MIB);
            for (int step = 0; step < 2; step++) {
                try (Workspace.Scope scope = ws.open()) {
                    double[][] lent = recurrenceGradients(dtype, scope);
                    for (int i = 0; i < plain.length; i++) {
                        assertArrayEquals(plain[i], lent[i], dtype + " step " + step + " gradient " + i);
                    }
                }
            }
        }
    }

    /**
     * A chain of T steps whose walk makes four tensors per step (tanh's rule, the product's {@code g·Uᵀ},
     * and square's {@code 2·(g ⊙ x)} with its temporary {@code g ⊙ x}, which nothing ever holds): with
     * recycling, the walk adds a frontier of a few tensors to the scope's peak, not its history of 4T.
     */
    @Test
    void theWalkAddsItsFrontierToTheScopesPeakNotItsHistory() {
        int steps = 50;
        long tensorBytes = 32 * 64 * 8L;
        Variable h0 = Variable.leaf("h0", Tensor.randn(Rng.seeded(1), DType.F64, 1, 32, 64));
        Variable u = Variable.constant(Tensor.randn(Rng.seeded(2), DType.F64, 0.1, 64, 64));
        Workspace ws = new Workspace(64 * MIB);
        try (Workspace.Scope scope = ws.open(); Tape tape = Tape.record()) {
            Variable h = h0;
            for (int t = 0; t < steps; t++) {
                h = h.matmul(u).tanh().square();
            }
            Variable loss = h.sum();
            long forward = scope.lentBytes();
            assertEquals(forward, scope.peakBytes());
            loss.backward();
            long added = scope.peakBytes() - forward;
            assertTrue(added <= 6 * tensorBytes, "the walk raised the peak by " + added / tensorBytes + " tensors of " + tensorBytes
                    + " bytes over " + steps + " steps");
        }
    }

    /**
     * Inside a {@link Workspace.Recycling} region a sweep takes back what nothing holds and a
     * released accumulator's last hold; what the region took back refuses reads, with a message
     * that says so, and is lent again. Outside a region nothing is taken back before the scope closes.
     */
    @Test
    void aRecyclingRegionTakesBackWhatNothingHoldsAndOnlyThat() {
        Workspace ws = new Workspace(MIB);
        try (Workspace.Scope scope = ws.open()) {
            Tensor outside = Kernels.unary(Kernels.Unary.NEG, count(N));
            GradientAccumulator total = GradientAccumulator.create();
            try (Workspace.Recycling region = Workspace.recycling()) {
                Tensor held = Kernels.unary(Kernels.Unary.SQUARE, count(N));
                Tensor unheld = Kernels.unary(Kernels.Unary.EXP, count(N));
                total.add(held.reshape(N, 1).reshape(N));   // a view holds the storage it shares
                total.add(outside);                          // a private sum, made in the region: held; held is let go
                Tensor sum = total.sum();
                try (Workspace.Recycling inner = Workspace.recycling()) {
                    inner.sweep();
                    assertEquals(N * 8L, ws.idleBytes(), "a region inside another takes nothing back");
                }
                region.sweep();
                IllegalStateException e = assertThrows(IllegalStateException.class, unheld::toDoubleArray);
                assertTrue(e.getMessage().contains("Recycling region") && e.getMessage().contains("F64[" + N + "]"), e.getMessage());
                assertThrows(IllegalStateException.class, held::toDoubleArray, "let go when the private sum replaced it");
                assertEquals(1.0 - 1.0, sum.at(0), 0);
                assertEquals(2 * N * 8L, ws.idleBytes(), "two arrays taken back");
                total.release();
                assertThrows(IllegalStateException.class, sum::toDoubleArray);
                assertEquals(3 * N * 8L, ws.idleBytes(), "the sum taken back with the accumulator's last hold");
                assertEquals(-1.0, outside.at(0), 0, "lent before the region: never taken back");
                Tensor again = Kernels.unary(Kernels.Unary.NEG, count(N));
                assertEquals(2 * N * 8L, ws.idleBytes(), "lent again from what the region took back");
                assertEquals(-2.0, again.at(1), 0);
            }
            Tensor after = Kernels.unary(Kernels.Unary.NEG, count(N));
            GradientAccumulator late = GradientAccumulator.create();
            late.add(after);
            late.release();
            assertEquals(-3.0, after.at(2), 0, "the region has closed: lent until the scope closes");
        }
    }

    @Test
    void theNextScopeReusesTheStorageOfTheLastOneZeroFilled() {
        Workspace ws = new Workspace(MIB);
        Tensor a = Tensor.randn(Rng.seeded(4), DType.F32, 1, N);
        float[] first;
        try (Workspace.Scope scope = ws.open()) {
            first = Kernels.unary(Kernels.Unary.EXP, a).f32();
        }
        assertEquals(N * 4L, ws.idleBytes());
        try (Workspace.Scope scope = ws.open()) {
            Tensor placed = Kernels.unslice(Tensor.ones(DType.F32, N / 2), 0, 0, N);
            assertSame(first, placed.f32(), "the same array, lent again");
            float[] expected = new float[N];
            Arrays.fill(expected, 0, N / 2, 1f);
            assertArrayEquals(expected, placed.f32(), "zero-filled before the values were placed in it");
            assertEquals(0, ws.idleBytes());
        }
    }

    @Test
    void aTensorOfAClosedScopeAndItsViewsRefuseEveryRead() {
        Workspace ws = new Workspace(MIB);
        Tensor lent;
        Tensor view;
        try (Workspace.Scope scope = ws.open()) {
            lent = Kernels.unary(Kernels.Unary.NEG, count(2 * N));
            view = lent.reshape(2, N);
            assertEquals(-1.0, lent.at(0), 0);
        }
        List<Executable> reads = List.of(() -> lent.toDoubleArray(), () -> lent.toFloatArray(), () -> lent.at(0),
                () -> lent.get(1), () -> lent.hasNonFinite(), () -> lent.reshape(N, 2), () -> view.get(0, 0),
                () -> Kernels.binary(Kernels.Binary.ADD, lent, lent), () -> Variable.constant(view).tanh());
        for (Executable read : reads) {
            IllegalStateException e = assertThrows(IllegalStateException.class, read);
            assertTrue(e.getMessage().contains("Workspace scope that has closed")
                    && (e.getMessage().contains("F64[" + 2 * N + "]") || e.getMessage().contains("F64[2, " + N + "]")), e.getMessage());
        }
    }

    @Test
    void aKeptTensorOutlivesItsScopeAndIsNeverLentAgain() {
        Workspace ws = new Workspace(MIB);
        Tensor kept;
        try (Workspace.Scope scope = ws.open()) {
            Tensor t = Kernels.unary(Kernels.Unary.SQUARE, count(N));
            kept = scope.keep(t.reshape(N, 1));
        }
        assertEquals(0, ws.idleBytes(), "kept storage left the workspace");
        try (Workspace.Scope scope = ws.open()) {
            for (int i = 0; i < 4; i++) {
                Kernels.unary(Kernels.Unary.NEG, count(N));
            }
        }
        assertEquals(1.0, kept.at(0), 0);
        assertEquals((double) N * N, kept.at(N - 1), 0);
        Tensor own = Tensor.vector(1);
        try (Workspace.Scope scope = ws.open()) {
            assertSame(own, scope.keep(own), "storage of its own is kept as it is");
        }
    }

    @Test
    void aKeptTensorGivenBackIsLentAgainAndRefusesReads() {
        Workspace ws = new Workspace(MIB);
        Tensor kept;
        try (Workspace.Scope scope = ws.open()) {
            kept = scope.keep(Kernels.unary(Kernels.Unary.SQUARE, count(N)));
        }
        double[] storage = kept.f64();
        Tensor view = kept.reshape(N, 1);
        ws.giveBack(kept);
        assertEquals(N * 8L, ws.idleBytes(), "the kept storage is idle again");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> view.at(0));
        assertTrue(e.getMessage().contains("given back"), e.getMessage());
        try (Workspace.Scope scope = ws.open()) {
            assertSame(storage, Kernels.unary(Kernels.Unary.NEG, count(N)).f64(), "the next scope lends it");
        }
    }

    @Test
    void onlyAKeptTensorOfTheSameWorkspaceCanBeGivenBackAndItsStorageOnlyOnce() {
        Workspace ws = new Workspace(MIB);
        Workspace other = new Workspace(MIB);
        Tensor kept;
        Tensor notKept;
        try (Workspace.Scope scope = ws.open()) {
            kept = scope.keep(Kernels.unary(Kernels.Unary.NEG, count(N)));
            notKept = Kernels.unary(Kernels.Unary.NEG, count(N));
            assertTrue(assertThrows(IllegalStateException.class, () -> ws.giveBack(notKept)).getMessage().contains("was not kept"));
        }
        assertTrue(assertThrows(IllegalStateException.class, () -> other.giveBack(kept)).getMessage().contains("another workspace"));
        long idle = ws.idleBytes();
        Tensor view = kept.reshape(N, 1);
        ws.giveBack(kept);
        ws.giveBack(view);
        assertEquals(idle + N * 8L, ws.idleBytes(), "storage given back through two views is idle once");
        Tensor own = Tensor.vector(1, 2);
        ws.giveBack(own);
        assertEquals(2.0, own.at(1), 0, "storage of its own is left alone");
    }

    @Test
    void keepingATensorWhoseStorageWasTakenBackFails() {
        Workspace ws = new Workspace(MIB);
        Tensor gone;
        try (Workspace.Scope scope = ws.open()) {
            gone = Kernels.unary(Kernels.Unary.NEG, count(N));
        }
        try (Workspace.Scope scope = ws.open()) {
            assertThrows(IllegalStateException.class, () -> scope.keep(gone));
        }
    }

    /** The kernel's one-hot encoding borrows, and reused storage full of other values is zero-filled first; the factory's does not borrow. */
    @Test
    void theOneHotKernelBorrowsZeroFilledStorageAndTheFactoryNone() {
        Workspace ws = new Workspace(MIB);
        int[] indices = new int[N / 4];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = (i * 3) % 4;
        }
        double[] storage;
        try (Workspace.Scope scope = ws.open()) {
            storage = Kernels.unary(Kernels.Unary.NEG, count(N)).f64();
        }
        try (Workspace.Scope scope = ws.open()) {
            Tensor factory = Tensor.oneHot(DType.F64, indices, 4, indices.length);
            assertEquals(N * 8L, ws.idleBytes(), "the factory's encoding has storage of its own");
            Tensor kernel = Kernels.oneHot(DType.F64, indices, 4, indices.length);
            assertSame(storage, kernel.f64(), "the kernel's encoding is lent the idle storage");
            assertArrayEquals(factory.toDoubleArray(), kernel.toDoubleArray());
        }
    }

    @Test
    void neitherFactoriesNorOtherThreadsNorSmallTensorsBorrow() throws Exception {
        Workspace ws = new Workspace(MIB);
        Tensor zeros;
        Tensor random;
        Tensor elsewhere;
        Tensor small;
        try (Workspace.Scope scope = ws.open()) {
            zeros = Tensor.zeros(DType.F64, N);
            random = Tensor.randn(Rng.seeded(1), DType.F32, 1, N);
            elsewhere = CompletableFuture.supplyAsync(() -> Kernels.unary(Kernels.Unary.NEG, count(N))).get();
            small = Kernels.unary(Kernels.Unary.NEG, count(N - 1));
        }
        assertArrayEquals(new double[N], zeros.toDoubleArray());
        assertEquals(N, random.toFloatArray().length);
        assertEquals(-1.0, elsewhere.at(0), 0);
        assertEquals(-1.0, small.at(0), 0, "fewer elements than the workspace lends for");
        assertEquals(0, ws.idleBytes());
    }

    /**
     * A new size that does not fit beside the idle storage evicts only as much idle storage as it
     * needs, so the sizes lent again keep theirs: 2N and N + N idle, capacity 5N, a request of 3N
     * evicts 2N (either the 2N or both N) and keeps the other 2N idle, which the next request of 2N
     * takes (lent again, or given way to) down to no idle storage at all.
     */
    @Test
    void aNewSizeEvictsOnlyTheIdleStorageItNeeds() {
        Workspace ws = new Workspace(5L * N * 8);
        try (Workspace.Scope scope = ws.open()) {
            Kernels.unary(Kernels.Unary.NEG, count(2 * N));
            Kernels.unary(Kernels.Unary.NEG, count(N));
            Kernels.unary(Kernels.Unary.NEG, count(N));
        }
        assertEquals(4L * N * 8, ws.idleBytes());
        try (Workspace.Scope scope = ws.open()) {
            Tensor lent = Kernels.unary(Kernels.Unary.NEG, count(3 * N));
            assertEquals(3L * N * 8, scope.lentBytes(), "lent, not storage of its own");
            assertEquals(2L * N * 8, ws.idleBytes(), "evicted 2N of the 4N idle");
            assertEquals(-1.0, lent.at(0), 0);
            Kernels.unary(Kernels.Unary.NEG, count(2 * N));
            assertEquals(0, ws.idleBytes(), "the 2N counted idle were held");
            assertEquals(5L * N * 8, scope.lentBytes());
        }
        assertFalse(ws.isOutgrown());
    }

    /**
     * The limit is inclusive: a loan that fills it exactly after the idle storage gave way is lent, and
     * storage returned up to exactly the limit is kept idle. One unit is {@code N} float64 values; a float32
     * tensor of {@code 2N} values is one unit of another size.
     */
    @Test
    void storageFillingTheLimitExactlyIsLentAndKept() {
        long unit = N * 8L;
        Workspace ws = new Workspace(3 * unit);
        try (Workspace.Scope scope = ws.open()) {
            Kernels.unary(Kernels.Unary.NEG, count(N));
        }
        assertEquals(unit, ws.idleBytes());
        try (Workspace.Scope scope = ws.open()) {
            Kernels.unary(Kernels.Unary.NEG, count(2 * N));                       // 0 lent + 1 idle + 2 = 3: fits
            Tensor f32 = Kernels.unary(Kernels.Unary.NEG, Tensor.ones(DType.F32, 2 * N));   // 2 + 1 + 1 > 3, 2 + 1 = 3
            assertEquals(3 * unit, scope.lentBytes(), "lent, after the idle unit gave way");
            assertEquals(0, ws.idleBytes());
            assertEquals(-1.0, f32.at(0), 0);
        }
        assertFalse(ws.isOutgrown());
        assertEquals(3 * unit, ws.idleBytes(), "all three units kept idle, exactly the limit");
    }

    /** Eviction takes just the bytes asked for, longest idle first within a size, and the arrays left stay lendable. */
    @Test
    void evictionTakesOneArrayOfAPoolAndLeavesTheRestLendable() {
        long unit = N * 8L;
        Workspace ws = new Workspace(4 * unit);
        try (Workspace.Scope scope = ws.open()) {
            for (int i = 0; i < 3; i++) {
                Kernels.unary(Kernels.Unary.NEG, count(N));
            }
        }
        assertEquals(3 * unit, ws.idleBytes());
        try (Workspace.Scope scope = ws.open()) {
            Kernels.unary(Kernels.Unary.NEG, count(2 * N));   // 0 + 3 + 2 > 4: one unit must go
            assertEquals(2 * unit, ws.idleBytes(), "one of the three evicted, not more");
            Kernels.unary(Kernels.Unary.NEG, count(N));
            Kernels.unary(Kernels.Unary.NEG, count(N));
            assertEquals(0, ws.idleBytes(), "the two left idle were lent");
            assertEquals(4 * unit, scope.lentBytes());
        }
        assertFalse(ws.isOutgrown());
    }

    /** A loan a sweep did not take back (held then) is still the scope's, and goes idle when the scope closes. */
    @Test
    void whatASweepLeavesIsTakenBackWhenTheScopeCloses() {
        Workspace ws = new Workspace(MIB);
        try (Workspace.Scope scope = ws.open()) {
            try (Workspace.Recycling region = Workspace.recycling()) {
                Kernels.unary(Kernels.Unary.NEG, count(N));
                Tensor held = Kernels.unary(Kernels.Unary.EXP, count(N));
                Workspace.hold(held);
                region.sweep();
                assertEquals(N * 8L, ws.idleBytes(), "the unheld one taken back");
                Workspace.unhold(held);
                assertEquals(2 * N * 8L, ws.idleBytes(), "the held one taken back with its last hold");
                Tensor later = Kernels.unary(Kernels.Unary.NEG, count(N));
                Workspace.hold(later);
                region.sweep();
                assertEquals(N * 8L, ws.idleBytes(), "one lent again and held");
            }
        }
        assertEquals(2 * N * 8L, ws.idleBytes(), "the one held through the region taken back at the scope's close");
    }

    /** Closing a region ends it for its scope: the next region opened there works, and a step region's carry returns its tensor. */
    @Test
    void aScopeOpensOneRegionAfterAnother() {
        Workspace ws = new Workspace(MIB);
        try (Workspace.Scope scope = ws.open()) {
            try (Workspace.Recycling first = Workspace.recycling()) {
                Kernels.unary(Kernels.Unary.NEG, count(N));
                first.sweep();
            }
            assertEquals(N * 8L, ws.idleBytes());
            try (Workspace.StepRegion step = Workspace.stepRegion()) {
                Tensor kept = Kernels.unary(Kernels.Unary.NEG, count(2 * N));
                assertSame(kept, step.carry(kept));
                Kernels.unary(Kernels.Unary.EXP, count(2 * N));
            }
            assertEquals(N * 8L + 2 * N * 8L, ws.idleBytes(), "the step's other tensor taken back at its end, the carried one not");
            try (Workspace.Recycling second = Workspace.recycling()) {
                Kernels.unary(Kernels.Unary.NEG, count(3 * N));
                second.sweep();
            }
            assertEquals(N * 8L + 2 * N * 8L + 3 * N * 8L, ws.idleBytes(), "the third region took back what it lent");
        }
    }

    @Test
    void aScopeNeedingMoreThanTheCapacityEndsTheLending() {
        Workspace ws = new Workspace(10L * N * 8);
        Tensor[] made = new Tensor[5];
        try (Workspace.Scope scope = ws.open()) {
            Kernels.unary(Kernels.Unary.NEG, count(6 * N));
        }
        assertEquals(6L * N * 8, ws.idleBytes());
        try (Workspace.Scope scope = ws.open()) {
            for (int i = 0; i < made.length; i++) {   // 3N values each: the 6N idle give way, then three fit in 10N
                made[i] = Kernels.unary(Kernels.Unary.NEG, count(3 * N));
            }
        }
        assertThrows(IllegalStateException.class, () -> made[2].at(0), "lent before the capacity was reached");
        assertEquals(-1.0, made[3].at(0), 0, "the fourth did not fit: storage of its own");
        assertEquals(0, ws.idleBytes(), "nothing is held once a scope outgrew the workspace");
        assertTrue(ws.isOutgrown());
        Tensor later;
        try (Workspace.Scope scope = ws.open()) {
            later = Kernels.unary(Kernels.Unary.NEG, count(N));
        }
        assertEquals(-1.0, later.at(0), 0, "later scopes lend nothing");
        assertEquals(0, ws.idleBytes());
        Workspace none = new Workspace(0);
        Tensor own;
        try (Workspace.Scope scope = none.open()) {
            own = Kernels.unary(Kernels.Unary.NEG, count(N));
        }
        assertEquals(-1.0, own.at(0), 0);
        assertFalse(none.isOutgrown(), "a workspace of capacity 0 lends nothing by choice");
    }

    /**
     * Once a scope outgrows the workspace, the arrays it lent before are no longer held by the
     * workspace: a dead tensor's array can be collected while the scope is still open, as it would be
     * without a workspace, instead of pinning up to the capacity until the scope closes.
     */
    @Test
    void arraysLentBeforeTheCapacityRanOutAreFreedWithTheirTensors() {
        Workspace ws = new Workspace(4L * N * 8);
        try (Workspace.Scope scope = ws.open()) {
            Tensor kept = Kernels.unary(Kernels.Unary.NEG, count(2 * N));
            WeakReference<double[]> dead = new WeakReference<>(Kernels.unary(Kernels.Unary.NEG, count(2 * N)).f64());
            Tensor own = Kernels.unary(Kernels.Unary.NEG, count(2 * N));   // does not fit: the lending ends
            for (int i = 0; i < 20 && dead.get() != null; i++) {
                System.gc();
            }
            assertNull(dead.get(), "the array of a tensor no one holds is collectable while the scope is open");
            assertEquals(-1.0, kept.at(0), 0, "a tensor still held keeps its array");
            assertEquals(-1.0, own.at(0), 0);
            scope.close();
            assertThrows(IllegalStateException.class, () -> kept.at(0), "lent before the capacity ran out: refused after close");
            assertEquals(-1.0, own.at(0), 0, "storage of its own");
        }
        assertEquals(0, ws.idleBytes());
    }

    /**
     * A collection that leaves the heap nearly full (stood for by {@link HeapPressure#signal()}) makes
     * every workspace made before it give way at its next loan: its idle arrays and the arrays it lent
     * the open scope go as their tensors die, as without a workspace, that scope lends no more, and
     * later scopes lend within half the limit. What was lent stays readable until its scope closes.
     */
    @Test
    void aNearlyFullHeapMakesTheWorkspaceLetGoAndHalveItsLimit() {
        Workspace ws = new Workspace(16 * MIB);
        WeakReference<double[]> idle;
        try (Workspace.Scope scope = ws.open()) {
            idle = new WeakReference<>(Kernels.unary(Kernels.Unary.NEG, count(3 * N)).f64());
        }
        assertEquals(3L * N * 8, ws.idleBytes());
        Tensor kept;
        Tensor own;
        try (Workspace.Scope scope = ws.open()) {
            kept = Kernels.unary(Kernels.Unary.NEG, count(N));
            WeakReference<double[]> dead = new WeakReference<>(Kernels.unary(Kernels.Unary.NEG, count(2 * N)).f64());
            assertEquals(3L * N * 8, scope.lentBytes(), "both lent before the heap filled");
            HeapPressure.signal();
            own = Kernels.unary(Kernels.Unary.NEG, count(N));
            assertNull(own.loan(), "the first loan after the signal gets storage of its own");
            assertNull(Kernels.unary(Kernels.Unary.NEG, count(N)).loan(), "and so does every later one in the scope");
            assertEquals(0, ws.idleBytes(), "idle storage let go");
            assertTrue(ws.gaveWayToTheHeap());
            assertEquals(8 * MIB, ws.limitBytes());
            assertFalse(ws.isOutgrown(), "the limit was not what ran out");
            for (int i = 0; i < 20 && dead.get() != null; i++) {
                System.gc();
            }
            assertNull(dead.get(), "a dead tensor's lent array is collectable while the scope is open");
            assertNull(idle.get(), "and so is the idle array");
            assertEquals(-1.0, kept.at(0), 0, "lent before the signal and still held: readable in its scope");
        }
        assertThrows(IllegalStateException.class, () -> kept.at(0), "lent: refused after its scope closed");
        assertEquals(-2.0, own.at(1), 0, "storage of its own");
        assertEquals(0, ws.idleBytes(), "nothing of the scope that gave way is kept");
        try (Workspace.Scope scope = ws.open()) {
            assertTrue(Kernels.unary(Kernels.Unary.NEG, count(N)).loan() != null, "a later scope lends again");
            HeapPressure.signal();
            assertNull(Kernels.unary(Kernels.Unary.NEG, count(N)).loan());
        }
        assertEquals(4 * MIB, ws.limitBytes(), "halved again");
        Workspace later = new Workspace(16 * MIB);
        assertFalse(later.gaveWayToTheHeap(), "a signal before a workspace was made is not its concern");
        try (Workspace.Scope scope = later.open()) {
            assertTrue(Kernels.unary(Kernels.Unary.NEG, count(N)).loan() != null);
        }
        assertEquals(16 * MIB, later.limitBytes());
    }

    /**
     * Storage the workspace holds is storage the collector may take before it runs out of memory:
     * here half of a 64 MB heap is the program's own, and one scope lends twice the heap in tensors
     * that die at once. Held strongly until the scope closes, they would fill the heap long before
     * the capacity of three quarters of it is reached; held strongly while idle after it, they would
     * leave no room for the program's next three quarters of the heap.
     */
    @Test
    void heldStorageNeverRunsTheHeapOutOfMemory() throws Exception {
        String out = ChildJvm.output(HalfTheHeapTaken.class, "-Xmx64m", "-XX:+UseSerialGC");
        assertTrue(out.contains("lent 128 MiB"), out);
    }

    /** {@link #heldStorageNeverRunsTheHeapOutOfMemory}'s program, run in a JVM of its own. */
    static final class HalfTheHeapTaken {
        public static void main(String[] args) throws InterruptedException {
            long max = Runtime.getRuntime().maxMemory();
            byte[][] own = new byte[(int) (max / 2 >> 20)][1 << 20];
            Workspace ws = new Workspace(max * 3 / 4);
            Tensor x = Tensor.zeros(DType.F64, 1 << 17);
            try (Workspace.Scope scope = ws.open()) {
                for (int i = 0; i < 128; i++) {
                    Kernels.unary(Kernels.Unary.NEG, x);   // 1 MiB each, dead at once
                }
            }
            own = null;
            // The nearly full collections above may still be on their way to the listener: a workspace made
            // once they have arrived keeps what it is lent, so what follows tests its idle storage alone.
            collectAndAwaitTheListener();
            Workspace fresh = new Workspace(max * 3 / 4);
            List<Tensor> live = new ArrayList<>();
            try (Workspace.Scope scope = fresh.open()) {
                for (int i = 0; i < max / 2 >> 20; i++) {
                    live.add(Kernels.unary(Kernels.Unary.NEG, x));   // alive until the scope closes, then idle
                }
            }
            live = null;
            byte[][] next = new byte[(int) (max * 3 / 4 >> 20)][1 << 20];
            System.out.println("lent 128 MiB beside " + (max / 2 >> 20) + " MiB of the program's own, then made " + next.length + " MiB");
        }
    }

    /**
     * Runs a full collection and waits, up to five seconds, until the listener has been told of it,
     * and so of every collection before it.
     *
     * @return the collections the listener had been told of before this one
     */
    static long collectAndAwaitTheListener() throws InterruptedException {
        long seen = HeapPressure.collectionsSeen();
        System.gc();
        for (int i = 0; i < 500 && HeapPressure.listening() && HeapPressure.collectionsSeen() == seen; i++) {
            Thread.sleep(10);
        }
        return seen;
    }

    /**
     * The listener counts a collection only when the live heap after it is above nine tenths of the
     * maximum, and never a young collection, which leaves the old generation as it was.
     */
    @Test
    void onlyANearlyFullCollectionCounts() throws InterruptedException {
        assertFalse(HeapPressure.nearlyFull(90, 100));
        assertTrue(HeapPressure.nearlyFull(91, 100));
        assertFalse(HeapPressure.nearlyFull(1, 0), "no maximum known: never full");
        assertTrue(HeapPressure.counts("end of major GC", 91, 100));
        assertFalse(HeapPressure.counts("end of major GC", 90, 100));
        assertTrue(HeapPressure.counts("end of GC cycle", 95, 100), "a concurrent collector's cycle counts");
        assertFalse(HeapPressure.counts("end of minor GC", 99, 100), "a young collection never counts");
        assertTrue(HeapPressure.listening(), "HotSpot's collectors send notifications");
        long count = HeapPressure.count();
        long seen = collectAndAwaitTheListener();
        assertTrue(HeapPressure.collectionsSeen() > seen, "the listener was told of the collection");
        long live = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assumeTrue(!HeapPressure.nearlyFull(live, Runtime.getRuntime().maxMemory()), "this test's heap is itself nearly full");
        assertEquals(count, HeapPressure.count(), "a collection that leaves the heap mostly free is not counted");
    }

    @Test
    void scopesOpenOneAtATimePerWorkspaceNestAcrossWorkspacesAndCloseWhereOpened() throws Exception {
        Workspace outer = new Workspace(MIB);
        Workspace inner = new Workspace(MIB);
        try (Workspace.Scope a = outer.open()) {
            assertThrows(IllegalStateException.class, outer::open);
            Tensor fromInner;
            try (Workspace.Scope b = inner.open()) {
                fromInner = Kernels.unary(Kernels.Unary.NEG, count(N));
                assertThrows(IllegalStateException.class, a::close, "the inner scope is still open");
            }
            assertThrows(IllegalStateException.class, () -> fromInner.at(0));
            Tensor fromOuter = Kernels.unary(Kernels.Unary.NEG, count(N));
            assertEquals(-1.0, fromOuter.at(0), 0);
            assertEquals(N * 8L, inner.idleBytes());
            IllegalStateException elsewhere = CompletableFuture.supplyAsync(() -> {
                try {
                    a.close();
                    return null;
                } catch (IllegalStateException e) {
                    return e;
                }
            }).get();
            assertTrue(elsewhere != null && elsewhere.getMessage().contains("must be closed there"));
        }
        assertEquals(N * 8L, outer.idleBytes());
        try (Workspace.Scope again = outer.open()) {
            again.close();
            again.close();   // twice does nothing
        }
        assertThrows(IllegalArgumentException.class, () -> new Workspace(-1));
    }

    @Test
    void theDefaultCapacityIsAThirdOfTheHeapOrWhatTheSystemPropertySays() {
        String before = System.getProperty("jgrad.workspace");
        try {
            System.clearProperty("jgrad.workspace");
            assertEquals(Runtime.getRuntime().maxMemory() / 3, new Workspace().capacityBytes());
            System.setProperty("jgrad.workspace", "off");
            assertEquals(0, Workspace.defaultCapacityBytes());
            System.setProperty("jgrad.workspace", "200m");
            assertEquals(200L << 20, Workspace.defaultCapacityBytes());
            System.setProperty("jgrad.workspace", "3G");
            assertEquals(3L << 30, Workspace.defaultCapacityBytes());
            System.setProperty("jgrad.workspace", "4096");
            assertEquals(4096, Workspace.defaultCapacityBytes());
            System.setProperty("jgrad.workspace", "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Workspace::defaultCapacityBytes);
            assertEquals("jgrad.workspace: expected off or a size such as 200m, got 'lots'", e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("jgrad.workspace");
            } else {
                System.setProperty("jgrad.workspace", before);
            }
        }
    }

    /** The Vector API kernel's panelled copy of a weight lives with the weight, so no scope may lend it. */
    @Test
    void aWeightsTransposedCopyIsNeverLent() {
        assumeTrue(Blas.VECTOR_PRODUCTS && Blas.nativeAvailable(), "native products with 512-bit vectors");
        BlasBackends.on(Blas.Backend.NATIVE, 1, () -> {
            Tensor a = Tensor.randn(Rng.seeded(5), DType.F32, 1, 8, 64);
            Tensor w = Tensor.randn(Rng.seeded(6), DType.F32, 1, 32, 64);
            Workspace ws = new Workspace(MIB);
            float[] expected;
            try (Workspace.Scope scope = ws.open()) {
                Kernels.matmul(a, w, false, true);                              // W's first use: no copy
                expected = scope.keep(Kernels.matmul(a, w, false, true)).f32();  // second: the copy is made
            }
            try (Workspace.Scope scope = ws.open()) {
                for (int i = 0; i < 8; i++) {                                    // storage of the copy's size, written
                    Kernels.unary(Kernels.Unary.EXP, Tensor.full(DType.F32, 9, 64, 32));
                }
                assertArrayEquals(expected, Kernels.matmul(a, w, false, true).f32(), "A·Wᵀ through the copy, unharmed");
            }
            assertTrue(w.transposedPanels != null, "the copy was made");
        });
    }
}
