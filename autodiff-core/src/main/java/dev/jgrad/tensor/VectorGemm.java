package dev.jgrad.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-blocked matrix product on 512-bit vectors, float32 or float64, for the products a
 * recurrent step makes with its batch rows ({@link SimdLoops#gemm}), and for taller ones a chunk of
 * rows at a time: {@code C += op(A)·B} or {@code C += op(A)·Bᵀ}, A stored {@code [m, k]} or
 * transposed {@code [k, m]} at an offset, B stored {@code [k, n]} or {@code [n, k]}, C {@code [m, n]}
 * at an offset, all row-major.
 *
 * <p>C is cut into blocks of 8 rows by two vectors ({@link #width}: 32 float32 or 16 float64
 * columns). For each block, sixteen accumulators stay in registers over the whole inner dimension
 * while each step broadcasts one value of each of the 8 rows of A and loads two vectors of row
 * {@code p} of B's panel, two steps a turn. A is first copied a chunk of rows at a time so that a
 * block finds each step's 8 values side by side ({@link #packColumns}, {@link #packRows}). The
 * panels are a copy of B
 * ({@link #pack}) kept with its tensor from its second use on, or its first when it replaced a weight
 * that kept them ({@link #panelsFor}), where a BLAS
 * copies ("packs") B on every call: work that a product of 32 rows does not amortise, and that a
 * weight read at every time step need not repeat.
 * A panel is read in order at a constant stride, an index whose bounds C2's range-check elimination
 * can prove before the loop (it takes only constant scales; a row stride is not one).
 *
 * <p>Note [Vector product summation order]: every element is {@code C + s_k}, where {@code s_0 = 0}
 * and {@code s_{p+1} = fma(A(i,p), B(p,j), s_p)}. The bundled OpenBLAS gave the same bits at the d2l
 * shapes in float32 (the d2l side-by-side came out identical); elsewhere, and against {@link Gemm}'s
 * own loops, the last bits may differ.
 *
 * <p>It takes a whole number of blocks and 512-bit vectors (32 vector registers hold the
 * accumulators and operands). An A of more than {@link #MAX_ROWS} rows is taken in chunks of that
 * many rows, all of B's panels passing each chunk in turn, when a chunk takes at most
 * {@link #TALL_CHUNK_BYTES}. That is where it was measured faster than the bundled OpenBLAS
 * (batches of 32 and 64 rows; and the stacked weight gradients, input projections and output layers
 * of the GRU configurations, docs/measurements). On several kernel threads each takes a share of B's
 * panels and all the rows ({@link #multiply}'s column range), so each reads only its share of B.
 * A B that is part of a larger tensor and other shapes stay with the BLAS, so a product's bits
 * depend on which of the two took it.
 *
 * <p>The float64 methods repeat the float32 ones on {@code DoubleVector}: the Vector API broadcasts a
 * floating-point element only through the typed classes, and the kernel's speed rests on C2 seeing
 * every vector's concrete class.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    /** Eight floats: one step of a block's rows of a packed A. */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Rows of C per block. */
    static final int ROWS = 8;
    /** Rows of A per chunk: a batch (32 and 64 rows were measured); a taller A is taken a chunk at a time. */
    static final int MAX_ROWS = 64;
    /**
     * The most bytes of a chunk of A in an A taller than a chunk: the chunk stays in a core's L2 beside
     * the panel being read (a float64 product of 1024 rows by 1024 ran slower here than on the BLAS).
     */
    static final long TALL_CHUNK_BYTES = 256 << 10;
    /**
     * The fewest rows of an A taller than a chunk, whatever B's size: packing a B read once costs a
     * pass over it, which products of 128 rows by a B of more than {@link #MID_B_BYTES} did not win
     * back against the BLAS (at 256 to 384 rows by such a B they mostly did, in too few shapes to
     * move this bound).
     */
    static final int TALL_MIN_ROWS = 8 * MAX_ROWS;
    /** The fewest rows of an A taller than a chunk whose B takes at most {@link #MID_B_BYTES}. */
    static final int MID_MIN_ROWS = 2 * MAX_ROWS;
    /**
     * The most bytes of a B packed for an A of {@link #MID_MIN_ROWS} to {@link #TALL_MIN_ROWS} rows: its
     * panels stay in a core's L2 while the chunks of A pass them. Such products (the weight gradients
     * at hidden sizes 128 and 256) ran faster than on the BLAS; ones of 128 rows with a wider B did not.
     */
    static final long MID_B_BYTES = 1 << 20;
    /**
     * The most bytes of one row of a chunk's sums on their way to being added to C (Note [Sums added by
     * rows]): 64 rows of them take 256 KiB, what a chunk of A may take.
     */
    static final int SUM_ROW_BYTES = 4 << 10;
    /**
     * Lane indices into two 8-lane vectors (0–7 the first's lanes, 8–15 the second's) that transpose
     * an 8 × 8 tile in three rounds ({@link #transposeTile}): interleaving two rows' single values, then
     * pairs, then fours.
     */
    private static final double[][] TRANSPOSE = {
        {0, 8, 2, 10, 4, 12, 6, 14}, {1, 9, 3, 11, 5, 13, 7, 15},
        {0, 1, 8, 9, 4, 5, 12, 13}, {2, 3, 10, 11, 6, 7, 14, 15},
        {0, 1, 2, 3, 8, 9, 10, 11}, {4, 5, 6, 7, 12, 13, 14, 15},
    };
    private static final DoubleVector ONES_LOW = DoubleVector.fromArray(D, TRANSPOSE[0], 0);
    private static final DoubleVector ONES_HIGH = DoubleVector.fromArray(D, TRANSPOSE[1], 0);
    private static final DoubleVector TWOS_LOW = DoubleVector.fromArray(D, TRANSPOSE[2], 0);
    private static final DoubleVector TWOS_HIGH = DoubleVector.fromArray(D, TRANSPOSE[3], 0);
    private static final DoubleVector FOURS_LOW = DoubleVector.fromArray(D, TRANSPOSE[4], 0);
    private static final DoubleVector FOURS_HIGH = DoubleVector.fromArray(D, TRANSPOSE[5], 0);
    private static final FloatVector ONES_LOW_F = floatLanes(TRANSPOSE[0]);
    private static final FloatVector ONES_HIGH_F = floatLanes(TRANSPOSE[1]);
    private static final FloatVector TWOS_LOW_F = floatLanes(TRANSPOSE[2]);
    private static final FloatVector TWOS_HIGH_F = floatLanes(TRANSPOSE[3]);
    private static final FloatVector FOURS_LOW_F = floatLanes(TRANSPOSE[4]);
    private static final FloatVector FOURS_HIGH_F = floatLanes(TRANSPOSE[5]);
    /** Whether the JVM runs 512-bit vectors natively: on narrower hardware the accumulators would not fit in registers. */
    static final boolean USABLE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    /** Per-thread scratch: a chunk's sums on their way to being added to C, a chunk of A packed, a B packed for one product. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorGemm() {
    }

    private static FloatVector floatLanes(double[] indices) {
        float[] f = new float[indices.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) indices[i];
        }
        return FloatVector.fromArray(F8, f, 0);
    }

    private static final class Scratch {
        /** A chunk's sums on their way to being added to C; grown as needed. */
        private float[] sumsF = new float[0];
        private double[] sumsD = new double[0];

        float[] sumsF(int size) {
            return sumsF.length >= size ? sumsF : (sumsF = new float[size]);
        }

        double[] sumsD(int size) {
            return sumsD.length >= size ? sumsD : (sumsD = new double[size]);
        }
        /** A chunk of A's rows, {@linkplain #packColumns packed}; grown as needed. */
        private float[] rowsF = new float[0];
        private double[] rowsD = new double[0];

        float[] rowsF(int size) {
            return rowsF.length >= size ? rowsF : (rowsF = new float[size]);
        }

        double[] rowsD(int size) {
            return rowsD.length >= size ? rowsD : (rowsD = new double[size]);
        }
        /** A B's panels for one product, on its first use; grown as needed. */
        private float[] panelsF = new float[0];
        private double[] panelsD = new double[0];

        Object panels(DType dtype, int size) {
            if (dtype == DType.F32) {
                return panelsF.length >= size ? panelsF : (panelsF = new float[size]);
            }
            return panelsD.length >= size ? panelsD : (panelsD = new double[size]);
        }
    }

    /** Columns per block, and per panel of B: two vectors. */
    static int width(DType dtype) {
        return 2 * (dtype == DType.F32 ? F.length() : D.length());
    }

    /**
     * Whether an {@code m × n} product of inner dimension {@code k} divides into whole blocks, and has
     * at most a chunk of rows, or more in chunks of at most {@link #TALL_CHUNK_BYTES}: at least
     * {@link #TALL_MIN_ROWS}, or at least {@link #MID_MIN_ROWS} by a B of at most {@link #MID_B_BYTES}.
     */
    static boolean fits(int m, int n, int k, DType dtype) {
        if (m % ROWS != 0 || n % width(dtype) != 0) {
            return false;
        }
        if (m <= MAX_ROWS) {
            return true;
        }
        boolean tall = m >= TALL_MIN_ROWS || m >= MID_MIN_ROWS && (long) n * k * dtype.bytes() <= MID_B_BYTES;
        return tall && (long) MAX_ROWS * k * dtype.bytes() <= TALL_CHUNK_BYTES;
    }

    /**
     * Columns {@code [j0, j1)} of {@code C[co..] += A·B}, A {@code [m, k]} at {@code ao} (with {@code ta},
     * stored transposed, {@code [k, m]}), C {@code [m, ·]} at {@code co} with row stride {@code ldc}, B given by its {@link #panelsFor panels}, for a shape
     * that {@link #fits}: a whole product, or the columns of some of its panels ({@code j0} and
     * {@code j1} multiples of {@link #width}). With {@code accumulate} false, {@code C = A·B} without
     * reading C: a block's sum starts from +0, so storing it gives the bits adding it to zeros gives.
     */
    static void multiply(int m, int j0, int j1, int k, float[] a, int ao, boolean ta, float[] panels, float[] c, int co, int ldc,
                         boolean accumulate) {
        if (ta) {
            multiplyTransposed(m, j0, j1, k, new float[][] {a}, new int[] {k}, ao, panels, c, co, ldc, accumulate);
            return;
        }
        Scratch scratch = SCRATCH.get();
        for (int r0 = 0; r0 < m; r0 += MAX_ROWS) {
            int rows = Math.min(m - r0, MAX_ROWS);
            float[] x = packRows(a, ao + r0 * k, rows, k, scratch.rowsF(rows * k));
            multiplyChunk(rows, j0, j1, k, x, panels, c, co + r0 * ldc, ldc, accumulate, scratch);
        }
    }

    /**
     * {@link #multiply} for a transposed A, stored {@code [k, m]}: the rows of {@code parts} one after
     * another, {@code rows[s]} of them from {@code ao} in {@code parts[s]}, so that the factors of
     * stacked products ({@link GradientAccumulator}) are read where they lie. The chunks packed are
     * those of the one stored A, so are the bits. A method of its own: compiled as one with the
     * untransposed form, after that form's profile, its products ran slower
     * (docs/measurements/2026-12-02/packed-rows.txt).
     */
    static void multiplyTransposed(int m, int j0, int j1, int k, float[][] parts, int[] rows, int ao, float[] panels, float[] c, int co,
                                   int ldc, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        for (int r0 = 0; r0 < m; r0 += MAX_ROWS) {
            int chunk = Math.min(m - r0, MAX_ROWS);
            float[] x = packColumns(parts, rows, ao + r0, m, chunk, k, scratch.rowsF(chunk * k));
            multiplyChunk(chunk, j0, j1, k, x, panels, c, co + r0 * ldc, ldc, accumulate, scratch);
        }
    }

    /** The float64 form of {@link #multiply(int, int, int, int, float[], int, boolean, float[], float[], int, int, boolean)}. */
    static void multiply(int m, int j0, int j1, int k, double[] a, int ao, boolean ta, double[] panels, double[] c, int co, int ldc,
                         boolean accumulate) {
        if (ta) {
            multiplyTransposed(m, j0, j1, k, new double[][] {a}, new int[] {k}, ao, panels, c, co, ldc, accumulate);
            return;
        }
        Scratch scratch = SCRATCH.get();
        for (int r0 = 0; r0 < m; r0 += MAX_ROWS) {
            int rows = Math.min(m - r0, MAX_ROWS);
            double[] x = packRows(a, ao + r0 * k, rows, k, scratch.rowsD(rows * k));
            multiplyChunk(rows, j0, j1, k, x, panels, c, co + r0 * ldc, ldc, accumulate, scratch);
        }
    }

    /** The float64 form of {@link #multiplyTransposed(int, int, int, int, float[][], int[], int, float[], float[], int, int, boolean)}. */
    static void multiplyTransposed(int m, int j0, int j1, int k, double[][] parts, int[] rows, int ao, double[] panels, double[] c, int co,
                                   int ldc, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        for (int r0 = 0; r0 < m; r0 += MAX_ROWS) {
            int chunk = Math.min(m - r0, MAX_ROWS);
            double[] x = packColumns(parts, rows, ao + r0, m, chunk, k, scratch.rowsD(chunk * k));
            multiplyChunk(chunk, j0, j1, k, x, panels, c, co + r0 * ldc, ldc, accumulate, scratch);
        }
    }

    /**
     * Columns {@code [j0, j1)} of one chunk's rows of C, at {@code co}, from its rows of A {@linkplain
     * #packColumns packed} in {@code x}. A method of its own, so that C2 compiles its loop and
     * {@link #multiplyBlock} apart from the packing, within its node budget.
     */
    private static void multiplyChunk(int rows, int j0, int j1, int k, float[] x, float[] panels, float[] c, int co, int ldc,
                                      boolean accumulate, Scratch scratch) {
        int width = width(DType.F32);
        int group = accumulate ? sumColumns(DType.F32) : j1 - j0;
        for (int g0 = j0; g0 < j1; g0 += group) {
            int g1 = Math.min(j1, g0 + group);
            float[] out = accumulate ? scratch.sumsF(rows * (g1 - g0)) : c;
            int at = accumulate ? 0 : co + g0;
            int ldo = accumulate ? g1 - g0 : ldc;
            for (int vb = g0; vb < g1; vb += width) {
                for (int rb = 0; rb < rows; rb += ROWS) {
                    multiplyBlock(x, rb * k, panels, vb * k, k, out, at + rb * ldo + vb - g0, ldo);
                }
            }
            if (accumulate) {
                addRows(out, rows, g1 - g0, c, co + g0, ldc);
            }
        }
    }

    /** The float64 form of {@link #multiplyChunk(int, int, int, int, float[], float[], float[], int, int, boolean, Scratch)}. */
    private static void multiplyChunk(int rows, int j0, int j1, int k, double[] x, double[] panels, double[] c, int co, int ldc,
                                      boolean accumulate, Scratch scratch) {
        int width = width(DType.F64);
        int group = accumulate ? sumColumns(DType.F64) : j1 - j0;
        for (int g0 = j0; g0 < j1; g0 += group) {
            int g1 = Math.min(j1, g0 + group);
            double[] out = accumulate ? scratch.sumsD(rows * (g1 - g0)) : c;
            int at = accumulate ? 0 : co + g0;
            int ldo = accumulate ? g1 - g0 : ldc;
            for (int vb = g0; vb < g1; vb += width) {
                for (int rb = 0; rb < rows; rb += ROWS) {
                    multiplyBlock(x, rb * k, panels, vb * k, k, out, at + rb * ldo + vb - g0, ldo);
                }
            }
            if (accumulate) {
                addRows(out, rows, g1 - g0, c, co + g0, ldc);
            }
        }
    }

    /*
     * Note [Sums added by rows]: a product added to C ({@code accumulate}) computes the blocks of a chunk of rows, at
     * most SUM_ROW_BYTES of columns wide, into scratch storage first, then adds them to C a row at a time
     * (addRows). Each element gets C + its block's sum, the bits that adding each block as it was finished gave, but C
     * is read and written row by row in order, where adding block by block read and wrote eight short pieces of rows
     * a row stride apart at a time, which cost most when C had left the cache, as a running gradient has by its next
     * flush (GradientAccumulator).
     */

    /** Columns of a chunk's sums (Note [Sums added by rows]): a whole number of panels in at most {@link #SUM_ROW_BYTES}. */
    static int sumColumns(DType dtype) {
        int width = width(dtype);
        return Math.max(width, SUM_ROW_BYTES / dtype.bytes() / width * width);
    }

    /**
     * Rows {@code [0, rows)} of an A stored {@code [rows, k]} from {@code at}, in
     * {@link #packColumns}'s layout, {@code x[(i/8)·8k + p·8 + i%8] = A(i, p) = a[at + i·k + p]}, an
     * 8 × 8 tile at a time. Read in place, a block's 8 rows are 8 streams a row apart: a float64 row
     * of 512 values is 4 KiB, which maps all eight to the same cache sets (such products ran at full
     * speed in some JVMs and a third slower in others), and a step indexes 8 rows a stride apart,
     * which C2 cannot prove in bounds before the loop: on a core that issues two 512-bit FMAs a cycle,
     * float32 products read in place ran a fifth slower than on packed rows
     * (docs/measurements/2026-12-06-xeon/unrolled-kernel.txt).
     */
    private static float[] packRows(float[] a, int at, int rows, int k, float[] x) {
        int whole = k - k % ROWS;
        for (int i0 = 0; i0 < rows; i0 += ROWS) {
            int from = at + i0 * k;
            int to = i0 * k;
            for (int p = 0; p < whole; p += ROWS, to += ROWS * ROWS) {
                transposeTile(a, from + p, k, x, to, ROWS);
            }
            for (int r = 0; r < ROWS; r++) {
                for (int p = whole; p < k; p++) {
                    x[i0 * k + p * ROWS + r] = a[from + r * k + p];
                }
            }
        }
        return x;
    }

    /** The float64 form of {@link #packRows(float[], int, int, int, float[])}. */
    private static double[] packRows(double[] a, int at, int rows, int k, double[] x) {
        int whole = k - k % ROWS;
        for (int i0 = 0; i0 < rows; i0 += ROWS) {
            int from = at + i0 * k;
            int to = i0 * k;
            for (int p = 0; p < whole; p += ROWS, to += ROWS * ROWS) {
                transposeTile(a, from + p, k, x, to, ROWS);
            }
            for (int r = 0; r < ROWS; r++) {
                for (int p = whole; p < k; p++) {
                    x[i0 * k + p * ROWS + r] = a[from + r * k + p];
                }
            }
        }
        return x;
    }

    /**
     * An 8 × 8 tile transposed in registers: {@code dst[to + c·dstStride + r] = src[from + r·srcStride + c]}
     * for r, c in 0..7, pairs of rows interleaved by one value, then by two, then by four.
     */
    private static void transposeTile(double[] src, int from, int srcStride, double[] dst, int to, int dstStride) {
        DoubleVector r0 = DoubleVector.fromArray(D, src, from);
        DoubleVector r1 = DoubleVector.fromArray(D, src, from + srcStride);
        DoubleVector r2 = DoubleVector.fromArray(D, src, from + 2 * srcStride);
        DoubleVector r3 = DoubleVector.fromArray(D, src, from + 3 * srcStride);
        DoubleVector r4 = DoubleVector.fromArray(D, src, from + 4 * srcStride);
        DoubleVector r5 = DoubleVector.fromArray(D, src, from + 5 * srcStride);
        DoubleVector r6 = DoubleVector.fromArray(D, src, from + 6 * srcStride);
        DoubleVector r7 = DoubleVector.fromArray(D, src, from + 7 * srcStride);
        DoubleVector t0 = ONES_LOW.selectFrom(r0, r1);
        DoubleVector t1 = ONES_HIGH.selectFrom(r0, r1);
        DoubleVector t2 = ONES_LOW.selectFrom(r2, r3);
        DoubleVector t3 = ONES_HIGH.selectFrom(r2, r3);
        DoubleVector t4 = ONES_LOW.selectFrom(r4, r5);
        DoubleVector t5 = ONES_HIGH.selectFrom(r4, r5);
        DoubleVector t6 = ONES_LOW.selectFrom(r6, r7);
        DoubleVector t7 = ONES_HIGH.selectFrom(r6, r7);
        DoubleVector u0 = TWOS_LOW.selectFrom(t0, t2);
        DoubleVector u1 = TWOS_LOW.selectFrom(t1, t3);
        DoubleVector u2 = TWOS_HIGH.selectFrom(t0, t2);
        DoubleVector u3 = TWOS_HIGH.selectFrom(t1, t3);
        DoubleVector u4 = TWOS_LOW.selectFrom(t4, t6);
        DoubleVector u5 = TWOS_LOW.selectFrom(t5, t7);
        DoubleVector u6 = TWOS_HIGH.selectFrom(t4, t6);
        DoubleVector u7 = TWOS_HIGH.selectFrom(t5, t7);
        FOURS_LOW.selectFrom(u0, u4).intoArray(dst, to);
        FOURS_LOW.selectFrom(u1, u5).intoArray(dst, to + dstStride);
        FOURS_LOW.selectFrom(u2, u6).intoArray(dst, to + 2 * dstStride);
        FOURS_LOW.selectFrom(u3, u7).intoArray(dst, to + 3 * dstStride);
        FOURS_HIGH.selectFrom(u0, u4).intoArray(dst, to + 4 * dstStride);
        FOURS_HIGH.selectFrom(u1, u5).intoArray(dst, to + 5 * dstStride);
        FOURS_HIGH.selectFrom(u2, u6).intoArray(dst, to + 6 * dstStride);
        FOURS_HIGH.selectFrom(u3, u7).intoArray(dst, to + 7 * dstStride);
    }

    /** The float32 form of {@link #transposeTile(double[], int, int, double[], int, int)}, on 8-lane vectors. */
    private static void transposeTile(float[] src, int from, int srcStride, float[] dst, int to, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(F8, src, from);
        FloatVector r1 = FloatVector.fromArray(F8, src, from + srcStride);
        FloatVector r2 = FloatVector.fromArray(F8, src, from + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(F8, src, from + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(F8, src, from + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(F8, src, from + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(F8, src, from + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(F8, src, from + 7 * srcStride);
        FloatVector t0 = ONES_LOW_F.selectFrom(r0, r1);
        FloatVector t1 = ONES_HIGH_F.selectFrom(r0, r1);
        FloatVector t2 = ONES_LOW_F.selectFrom(r2, r3);
        FloatVector t3 = ONES_HIGH_F.selectFrom(r2, r3);
        FloatVector t4 = ONES_LOW_F.selectFrom(r4, r5);
        FloatVector t5 = ONES_HIGH_F.selectFrom(r4, r5);
        FloatVector t6 = ONES_LOW_F.selectFrom(r6, r7);
        FloatVector t7 = ONES_HIGH_F.selectFrom(r6, r7);
        FloatVector u0 = TWOS_LOW_F.selectFrom(t0, t2);
        FloatVector u1 = TWOS_LOW_F.selectFrom(t1, t3);
        FloatVector u2 = TWOS_HIGH_F.selectFrom(t0, t2);
        FloatVector u3 = TWOS_HIGH_F.selectFrom(t1, t3);
        FloatVector u4 = TWOS_LOW_F.selectFrom(t4, t6);
        FloatVector u5 = TWOS_LOW_F.selectFrom(t5, t7);
        FloatVector u6 = TWOS_HIGH_F.selectFrom(t4, t6);
        FloatVector u7 = TWOS_HIGH_F.selectFrom(t5, t7);
        FOURS_LOW_F.selectFrom(u0, u4).intoArray(dst, to);
        FOURS_LOW_F.selectFrom(u1, u5).intoArray(dst, to + dstStride);
        FOURS_LOW_F.selectFrom(u2, u6).intoArray(dst, to + 2 * dstStride);
        FOURS_LOW_F.selectFrom(u3, u7).intoArray(dst, to + 3 * dstStride);
        FOURS_HIGH_F.selectFrom(u0, u4).intoArray(dst, to + 4 * dstStride);
        FOURS_HIGH_F.selectFrom(u1, u5).intoArray(dst, to + 5 * dstStride);
        FOURS_HIGH_F.selectFrom(u2, u6).intoArray(dst, to + 6 * dstStride);
        FOURS_HIGH_F.selectFrom(u3, u7).intoArray(dst, to + 7 * dstStride);
    }

    /**
     * Rows {@code [0, rows)} of A from a transposed A stored {@code [k, lda]}, its rows {@code p} those
     * of {@code parts} one after another ({@code partRows[s]} of them in {@code parts[s]}), each read
     * from {@code at}; packed block by block: {@code x[(i/8)·8k + p·8 + i%8] = A(i, p)}, which is
     * {@code a[at + p·lda + i]} for one part {@code a}, so a block reads its 8 rows' values of each
     * step side by side at a constant stride. Eight values are contiguous in A too, so packing moves
     * whole vectors, where transposing would move single elements.
     */
    private static float[] packColumns(float[][] parts, int[] partRows, int at, int lda, int rows, int k, float[] x) {
        int p = 0;
        for (int s = 0; s < parts.length; s++) {
            float[] a = parts[s];
            for (int r = 0, from = at; r < partRows[s]; r++, p++, from += lda) {
                for (int i = 0; i < rows; i += ROWS) {
                    FloatVector.fromArray(F8, a, from + i).intoArray(x, i * k + p * ROWS);
                }
            }
        }
        return x;
    }

    /** The float64 form of {@link #packColumns(float[][], int[], int, int, int, int, float[])}. */
    private static double[] packColumns(double[][] parts, int[] partRows, int at, int lda, int rows, int k, double[] x) {
        int p = 0;
        for (int s = 0; s < parts.length; s++) {
            double[] a = parts[s];
            for (int r = 0, from = at; r < partRows[s]; r++, p++, from += lda) {
                for (int i = 0; i < rows; i += ROWS) {
                    DoubleVector.fromArray(D, a, from + i).intoArray(x, i * k + p * ROWS);
                }
            }
        }
        return x;
    }

    /**
     * The panels of B for a product {@code op(A)·B} or, with {@code transposed}, {@code op(A)·Bᵀ}
     * of {@code m × n} by an inner dimension {@code k}, A transposed when {@code ta}; null, when
     * the shape does not {@link #fits fit} or B is not a matrix that is the whole of its tensor
     * ({@code [k, n]}, or {@code [n, k]} when transposed). For a batch's rows by a weight (at most
     * {@link #MAX_ROWS} rows, A not transposed) they are made on B's first such use for this
     * product alone, in the calling thread's scratch, and from its second use on kept with its
     * tensor: a recurrent step reads a weight at every time step. A weight that replaced one with
     * kept panels keeps its own from its first use, in the storage handed on to it, and so does one
     * marked {@link Tensor#readAgainAndAgain}. For a transposed A (a gradient's {@code Xᵀ·G}, whose
     * B is read once) or a taller one (a product over all time steps at once) they are made for the
     * product alone every time. Either way the product runs on this kernel, so its bits do not
     * depend on what was computed before it. Called once per product, before it is cut over
     * threads; kept panels come as {@link KeptPanels}, held for the product, which lets go of them
     * when its last block is done ({@link KeptPanels#release(Object)}; Note [Panels handed on]).
     */
    static Object panelsFor(boolean ta, boolean transposed, int m, int n, int k, Tensor b) {
        int stored = b.dtype == DType.F32 ? b.f32().length : b.f64().length;
        if (!fits(m, n, k, b.dtype) || stored != n * k) {
            return null;
        }
        if (ta || m > MAX_ROWS) {
            return pack(b, transposed, n, k, SCRATCH.get().panels(b.dtype, n * k));
        }
        KeptPanels kept = transposed ? b.transposedPanels : b.panels;
        if (kept != null && kept.acquire()) {
            return kept;
        }
        // Lives with B's tensor, beyond any step's workspace: in the storage of the panels of the tensor B replaced, if it
        // handed them on, already at B's first use, since the weight it replaced was read again (Note [Panels handed on]).
        Object storage = KeptPanels.takeSpare(b, transposed, n * k);
        if (storage == null && kept == null && (transposed ? b.transposedUses++ : b.panelUses++) == 0) {
            return pack(b, transposed, n, k, SCRATCH.get().panels(b.dtype, n * k));
        }
        kept = new KeptPanels(pack(b, transposed, n, k, storage != null ? storage : b.dtype == DType.F32 ? new float[n * k] : new double[n * k]));
        if (transposed) {
            b.transposedPanels = kept;
        } else {
            b.panels = kept;
        }
        return kept;
    }

    /**
     * B {@code [k, n]} cut into panels of {@link #width} W, written into {@code out} (a float[] or
     * double[] of B's dtype, of at least {@code n·k} elements): panel q holds columns
     * {@code qW..qW+W-1} row after row, {@code out[q·kW + p·W + v] = B(p, qW + v)}. B is the tensor
     * {@code b} row-major, or with {@code transposed} its transpose. A block then reads B at a constant
     * stride W.
     */
    static Object pack(Tensor b, boolean transposed, int n, int k, Object out) {
        if (!transposed) {
            packRowsOfB(b.storage(), 0, k, n, k, out);
        } else {
            packTransposed(b.storage(), n, k, out, width(b.dtype));
        }
        return out;
    }

    /**
     * The panels of a B {@code [k, n]} stacked from {@code parts}, each {@code [k_s, n]} from the start
     * of its storage, one after another, in this thread's scratch: {@link #pack} of the stacked B,
     * without making it.
     */
    static Object panelsForStacked(int n, int k, Tensor[] parts) {
        Object out = SCRATCH.get().panels(parts[0].dtype, n * k);
        int p0 = 0;
        for (Tensor part : parts) {
            int rows = part.shape.dim(0);
            packRowsOfB(part.storage(), p0, rows, n, k, out);
            p0 += rows;
        }
        return out;
    }

    /**
     * Rows {@code [p0, p0 + rows)} of the panels of a B of {@code k} rows and {@code n} columns, from
     * {@code rows} rows of {@code n} values at the start of {@code from}. Row by row, read in order,
     * each row's panel widths moved as vectors: reading a panel down B's columns instead strides by a
     * row, which maps every read to a few cache sets.
     */
    private static void packRowsOfB(Object from, int p0, int rows, int n, int k, Object out) {
        if (from instanceof float[] f) {
            float[] o = (float[]) out;
            int l = F.length();
            int width = 2 * l;
            for (int r = 0, p = p0; r < rows; r++, p++) {
                for (int q = 0, at = r * n; q < n; q += width, at += width) {
                    FloatVector.fromArray(F, f, at).intoArray(o, q * k + p * width);
                    FloatVector.fromArray(F, f, at + l).intoArray(o, q * k + p * width + l);
                }
            }
        } else {
            double[] d = (double[]) from;
            double[] o = (double[]) out;
            int l = D.length();
            int width = 2 * l;
            for (int r = 0, p = p0; r < rows; r++, p++) {
                for (int q = 0, at = r * n; q < n; q += width, at += width) {
                    DoubleVector.fromArray(D, d, at).intoArray(o, q * k + p * width);
                    DoubleVector.fromArray(D, d, at + l).intoArray(o, q * k + p * width + l);
                }
            }
        }
    }

    /**
     * {@link #pack} of a B stored transposed, {@code b [n, k]} (a float[] or double[], as {@code out}):
     * row j of b is column j of B, lane {@code j % W} of panel {@code j / W}. Whole 8 × 8 tiles are
     * transposed in registers, where moving single values wrote each to another cache line of the
     * panel. A method of its own, so that C2 compiles {@link #pack}'s loop as before.
     */
    private static void packTransposed(Object b, int n, int k, Object out, int width) {
        int whole = k - k % ROWS;
        for (int j0 = 0; j0 < n; j0 += ROWS) {
            int to = j0 / width * width * k + j0 % width;
            for (int p = 0; p < whole; p += ROWS) {
                if (b instanceof float[] f) {
                    transposeTile(f, j0 * k + p, k, (float[]) out, to + p * width, width);
                } else {
                    transposeTile((double[]) b, j0 * k + p, k, (double[]) out, to + p * width, width);
                }
            }
        }
        for (int j = 0; j < n; j++) {
            int to = j / width * width * k + j % width;
            if (b instanceof float[] f) {
                float[] o = (float[]) out;
                for (int p = whole; p < k; p++) {
                    o[to + p * width] = f[j * k + p];
                }
            } else {
                double[] d = (double[]) b;
                double[] o = (double[]) out;
                for (int p = whole; p < k; p++) {
                    o[to + p * width] = d[j * k + p];
                }
            }
        }
    }

    /**
     * One block: {@code out[at + r·ldo + v] = Σ_p X[aAt + p·8 + r]·P[bAt + p·2L + v]} for the 8 rows r
     * and two vectors of columns v (2L values), X a block of A's rows {@linkplain #packColumns packed}
     * (the 8 values a step reads side by side, at a constant stride C2 can prove A's bounds with) and
     * P a panel of B. It stores the block, into C itself when C is written, and into a chunk's sums
     * when it is added to C, which {@link #addRows} then does apart (Note [Sums added by rows]): C2
     * turns the Vector API calls of a method into instructions only within a node budget, and calls
     * left over run as objects, several times slower. Stored into C directly, a block skips a round
     * trip through scratch storage (docs/measurements/2026-12-04-zen4/direct-stores.txt).
     */
    private static void multiplyBlock(float[] a, int aAt, float[] b, int bAt, int k, float[] out, int at, int ldo) {
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
        int p = 0;
        // Two steps a turn halve the loop's own instructions per FMA, which a core issuing two 512-bit FMAs a cycle
        // did not hide (docs/measurements/2026-12-06-xeon/unrolled-kernel.txt).
        for (; p + 1 < k; p += 2) {
            int bp = bAt + p * 2 * l;
            int ap = aAt + p * ROWS;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + l);
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[ap + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[ap + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[ap + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[ap + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
            b0 = FloatVector.fromArray(F, b, bp + 2 * l);
            b1 = FloatVector.fromArray(F, b, bp + 3 * l);
            s = FloatVector.broadcast(F, a[ap + ROWS]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + ROWS + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + ROWS + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + ROWS + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[ap + ROWS + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[ap + ROWS + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[ap + ROWS + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[ap + ROWS + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        if (p < k) {
            int bp = bAt + p * 2 * l;
            int ap = aAt + p * ROWS;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + l);
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[ap + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[ap + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[ap + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[ap + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, at + 0 * ldo);
        c01.intoArray(out, at + 0 * ldo + l);
        c10.intoArray(out, at + 1 * ldo);
        c11.intoArray(out, at + 1 * ldo + l);
        c20.intoArray(out, at + 2 * ldo);
        c21.intoArray(out, at + 2 * ldo + l);
        c30.intoArray(out, at + 3 * ldo);
        c31.intoArray(out, at + 3 * ldo + l);
        c40.intoArray(out, at + 4 * ldo);
        c41.intoArray(out, at + 4 * ldo + l);
        c50.intoArray(out, at + 5 * ldo);
        c51.intoArray(out, at + 5 * ldo + l);
        c60.intoArray(out, at + 6 * ldo);
        c61.intoArray(out, at + 6 * ldo + l);
        c70.intoArray(out, at + 7 * ldo);
        c71.intoArray(out, at + 7 * ldo + l);
    }

    /**
     * {@code C[at + r·ldc + v] += sums[r·w + v]} for {@code r < rows}, {@code v < w}: a chunk's sums added
     * to C row by row (Note [Sums added by rows]); {@code w} is a whole number of vectors.
     */
    private static void addRows(float[] sums, int rows, int w, float[] c, int at, int ldc) {
        int l = F.length();
        for (int r = 0; r < rows; r++) {
            int o = at + r * ldc;
            int s = r * w;
            for (int v = 0; v < w; v += l) {
                FloatVector.fromArray(F, c, o + v).add(FloatVector.fromArray(F, sums, s + v)).intoArray(c, o + v);
            }
        }
    }

    /** The float64 form of {@link #multiplyBlock(float[], int, float[], int, int, float[], int, int)}. */
    private static void multiplyBlock(double[] a, int aAt, double[] b, int bAt, int k, double[] out, int at, int ldo) {
        int l = D.length();
        DoubleVector c00 = DoubleVector.zero(D);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        DoubleVector c40 = c00;
        DoubleVector c41 = c00;
        DoubleVector c50 = c00;
        DoubleVector c51 = c00;
        DoubleVector c60 = c00;
        DoubleVector c61 = c00;
        DoubleVector c70 = c00;
        DoubleVector c71 = c00;
        int p = 0;
        // Two steps a turn, as in the float32 form.
        for (; p + 1 < k; p += 2) {
            int bp = bAt + p * 2 * l;
            int ap = aAt + p * ROWS;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bp + l);
            DoubleVector s = DoubleVector.broadcast(D, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
            b0 = DoubleVector.fromArray(D, b, bp + 2 * l);
            b1 = DoubleVector.fromArray(D, b, bp + 3 * l);
            s = DoubleVector.broadcast(D, a[ap + ROWS]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + ROWS + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        if (p < k) {
            int bp = bAt + p * 2 * l;
            int ap = aAt + p * ROWS;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bp + l);
            DoubleVector s = DoubleVector.broadcast(D, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + 5]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + 6]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + 7]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, at + 0 * ldo);
        c01.intoArray(out, at + 0 * ldo + l);
        c10.intoArray(out, at + 1 * ldo);
        c11.intoArray(out, at + 1 * ldo + l);
        c20.intoArray(out, at + 2 * ldo);
        c21.intoArray(out, at + 2 * ldo + l);
        c30.intoArray(out, at + 3 * ldo);
        c31.intoArray(out, at + 3 * ldo + l);
        c40.intoArray(out, at + 4 * ldo);
        c41.intoArray(out, at + 4 * ldo + l);
        c50.intoArray(out, at + 5 * ldo);
        c51.intoArray(out, at + 5 * ldo + l);
        c60.intoArray(out, at + 6 * ldo);
        c61.intoArray(out, at + 6 * ldo + l);
        c70.intoArray(out, at + 7 * ldo);
        c71.intoArray(out, at + 7 * ldo + l);
    }

    /** The float64 form of {@link #addRows(float[], int, int, float[], int, int)}. */
    private static void addRows(double[] sums, int rows, int w, double[] c, int at, int ldc) {
        int l = D.length();
        for (int r = 0; r < rows; r++) {
            int o = at + r * ldc;
            int s = r * w;
            for (int v = 0; v < w; v += l) {
                DoubleVector.fromArray(D, c, o + v).add(DoubleVector.fromArray(D, sums, s + v)).intoArray(c, o + v);
            }
        }
    }
}
