package dev.jgrad.tensor;

/**
 * The 2-D matrix-multiply kernel behind {@link Kernels#matmul}: {@code C += op(A) · op(B)} for one
 * {@code m × k} by {@code k × n} pair of row-major matrices inside larger storage, {@code op}
 * transposing when its flag is set.
 *
 * <p>Structure: the output is cut into column blocks of {@code JB} columns and the inner dimension
 * into blocks of {@link #KC}, so the rows of B touched by one block stay in cache while every row of
 * A passes over them. The register tile is 4 rows of A × 4 consecutive {@code p}: sixteen scalars of
 * A are held in registers while one loop over {@code j} streams four rows of B and updates four rows
 * of C, a unit-stride loop the C2 JIT vectorises (plain Java, no incubator modules). A transposed A
 * is only ever read as scalars, so it is read in place; a transposed B is packed, one block at a
 * time, into a row-major buffer so the same unit-stride loop applies. Neither is materialised.
 *
 * <p>Determinism: each element of C is {@code C + Σ} over the same fixed sequence of 4-term groups
 * in increasing {@code p}, whichever row group, column block or thread computes it, so results are
 * bit-identical for any {@link Parallelism#threads()} value. Nothing is skipped for zeros, so NaN and
 * infinity propagate as IEEE arithmetic says.
 */
final class Gemm {
    /** Inner-dimension block; a multiple of 4 so every block but the last holds whole 4-term groups. */
    static final int KC = 256;
    /** Column block for float64: four rows of B and four of C (8 KiB each) fit in L1. */
    static final int JB_F64 = 256;
    /** Column block for float32, the same bytes as {@link #JB_F64}. */
    static final int JB_F32 = 512;
    /** Multiply-adds below which threads cost more than they save (a few tens of microseconds). */
    static final long PARALLEL_MIN_WORK = 1L << 17;

    private Gemm() {
    }

    /**
     * {@code C[co..] += op(A) · op(B)} where {@code op(A)} is {@code m × k} (stored {@code k × m} at
     * {@code ao} when {@code ta}), {@code op(B)} is {@code k × n} (stored {@code n × k} when
     * {@code tb}) and C is {@code m × n} at {@code co}; all three row-major and of one dtype.
     */
    static void gemm(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k) {
        if (m == 0 || n == 0 || k == 0) return;
        int threads = Parallelism.threads();
        long work = (long) m * n * k;
        int tasks = 1;
        boolean byColumns = n >= m;
        if (threads > 1 && work >= PARALLEL_MIN_WORK) {
            // Split the longer output side; blocks of whole 16-column or 4-row groups.
            int units = byColumns ? (n + 15) / 16 : (m + 3) / 4;
            tasks = Math.min(threads, units);
        }
        if (tasks <= 1) {
            block(a, ao, ta, b, bo, tb, c, co, m, n, k, 0, m, 0, n);
            return;
        }
        int groups = byColumns ? (n + 15) / 16 : (m + 3) / 4;
        int per = groups / tasks;
        int extra = groups % tasks;
        int nt = tasks;
        Parallelism.run(nt, t -> {
            int g0 = t * per + Math.min(t, extra);
            int g1 = g0 + per + (t < extra ? 1 : 0);
            if (byColumns) {
                block(a, ao, ta, b, bo, tb, c, co, m, n, k, 0, m, g0 * 16, Math.min(n, g1 * 16));
            } else {
                block(a, ao, ta, b, bo, tb, c, co, m, n, k, g0 * 4, Math.min(m, g1 * 4), 0, n);
            }
        });
    }

    /** Rows {@code [i0, i1)} × columns {@code [j0, j1)} of C, on the calling thread. */
    private static void block(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co,
                              int m, int n, int k, int i0, int i1, int j0, int j1) {
        // A(i, p) = A[ao + i*ais + p*aps]
        int ais = ta ? 1 : k;
        int aps = ta ? m : 1;
        if (a.d != null) {
            blockD(a.d, ao, ais, aps, b.d, bo, tb, c.d, co, n, k, i0, i1, j0, j1);
        } else {
            blockF(a.f, ao, ais, aps, b.f, bo, tb, c.f, co, n, k, i0, i1, j0, j1);
        }
    }

