package dev.jgrad.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SimdLoops} on the Vector API, at the platform's preferred vector width. Loaded only when the
 * module is present. Each op has its own loop with constant lane operations: C2 compiles a Vector
 * API loop to vector instructions only when the operations are constants it can see.
 */
final class VectorLoops implements SimdLoops {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The float species with as many lanes as {@link #D}, whose vectors widen lane for lane into D's. */
    private static final VectorSpecies<Float> F_HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    @Override
    public String toString() {
        return D.vectorBitSize() + "-bit";
    }

    @Override
    public Object gemmPanels(boolean ta, boolean tb, int m, int n, int k, Tensor b, int bo) {
        return VectorGemm.USABLE && bo == 0 ? VectorGemm.panelsFor(ta, tb, m, n, k, b) : null;
    }

    @Override
    public void gemm(int m, int j0, int j1, int k, Tensor a, int ao, boolean ta, Object panels, Tensor c, int co, int ldc, boolean accumulate) {
        Object data = KeptPanels.data(panels);
        if (data instanceof float[] p) {
            VectorGemm.multiply(m, j0, j1, k, a.f32(), ao, ta, p, c.f32(), co, ldc, accumulate);
        } else {
            VectorGemm.multiply(m, j0, j1, k, a.f64(), ao, ta, (double[]) data, c.f64(), co, ldc, accumulate);
        }
    }

    @Override
    public boolean gemmUsable() {
        return VectorGemm.USABLE;
    }

    @Override
    public boolean gemmTakesStacked(int m, int n, int k, DType dtype) {
        return VectorGemm.USABLE && VectorGemm.fits(m, n, k, dtype);
    }

    @Override
    public Object gemmPanelsStacked(int n, int k, Tensor[] bParts) {
        return VectorGemm.panelsForStacked(n, k, bParts);
    }

    @Override
    public void gemmStacked(int m, int j0, int j1, int k, Tensor[] aParts, Object panels, Tensor c, int ldc, boolean accumulate) {
        int[] rows = new int[aParts.length];
        for (int s = 0; s < rows.length; s++) {
            rows[s] = aParts[s].shape.dim(0);
        }
        if (panels instanceof float[] p) {
            float[][] a = new float[aParts.length][];
            for (int s = 0; s < a.length; s++) {
                a[s] = aParts[s].f32();
            }
            VectorGemm.multiplyTransposed(m, j0, j1, k, a, rows, 0, p, c.f32(), 0, ldc, accumulate);
        } else {
            double[][] a = new double[aParts.length][];
            for (int s = 0; s < a.length; s++) {
                a[s] = aParts[s].f64();
            }
            VectorGemm.multiplyTransposed(m, j0, j1, k, a, rows, 0, (double[]) panels, c.f64(), 0, ldc, accumulate);
        }
    }

