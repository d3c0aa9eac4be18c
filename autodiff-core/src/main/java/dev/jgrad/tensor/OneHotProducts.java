package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.List;

/**
 * Matrix products with a one-hot operand, computed by reading the other operand at the ones instead of
 * multiplying it by every zero; {@link Gemm} tries them before its kernels.
 *
 * <p>Note [One-hot products]: a tensor made by {@link Tensor#oneHot} or {@link Kernels#oneHot}, and
 * rows sliced, joined or reshaped from one keeping its last axis, knows where the one of each row is
 * ({@code Tensor.hotColumns}). With {@code X} such rows, {@code h_p} the position of the one in row p,
 * and {@code W}, {@code G} any matrices:
 * <ul>
 *   <li>{@code X·W} and {@code X·Wᵀ} (a step's characters times a weight): row i of the product is row
 *       {@code h_i} of {@code op(W)}, a gather; {@code W·Xᵀ}: column j is column {@code h_j} of W;
 *   <li>{@code Xᵀ·G} and {@code Gᵀ·X} (that weight's gradient): row p of G is added into row
 *       {@code h_p} of the product, or its column {@code h_p}, a scatter-add.
 * </ul>
 * Each has the bits of the pure-Java kernel (Note [Matmul summation order] on {@link Gemm}) on either
 * backend. A gathered element is the one value the Java sum has that is not a zero product, plus +0
 * (which turns −0 into +0). A scattered element adds its values in the Java kernel's order: each
 * {@link Gemm#KC} block's terms in groups of four (then one by one), the groups' sums into the
 * block's sum from +0, the blocks' sums into C. The zero products it leaves out change no sum that is
 * not zero, and cannot make one −0 (only −0 + −0 is −0, and every sum starts from +0). A zero times
 * an infinity or NaN is NaN, which the dense product spreads over a whole row or column: a gather
 * runs only when the operand it reads is finite; a scatter-add, which adds every value of its operand
 * somewhere, keeps its result only when that is finite, and otherwise leaves C untouched for the dense
 * kernels.
 *
 * <p>These products are not GEMMs, so {@link MatmulTrace} does not count them. The system property
 * {@code jgrad.blas.onehot=off} turns the path off.
 */
final class OneHotProducts {
    /** Whether one-hot operands are read at their ones: unless {@code jgrad.blas.onehot} is {@code off}. */
    static final boolean ENABLED = !"off".equalsIgnoreCase(System.getProperty("jgrad.blas.onehot", "on").trim());

    /** The side of the tiles {@link #transpose} copies: 16 rows of 16 values stay in the L1 cache on both sides. */
    private static final int TILE = 16;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private OneHotProducts() {
    }

    /**
     * {@link Gemm#gemm} ({@code accumulate}) or {@link Gemm#product} of a non-empty product when one
     * operand is one-hot, with the arguments of those; false, C untouched, when neither is or the
     * values are not all finite.
     */
    static boolean multiply(Tensor a, int ao, boolean ta, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k,
                            boolean accumulate) {
        if (!ENABLED) {
            return false;
        }
        int ha = firstRow(a, ao, ta ? m : k, ta ? k : m);
        if (ha >= 0) {
            a.storage();   // refuses rows whose storage a workspace took back, as reading their values would
            // Row p of op(B), at B[bo + p*ps + j*es], goes to row h_p of C.
            return ta ? scatter(a.hotColumns, ha, b.storage(), bo, tb ? 1 : n, tb ? k : 1, c, co, n, 1, m, n, k, accumulate)
                    : gatherRows(a.hotColumns, ha, b, bo, tb, c, co, m, n, k, accumulate);
        }
        int hb = firstRow(b, bo, tb ? k : n, tb ? n : k);
        if (hb >= 0) {
            b.storage();
            // Column p of op(A), at A[ao + p*ps + i*es], goes to column h_p of C.
            return tb ? gatherColumns(b.hotColumns, hb, a, ao, ta, c, co, m, n, k, accumulate)
                    : scatter(b.hotColumns, hb, a.storage(), ao, ta ? m : 1, ta ? 1 : k, c, co, 1, n, n, m, k, accumulate);
        }
        return false;
    }