    private static void blockD(double[] A, int ao, int ais, int aps, double[] B, int bo, boolean tb, double[] C, int co,
                               int n, int k, int i0, int i1, int j0, int j1) {
        double[] pack = tb ? new double[Math.min(k, KC) * Math.min(j1 - j0, JB_F64)] : null;
        for (int jc = j0; jc < j1; jc += JB_F64) {
            int w = Math.min(JB_F64, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                double[] bv;
                int bb;
                int ldb;
                if (tb) {
                    // B is stored n × k: gather the kc × w block B[jc.., pc..]ᵀ into rows of width w.
                    for (int j = 0; j < w; j++) {
                        int src = bo + (jc + j) * k + pc;
                        for (int p = 0; p < kc; p++) pack[p * w + j] = B[src + p];
                    }
                    bv = pack;
                    bb = 0;
                    ldb = w;
                } else {
                    bv = B;
                    bb = bo + pc * n + jc;
                    ldb = n;
                }
                int i = i0;
                for (; i + 4 <= i1; i += 4) {
                    rows4D(A, ao + i * ais + pc * aps, ais, aps, bv, bb, ldb, C, co + i * n + jc, n, kc, w);
                }
                for (; i < i1; i++) {
                    row1D(A, ao + i * ais + pc * aps, aps, bv, bb, ldb, C, co + i * n + jc, kc, w);
                }
            }
        }
    }

