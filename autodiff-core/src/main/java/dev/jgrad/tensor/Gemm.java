package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The 2-D matrix-multiply kernel behind {@link Kernels#matmul}: {@code C += op(A) · op(B)}
 * ({@link #gemm}) or {@code C = op(A) · op(B)} ({@link #product}) for one {@code m × k} by
 * {@code k × n} pair of row-major matrices inside larger storage, {@code op} transposing when its flag
 * is set.
 *
 * <p>Structure: the output is cut into column blocks of {@code JB} columns and the inner dimension
 * into blocks of {@link #KC}. Each {@code KC × JB} block of {@code op(B)} is packed into one array
 * per row (transposing on the way when B is stored transposed), then every pair of output rows is
 * accumulated into two row buffers: eight scalars of A stay in registers while one loop over
 * {@code j} reads four packed rows of B and updates both buffers (blocks narrower than
 * {@link #PAIR_MIN_F32} or {@link #PAIR_MIN_F64} columns go one row at a time). Every array in that loop is a
 * distinct object indexed from 0, which is what lets C2 vectorise it (it does not vectorise loops
 * that read and write one array at several offsets); plain Java, no incubator modules. A transposed
 * A is only read as scalars, so it is read in place. Neither operand is materialised transposed.
 *
 * <p>Note [Matmul summation order]: each element is {@code C + t_1 + t_2 + …}, one {@code t} per
 * {@code KC} block in increasing {@code p}, where {@code t} sums the block's products as
 * {@code ((0 + (x₀y₀ + x₁y₁ + x₂y₂ + x₃y₃)) + (next four)) + …} and then any last products one by one.
 * Every path (row pairs, single rows, the small-size path, any thread) computes exactly this, so
 * results are bit-identical for any {@link Parallelism#threads()} value and any grouping of rows or
 * columns. Nothing is skipped for zeros, so NaN and infinity propagate as IEEE arithmetic says, but for a written
 * product whose A holds only zeros and whose B is finite, which is +0 everywhere (Note [Products of zeros]).
 *
 * <p>A product with a one-hot operand is tried first by {@link OneHotProducts}, which reads the other
 * operand at the ones with these bits on either backend (Note [One-hot products]).
 */
final class Gemm {
    /** Inner-dimension block; a multiple of 4 so every block but the last holds whole 4-term groups. */
    static final int KC = 64;
    /** Column block for float64: the packed {@code KC × JB} block of B (32 KiB) is re-read from L1 by every row pair. */
    static final int JB_F64 = 64;
    /**
     * Column block for float32: wide because C2 sizes the inner loop's vectors by its profiled trip count, which is this
     * width, and a narrower block gets narrower vectors (see docs/measurements/gemm.md).
     */
    static final int JB_F32 = 512;
    /**
     * Narrowest column block the row-pair kernels take; narrower blocks (a product with few columns) go row by row, so
     * that short trip counts never enter the row-pair loop's profile, by which C2 sizes its vectors.
     */
    static final int PAIR_MIN_F32 = 128;
    /**
     * {@link #PAIR_MIN_F32} for float64. Its row-pair loop kept its speed after 28-column products warmed it, so only
     * blocks of a few columns (matrix-vector-like products, a short trip count on every call) go row by row.
     */
    static final int PAIR_MIN_F64 = 16;
    /** Multiply-adds below which packing costs more than it saves: a plain scalar loop in the same order. */
    static final long SMALL_WORK = 4096;
    /** Multiply-adds below which threads cost more than they save (a few tens of microseconds). */
    static final long PARALLEL_MIN_WORK = 1L << 17;
    /**
     * {@link #PARALLEL_MIN_WORK} for native products, which run several times faster per thread: a
     * product of fewer multiply-adds takes some ten microseconds on one thread, and handing half of it to
     * a worker, between the short elementwise ops of a small recurrent step, cost more than it saved.
     */
    static final long NATIVE_PARALLEL_MIN_WORK = 1L << 21;
    /** Rows from which OpenBLAS's share of a native product is split by rows rather than columns. */
    static final int NATIVE_ROW_SPLIT_MIN_ROWS = 256;
    /** The columns of one group when a native product is split by columns: blocks hold whole groups. */
    static final int NATIVE_COLUMN_GROUP = 64;

    /** Per-thread packing buffers, grown on demand and reused so large products allocate nothing. */
    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Gemm() {
    }

    /** Packed rows of B and the row accumulators, one set per dtype. */
    private static final class Workspace {
        double[][] rowsD = new double[0][];
        double[][] accD = new double[2][0];
        float[][] rowsF = new float[0][];
        float[][] accF = new float[2][0];

        double[][] rowsD(int rows, int width) {
            if (rowsD.length < rows || rowsD[0].length < width) {
                rowsD = new double[Math.max(rows, rowsD.length)][Math.max(width, rowsD.length == 0 ? 0 : rowsD[0].length)];
            }
            return rowsD;
        }

        double[][] accD(int width) {
            if (accD[0].length < width) accD = new double[2][width];
            return accD;
        }

        float[][] rowsF(int rows, int width) {
            if (rowsF.length < rows || rowsF[0].length < width) {
                rowsF = new float[Math.max(rows, rowsF.length)][Math.max(width, rowsF.length == 0 ? 0 : rowsF[0].length)];
            }
            return rowsF;
        }

        float[][] accF(int width) {
            if (accF[0].length < width) accF = new float[2][width];
            return accF;
        }
    }

    /** An {@code m × n} block of a native product at {@code co} in a C of row stride {@code ldc}, on the calling thread. */
    private static void nativeBlock(NativeBlas blas, Tensor a, int ao, boolean ta, int lda, Tensor b, int bo, boolean tb, int ldb,
                                    Tensor c, int co, int ldc, int m, int n, int k, boolean accumulate) {
        if (a.f64() != null) {
            blas.dgemm(ta, tb, m, n, k, a.f64(), ao, lda, b.f64(), bo, ldb, c.f64(), co, ldc, accumulate);
        } else {
            blas.sgemm(ta, tb, m, n, k, a.f32(), ao, lda, b.f32(), bo, ldb, c.f32(), co, ldc, accumulate);
        }
    }

    /**
     * {@code C[co..] += op(A) · op(B)} where {@code op(A)} is {@code m × k} (stored {@code k × m} at
     * {@code ao} when {@code ta}), {@code op(B)} is {@code k × n} (stored {@code n × k} when
     * {@code tb}) and C is {@code m × n} at {@code co}; all three row-major and of one dtype.
     */
    static void gemm(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k) {
        traced(a, ao, ta, b, bo, tb, c, co, m, n, k, true);
    }

    /**
     * {@code C[co..] = op(A) · op(B)}, the shapes as in {@link #gemm}, with the same bits as {@link #gemm}
     * into zeros; C's earlier contents are never read, so a new tensor need not be zero-filled first.
     */
    static void product(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k) {
        if (m == 0 || n == 0) {
            return;
        }
        // An empty sum, or a sum of zeros (Note [Products of zeros]).
        if (k == 0 || allZero(a, ao, m * k) && Kernels.firstNonFinite(b, bo, n * k) < 0) {
            fill(c, co, m * n);
            return;
        }
        traced(a, ao, ta, b, bo, tb, c, co, m, n, k, false);
    }

    /*
     * Note [Products of zeros]: a product whose A holds only zeros, as a recurrent step's product of a zero initial
     * state by its weight does, is +0 everywhere when B is finite: every term is ±0, and a sum that starts from +0 and
     * adds only ±0 stays +0 (+0 + −0 is +0) on every path and backend. So product() writes those zeros without the
     * multiply-adds. A B holding NaN or ±∞ makes some terms NaN, so then the product runs as usual. Only a written
     * product takes this path: adding +0 to C turns a −0 in C into +0, which skipping the addition would not. The
     * test for A stops at its first nonzero value, which for a dense A is its first; B is scanned only for a zero A.
     */

    /** Whether {@code len} values of {@code t}'s storage from {@code from} are all ±0 (a NaN is not). */
    private static boolean allZero(Tensor t, int from, int len) {
        double[] d = t.f64();
        if (d != null) {
            for (int i = from; i < from + len; i++) {
                if (d[i] != 0) return false;
            }
            return true;
        }
        float[] f = t.f32();
        for (int i = from; i < from + len; i++) {
            if (f[i] != 0) return false;
        }
        return true;
    }

    private static void traced(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k,
                               boolean accumulate) {
        if (m == 0 || n == 0 || k == 0) return;
        if (OneHotProducts.multiply(a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate)) return;
        MatmulTrace.record(m, n, k, ta, tb, a.dtype);
        timed(MatmulTrace.clock(), a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate);
    }

    /**
     * {@link #gemm} ({@code accumulate}) or {@link #product} of a non-empty K, started on a kernel
     * thread while the caller goes on (Note [Started work] on {@link Parallelism}), or run now, then
     * returning null, when none is free or the product is too small for a handover to pay
     * ({@link #NATIVE_PARALLEL_MIN_WORK}). It is traced on the calling thread; until the handle is
     * joined, C must not be read and none of A, B and C written.
     */
    static Parallelism.Started start(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k,
                                     boolean accumulate) {
        if (k == 0) {
            throw new IllegalArgumentException("Gemm.start: an empty inner dimension has nothing to start");
        }
        if (m == 0 || n == 0 || OneHotProducts.multiply(a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate)) return null;
        MatmulTrace.record(m, n, k, ta, tb, a.dtype);
        MatmulTrace.Clock clock = MatmulTrace.clock();
        return startedOrRun(true, (long) m * n * k, () -> timed(clock, a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate));
    }

    /**
     * {@code product} started on a kernel thread when {@code start} and its {@code work} pays for a handover
     * ({@link #NATIVE_PARALLEL_MIN_WORK}), else, or when no thread is free, run now (then null).
     */
    private static Parallelism.Started startedOrRun(boolean start, long work, Runnable product) {
        Parallelism.Started started = start && work >= NATIVE_PARALLEL_MIN_WORK ? Parallelism.start(product) : null;
        if (started == null) {
            product.run();
        }
        return started;
    }

    /** {@link #multiply}, its wall time added to {@code clock} unless null. */
    private static void timed(MatmulTrace.Clock clock, Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m,
                              int n, int k, boolean accumulate) {
        if (clock == null) {
            multiply(a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate);
            return;
        }
        long start = System.nanoTime();
        try {
            multiply(a, ao, ta, b, bo, tb, c, co, m, n, k, accumulate);
        } finally {
            clock.add(m, n, k, ta, tb, a.dtype, System.nanoTime() - start);
        }
    }

    /** Zeros at {@code [co, co + len)} of C's storage. */
    private static void fill(Tensor c, int co, int len) {
        if (c.f64() != null) {
            Arrays.fill(c.f64(), co, co + len, 0.0);
        } else {
            Arrays.fill(c.f32(), co, co + len, 0f);
        }
    }

    /**
     * {@link #gemm} ({@code accumulate}) or {@link #product}, untraced and untimed. The native kernels
     * write C in place of adding to it (BLAS's β = 0); the Java kernels add to C, so it is zero-filled
     * first: the same bits either way, since no kernel's sum starts from anything but +0.
     */
    private static void multiply(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k,
                                 boolean accumulate) {
        long work = (long) m * n * k;
        NativeBlas blas = work >= Blas.NATIVE_MIN_WORK ? Blas.nativeKernel() : null;
        if (blas != null) {
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            // Chosen, and B's use counted, for the whole product, so that its blocks run the kernel one thread would run on it.
            Object panels = Blas.VECTOR_PRODUCTS ? SimdLoops.LOOPS.gemmPanels(ta, tb, m, n, k, b, bo) : null;
            if (panels != null) {
                onPanels(panels, a.dtype, n, work, (j0, j1) -> SimdLoops.LOOPS.gemm(m, j0, j1, k, a, ao, ta, panels, c, co, n, accumulate));
                return;
            }
            int threads = work >= NATIVE_PARALLEL_MIN_WORK ? Parallelism.threads() : 1;
            // One block per thread (Note [Kernel threads] on Parallelism): whole 8-row groups of a product with many
            // rows, else whole column groups, since OpenBLAS runs a block of few rows slower than one of few columns.
            boolean byRows = m >= NATIVE_ROW_SPLIT_MIN_ROWS;
            int group = byRows ? VectorGemm.ROWS : NATIVE_COLUMN_GROUP;
            int groups = ((byRows ? m : n) + group - 1) / group;
            int tasks = Math.min(threads, groups);
            if (tasks <= 1) {
                nativeBlock(blas, a, ao, ta, lda, b, bo, tb, ldb, c, co, n, m, n, k, accumulate);
                return;
            }
            Parallelism.run(tasks, t -> {
                int g0 = (int) ((long) groups * t / tasks);
                int g1 = (int) ((long) groups * (t + 1) / tasks);
                if (byRows) {
                    int i0 = Math.min(m, VectorGemm.ROWS * g0);
                    int i1 = Math.min(m, VectorGemm.ROWS * g1);
                    nativeBlock(blas, a, ta ? ao + i0 : ao + i0 * k, ta, lda, b, bo, tb, ldb, c, co + i0 * n, n, i1 - i0, n, k, accumulate);
                } else {
                    int j0 = Math.min(n, NATIVE_COLUMN_GROUP * g0);
                    int j1 = Math.min(n, NATIVE_COLUMN_GROUP * g1);
                    nativeBlock(blas, a, ao, ta, lda, b, tb ? bo + j0 * k : bo + j0, tb, ldb, c, co + j0, n, m, j1 - j0, k, accumulate);
                }
            });
            return;
        }
        // A(i, p) = A[ao + i*ais + p*aps]; B(p, j) = B[bo + p*bps + j*bjs].
        int ais = ta ? 1 : k;
        int aps = ta ? m : 1;
        if (work <= SMALL_WORK) {
            int bps = tb ? 1 : n;
            int bjs = tb ? k : 1;
            if (a.f64() != null) {
                smallD(a.f64(), ao, ais, aps, b.f64(), bo, bps, bjs, c.f64(), co, m, n, k, accumulate);
            } else {
                smallF(a.f32(), ao, ais, aps, b.f32(), bo, bps, bjs, c.f32(), co, m, n, k, accumulate);
            }
            return;
        }
        if (!accumulate) {
            fill(c, co, m * n);
        }
        int threads = Parallelism.threads();
        int tasks = 1;
        // Split the rows into blocks of whole 4-row groups, and the columns (16-column groups) only when
        // there are fewer row groups than threads: each thread then runs the one-thread loop over full
        // column blocks, which scaled better than splitting columns (docs/measurements/gemm.md).
        boolean byColumns = (m + 3) / 4 < threads;
        int groups = byColumns ? (n + 15) / 16 : (m + 3) / 4;
        if (threads > 1 && work >= PARALLEL_MIN_WORK) {
            tasks = Math.min(threads, groups);
        }
        if (tasks <= 1) {
            block(a, ao, ais, aps, b, bo, tb, c, co, n, k, 0, m, 0, n);
            return;
        }
        int per = groups / tasks;
        int extra = groups % tasks;
        Parallelism.run(tasks, t -> {
            int g0 = t * per + Math.min(t, extra);
            int g1 = g0 + per + (t < extra ? 1 : 0);
            if (byColumns) {
                block(a, ao, ais, aps, b, bo, tb, c, co, n, k, 0, m, g0 * 16, Math.min(n, g1 * 16));
            } else {
                block(a, ao, ais, aps, b, bo, tb, c, co, n, k, g0 * 4, Math.min(m, g1 * 4), 0, n);
            }
        });
    }

    /** Columns {@code [j0, j1)} of a product on the Vector API kernel. */
    private interface PanelBlock {
        void run(int j0, int j1);
    }

    /**
     * A product on the Vector API kernel, in one block of whole panels of B per kernel thread (Note
     * [Kernel threads] on {@link Parallelism}): each thread reads only its share of B, each chunk of A's
     * rows staying in cache. Lets go of kept panels once every block is done (Note [Panels handed on]).
     */
    private static void onPanels(Object panels, DType dtype, int n, long work, PanelBlock block) {
        try {
            int threads = work >= NATIVE_PARALLEL_MIN_WORK ? Parallelism.threads() : 1;
            int group = VectorGemm.width(dtype);
            int groups = (n + group - 1) / group;
            int tasks = Math.min(threads, groups);
            if (tasks <= 1) {
                block.run(0, n);
                return;
            }
            Parallelism.run(tasks, t -> {
                int g0 = (int) ((long) groups * t / tasks);
                int g1 = (int) ((long) groups * (t + 1) / tasks);
                block.run(group * g0, Math.min(n, group * g1));
            });
        } finally {
            KeptPanels.release(panels);
        }
    }

    /**
     * Whether {@link #stacked} takes {@code [a₁; a₂; …]ᵀ·[b₁; b₂; …]} ({@code a_s [k_s, m]},
     * {@code b_s [k_s, n]}, {@code k = Σ k_s}) with its factors where they lie: on the native backend,
     * when the Vector API kernel takes the shape and no factor is one-hot. Otherwise the factors are
     * stacked into one tensor each for the kernel that takes the product.
     */
    static boolean takesStacked(List<Tensor> as, List<Tensor> bs, int m, int n, int k) {
        long work = (long) m * n * k;
        if (!Blas.VECTOR_PRODUCTS || work < Blas.NATIVE_MIN_WORK || Blas.nativeKernel() == null
                || !SimdLoops.LOOPS.gemmTakesStacked(m, n, k, as.get(0).dtype)) {
            return false;
        }
        for (int s = 0; s < as.size(); s++) {
            if (as.get(s).hotColumns != null || bs.get(s).hotColumns != null) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code C = Aᵀ·B} or with {@code accumulate} {@code C += Aᵀ·B}, A and B stacked along k from
     * {@code as} and {@code bs} as {@link #takesStacked} says, which must hold, the factors read where
     * they lie: the bits of the product of the stacked tensors. With {@code start}, started on another
     * kernel thread as {@link #start} does, else, or when none is free, run now (then null).
     */
    static Parallelism.Started stacked(List<Tensor> as, List<Tensor> bs, Tensor c, int m, int n, int k, boolean accumulate,
                                       boolean start) {
        Tensor[] a = as.toArray(new Tensor[0]);
        Tensor[] b = bs.toArray(new Tensor[0]);
        MatmulTrace.record(m, n, k, true, false, c.dtype);
        MatmulTrace.Clock clock = MatmulTrace.clock();
        Runnable product = () -> {
            long begun = clock == null ? 0 : System.nanoTime();
            Object panels = SimdLoops.LOOPS.gemmPanelsStacked(n, k, b);
            onPanels(panels, c.dtype, n, (long) m * n * k, (j0, j1) -> SimdLoops.LOOPS.gemmStacked(m, j0, j1, k, a, panels, c, n, accumulate));
            if (clock != null) {
                clock.add(m, n, k, true, false, c.dtype, System.nanoTime() - begun);
            }
        };
        return startedOrRun(start, (long) m * n * k, product);
    }

    /** Rows {@code [i0, i1)} × columns {@code [j0, j1)} of C, on the calling thread. */
    private static void block(Tensor a, int ao, int ais, int aps, Tensor b, int bo, boolean tb, Tensor c, int co,
                              int n, int k, int i0, int i1, int j0, int j1) {
        if (a.f64() != null) {
            blockD(a.f64(), ao, ais, aps, b.f64(), bo, tb, c.f64(), co, n, k, i0, i1, j0, j1);
        } else {
            blockF(a.f32(), ao, ais, aps, b.f32(), bo, tb, c.f32(), co, n, k, i0, i1, j0, j1);
        }
    }

    /**
     * The small-size path: scalar loops over storage in place, in the order of Note [Matmul summation order],
     * each sum starting from C's element when {@code accumulate} and from zero otherwise, so that a product
     * needs no zero-filling pass over C first and has the same bits as one into zeros.
     */
    private static void smallD(double[] A, int ao, int ais, int aps, double[] B, int bo, int bps, int bjs, double[] C, int co,
                                int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ai = ao + i * ais;
            for (int j = 0; j < n; j++) {
                int bj = bo + j * bjs;
                double c = accumulate ? C[co + i * n + j] : 0;
                for (int pc = 0; pc < k; pc += KC) {
                    int end = Math.min(k, pc + KC);
                    double t = 0;
                    int p = pc;
                    for (; p + 4 <= end; p += 4) {
                        t += A[ai + p * aps] * B[bj + p * bps] + A[ai + (p + 1) * aps] * B[bj + (p + 1) * bps]
                                + A[ai + (p + 2) * aps] * B[bj + (p + 2) * bps] + A[ai + (p + 3) * aps] * B[bj + (p + 3) * bps];
                    }
                    for (; p < end; p++) t += A[ai + p * aps] * B[bj + p * bps];
                    c += t;
                }
                C[co + i * n + j] = c;
            }
        }
    }

    private static void blockD(double[] A, int ao, int ais, int aps, double[] B, int bo, boolean tb, double[] C, int co,
                               int n, int k, int i0, int i1, int j0, int j1) {
        Workspace ws = WORKSPACE.get();
        double[][] rows = ws.rowsD(Math.min(k, KC), Math.min(j1 - j0, JB_F64));
        double[][] acc = ws.accD(Math.min(j1 - j0, JB_F64));
        for (int jc = j0; jc < j1; jc += JB_F64) {
            int w = Math.min(JB_F64, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (tb) {
                    // B is stored n × k: row p of the packed block is column pc+p of the stored block. Four stored rows
                    // at a time, so each packed row is fetched once per four values rather than once per value.
                    int j = 0;
                    for (; j + 4 <= w; j += 4) {
                        int s0 = bo + (jc + j) * k + pc;
                        int s1 = s0 + k;
                        int s2 = s1 + k;
                        int s3 = s2 + k;
                        for (int p = 0; p < kc; p++) {
                            double[] r = rows[p];
                            r[j] = B[s0 + p];
                            r[j + 1] = B[s1 + p];
                            r[j + 2] = B[s2 + p];
                            r[j + 3] = B[s3 + p];
                        }
                    }
                    for (; j < w; j++) {
                        int src = bo + (jc + j) * k + pc;
                        for (int p = 0; p < kc; p++) rows[p][j] = B[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) System.arraycopy(B, bo + (pc + p) * n + jc, rows[p], 0, w);
                }
                int i = i0;
                for (; w >= PAIR_MIN_F64 && i + 2 <= i1; i += 2) {
                    rows2D(A, ao + i * ais + pc * aps, ais, aps, rows, acc, kc, w);
                    for (int r = 0; r < 2; r++) {
                        double[] t = acc[r];
                        int c = co + (i + r) * n + jc;
                        for (int j = 0; j < w; j++) C[c + j] += t[j];
                    }
                }
                for (; i < i1; i++) {
                    double[] t = acc[0];
                    row1D(A, ao + i * ais + pc * aps, aps, rows, t, kc, w);
                    int c = co + i * n + jc;
                    for (int j = 0; j < w; j++) C[c + j] += t[j];
                }
            }
        }
    }

    /** {@code acc[0..1][0, w)} = two rows of A (from {@code a}) × the {@code kc} packed rows of B. */
    private static void rows2D(double[] A, int a, int ais, int aps, double[][] rows, double[][] acc, int kc, int w) {
        // Two rows, not four: C2 stops vectorising this loop when it touches eight arrays. Unlike rows2F, the two rows
        // share the loaded values, since C2 vectorises this float64 loop whole that way.
        double[] t0 = acc[0];
        double[] t1 = acc[1];
        Arrays.fill(t0, 0, w, 0);
        Arrays.fill(t1, 0, w, 0);
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            int a1 = a0 + ais;
            double x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            double x10 = A[a1], x11 = A[a1 + aps], x12 = A[a1 + 2 * aps], x13 = A[a1 + 3 * aps];
            double[] r0 = rows[p];
            double[] r1 = rows[p + 1];
            double[] r2 = rows[p + 2];
            double[] r3 = rows[p + 3];
            for (int j = 0; j < w; j++) {
                double y0 = r0[j], y1 = r1[j], y2 = r2[j], y3 = r3[j];
                t0[j] += x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3;
                t1[j] += x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3;
            }
        }
        for (; p < kc; p++) {
            int a0 = a + p * aps;
            double x0 = A[a0], x1 = A[a0 + ais];
            double[] r = rows[p];
            for (int j = 0; j < w; j++) {
                double y = r[j];
                t0[j] += x0 * y;
                t1[j] += x1 * y;
            }
        }
    }

    /** {@code t[0, w)} = one row of A × the {@code kc} packed rows of B, in the order of {@link #rows2D}. */
    private static void row1D(double[] A, int a, int aps, double[][] rows, double[] t, int kc, int w) {
        Arrays.fill(t, 0, w, 0);
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            double x0 = A[a0], x1 = A[a0 + aps], x2 = A[a0 + 2 * aps], x3 = A[a0 + 3 * aps];
            double[] r0 = rows[p];
            double[] r1 = rows[p + 1];
            double[] r2 = rows[p + 2];
            double[] r3 = rows[p + 3];
            for (int j = 0; j < w; j++) t[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
        }
        for (; p < kc; p++) {
            double x = A[a + p * aps];
            double[] r = rows[p];
            for (int j = 0; j < w; j++) t[j] += x * r[j];
        }
    }

    /** {@link #smallD} in float32. */
    private static void smallF(float[] A, int ao, int ais, int aps, float[] B, int bo, int bps, int bjs, float[] C, int co,
                                int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ai = ao + i * ais;
            for (int j = 0; j < n; j++) {
                int bj = bo + j * bjs;
                float c = accumulate ? C[co + i * n + j] : 0;
                for (int pc = 0; pc < k; pc += KC) {
                    int end = Math.min(k, pc + KC);
                    float t = 0;
                    int p = pc;
                    for (; p + 4 <= end; p += 4) {
                        t += A[ai + p * aps] * B[bj + p * bps] + A[ai + (p + 1) * aps] * B[bj + (p + 1) * bps]
                                + A[ai + (p + 2) * aps] * B[bj + (p + 2) * bps] + A[ai + (p + 3) * aps] * B[bj + (p + 3) * bps];
                    }
                    for (; p < end; p++) t += A[ai + p * aps] * B[bj + p * bps];
                    c += t;
                }
                C[co + i * n + j] = c;
            }
        }
    }

    private static void blockF(float[] A, int ao, int ais, int aps, float[] B, int bo, boolean tb, float[] C, int co,
                               int n, int k, int i0, int i1, int j0, int j1) {
        Workspace ws = WORKSPACE.get();
        float[][] rows = ws.rowsF(Math.min(k, KC), Math.min(j1 - j0, JB_F32));
        float[][] acc = ws.accF(Math.min(j1 - j0, JB_F32));
        for (int jc = j0; jc < j1; jc += JB_F32) {
            int w = Math.min(JB_F32, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (tb) {
                    // B is stored n × k: row p of the packed block is column pc+p of the stored block. Four stored rows
                    // at a time, so each packed row is fetched once per four values rather than once per value.
                    int j = 0;
                    for (; j + 4 <= w; j += 4) {
                        int s0 = bo + (jc + j) * k + pc;
                        int s1 = s0 + k;
                        int s2 = s1 + k;
                        int s3 = s2 + k;
                        for (int p = 0; p < kc; p++) {
                            float[] r = rows[p];
                            r[j] = B[s0 + p];
                            r[j + 1] = B[s1 + p];
                            r[j + 2] = B[s2 + p];
                            r[j + 3] = B[s3 + p];
                        }
                    }
                    for (; j < w; j++) {
                        int src = bo + (jc + j) * k + pc;
                        for (int p = 0; p < kc; p++) rows[p][j] = B[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) System.arraycopy(B, bo + (pc + p) * n + jc, rows[p], 0, w);
                }
                int i = i0;
                for (; w >= PAIR_MIN_F32 && i + 2 <= i1; i += 2) {
                    rows2F(A, ao + i * ais + pc * aps, ais, aps, rows, acc, kc, w);
                    for (int r = 0; r < 2; r++) {
                        float[] t = acc[r];
                        int c = co + (i + r) * n + jc;
                        for (int j = 0; j < w; j++) C[c + j] += t[j];
                    }
                }
                for (; i < i1; i++) {
                    float[] t = acc[0];
                    row1F(A, ao + i * ais + pc * aps, aps, rows, t, kc, w);
                    int c = co + i * n + jc;
                    for (int j = 0; j < w; j++) C[c + j] += t[j];
                }
            }
        }
    }

    /** {@code acc[0..1][0, w)} = two rows of A (from {@code a}) × the {@code kc} packed rows of B. */
    private static void rows2F(float[] A, int a, int ais, int aps, float[][] rows, float[][] acc, int kc, int w) {
        // Two rows, not four: C2 stops vectorising this loop when it touches eight arrays. Each row reads r0..r3 itself
        // rather than sharing loaded values, because with shared loads C2 cuts the float packs into narrow pieces.
        float[] t0 = acc[0];
        float[] t1 = acc[1];
        Arrays.fill(t0, 0, w, 0);
        Arrays.fill(t1, 0, w, 0);
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            int a1 = a0 + ais;
            float x00 = A[a0], x01 = A[a0 + aps], x02 = A[a0 + 2 * aps], x03 = A[a0 + 3 * aps];
            float x10 = A[a1], x11 = A[a1 + aps], x12 = A[a1 + 2 * aps], x13 = A[a1 + 3 * aps];
            float[] r0 = rows[p];
            float[] r1 = rows[p + 1];
            float[] r2 = rows[p + 2];
            float[] r3 = rows[p + 3];
            for (int j = 0; j < w; j++) {
                t0[j] += x00 * r0[j] + x01 * r1[j] + x02 * r2[j] + x03 * r3[j];
                t1[j] += x10 * r0[j] + x11 * r1[j] + x12 * r2[j] + x13 * r3[j];
            }
        }
        for (; p < kc; p++) {
            int a0 = a + p * aps;
            float x0 = A[a0], x1 = A[a0 + ais];
            float[] r = rows[p];
            for (int j = 0; j < w; j++) {
                t0[j] += x0 * r[j];
                t1[j] += x1 * r[j];
            }
        }
    }

    /** {@code t[0, w)} = one row of A × the {@code kc} packed rows of B, in the order of {@link #rows2F}. */
    private static void row1F(float[] A, int a, int aps, float[][] rows, float[] t, int kc, int w) {
        Arrays.fill(t, 0, w, 0);
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            int a0 = a + p * aps;
            float x0 = A[a0], x1 = A[a0 + aps], x2 = A[a0 + 2 * aps], x3 = A[a0 + 3 * aps];
            float[] r0 = rows[p];
            float[] r1 = rows[p + 1];
            float[] r2 = rows[p + 2];
            float[] r3 = rows[p + 3];
            for (int j = 0; j < w; j++) t[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
        }
        for (; p < kc; p++) {
            float x = A[a + p * aps];
            float[] r = rows[p];
            for (int j = 0; j < w; j++) t[j] += x * r[j];
        }
    }

}