    /**
     * Where in {@code t.hotColumns} the {@code rows} stored rows of length {@code len} from {@code offset}
     * begin, or −1 when {@code t} is not one-hot along rows of that length.
     */
    private static int firstRow(Tensor t, int offset, int len, int rows) {
        int[] hot = t.hotColumns;
        if (hot == null || len == 0 || t.shape.dim(t.rank() - 1) != len || offset % len != 0) {
            return -1;
        }
        int first = offset / len;
        return first + rows <= hot.length ? first : -1;
    }

    /** {@code C[i, :] = (C[i, :] or 0) + op(B)[h_i, :]}: X·W and X·Wᵀ. */
    private static boolean gatherRows(int[] hot, int h0, Tensor b, int bo, boolean tb, Tensor c, int co, int m, int n, int k,
                                      boolean accumulate) {
        Object src = b.storage();
        boolean whole = bo == 0 && (long) k * n == b.shape.size();
        KeptRows kept = whole ? b.gatherRows : null;
        if (kept == null || kept.transposed() != tb) {
            boolean keep = whole && b.gatherUses++ > 0;
            kept = rowsToGather(src, bo, tb, k, n, keep);
            if (whole && (keep || kept.rows() == null)) {   // rows in this thread's scratch are not kept
                b.gatherRows = kept;
            }
        }
        if (!kept.finite()) {
            return false;
        }
        int so = bo;
        if (tb) {
            src = kept.rows();
            so = 0;
        }
        Object dst = c.storage();
        for (int i = 0; i < m; i++) {
            put(dst, co + i * n, src, so + hot[h0 + i] * n, n, accumulate);
        }
        return true;
    }

    /**
     * What a gather from {@code op(B)} reads, {@code B} {@code [k, n]} (with {@code tb}, {@code [n, k]})
     * at {@code bo}: whether its values are all finite, and for {@code Bᵀ} its transpose in rows, so
     * that every row is read in order; in an array of its own when {@code keep}, else in this thread's
     * scratch.
     */
    private static KeptRows rowsToGather(Object src, int bo, boolean tb, int k, int n, boolean keep) {
        if (!finite(src, bo, k * n)) {
            return new KeptRows(tb, false, null);
        }
        if (!tb) {
            return new KeptRows(false, true, null);
        }
        Object rows = keep ? inRows(src, bo, k, n, src instanceof double[] ? new double[k * n] : new float[k * n])
                : SCRATCH.get().transpose(src, bo, k, n);
        return new KeptRows(true, true, rows);
    }

    /**
     * Note [Kept gather rows]: a weight that one-hot rows multiply (a step's characters times the input
     * weight) is gathered from at every time step, and its values never change once it is visible. So
     * from its second whole use, what a gather reads is kept with the tensor: whether its values are all
     * finite (else every gather goes to the dense kernels), and for {@code X·Wᵀ} the transpose of
     * {@code W} in rows. A gather then reads a row of {@code op(W)} per row of X and nothing else, and a
     * product over one time step's rows costs what its rows of a product over all steps cost.
     *
     * @param transposed whether {@code rows} is for {@code op(B) = Bᵀ}
     * @param finite     whether B's values are all finite
     * @param rows       {@code Bᵀ} stored in rows, for {@code transposed} and {@code finite}; else null
     */
    record KeptRows(boolean transposed, boolean finite, Object rows) {
    }

