package dev.jgrad.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-blocked float32 matrix product on 512-bit vectors for the products a recurrent step
 * makes with its batch rows ({@link SimdLoops#gemm}): {@code C += A·B}, A {@code [m, k]} with few
 * rows, B {@code [k, n]}, all row-major at offsets; and {@code C += A·Bᵀ} for a weight B stored
 * {@code [n, k]}, through a transposed copy made once per weight tensor.
 *
 * <p>C is cut into blocks of 8 rows by two vectors (32 columns). For each block, sixteen
 * accumulators stay in registers over the whole inner dimension while each step broadcasts one value
 * of each of the 8 rows of A and loads two vectors of row {@code p} of B. B is read where it is
 * stored, where a BLAS first copies ("packs") it on every call: work that a product of 32 rows does
 * not amortise.
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
 * transposed B's first use, taller A and other shapes stay with the BLAS, so a product's bits depend
 * on which of the two took it.
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
        return fitsRows(m) && n % (2 * F.length()) == 0;
    }

    /** Whether {@code m} rows are few enough and a whole number of blocks: the half of {@link #fits} a product's row blocks inherit. */
    static boolean fitsRows(int m) {
        return m <= MAX_ROWS && m % ROWS == 0;
    }

    /**
     * {@code C[co..] += A·B}, A {@code [m, k]} at {@code ao}, B {@code [k, n]} at {@code bo},
     * C {@code [m, n]} at {@code co}; false, nothing written, when the shape does not {@link #fits fit}.
     */
    static boolean sgemm(int m, int n, int k, float[] a, int ao, float[] b, int bo, float[] c, int co) {
        if (!fits(m, n)) {
            return false;
        }
        multiply(m, n, k, a, ao, b, bo, c, co);
        return true;
    }

    /** {@link #sgemm} for a shape known to fit. */
    private static void multiply(int m, int n, int k, float[] a, int ao, float[] b, int bo, float[] c, int co) {
        int lanes = F.length();
        float[] block = SCRATCH.get().block;
        for (int vb = 0; vb < n; vb += 2 * lanes) {
            for (int rb = 0; rb < m; rb += ROWS) {
                multiplyBlock(a, ao + rb * k, k, b, bo + vb, n, k, block);
                addInto(block, c, co + rb * n + vb, n);
            }
        }
    }

    /**
     * {@code C[co..] += A·Bᵀ} for a float32 matrix B {@code [n, k]} (the whole of its tensor), read
     * through its cached transpose (the field comment on {@link Tensor#transposedF32}); false, nothing
     * written, on B's first such use or when the shape does not {@link #fits fit}.
     */
    static boolean sgemmTransposed(int m, int n, int k, float[] a, int ao, Tensor b, float[] c, int co) {
        if (!fits(m, n) || b.f32() == null || b.f32().length != n * k) {
            return false;
        }
        float[] bt = b.transposedF32;
        if (bt == null) {
            if (b.transposedUses++ == 0) {
                return false;
            }
            bt = Workspace.outside(() -> Kernels.permute(b.reshape(n, k), new int[] {1, 0})).f32();   // lives with B, beyond any step
            b.transposedF32 = bt;
        }
        multiply(m, n, k, a, ao, bt, 0, c, co);
        return true;
    }

    /**
     * One block: {@code out[r·2L + v] = Σ_p A[aAt + r·lda + p]·B[bAt + p·ldb + v]} for the 8 rows r and
     * two vectors of columns v (2L values). It only writes its scratch block, and C is added to apart:
     * C2 turns the Vector API calls of a method into instructions only within a node budget, and calls
     * left over run as objects, several times slower.
     */
    private static void multiplyBlock(float[] a, int aAt, int lda, float[] b, int bAt, int ldb, int k, float[] out) {
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
            int bp = bAt + p * ldb;
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