    @Override
    public boolean unary(Kernels.Unary op, double[] x, double[] o, int lo, int hi) {
        switch (op) {
            case EXP -> exp(x, o, lo, hi);
            case TANH -> tanh(x, o, lo, hi);
            case SIGMOID -> sigmoid(x, o, lo, hi);
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean unary(Kernels.Unary op, float[] x, float[] o, int lo, int hi) {
        switch (op) {
            case EXP -> exp(x, o, lo, hi);
            case TANH -> tanh(x, o, lo, hi);
            case SIGMOID -> sigmoid(x, o, lo, hi);
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    public void binary(Kernels.Binary op, double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        switch (op) {
            case ADD -> add(x, xo, y, yo, o, oo, n);
            case SUB -> sub(x, xo, y, yo, o, oo, n);
            case MUL -> mul(x, xo, y, yo, o, oo, n);
            case DIV -> div(x, xo, y, yo, o, oo, n);
            case TANH_GRAD -> tanhGrad(x, xo, y, yo, o, oo, n);
            case SIGMOID_GRAD -> sigmoidGrad(x, xo, y, yo, o, oo, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    @Override
    public void binary(Kernels.Binary op, float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        switch (op) {
            case ADD -> add(x, xo, y, yo, o, oo, n);
            case SUB -> sub(x, xo, y, yo, o, oo, n);
            case MUL -> mul(x, xo, y, yo, o, oo, n);
            case DIV -> div(x, xo, y, yo, o, oo, n);
            case TANH_GRAD -> tanhGrad(x, xo, y, yo, o, oo, n);
            case SIGMOID_GRAD -> sigmoidGrad(x, xo, y, yo, o, oo, n);
            default -> throw new IllegalArgumentException("no vector loop for " + op);
        }
    }

    @Override
    public void put(double[] x, int xo, double[] o, int oo, int n, boolean accumulate) {
        if (accumulate) {
            putAdded(x, xo, o, oo, n);
        } else {
            putFresh(x, xo, o, oo, n);
        }
    }

    @Override
    public void put(float[] x, int xo, float[] o, int oo, int n, boolean accumulate) {
        if (accumulate) {
            putAdded(x, xo, o, oo, n);
        } else {
            putFresh(x, xo, o, oo, n);
        }
    }

    @Override
    public int sumRowsInto(float[] x, int n, int m, double[] acc) {
        int upper = D.loopBound(m);
        int at = 0;
        for (; at + 4 * m <= n; at += 4 * m) {
            int a1 = at + m;
            int a2 = a1 + m;
            int a3 = a2 + m;
            for (int j = 0; j < upper; j += D.length()) {
                DoubleVector t = DoubleVector.fromArray(D, acc, j);
                t = t.add(widen(x, at + j));
                t = t.add(widen(x, a1 + j));
                t = t.add(widen(x, a2 + j));
                t = t.add(widen(x, a3 + j));
                t.intoArray(acc, j);
            }
        }
        for (; at < n; at += m) {
            for (int j = 0; j < upper; j += D.length()) DoubleVector.fromArray(D, acc, j).add(widen(x, at + j)).intoArray(acc, j);
        }
        return upper;
    }

    @Override
    public int sumRowsInto(double[] x, int n, int m, double[] acc) {
        int step = D.length();
        int upper = D.loopBound(m);
        int j = 0;
        // Four vectors of columns held in registers down all the rows, then one vector at a time.
        for (; j + 4 * step <= upper; j += 4 * step) {
            DoubleVector t0 = DoubleVector.fromArray(D, acc, j);
            DoubleVector t1 = DoubleVector.fromArray(D, acc, j + step);
            DoubleVector t2 = DoubleVector.fromArray(D, acc, j + 2 * step);
            DoubleVector t3 = DoubleVector.fromArray(D, acc, j + 3 * step);
            for (int at = j; at < n; at += m) {
                t0 = t0.add(DoubleVector.fromArray(D, x, at));
                t1 = t1.add(DoubleVector.fromArray(D, x, at + step));
                t2 = t2.add(DoubleVector.fromArray(D, x, at + 2 * step));
                t3 = t3.add(DoubleVector.fromArray(D, x, at + 3 * step));
            }
            t0.intoArray(acc, j);
            t1.intoArray(acc, j + step);
            t2.intoArray(acc, j + 2 * step);
            t3.intoArray(acc, j + 3 * step);
        }
        for (; j < upper; j += step) {
            DoubleVector t = DoubleVector.fromArray(D, acc, j);
            for (int at = j; at < n; at += m) t = t.add(DoubleVector.fromArray(D, x, at));
            t.intoArray(acc, j);
        }
        return upper;
    }

    /** Elements {@link #firstNonFinite} scans between its tests, so that it stops soon after a NaN or ±∞. */
    private static final int FINITE_BLOCK = 4096;
    private static final LongVector D_EXPONENT = LongVector.broadcast(LongVector.SPECIES_PREFERRED, 0x7ff0000000000000L);
    private static final IntVector F_EXPONENT = IntVector.broadcast(IntVector.SPECIES_PREFERRED, 0x7f800000);

    // A value is NaN or ±∞ exactly when its exponent bits are all ones. Masked to its exponent, every value is at most
    // that mask, so a block holds one exactly when the lanes' maximum of the masked bits equals it: integer operations,
    // and no branch per vector. The first block that holds one is scanned again one element at a time for its index.

    @Override
    public int firstNonFinite(double[] x, int from, int to) {
        int step = D.length();
        int i = from;
        while (i + 2 * step <= to) {
            int start = i;
            int end = Math.min(to, i + FINITE_BLOCK);
            LongVector m0 = LongVector.zero(LongVector.SPECIES_PREFERRED);
            LongVector m1 = m0;
            for (; i + 2 * step <= end; i += 2 * step) {
                m0 = m0.max(DoubleVector.fromArray(D, x, i).reinterpretAsLongs().and(D_EXPONENT));
                m1 = m1.max(DoubleVector.fromArray(D, x, i + step).reinterpretAsLongs().and(D_EXPONENT));
            }
            if (m0.max(m1).compare(VectorOperators.EQ, D_EXPONENT).anyTrue()) {
                return Kernels.firstNonFiniteScalar(x, start, i);
            }
        }
        return Kernels.firstNonFiniteScalar(x, i, to);
    }

    @Override
    public int firstNonFinite(float[] x, int from, int to) {
        int step = F.length();
        int i = from;
        while (i + 2 * step <= to) {
            int start = i;
            int end = Math.min(to, i + FINITE_BLOCK);
            IntVector m0 = IntVector.zero(IntVector.SPECIES_PREFERRED);
            IntVector m1 = m0;
            for (; i + 2 * step <= end; i += 2 * step) {
                m0 = m0.max(FloatVector.fromArray(F, x, i).reinterpretAsInts().and(F_EXPONENT));
                m1 = m1.max(FloatVector.fromArray(F, x, i + step).reinterpretAsInts().and(F_EXPONENT));
            }
            if (m0.max(m1).compare(VectorOperators.EQ, F_EXPONENT).anyTrue()) {
                return Kernels.firstNonFiniteScalar(x, start, i);
            }
        }
        return Kernels.firstNonFiniteScalar(x, i, to);
    }

    private static DoubleVector widen(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(F_HALF, x, at).convertShape(VectorOperators.F2D, D, 0);
    }

    // One method per op and dtype: C2 compiles each loop on its own profile. In one method with a switch, a case
    // not yet run when C2 compiled it kept its lane helpers out of line, and every vector they passed was boxed.

    private static void add(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) DoubleVector.fromArray(D, x, xo + i).add(DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] + y[yo + i];
    }

    private static void sub(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) DoubleVector.fromArray(D, x, xo + i).sub(DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] - y[yo + i];
    }

    private static void mul(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) DoubleVector.fromArray(D, x, xo + i).mul(DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] * y[yo + i];
    }

    private static void div(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) DoubleVector.fromArray(D, x, xo + i).div(DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] / y[yo + i];
    }

    private static void tanhGrad(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) tanhGrad(DoubleVector.fromArray(D, x, xo + i), DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Kernels.tanhGrad(x[xo + i], y[yo + i]);
    }

    private static void sigmoidGrad(double[] x, int xo, double[] y, int yo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) sigmoidGrad(DoubleVector.fromArray(D, x, xo + i), DoubleVector.fromArray(D, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Kernels.sigmoidGrad(x[xo + i], y[yo + i]);
    }

    private static void putAdded(double[] x, int xo, double[] o, int oo, int n) {
        int i = 0;
        for (int upper = D.loopBound(n); i < upper; i += D.length()) DoubleVector.fromArray(D, o, oo + i).add(0.0).add(DoubleVector.fromArray(D, x, xo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = (o[oo + i] + 0.0) + x[xo + i];
    }

    private static void putFresh(double[] x, int xo, double[] o, int oo, int n) {
        int i = 0;
        DoubleVector zero = DoubleVector.zero(D);
        for (int upper = D.loopBound(n); i < upper; i += D.length()) zero.add(DoubleVector.fromArray(D, x, xo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = 0.0 + x[xo + i];
    }

    private static void add(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) FloatVector.fromArray(F, x, xo + i).add(FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] + y[yo + i];
    }

    private static void putAdded(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) FloatVector.fromArray(F, o, oo + i).add(0f).add(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = (o[oo + i] + 0f) + x[xo + i];
    }

    private static void putFresh(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        FloatVector zero = FloatVector.zero(F);
        for (int upper = F.loopBound(n); i < upper; i += F.length()) zero.add(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = 0f + x[xo + i];
    }

    private static void sub(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) FloatVector.fromArray(F, x, xo + i).sub(FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] - y[yo + i];
    }

    private static void mul(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) FloatVector.fromArray(F, x, xo + i).mul(FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] * y[yo + i];
    }

    private static void div(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) FloatVector.fromArray(F, x, xo + i).div(FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = x[xo + i] / y[yo + i];
    }

    private static void tanhGrad(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) tanhGrad(FloatVector.fromArray(F, x, xo + i), FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Kernels.tanhGrad(x[xo + i], y[yo + i]);
    }

    private static void sigmoidGrad(float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) sigmoidGrad(FloatVector.fromArray(F, x, xo + i), FloatVector.fromArray(F, y, yo + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Kernels.sigmoidGrad(x[xo + i], y[yo + i]);
    }

    // Kernels.tanhGrad and Kernels.sigmoidGrad, operation for operation, so each lane gets the scalar function's bits.

    private static DoubleVector tanhGrad(DoubleVector y, DoubleVector g) {
        return g.mul(DoubleVector.broadcast(D, 1.0).sub(y.mul(y)));
    }

    private static DoubleVector sigmoidGrad(DoubleVector y, DoubleVector g) {
        return g.mul(y.mul(DoubleVector.broadcast(D, 1.0).sub(y)));
    }

    private static FloatVector tanhGrad(FloatVector y, FloatVector g) {
        return g.mul(FloatVector.broadcast(F, 1f).sub(y.mul(y)));
    }

    private static FloatVector sigmoidGrad(FloatVector y, FloatVector g) {
        return g.mul(y.mul(FloatVector.broadcast(F, 1f).sub(y)));
    }

    // Each loop covers [lo, hi) with full vectors and the tail with the scalar function. The lane functions repeat
    // Transcendentals operation for operation (Note [Reproducible transcendentals]), so every element gets the bits the
    // scalar function gives. A masked vector for the tail would inline a second copy of the lane function into the loop
    // and spend C2's inlining budget twice (Note [Inlining budget]).

    private static void exp(double[] x, double[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + D.loopBound(hi - lo); i < upper; i += D.length()) {
            exp(DoubleVector.fromArray(D, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.exp(x[i]);
        }
    }

    private static void tanh(double[] x, double[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + D.loopBound(hi - lo); i < upper; i += D.length()) {
            tanh(DoubleVector.fromArray(D, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.tanh(x[i]);
        }
    }

    private static void sigmoid(double[] x, double[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + D.loopBound(hi - lo); i < upper; i += D.length()) {
            sigmoid(DoubleVector.fromArray(D, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.sigmoid(x[i]);
        }
    }

    private static void exp(float[] x, float[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + F.loopBound(hi - lo); i < upper; i += F.length()) {
            exp(FloatVector.fromArray(F, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.exp(x[i]);
        }
    }

    private static void tanh(float[] x, float[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + F.loopBound(hi - lo); i < upper; i += F.length()) {
            tanh(FloatVector.fromArray(F, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.tanh(x[i]);
        }
    }

    private static void sigmoid(float[] x, float[] o, int lo, int hi) {
        int i = lo;
        for (int upper = lo + F.loopBound(hi - lo); i < upper; i += F.length()) {
            sigmoid(FloatVector.fromArray(F, x, i)).intoArray(o, i);
        }
        for (; i < hi; i++) {
            o[i] = Transcendentals.sigmoid(x[i]);
        }
    }

    // ------------------------------------------------------------------ lane functions (see Transcendentals)

    // Straight-line Horner: a vector carried around a loop is boxed on every iteration, which C2 cannot undo.
    private static final double[] C = Transcendentals.C;
    private static final float[] C_F = Transcendentals.C_F;
    /*
     * Note [Inlining budget]: C2 inlines a loop's whole lane function into one method only while the
     * method's IR stays under a fixed node count (NodeCountInliningCutoff, not settable in product
     * JVMs); every Vector API call brings its chain of forced-inline templates with it. A helper left
     * out past the budget is called with its vectors boxed: float64 σ's loop, left calling pow2,
     * allocated 142 instead of 46 MiB a large step of the PyTorch-variant GRU and collected 8-10% of
     * the time, in some JVMs and not others, by the profile at compile time
     * (docs/measurements/2026-12-01/inlining-budget.txt).
     * With its constants broadcast once into static final vectors (C2 takes a static final field as a
     * constant) rather than inside the lane function, it stayed under the budget in every JVM measured.
     */
    private static final DoubleVector V_C_2 = DoubleVector.broadcast(D, C[2]);
    private static final DoubleVector V_C_3 = DoubleVector.broadcast(D, C[3]);
    private static final DoubleVector V_C_4 = DoubleVector.broadcast(D, C[4]);
    private static final DoubleVector V_C_5 = DoubleVector.broadcast(D, C[5]);
    private static final DoubleVector V_C_6 = DoubleVector.broadcast(D, C[6]);
    private static final DoubleVector V_C_7 = DoubleVector.broadcast(D, C[7]);
    private static final DoubleVector V_C_8 = DoubleVector.broadcast(D, C[8]);
    private static final DoubleVector V_C_9 = DoubleVector.broadcast(D, C[9]);
    private static final DoubleVector V_C_10 = DoubleVector.broadcast(D, C[10]);
    private static final DoubleVector V_C_11 = DoubleVector.broadcast(D, C[11]);
    private static final DoubleVector V_LN2_LO = DoubleVector.broadcast(D, Transcendentals.LN2_LO);
    private static final DoubleVector V_LN2_HI = DoubleVector.broadcast(D, Transcendentals.LN2_HI);
    private static final DoubleVector V_1_0 = DoubleVector.broadcast(D, 1.0);
    private static final FloatVector VF_C_F_2 = FloatVector.broadcast(F, C_F[2]);
    private static final FloatVector VF_C_F_3 = FloatVector.broadcast(F, C_F[3]);
    private static final FloatVector VF_C_F_4 = FloatVector.broadcast(F, C_F[4]);
    private static final FloatVector VF_C_F_5 = FloatVector.broadcast(F, C_F[5]);
    private static final FloatVector VF_LN2_LO_F = FloatVector.broadcast(F, Transcendentals.LN2_LO_F);
    private static final FloatVector VF_LN2_HI_F = FloatVector.broadcast(F, Transcendentals.LN2_HI_F);
    private static final FloatVector VF_1F = FloatVector.broadcast(F, 1f);

    private static DoubleVector expm1Reduced(DoubleVector r) {
        DoubleVector p = r.fma(C[0], C[1]);
        p = p.fma(r, V_C_2);
        p = p.fma(r, V_C_3);
        p = p.fma(r, V_C_4);
        p = p.fma(r, V_C_5);
        p = p.fma(r, V_C_6);
        p = p.fma(r, V_C_7);
        p = p.fma(r, V_C_8);
        p = p.fma(r, V_C_9);
        p = p.fma(r, V_C_10);
        p = p.fma(r, V_C_11);
        return r.mul(r).fma(p, r);
    }

    /*
     * Note [Clamps by comparison]: Math.min and Math.max order −0 below +0 and return NaN for NaN, and C2 compiles the
     * Vector API's MIN and MAX to several instructions a vector to do both. Against a bound that is neither zero nor
     * NaN, a compare and a blend give the same lanes (a NaN compares false and stays), so exp, tanh and σ keep their
     * bits with fewer instructions.
     */
    private static DoubleVector clamp(DoubleVector x, double lo, double hi) {
        return atMost(x.blend(lo, x.lt(lo)), hi);
    }

    private static DoubleVector atMost(DoubleVector x, double hi) {
        return x.blend(hi, x.compare(VectorOperators.GT, hi));
    }

    private static FloatVector clamp(FloatVector x, float lo, float hi) {
        return atMost(x.blend(lo, x.lt(lo)), hi);
    }

    private static FloatVector atMost(FloatVector x, float hi) {
        return x.blend(hi, x.compare(VectorOperators.GT, hi));
    }

    /** {@code 2^k} from the exponent bits, for lanes {@code −1022 ≤ k ≤ 1023}. */
    private static DoubleVector pow2(LongVector k) {
        return k.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
    }

    private static DoubleVector exp(DoubleVector x) {
        DoubleVector y = clamp(x, Transcendentals.EXP_MIN, Transcendentals.EXP_MAX);
        DoubleVector t = y.mul(Transcendentals.LOG2E).add(Transcendentals.ROUND);
        DoubleVector n = t.sub(Transcendentals.ROUND).neg();
        DoubleVector r = n.fma(V_LN2_LO, n.fma(V_LN2_HI, y));
        DoubleVector er = expm1Reduced(r).add(1.0);
        LongVector k = ((LongVector) t.reinterpretAsLongs()).sub(Transcendentals.ROUND_BITS);
        LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        return er.mul(pow2(k1)).mul(pow2(k.sub(k1)));
    }

    private static DoubleVector expm1(DoubleVector y) {
        DoubleVector t = y.mul(Transcendentals.LOG2E).add(Transcendentals.ROUND);
        DoubleVector n = t.sub(Transcendentals.ROUND).neg();
        DoubleVector r = n.fma(V_LN2_LO, n.fma(V_LN2_HI, y));
        DoubleVector q = expm1Reduced(r);
        DoubleVector s = pow2(((LongVector) t.reinterpretAsLongs()).sub(Transcendentals.ROUND_BITS));
        return s.fma(q, s.sub(1.0));
    }

    private static DoubleVector tanh(DoubleVector x) {
        DoubleVector a = atMost(x.abs(), Transcendentals.TANH_ONE);
        DoubleVector e = expm1(a.mul(2.0));
        DoubleVector t = e.div(e.add(2.0)).blend(1.0, a.eq(Transcendentals.TANH_ONE));
        LongVector sign = ((LongVector) x.reinterpretAsLongs()).and(Long.MIN_VALUE);
        return ((LongVector) t.reinterpretAsLongs()).and(Long.MAX_VALUE).or(sign).reinterpretAsDoubles();
    }

    private static DoubleVector sigmoid(DoubleVector x) {
        DoubleVector e = exp(x.abs().neg());
        DoubleVector r = V_1_0.div(e.add(1.0));
        return r.blend(e.mul(r), x.compare(VectorOperators.GE, 0.0).not());
    }

    private static FloatVector expm1Reduced(FloatVector r) {
        FloatVector p = r.fma(C_F[0], C_F[1]);
        p = p.fma(r, VF_C_F_2);
        p = p.fma(r, VF_C_F_3);
        p = p.fma(r, VF_C_F_4);
        p = p.fma(r, VF_C_F_5);
        return r.mul(r).fma(p, r);
    }

    private static FloatVector pow2(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    private static FloatVector exp(FloatVector x) {
        FloatVector y = clamp(x, Transcendentals.EXP_MIN_F, Transcendentals.EXP_MAX_F);
        FloatVector t = y.mul(Transcendentals.LOG2E_F).add(Transcendentals.ROUND_F);
        FloatVector n = t.sub(Transcendentals.ROUND_F).neg();
        FloatVector r = n.fma(VF_LN2_LO_F, n.fma(VF_LN2_HI_F, y));
        FloatVector er = expm1Reduced(r).add(1f);
        IntVector k = ((IntVector) t.reinterpretAsInts()).sub(Transcendentals.ROUND_BITS_F);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        return er.mul(pow2(k1)).mul(pow2(k.sub(k1)));
    }

    private static FloatVector expm1(FloatVector y) {
        FloatVector t = y.mul(Transcendentals.LOG2E_F).add(Transcendentals.ROUND_F);
        FloatVector n = t.sub(Transcendentals.ROUND_F).neg();
        FloatVector r = n.fma(VF_LN2_LO_F, n.fma(VF_LN2_HI_F, y));
        FloatVector q = expm1Reduced(r);
        FloatVector s = pow2(((IntVector) t.reinterpretAsInts()).sub(Transcendentals.ROUND_BITS_F));
        return s.fma(q, s.sub(1f));
    }

    private static FloatVector tanh(FloatVector x) {
        FloatVector a = atMost(x.abs(), Transcendentals.TANH_ONE_F);
        FloatVector e = expm1(a.mul(2f));
        FloatVector t = e.div(e.add(2f)).blend(1f, a.eq(Transcendentals.TANH_ONE_F));
        IntVector sign = ((IntVector) x.reinterpretAsInts()).and(Integer.MIN_VALUE);
        return ((IntVector) t.reinterpretAsInts()).and(Integer.MAX_VALUE).or(sign).reinterpretAsFloats();
    }

    private static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector r = VF_1F.div(e.add(1f));
        return r.blend(e.mul(r), x.compare(VectorOperators.GE, 0f).not());
    }
}
