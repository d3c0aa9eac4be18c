package dev.jgrad.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-blocked float32 matrix product on 512-bit vectors for the products a recurrent step
 * makes with its batch rows ({@link SimdLoops#gemm}): {@code C += A·B} or {@code C += A·Bᵀ}, A
 * {@code [m, k]} with few rows at an offset, B a weight, stored {@code [k, n]} or {@code [n, k]}, C
 * {@code [m, n]} at an offset, all row-major.
 *
 * <p>C is cut into blocks of 8 rows by two vectors (32 columns). For each block, sixteen
 * accumulators stay in registers over the whole inner dimension while each step broadcasts one value
 * of each of the 8 rows of A and loads two vectors of row {@code p} of B's panel. The panels are a
 * copy of B made on its second use and kept with its tensor ({@link #panels}), where a BLAS copies
 * ("packs") B on every call: work that a product of 32 rows does not amortise, and that a weight
 * read at every time step need not repeat. A panel is read at a constant stride, so C2 checks its
 * bounds once before the loop rather than at every load.
 *
 * <p>Note [Vector product summation order]: every element is {@code C + s_k}, where {@code s_0 = 0}
 * and {@code s_{p+1} = fma(A(i,p), B(p,j), s_p)}. The bundled OpenBLAS gave the same bits at the d2l
 * shapes (the d2l side-by-side came out identical); elsewhere, and against {@link Gemm}'s own loops,
 * the last bits may differ.
 *
 * <p>It takes float32, at most {@link #MAX_ROWS} rows, a whole number of blocks and 512-bit vectors
 * (32 vector registers hold the accumulators and operands), which is where it was measured faster
 * than the bundled OpenBLAS (batches of 32 and 64 rows, docs/measurements); in float64 it gained
 * nothing in training. On several kernel threads each takes a block of the rows. A transposed A, a
 * B's first use, a B that is part of a larger tensor, taller A and other shapes stay with the BLAS,
 * so a product's bits depend on which of the two took it.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Rows of C per block. */
    static final int ROWS = 8;
    /** The most rows of A taken: a batch (32 and 64 rows were measured; taller products are left to the BLAS). */
    static final int MAX_ROWS = 64;
    /** Whether the JVM runs 512-bit vectors natively: on narrower hardware the accumulators would not fit in registers. */
    static final boolean USABLE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    /** Per-thread scratch for one block on its way into C. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorGemm() {
    }

    private static final class Scratch {
        final float[] block = new float[ROWS * 2 * F.length()];
    }

    /** Whether an {@code m × n} product divides into whole blocks and has few enough rows. */
    static boolean fits(int m, int n) {
        return m <= MAX_ROWS && m % ROWS == 0 && n % (2 * F.length()) == 0;
    }

    /**
     * {@code C[co..] += A·B}, A {@code [m, k]} at {@code ao}, C {@code [m, n]} at {@code co}, B given
     * by its {@link #panelsFor panels}, for a shape that {@link #fits}: a whole product, or a block
     * of its rows.
     */
    static void multiply(int m, int n, int k, float[] a, int ao, float[] panels, float[] c, int co) {
        int width = 2 * F.length();
        float[] block = SCRATCH.get().block;
        for (int vb = 0; vb < n; vb += width) {
            for (int rb = 0; rb < m; rb += ROWS) {
                multiplyBlock(a, ao + rb * k, k, panels, vb * k, k, block);
                addInto(block, c, co + rb * n + vb, n);
            }
        }
    }

    /**
     * The panels of B for a product {@code A·B} or, with {@code transposed}, {@code A·Bᵀ} of
     * {@code m × n} by an inner dimension {@code k}, counted as one use of B; null, when the shape
     * does not {@link #fits fit}, B is not a float32 matrix that is the whole of its tensor
     * ({@code [k, n]}, or {@code [n, k]} when transposed), or on its first such use. Called once per
     * product, before it is cut over threads, so that all its blocks run on one kernel.
     */
    static float[] panelsFor(boolean transposed, int m, int n, int k, Tensor b) {
        if (!fits(m, n) || b.f32() == null || b.f32().length != n * k) {
            return null;
        }
        float[] panels = transposed ? b.transposedPanelsF32 : b.panelsF32;
        if (panels == null) {
            if ((transposed ? b.transposedUses++ : b.panelUses++) == 0) {
                return null;
            }
            panels = panels(b.f32(), n, k, transposed);
            if (transposed) {
                b.transposedPanelsF32 = panels;
            } else {
                b.panelsF32 = panels;
            }
        }
        return panels;
    }

    /**
     * B {@code [k, n]} cut into panels of two vectors' width W: panel q holds columns
     * {@code qW..qW+W-1} row after row, {@code out[q·kW + p·W + v] = B(p, qW + v)}. B is {@code b}
     * row-major, or with {@code transposed} its transpose {@code b [n, k]}. A block then reads B at a
     * constant stride W, and C2 proves its loads in bounds before the loop instead of in it.
     */
    static float[] panels(float[] b, int n, int k, boolean transposed) {
        int width = 2 * F.length();
        float[] out = new float[n * k];   // lives with B's tensor, beyond any step's workspace
        for (int q = 0; q < n; q += width) {
            int at = q * k;
            for (int p = 0; p < k; p++) {
                for (int v = 0; v < width; v++) {
                    out[at + p * width + v] = transposed ? b[(q + v) * k + p] : b[p * n + q + v];
                }
            }
        }
        return out;
    }

    /**
     * One block: {@code out[r·2L + v] = Σ_p A[aAt + r·lda + p]·P[bAt + p·2L + v]} for the 8 rows r and
     * two vectors of columns v (2L values), P a panel of B. It only writes its scratch block, and C is added to apart:
     * C2 turns the Vector API calls of a method into instructions only within a node budget, and calls
     * left over run as objects, several times slower.
     */
    private static void multiplyBlock(float[] a, int aAt, int lda, float[] b, int bAt, int k, float[] out) {
        int l = F.length();
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bAt + p * 2 * l;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + l);
            int ap = aAt + p;
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + lda]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + 2 * lda]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + 3 * lda]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[ap + 4 * lda]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[ap + 5 * lda]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[ap + 6 * lda]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[ap + 7 * lda]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, 0 * l);
        c01.intoArray(out, 1 * l);
        c10.intoArray(out, 2 * l);
        c11.intoArray(out, 3 * l);
        c20.intoArray(out, 4 * l);
        c21.intoArray(out, 5 * l);
        c30.intoArray(out, 6 * l);
        c31.intoArray(out, 7 * l);
        c40.intoArray(out, 8 * l);
        c41.intoArray(out, 9 * l);
        c50.intoArray(out, 10 * l);
        c51.intoArray(out, 11 * l);
        c60.intoArray(out, 12 * l);
        c61.intoArray(out, 13 * l);
        c70.intoArray(out, 14 * l);
        c71.intoArray(out, 15 * l);
    }

    /** {@code C[at + r·ldc + v] += block[r·2L + v]}: a finished block added into C, row by row. */
    private static void addInto(float[] block, float[] c, int at, int ldc) {
        int l = F.length();
        for (int r = 0; r < ROWS; r++) {
            int o = at + r * ldc;
            FloatVector.fromArray(F, c, o).add(FloatVector.fromArray(F, block, 2 * r * l)).intoArray(c, o);
            FloatVector.fromArray(F, c, o + l).add(FloatVector.fromArray(F, block, (2 * r + 1) * l)).intoArray(c, o + l);
        }
    }
}