    /** {@code C[:, j] = (C[:, j] or 0) + op(A)[:, h_j]}: W·Xᵀ. */
    private static boolean gatherColumns(int[] hot, int h0, Tensor a, int ao, boolean ta, Tensor c, int co, int m, int n, int k,
                                         boolean accumulate) {
        Object src = a.storage();
        if (!finite(src, ao, m * k)) {
            return false;
        }
        Object dst = c.storage();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = ta ? ao + hot[h0 + j] * m + i : ao + i * k + hot[h0 + j];
                int to = co + i * n + j;
                if (dst instanceof double[] d) {
                    d[to] = (accumulate ? d[to] + 0.0 : 0.0) + ((double[]) src)[at];
                } else {
                    float[] f = (float[]) dst;
                    f[to] = (accumulate ? f[to] + 0f : 0f) + ((float[]) src)[at];
                }
            }
        }
        return true;
    }

    /**
     * Line {@code h_p} of C += the {@code k} vectors {@code v_p = X[xo + p*ps + e*es]}, {@code e < len},
     * in the Java kernel's order; line h of C is {@code C[co + h*ls + e*cs]}, one of {@code lines}.
     */
    private static boolean scatter(int[] hot, int h0, Object x, int xo, int ps, int es, Tensor c, int co, int ls, int cs,
                                   int lines, int len, int k, boolean accumulate) {
        Scratch s = SCRATCH.get();
        if (es != 1) {   // the vectors are strided: transposed once into rows
            x = s.transpose(x, xo, k, len);
            xo = 0;
            ps = len;
        }
        Object[] vectors = s.vectors(k);
        int[] at = s.ints(Scratch.AT, k);
        for (int p = 0; p < k; p++) {
            vectors[p] = x;
            at[p] = xo + p * ps;
        }
        return scatterVectors(hot, h0, vectors, at, c, co, ls, cs, lines, len, k, accumulate);
    }

    /**
     * {@link #multiply} of {@code Aᵀ·B} for A and B stacked along k from {@code as} ({@code [k_s, m]} each)
     * and {@code bs} ({@code [k_s, n]}), when every part of one of them is one-hot rows and the other's
     * are dense: the stacked product's scatter-add, reading the parts where they lie, with its bits;
     * false, C untouched, when not, or when the values are not all finite.
     */
    static boolean multiplyStacked(List<Tensor> as, List<Tensor> bs, Tensor c, int m, int n, int k, boolean accumulate) {
        if (!ENABLED) {
            return false;
        }
        boolean hotA = allHot(as, m);
        if (!hotA && !allHot(bs, n)) {
            return false;
        }
        List<Tensor> hot = hotA ? as : bs;
        List<Tensor> dense = hotA ? bs : as;
        int len = hotA ? n : m;
        Scratch s = SCRATCH.get();
        int[] h = s.ints(Scratch.HOT, k);
        Object[] vectors = s.vectors(k);
        int[] at = s.ints(Scratch.AT, k);
        int p = 0;
        for (int part = 0; part < hot.size(); part++) {
            Tensor ones = hot.get(part);
            ones.storage();   // refuses rows whose storage a workspace took back, as reading their values would
            Object x = dense.get(part).storage();
            int rows = ones.shape.dim(0);
            System.arraycopy(ones.hotColumns, 0, h, p, rows);
            for (int q = 0; q < rows; q++, p++) {
                vectors[p] = x;
                at[p] = q * len;
            }
        }
        // Row p of B goes to row h_p of C, or column p of Aᵀ to column h_p.
        return hotA ? scatterVectors(h, 0, vectors, at, c, 0, n, 1, m, n, k, accumulate)
                : scatterVectors(h, 0, vectors, at, c, 0, 1, n, n, m, k, accumulate);
    }

    /** Whether every part is one-hot along rows of {@code len}. */
    private static boolean allHot(List<Tensor> parts, int len) {
        for (Tensor t : parts) {
            if (t.hotColumns == null || t.shape.dim(1) != len || t.hotColumns.length < t.shape.dim(0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Line {@code h_p} of C += the {@code k} vectors {@code v_p}, {@code len} values from
     * {@code vectors[p][at[p]]}, in the Java kernel's order; line h of C is {@code C[co + h*ls + e*cs]},
     * one of {@code lines}. Lets go of the vectors' arrays when done.
     */
    private static boolean scatterVectors(int[] hot, int h0, Object[] vectors, int[] at, Tensor c, int co, int ls, int cs,
                                          int lines, int len, int k, boolean accumulate) {
        try {
            return addVectors(SCRATCH.get(), hot, h0, vectors, at, c, co, ls, cs, lines, len, k, accumulate);
        } finally {
            Arrays.fill(vectors, 0, k, null);
        }
    }

    private static boolean addVectors(Scratch s, int[] hot, int h0, Object[] vectors, int[] at, Tensor c, int co, int ls, int cs,
                                      int lines, int len, int k, boolean accumulate) {
        Object dst = c.storage();
        boolean f64 = dst instanceof double[];
        Object sum = s.buffer(Scratch.SUM, f64, lines * len);       // the product, line by line, until it is known to be finite
        Object block = s.buffer(Scratch.BLOCK, f64, lines * len);   // each line's sum over the current KC block
        Object group = s.buffer(Scratch.GROUP, f64, len);           // a line's terms within one group of four
        boolean[] touched = s.touched(lines);
        int[] order = s.ints(Scratch.ORDER, lines);
        if (accumulate) {
            lines(dst, co, ls, cs, sum, lines, len, true);
            for (int i = 0; i < lines * len; i++) {   // C + 0, as the first block's sum adds it: −0 becomes +0
                if (f64) ((double[]) sum)[i] += 0.0;
                else ((float[]) sum)[i] += 0f;
            }
        } else if (f64) {
            Arrays.fill((double[]) sum, 0, lines * len, 0.0);
        } else {
            Arrays.fill((float[]) sum, 0, lines * len, 0f);
        }
        for (int pc = 0; pc < k; pc += Gemm.KC) {
            int end = Math.min(k, pc + Gemm.KC);
            int used = 0;
            int p = pc;
            for (; p + 4 <= end; p += 4) {
                for (int g = 0; g < 4; g++) {
                    int h = hot[h0 + p + g];
                    if (g > 0 && (hot[h0 + p] == h || (g > 1 && hot[h0 + p + 1] == h) || (g > 2 && hot[h0 + p + 2] == h))) {
                        continue;   // folded into this line's group term with the first of its rows
                    }
                    Object term = vectors[p + g];
                    int from = at[p + g];
                    boolean grouped = false;
                    for (int r = g + 1; r < 4; r++) {
                        if (hot[h0 + p + r] == h) {
                            if (!grouped) {
                                sum(group, 0, term, from, vectors[p + r], at[p + r], len);
                                term = group;
                                from = 0;
                                grouped = true;
                            } else {
                                add(group, 0, vectors[p + r], at[p + r], len, true);
                            }
                        }
                    }
                    used = addToBlock(block, touched, order, used, h, len, term, from);
                }
            }
            for (; p < end; p++) {
                used = addToBlock(block, touched, order, used, hot[h0 + p], len, vectors[p], at[p]);
            }
            for (int u = 0; u < used; u++) {
                int h = order[u];
                add(sum, h * len, block, h * len, len, true);
                touched[h] = false;
            }
        }
        if (!finite(sum, 0, lines * len)) {
            return false;
        }
        lines(dst, co, ls, cs, sum, lines, len, false);
        return true;
    }

    /** The {@code rows × cols} matrix stored transposed ({@code cols × rows}) at {@code x[xo..]}, written in rows into {@code out}, which it returns. */
    private static Object inRows(Object x, int xo, int rows, int cols, Object out) {
        transpose(x, xo, rows, out, 0, cols, cols, rows);
        return out;
    }

    /**
     * Between C, whose line h is {@code C[co + h*ls + e*cs]} (its rows when {@code cs} is 1, else its
     * columns), and {@code lines} rows of {@code len} in {@code buf}: into buf when {@code in}, else out of it.
     */
    private static void lines(Object c, int co, int ls, int cs, Object buf, int lines, int len, boolean in) {
        if (cs == 1) {
            for (int h = 0; h < lines; h++) {
                if (in) System.arraycopy(c, co + h * ls, buf, h * len, len);
                else System.arraycopy(buf, h * len, c, co + h * ls, len);
            }
        } else if (in) {
            transpose(c, co, cs, buf, 0, len, len, lines);
        } else {
            transpose(buf, 0, len, c, co, cs, lines, len);
        }
    }

    /**
     * {@code dst[d + j*ds + i] = src[s + i*ss + j]} for {@code i < rows}, {@code j < cols}, a tile of
     * {@link #TILE} × {@link #TILE} at a time, so that neither side is read or written a line per value.
     */
    private static void transpose(Object src, int s, int ss, Object dst, int d, int ds, int rows, int cols) {
        for (int i0 = 0; i0 < rows; i0 += TILE) {
            int i1 = Math.min(rows, i0 + TILE);
            for (int j0 = 0; j0 < cols; j0 += TILE) {
                int j1 = Math.min(cols, j0 + TILE);
                if (src instanceof double[] x) {
                    double[] y = (double[]) dst;
                    for (int i = i0; i < i1; i++) {
                        for (int j = j0; j < j1; j++) y[d + j * ds + i] = x[s + i * ss + j];
                    }
                } else {
                    float[] x = (float[]) src;
                    float[] y = (float[]) dst;
                    for (int i = i0; i < i1; i++) {
                        for (int j = j0; j < j1; j++) y[d + j * ds + i] = x[s + i * ss + j];
                    }
                }
            }
        }
    }

    /** Adds a group's term into line h's block sum, which starts from +0 as the Java kernel's does; the lines used so far. */
    private static int addToBlock(Object block, boolean[] touched, int[] order, int used, int h, int len, Object term, int at) {
        boolean first = !touched[h];
        if (first) {
            touched[h] = true;
            order[used++] = h;
        }
        add(block, h * len, term, at, len, !first);
        return used;
    }

    /**
     * {@code dst[d + e] = ((dst[d + e] + 0) if accumulate, else +0) + src[s + e]} for {@code e < len}: a gathered
     * value as the Java kernel's sum has it, where C takes +0 from a block of zero products before the value.
     */
    private static void put(Object dst, int d, Object src, int s, int len, boolean accumulate) {
        SimdLoops simd = simd(len);
        if (dst instanceof double[] to) {
            double[] from = (double[]) src;
            if (simd != null) simd.put(from, s, to, d, len, accumulate);
            else for (int e = 0; e < len; e++) to[d + e] = (accumulate ? to[d + e] + 0.0 : 0.0) + from[s + e];
        } else {
            float[] to = (float[]) dst;
            float[] from = (float[]) src;
            if (simd != null) simd.put(from, s, to, d, len, accumulate);
            else for (int e = 0; e < len; e++) to[d + e] = (accumulate ? to[d + e] + 0f : 0f) + from[s + e];
        }
    }

    /** {@code dst[d + e] = (dst[d + e] if accumulate, else +0) + src[s + e]} for {@code e < len}; dst and src distinct arrays. */
    private static void add(Object dst, int d, Object src, int s, int len, boolean accumulate) {
        if (!accumulate) {
            put(dst, d, src, s, len, false);
            return;
        }
        SimdLoops simd = simd(len);
        if (dst instanceof double[] to) {
            double[] from = (double[]) src;
            if (simd != null) simd.binary(Kernels.Binary.ADD, to, d, from, s, to, d, len);
            else for (int e = 0; e < len; e++) to[d + e] += from[s + e];
        } else {
            float[] to = (float[]) dst;
            float[] from = (float[]) src;
            if (simd != null) simd.binary(Kernels.Binary.ADD, to, d, from, s, to, d, len);
            else for (int e = 0; e < len; e++) to[d + e] += from[s + e];
        }
    }

    /** {@code dst[d + e] = src[s1 + e] + src[s2 + e]} for {@code e < len}. */
    private static void sum(Object dst, int d, Object src, int s1, Object src2, int s2, int len) {
        SimdLoops simd = simd(len);
        if (dst instanceof double[] to) {
            double[] x = (double[]) src;
            double[] y = (double[]) src2;
            if (simd != null) simd.binary(Kernels.Binary.ADD, x, s1, y, s2, to, d, len);
            else for (int e = 0; e < len; e++) to[d + e] = x[s1 + e] + y[s2 + e];
        } else {
            float[] to = (float[]) dst;
            float[] x = (float[]) src;
            float[] y = (float[]) src2;
            if (simd != null) simd.binary(Kernels.Binary.ADD, x, s1, y, s2, to, d, len);
            else for (int e = 0; e < len; e++) to[d + e] = x[s1 + e] + y[s2 + e];
        }
    }

    /**
     * The Vector API loops for a line of {@code len} values, or null for the scalar loops: C2 does not
     * vectorise a loop over two arrays at two offsets, which a gather's rows and a scatter-add's lines are.
     */
    private static SimdLoops simd(int len) {
        return len >= Kernels.SIMD_MIN ? SimdLoops.LOOPS : null;
    }

    // The scalar loop: Vector API code allocates its vectors until the JIT has compiled it, and a one-hot product of
    // lines shorter than Kernels.SIMD_MIN allocates nothing once its buffers have grown.
    private static boolean finite(Object x, int from, int len) {
        return x instanceof double[] d ? Kernels.firstNonFiniteScalar(d, from, from + len) < 0
                : Kernels.firstNonFiniteScalar((float[]) x, from, from + len) < 0;
    }


    /** Per-thread buffers, grown on demand and reused, so that a product allocates nothing. */
    private static final class Scratch {
        /** The buffer of a strided operand transposed into rows. */
        static final int TRANSPOSED = 0;
        /** The buffer of a scatter-add's product, line by line. */
        static final int SUM = 1;
        /** The buffer of each line's sum over one KC block. */
        static final int BLOCK = 2;
        /** The buffer of a line's term within one group of four. */
        static final int GROUP = 3;
        /** The index buffer of a stacked one-hot factor's positions of its ones. */
        static final int HOT = 0;
        /** The index buffer of where in its array each vector a scatter-add adds starts. */
        static final int AT = 1;
        /** The index buffer of the lines a KC block touched, in the order it touched them. */
        static final int ORDER = 2;
        private final double[][] doubles = new double[4][0];
        private final float[][] floats = new float[4][0];
        private final int[][] ints = new int[3][0];
        private boolean[] touched = new boolean[0];
        /** Where each vector a scatter-add adds lies: its array, and its first index in {@link #AT}. */
        private Object[] vectors = new Object[0];

        /** The buffer for {@code use}, of at least {@code size} values of the dtype. */
        Object buffer(int use, boolean f64, int size) {
            if (f64) {
                if (doubles[use].length < size) doubles[use] = new double[size];
                return doubles[use];
            }
            if (floats[use].length < size) floats[use] = new float[size];
            return floats[use];
        }

        /** {@link #inRows} into this thread's buffer for it. */
        Object transpose(Object x, int xo, int rows, int cols) {
            return inRows(x, xo, rows, cols, buffer(TRANSPOSED, x instanceof double[], rows * cols));
        }

        /** The index buffer for {@code use}, of at least {@code size} values. */
        int[] ints(int use, int size) {
            if (ints[use].length < size) ints[use] = new int[size];
            return ints[use];
        }

        Object[] vectors(int k) {
            if (vectors.length < k) vectors = new Object[k];
            return vectors;
        }

        boolean[] touched(int lines) {
            if (touched.length < lines) touched = new boolean[lines];
            return touched;
        }
    }
}