    /** Four rows of C ({@code w} columns from {@code c}) += four rows of A × {@code kc} rows of B. */
    private static void rows4D(double[] A, int a, int ais, int aps, double[] B, int b, int ldb, double[] C, int c, int ldc,
                               int kc, int w) {
        int c0 = c;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            int a1 = a0 + ais;
            int a2 = a1 + ais;
            int a3 = a2 + ais;
            double x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            double x10 = A[a1], x11 = A[a1 + aps], x12 = A[a1 + 2 * aps], x13 = A[a1 + 3 * aps];
            double x20 = A[a2], x21 = A[a2 + aps], x22 = A[a2 + 2 * aps], x23 = A[a2 + 3 * aps];
            double x30 = A[a3], x31 = A[a3 + aps], x32 = A[a3 + 2 * aps], x33 = A[a3 + 3 * aps];
            int b0 = b + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                double y0 = B[b0 + j], y1 = B[b1 + j], y2 = B[b2 + j], y3 = B[b3 + j];
                // Same expression as row1D, so a row's result does not depend on its grouping.
                C[c0 + j] += x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3;
                C[c1 + j] += x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3;
                C[c2 + j] += x20 * y0 + x21 * y1 + x22 * y2 + x23 * y3;
                C[c3 + j] += x30 * y0 + x31 * y1 + x32 * y2 + x33 * y3;
            }
        }
        for (; p < kc; p++) {
            int a0 = a + p * aps;
            double x0 = A[a0], x1 = A[a0 + ais], x2 = A[a0 + 2 * ais], x3 = A[a0 + 3 * ais];
            int b0 = b + p * ldb;
            for (int j = 0; j < w; j++) {
                double y = B[b0 + j];
                C[c0 + j] += x0 * y;
                C[c1 + j] += x1 * y;
                C[c2 + j] += x2 * y;
                C[c3 + j] += x3 * y;
            }
        }
    }

    /** One row of C += one row of A × {@code kc} rows of B, in the same order as {@link #rows4D}. */
    private static void row1D(double[] A, int a, int aps, double[] B, int b, int ldb, double[] C, int c, int kc, int w) {
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            double x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            int b0 = b + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                C[c + j] += x00 * B[b0 + j] + x01 * B[b1 + j] + x02 * B[b2 + j] + x03 * B[b3 + j];
            }
        }
        for (; p < kc; p++) {
            double x = A[a + p * aps];
            int b0 = b + p * ldb;
            for (int j = 0; j < w; j++) C[c + j] += x * B[b0 + j];
        }
    }

    private static void blockF(float[] A, int ao, int ais, int aps, float[] B, int bo, boolean tb, float[] C, int co,
                               int n, int k, int i0, int i1, int j0, int j1) {
        float[] pack = tb ? new float[Math.min(k, KC) * Math.min(j1 - j0, JB_F32)] : null;
        for (int jc = j0; jc < j1; jc += JB_F32) {
            int w = Math.min(JB_F32, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[] bv;
                int bb;
                int ldb;
                if (tb) {
                    // B is stored n × k: gather the kc × w block B[jc.., pc..]ᵀ into rows of width w.
                    for (int j = 0; j < w; j++) {
                        int src = bo + (jc + j) * k + pc;
                        for (int p = 0; p < kc; p++) pack[p * w + j] = B[src + p];
                    }
                    bv = pack;
                    bb = 0;
                    ldb = w;
                } else {
                    bv = B;
                    bb = bo + pc * n + jc;
                    ldb = n;
                }
                int i = i0;
                for (; i + 4 <= i1; i += 4) {
                    rows4F(A, ao + i * ais + pc * aps, ais, aps, bv, bb, ldb, C, co + i * n + jc, n, kc, w);
                }
                for (; i < i1; i++) {
                    row1F(A, ao + i * ais + pc * aps, aps, bv, bb, ldb, C, co + i * n + jc, kc, w);
                }
            }
        }
    }

    /** Four rows of C ({@code w} columns from {@code c}) += four rows of A × {@code kc} rows of B. */
    private static void rows4F(float[] A, int a, int ais, int aps, float[] B, int b, int ldb, float[] C, int c, int ldc,
                               int kc, int w) {
        int c0 = c;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            int a1 = a0 + ais;
            int a2 = a1 + ais;
            int a3 = a2 + ais;
            float x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            float x10 = A[a1], x11 = A[a1 + aps], x12 = A[a1 + 2 * aps], x13 = A[a1 + 3 * aps];
            float x20 = A[a2], x21 = A[a2 + aps], x22 = A[a2 + 2 * aps], x23 = A[a2 + 3 * aps];
            float x30 = A[a3], x31 = A[a3 + aps], x32 = A[a3 + 2 * aps], x33 = A[a3 + 3 * aps];
            int b0 = b + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                float y0 = B[b0 + j], y1 = B[b1 + j], y2 = B[b2 + j], y3 = B[b3 + j];
                // Same expression as row1F, so a row's result does not depend on its grouping.
                C[c0 + j] += x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3;
                C[c1 + j] += x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3;
                C[c2 + j] += x20 * y0 + x21 * y1 + x22 * y2 + x23 * y3;
                C[c3 + j] += x30 * y0 + x31 * y1 + x32 * y2 + x33 * y3;
            }
        }
        for (; p < kc; p++) {
            int a0 = a + p * aps;
            float x0 = A[a0], x1 = A[a0 + ais], x2 = A[a0 + 2 * ais], x3 = A[a0 + 3 * ais];
            int b0 = b + p * ldb;
            for (int j = 0; j < w; j++) {
                float y = B[b0 + j];
                C[c0 + j] += x0 * y;
                C[c1 + j] += x1 * y;
                C[c2 + j] += x2 * y;
                C[c3 + j] += x3 * y;
            }
        }
    }

    /** One row of C += one row of A × {@code kc} rows of B, in the same order as {@link #rows4F}. */
    private static void row1F(float[] A, int a, int aps, float[] B, int b, int ldb, float[] C, int c, int kc, int w) {
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            float x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            int b0 = b + p * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < w; j++) {
                C[c + j] += x00 * B[b0 + j] + x01 * B[b1 + j] + x02 * B[b2 + j] + x03 * B[b3 + j];
            }
        }
        for (; p < kc; p++) {
            float x = A[a + p * aps];
            int b0 = b + p * ldb;
            for (int j = 0; j < w; j++) C[c + j] += x * B[b0 + j];
        }
    }

}
