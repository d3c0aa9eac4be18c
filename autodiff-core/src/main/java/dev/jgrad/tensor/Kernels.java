package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The numeric forward of every tensor op, eager and not differentiable: the one place where loops
 * over storage live. Differentiable ops ({@code dev.jgrad.autodiff}) call these and add their
 * derivative rules; users may call them directly for plain array arithmetic.
 *
 * <p>Every kernel keeps its inputs' dtype and rejects mixed dtypes with a message naming both.
 * exp, tanh and σ come from {@link Transcendentals} in both dtypes, reproducible bit for bit
 * (Note [Reproducible transcendentals]); other float32 elementwise results are computed in double and
 * rounded once, except the fused derivative rules of tanh and σ, which round each step as the ops they
 * replace; float32 matmul accumulates in float, as BLAS does.
 */
public final class Kernels {
    private Kernels() {
    }

    /** Elementwise functions of one tensor. */
    public enum Unary {
        /** {@code −x}. */
        NEG,
        /** {@code exp(x)}. */
        EXP,
        /** {@code log(x)}, the natural logarithm. */
        LOG,
        /** {@code tanh(x)}. */
        TANH,
        /** {@code σ(x) = 1 / (1 + exp(−x))}. */
        SIGMOID,
        /** {@code x < 0 ? 0 : x}: {@code max(x, 0)} that keeps a NaN and a −0, as PyTorch's {@code relu}. */
        RELU,
        /** {@code x <= 0 ? 0 : 1}, the derivative of relu: 1 at a NaN, whose gradient PyTorch's relu passes on. */
        STEP,
        /** {@code x²}. */
        SQUARE,
        /** {@code √x}. */
        SQRT,
        /** {@code |x|}. */
        ABS,
        /** {@code −1, 0, 1} by the sign of x (NaN stays NaN), the derivative of abs. */
        SIGN,
        /** {@code sin(x)}. */
        SIN,
        /** {@code cos(x)}. */
        COS,
        /** {@code log(1 + x)}, accurate near 0. */
        LOG1P,
        /** {@code exp(x) − 1}, accurate near 0. */
        EXPM1,
        /** {@code log(1 + exp(x))}, as {@code max(x, 0) + log1p(exp(−|x|))} so it never overflows. */
        SOFTPLUS
    }

    /** Elementwise functions of two broadcast tensors. */
    public enum Binary {
        /** {@code a + b}. */
        ADD("add"),
        /** {@code a − b}. */
        SUB("sub"),
        /** {@code a ⊙ b}. */
        MUL("mul"),
        /** {@code a / b}. */
        DIV("div"),
        /** The larger of a and b (NaN if either is NaN). */
        MAXIMUM("maximum"),
        /** The smaller of a and b (NaN if either is NaN). */
        MINIMUM("minimum"),
        /**
         * {@code [a > b] + ½·[a = b]}: the share of {@code maximum(a, b)}'s gradient that goes to a
         * (ties split it evenly, as PyTorch does).
         */
        GREATER("greater"),
        /**
         * {@code b ⊙ (1 − a²)}: tanh's derivative rule at its output {@code a} for the cotangent {@code b}, in one
         * pass. Each step rounds as the three ops {@code b ⊙ oneMinus(square(a))} do, float32 in float.
         */
        TANH_GRAD("tanhGrad"),
        /**
         * {@code b ⊙ (a ⊙ (1 − a))}: σ's derivative rule at its output {@code a} for the cotangent {@code b}, in
         * one pass. Each step rounds as the three ops {@code b ⊙ (a ⊙ oneMinus(a))} do, float32 in float.
         */
        SIGMOID_GRAD("sigmoidGrad");

        final String opName;

        Binary(String opName) {
            this.opName = opName;
        }
    }

    /** Elements of a float64 operand that take 4 KiB: a few such blocks of several operands stay in the L1 cache together. */
    private static final int L1_BLOCK = 512;

    static void sameDType(String op, Tensor a, Tensor b) {
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(op + ": dtypes " + a.dtype + a.shape + " and " + b.dtype + b.shape
                    + " differ; cast one explicitly");
        }
    }

    // ------------------------------------------------------------------ elementwise

    /*
     * Elementwise kernels split large tensors into contiguous chunks, one per thread (Parallelism).
     * Every element is computed by the same expression whichever chunk holds it, so results are
     * bit-identical for any thread count. The minimum chunk keeps the hand-off cost (a task per
     * thread) small beside the work: transcendental functions cost far more per element than adds.
     */
    private static final int TRANSCENDENTAL_CHUNK = 8192;
    /** Ranges shorter than this run the scalar loops rather than {@link SimdLoops}: four 512-bit vectors of doubles. */
    static final int SIMD_MIN = 32;
    /** The exponentials cross-entropy takes at once, in elements: whole rows, a few KiB, in the L1 cache. */
    private static final int CE_BLOCK = 1024;
    private static final int CHEAP_CHUNK = 16384;

    /**
     * Which loops compute exp, tanh and σ: the Vector API with its width, or scalar code and why.
     *
     * @return one line for benchmark reports
     */
    public static String elementwiseLoops() {
        return SimdLoops.describe();
    }

    /** A kernel body over the element range [lo, hi). */
    private interface Range {
        void run(int lo, int hi);
    }

    /** Whether {@code n} elements are worth splitting across threads at {@code minChunk} each. */
    private static boolean splits(int n, int minChunk) {
        return n >= 2 * minChunk && Parallelism.threads() > 1;
    }

    /** Runs {@code body} over [0, n) in equal contiguous chunks of at least {@code minChunk}, one per thread. */
    private static void inChunks(int n, int minChunk, Range body) {
        int tasks = Math.min(Parallelism.threads(), n / minChunk);
        Parallelism.run(tasks, t -> body.run((int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
    }

    /**
     * {@code f(a)} elementwise.
     *
     * @param op the function
     * @param a  the argument
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor unary(Unary op, Tensor a) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(a, "a");
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        int n = a.size();
        int chunk = switch (op) {
            case NEG, RELU, STEP, SQUARE, SQRT, ABS, SIGN -> CHEAP_CHUNK;
            case EXP, LOG, TANH, SIGMOID, SIN, COS, LOG1P, EXPM1, SOFTPLUS -> TRANSCENDENTAL_CHUNK;
        };
        if (splits(n, chunk)) {
            inChunks(n, chunk, (lo, hi) -> unary(op, a, out, lo, hi));
        } else {
            unary(op, a, out, 0, n);
        }
        return out;
    }

    private static void unary(Unary op, Tensor a, Tensor out, int lo, int hi) {
        // Short ranges stay scalar, where a vector's set-up costs more than it saves; the bits are the same either way.
        SimdLoops simd = hi - lo >= SIMD_MIN ? SimdLoops.LOOPS : null;
        if (a.f64() != null) {
            double[] x = a.f64();
            double[] o = out.f64();
            if (simd != null && simd.unary(op, x, o, lo, hi)) {
                return;
            }
            switch (op) {
                case NEG -> { for (int i = lo; i < hi; i++) o[i] = -x[i]; }
                case EXP -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.exp(x[i]); }
                case LOG -> { for (int i = lo; i < hi; i++) o[i] = Math.log(x[i]); }
                case TANH -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.tanh(x[i]); }
                case SIGMOID -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.sigmoid(x[i]); }
                case RELU -> { for (int i = lo; i < hi; i++) o[i] = x[i] < 0 ? 0.0 : x[i]; }
                case STEP -> { for (int i = lo; i < hi; i++) o[i] = x[i] <= 0 ? 0.0 : 1.0; }
                case SQUARE -> { for (int i = lo; i < hi; i++) o[i] = x[i] * x[i]; }
                case SQRT -> { for (int i = lo; i < hi; i++) o[i] = Math.sqrt(x[i]); }
                case ABS -> { for (int i = lo; i < hi; i++) o[i] = Math.abs(x[i]); }
                case SIGN -> { for (int i = lo; i < hi; i++) o[i] = Math.signum(x[i]); }
                case SIN -> { for (int i = lo; i < hi; i++) o[i] = Math.sin(x[i]); }
                case COS -> { for (int i = lo; i < hi; i++) o[i] = Math.cos(x[i]); }
                case LOG1P -> { for (int i = lo; i < hi; i++) o[i] = Math.log1p(x[i]); }
                case EXPM1 -> { for (int i = lo; i < hi; i++) o[i] = Math.expm1(x[i]); }
                case SOFTPLUS -> { for (int i = lo; i < hi; i++) o[i] = softplus(x[i]); }
            }
        } else {
            float[] x = a.f32();
            float[] o = out.f32();
            if (simd != null && simd.unary(op, x, o, lo, hi)) {
                return;
            }
            switch (op) {
                case NEG -> { for (int i = lo; i < hi; i++) o[i] = -x[i]; }
                case EXP -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.exp(x[i]); }
                case LOG -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.log(x[i]); }
                case TANH -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.tanh(x[i]); }
                case SIGMOID -> { for (int i = lo; i < hi; i++) o[i] = Transcendentals.sigmoid(x[i]); }
                case RELU -> { for (int i = lo; i < hi; i++) o[i] = x[i] < 0 ? 0f : x[i]; }
                case STEP -> { for (int i = lo; i < hi; i++) o[i] = x[i] <= 0 ? 0f : 1f; }
                case SQUARE -> { for (int i = lo; i < hi; i++) o[i] = x[i] * x[i]; }
                case SQRT -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.sqrt(x[i]); }
                case ABS -> { for (int i = lo; i < hi; i++) o[i] = Math.abs(x[i]); }
                case SIGN -> { for (int i = lo; i < hi; i++) o[i] = Math.signum(x[i]); }
                case SIN -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.sin(x[i]); }
                case COS -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.cos(x[i]); }
                case LOG1P -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.log1p(x[i]); }
                case EXPM1 -> { for (int i = lo; i < hi; i++) o[i] = (float) Math.expm1(x[i]); }
                case SOFTPLUS -> { for (int i = lo; i < hi; i++) o[i] = (float) softplus(x[i]); }
            }
        }
    }

    /** {@code log(1 + e^x)} without overflow: for x &gt; 0, {@code x + log1p(e^−x)}. */
    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /**
     * {@code a·scale + shift} elementwise.
     *
     * @param a     the argument
     * @param scale the factor
     * @param shift the constant added
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor affine(Tensor a, double scale, double shift) {
        Objects.requireNonNull(a, "a");
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        int n = a.size();
        if (a.f64() != null) {
            double[] x = a.f64();
            double[] o = out.f64();
            for (int i = 0; i < n; i++) o[i] = x[i] * scale + shift;
        } else {
            float s = (float) scale;
            float t = (float) shift;
            float[] x = a.f32();
            float[] o = out.f32();
            for (int i = 0; i < n; i++) o[i] = x[i] * s + t;
        }
        return out;
    }

    /**
     * {@code a^p} elementwise for a real exponent.
     *
     * @param a the base
     * @param p the exponent
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor pow(Tensor a, double p) {
        Objects.requireNonNull(a, "a");
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            out.set(i, Math.pow(a.at(i), p));
        }
        return out;
    }

    /**
     * {@code a / c} elementwise, a true division (float32 computed in double and rounded once), so a
     * divisor too small to have a finite reciprocal, such as 1e-310, still gives the finite quotient.
     *
     * @param a the dividend
     * @param c the divisor
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor div(Tensor a, double c) {
        Objects.requireNonNull(a, "a");
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            out.set(i, a.at(i) / c);
        }
        return out;
    }

    /**
     * {@code c / a} elementwise (float32 computed in double and rounded once).
     *
     * @param c the dividend
     * @param a the divisor
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor div(double c, Tensor a) {
        Objects.requireNonNull(a, "a");
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            out.set(i, c / a.at(i));
        }
        return out;
    }

    /**
     * {@code min(max(a, lo), hi)} elementwise; NaN stays NaN.
     *
     * @param a  the tensor clamped
     * @param lo the lower bound
     * @param hi the upper bound
     * @return a tensor of {@code a}'s shape and dtype
     */
    public static Tensor clamp(Tensor a, double lo, double hi) {
        Objects.requireNonNull(a, "a");
        checkBounds("clamp", lo, hi);
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            out.set(i, Math.min(Math.max(a.at(i), lo), hi));
        }
        return out;
    }

    /**
     * 1 where {@code lo ≤ a ≤ hi}, 0 elsewhere (and at NaN): where {@link #clamp} passes its gradient, bounds included.
     *
     * @param a  the tensor tested
     * @param lo the lower bound
     * @param hi the upper bound
     * @return a tensor of {@code a}'s shape and dtype holding 0s and 1s
     */
    public static Tensor inRange(Tensor a, double lo, double hi) {
        Objects.requireNonNull(a, "a");
        checkBounds("inRange", lo, hi);
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            double v = a.at(i);
            out.set(i, v >= lo && v <= hi ? 1.0 : 0.0);
        }
        return out;
    }

    /**
     * Refuses NaN bounds and {@code lo > hi}, naming the op.
     *
     * @param op the op's name, for the error message
     * @param lo the lower bound
     * @param hi the upper bound
     */
    public static void checkBounds(String op, double lo, double hi) {
        Objects.requireNonNull(op, "op");
        if (Double.isNaN(lo) || Double.isNaN(hi) || lo > hi) {
            throw new IllegalArgumentException(op + ": bounds [" + lo + ", " + hi + "] are not an interval (need lo ≤ hi, neither NaN)");
        }
    }

    /**
     * {@code condition ? a : b} elementwise, all three broadcast together (Note [Broadcasting] on
     * {@link Shape}). The condition may have any dtype and must hold only 0 (false) and 1 (true);
     * {@code a} and {@code b} share a dtype, which the result has.
     *
     * @param condition 0s and 1s
     * @param a         the values where the condition is 1
     * @param b         the values where it is 0
     * @return a tensor of the three shapes' broadcast
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        sameDType("where", a, b);
        checkMask("where", condition);
        Shape os = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, "where"), b.shape, "where");
        Tensor c = broadcastTo(condition, os);
        Tensor x = broadcastTo(a, os);
        Tensor y = broadcastTo(b, os);
        Tensor out = Tensor.allocateOverwritten(a.dtype, os);
        for (int i = 0; i < out.size(); i++) {
            out.set(i, c.at(i) != 0 ? x.at(i) : y.at(i));
        }
        return out;
    }

    /**
     * {@code a + w ⊙ (b − a)} elementwise, broadcasting all three (PyTorch's {@code lerp}). Every element
     * is rounded as {@link #binary}'s SUB, MUL and ADD round it, so the value is bit for bit theirs;
     * operands of one shape take one pass and no temporaries.
     *
     * @param a the start
     * @param b the end
     * @param w the weight, the fraction of the way from {@code a} to {@code b}
     * @return a tensor of the broadcast shape and the operands' dtype
     * @throws IllegalArgumentException when the dtypes differ or the shapes do not broadcast, naming them
     */
    public static Tensor lerp(Tensor a, Tensor b, Tensor w) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(w, "w");
        sameDType("lerp", a, b);
        sameDType("lerp", a, w);
        if (!a.shape.equals(b.shape) || !a.shape.equals(w.shape)) {
            Shape.broadcast(Shape.broadcast(a.shape, b.shape, "lerp"), w.shape, "lerp");
            return binary(Binary.ADD, a, binary(Binary.MUL, w, binary(Binary.SUB, b, a)));
        }
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        int n = out.size();
        if (splits(n, CHEAP_CHUNK)) {
            inChunks(n, CHEAP_CHUNK, (lo, hi) -> lerp(a, b, w, out, lo, hi));
        } else {
            lerp(a, b, w, out, 0, n);
        }
        return out;
    }

    /**
     * The terms of {@link #lerp}'s derivative rule for the cotangent {@code g}, in one pass over operands
     * of one shape: {@code g ⊙ (1 − w)} for the start {@code a}, {@code g ⊙ w} for the end {@code b} and
     * {@code g ⊙ (b − a)} for the weight {@code w}. Every element is rounded as the ops {@code g ⊙
     * oneMinus(w)}, {@code g ⊙ w} and {@code g ⊙ (b − a)} round it ({@link #affine}, {@link #binary}),
     * so the terms are bit for bit theirs, where those ops take five passes and two temporaries.
     *
     * @param g    the cotangent of {@code lerp(a, b, w)}
     * @param a    the start
     * @param b    the end
     * @param w    the weight
     * @param need which terms to compute: {@code need[0]} for a, {@code need[1]} for b, {@code need[2]} for w
     * @return the terms for a, b and w, null where not needed
     * @throws IllegalArgumentException when the operands' shapes or dtypes are not all the same, naming them
     */
    public static Tensor[] lerpGradients(Tensor g, Tensor a, Tensor b, Tensor w, boolean[] need) {
        Objects.requireNonNull(g, "g");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(need, "need");
        if (need.length != 3) {
            throw new IllegalArgumentException("lerpGradients: need has " + need.length + " flags, not 3");
        }
        for (Tensor t : new Tensor[] {a, b, w}) {
            sameDType("lerpGradients", g, t);
            if (!t.shape.equals(g.shape)) {
                throw new IllegalArgumentException("lerpGradients: operand " + t.shape + " is not of the cotangent's shape " + g.shape);
            }
        }
        Tensor[] out = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            out[i] = need[i] ? Tensor.allocateOverwritten(g.dtype, g.shape) : null;
        }
        int n = g.size();
        if (splits(n, CHEAP_CHUNK)) {
            inChunks(n, CHEAP_CHUNK, (lo, hi) -> lerpGradients(g, a, b, w, out, lo, hi));
        } else {
            lerpGradients(g, a, b, w, out, 0, n);
        }
        return out;
    }

    /** {@link #lerpGradients} on {@code [lo, hi)}, {@link #L1_BLOCK} elements at a time, so that each is read from memory once for all three terms. */
    private static void lerpGradients(Tensor g, Tensor a, Tensor b, Tensor w, Tensor[] out, int lo, int hi) {
        for (int at = lo; at < hi; at += L1_BLOCK) {
            lerpGradientsBlock(g, a, b, w, out, at, Math.min(hi, at + L1_BLOCK));
        }
    }

    private static void lerpGradientsBlock(Tensor g, Tensor a, Tensor b, Tensor w, Tensor[] out, int lo, int hi) {
        if (g.f64() != null) {
            double[] gd = g.f64();
            double[] wd = w.f64();
            if (out[0] != null) {
                double[] o = out[0].f64();
                for (int i = lo; i < hi; i++) {
                    o[i] = gd[i] * (wd[i] * -1.0 + 1.0);
                }
            }
            if (out[1] != null) {
                double[] o = out[1].f64();
                for (int i = lo; i < hi; i++) {
                    o[i] = gd[i] * wd[i];
                }
            }
            if (out[2] != null) {
                double[] ad = a.f64();
                double[] bd = b.f64();
                double[] o = out[2].f64();
                for (int i = lo; i < hi; i++) {
                    o[i] = gd[i] * (bd[i] - ad[i]);
                }
            }
        } else {
            float[] gf = g.f32();
            float[] wf = w.f32();
            if (out[0] != null) {
                float[] o = out[0].f32();
                for (int i = lo; i < hi; i++) {
                    o[i] = gf[i] * (wf[i] * -1f + 1f);
                }
            }
            if (out[1] != null) {
                float[] o = out[1].f32();
                for (int i = lo; i < hi; i++) {
                    o[i] = gf[i] * wf[i];
                }
            }
            if (out[2] != null) {
                float[] af = a.f32();
                float[] bf = b.f32();
                float[] o = out[2].f32();
                for (int i = lo; i < hi; i++) {
                    o[i] = gf[i] * (bf[i] - af[i]);
                }
            }
        }
    }

    private static void lerp(Tensor a, Tensor b, Tensor w, Tensor out, int lo, int hi) {
        double[] ad = a.f64();
        if (ad != null) {
            double[] bd = b.f64();
            double[] wd = w.f64();
            double[] od = out.f64();
            for (int i = lo; i < hi; i++) {
                od[i] = ad[i] + wd[i] * (bd[i] - ad[i]);
            }
        } else {
            float[] af = a.f32();
            float[] bf = b.f32();
            float[] wf = w.f32();
            float[] of = out.f32();
            for (int i = lo; i < hi; i++) {
                of[i] = af[i] + wf[i] * (bf[i] - af[i]);
            }
        }
    }

    /**
     * Refuses a mask holding anything but 0 and 1, naming the op, the first bad element and the shape.
     *
     * @param op   the op's name, for the error message
     * @param mask the tensor that must hold only 0s and 1s
     */
    public static void checkMask(String op, Tensor mask) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(mask, "mask");
        for (int i = 0; i < mask.size(); i++) {
            double v = mask.at(i);
            if (v != 0 && v != 1) {
                throw new IllegalArgumentException(op + ": the condition " + mask.dtype + mask.shape + " holds " + v + " at "
                        + Arrays.toString(mask.shape.unravel(i)) + "; a condition holds only 0 (false) and 1 (true)");
            }
        }
    }

    /**
     * {@code a ∘ b} elementwise with NumPy broadcasting (Note [Broadcasting] on {@link Shape}).
     *
     * @param op the function
     * @param a  the left operand
     * @param b  the right operand, of {@code a}'s dtype
     * @return a tensor of the broadcast shape
     */
    public static Tensor binary(Binary op, Tensor a, Tensor b) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        sameDType(op.opName, a, b);
        if (a.shape.equals(b.shape)) {
            Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
            int n = a.size();
            if (splits(n, CHEAP_CHUNK)) {
                inChunks(n, CHEAP_CHUNK, (lo, hi) -> binaryRun(op, a, lo, 1, b, lo, 1, out, lo, hi - lo));
            } else {
                binaryRun(op, a, 0, 1, b, 0, 1, out, 0, n);
            }
            return out;
        }
        // The common broadcasts ([B, H] + [H], x · scalar) repeat one contiguous block: no odometer.
        if (b.shape.isTrailingBlockOf(a.shape)) {
            Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
            repeatedBlockRuns(op, a, b, out);
            return out;
        }
        if (a.shape.isTrailingBlockOf(b.shape)) {
            Tensor out = Tensor.allocateOverwritten(a.dtype, b.shape);
            int m = a.size();
            if (m == 1) {
                binaryRun(op, a, 0, 0, b, 0, 1, out, 0, b.size());
            } else if (m > 0) {
                for (int at = 0; at < b.size(); at += m) binaryRun(op, a, 0, 1, b, at, 1, out, at, m);
            }
            return out;
        }
        Shape os = Shape.broadcast(a.shape, b.shape, op.opName);
        Tensor out = Tensor.allocateOverwritten(a.dtype, os);
        int r = os.rank();
        int[] sa = broadcastStrides(a.shape, os);
        int[] sb = broadcastStrides(b.shape, os);
        int[] so = os.strides();
        RowOdometer w = new RowOdometer(os, sa, sb, so);
        int n = os.dim(r - 1);
        do {
            binaryRun(op, a, w.off[0], sa[r - 1], b, w.off[1], sb[r - 1], out, w.off[2], n);
        } while (w.next());
        return out;
    }

    /**
     * {@code out = a ∘ b} where {@code b} is a trailing block of {@code a}'s shape, repeated as one
     * contiguous run per block ({@code [B, H] + [H]}, {@code x · scalar}); {@code out} may be {@code a}.
     */
    private static void repeatedBlockRuns(Binary op, Tensor a, Tensor b, Tensor out) {
        int m = b.size();
        if (m == 1) {
            binaryRun(op, a, 0, 1, b, 0, 0, out, 0, a.size());
        } else if (m > 0) {
            for (int at = 0; at < a.size(); at += m) binaryRun(op, a, at, 1, b, 0, 1, out, at, m);
        }
    }

    /** One strided run: {@code out[oo + i] = a[ao + i·as] ∘ b[bo + i·bs]} for {@code i < n} (a stride of 0 repeats one element). */
    private static void binaryRun(Binary op, Tensor a, int ao, int as, Tensor b, int bo, int bs, Tensor out, int oo, int n) {
        switch (op) {
            case ADD, SUB, MUL, DIV, TANH_GRAD, SIGMOID_GRAD -> { }
            case MAXIMUM, MINIMUM, GREATER -> {
                // comparisons: exact in double for both dtypes, and far from any hot loop
                for (int i = 0; i < n; i++) out.set(oo + i, compare(op, a.at(ao + i * as), b.at(bo + i * bs)));
                return;
            }
        }
        SimdLoops simd = n >= SIMD_MIN ? SimdLoops.LOOPS : null;
        if (simd != null && as == 1 && bs == 1) {
            if (a.f64() != null) {
                simd.binary(op, a.f64(), ao, b.f64(), bo, out.f64(), oo, n);
            } else {
                simd.binary(op, a.f32(), ao, b.f32(), bo, out.f32(), oo, n);
            }
            return;
        }
        if (a.f64() != null) {
            double[] x = a.f64();
            double[] y = b.f64();
            double[] o = out.f64();
            if (as == 1 && bs == 1) {
                switch (op) {
                    case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] + y[bo + i]; }
                    case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] - y[bo + i]; }
                    case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] * y[bo + i]; }
                    case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] / y[bo + i]; }
                    case TANH_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = tanhGrad(x[ao + i], y[bo + i]); }
                    case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = sigmoidGrad(x[ao + i], y[bo + i]); }
                }
            } else {
                switch (op) {
                    case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] + y[bo + i * bs]; }
                    case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] - y[bo + i * bs]; }
                    case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] * y[bo + i * bs]; }
                    case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] / y[bo + i * bs]; }
                    case TANH_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = tanhGrad(x[ao + i * as], y[bo + i * bs]); }
                    case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = sigmoidGrad(x[ao + i * as], y[bo + i * bs]); }
                }
            }
        } else {
            float[] x = a.f32();
            float[] y = b.f32();
            float[] o = out.f32();
            if (as == 1 && bs == 1) {
                switch (op) {
                    case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] + y[bo + i]; }
                    case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] - y[bo + i]; }
                    case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] * y[bo + i]; }
                    case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i] / y[bo + i]; }
                    case TANH_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = tanhGrad(x[ao + i], y[bo + i]); }
                    case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = sigmoidGrad(x[ao + i], y[bo + i]); }
                }
            } else {
                switch (op) {
                    case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] + y[bo + i * bs]; }
                    case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] - y[bo + i * bs]; }
                    case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] * y[bo + i * bs]; }
                    case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = x[ao + i * as] / y[bo + i * bs]; }
                    case TANH_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = tanhGrad(x[ao + i * as], y[bo + i * bs]); }
                    case SIGMOID_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = sigmoidGrad(x[ao + i * as], y[bo + i * bs]); }
                }
            }
        }
    }

    /*
     * The derivative rules of tanh and σ, one element each, used by every loop that computes them (the vector
     * lanes repeat them operation for operation). They keep the order and the roundings of the composed ops
     * they replace, so a backward pass gives the same bits with or without the fused kernel.
     */

    /** {@code g·(1 − y²)}. */
    static double tanhGrad(double y, double g) {
        return g * (1 - y * y);
    }

    /** {@code g·(1 − y²)}, each step rounded to float. */
    static float tanhGrad(float y, float g) {
        return g * (1 - y * y);
    }

    /** {@code g·(y·(1 − y))}. */
    static double sigmoidGrad(double y, double g) {
        return g * (y * (1 - y));
    }

    /** {@code g·(y·(1 − y))}, each step rounded to float. */
    static float sigmoidGrad(float y, float g) {
        return g * (y * (1 - y));
    }

    private static double compare(Binary op, double x, double y) {
        return switch (op) {
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case GREATER -> x > y ? 1.0 : x == y ? 0.5 : 0.0;
            default -> throw new IllegalStateException(op.opName);
        };
    }

    /** {@code acc += t} elementwise on a buffer no one else can see yet (shapes and dtypes already checked). */
    static void addInPlace(Tensor acc, Tensor t) {
        int n = acc.size();
        if (splits(n, CHEAP_CHUNK)) {
            inChunks(n, CHEAP_CHUNK, (lo, hi) -> addInPlace(acc, t, lo, hi));
        } else {
            addInPlace(acc, t, 0, n);
        }
    }

    private static void addInPlace(Tensor acc, Tensor t, int lo, int hi) {
        if (acc.f64() != null) {
            double[] o = acc.f64();
            double[] y = t.f64();
            for (int i = lo; i < hi; i++) o[i] += y[i];
        } else {
            float[] o = acc.f32();
            float[] y = t.f32();
            for (int i = lo; i < hi; i++) o[i] += y[i];
        }
    }

    /** Strides of {@code s} as seen from the broadcast shape {@code target}: 0 along broadcast dimensions. */
    static int[] broadcastStrides(Shape s, Shape target) {
        int r = target.rank();
        int off = r - s.rank();
        int[] st = s.strides();
        int[] out = new int[r];
        for (int i = off; i < r; i++) {
            out[i] = s.dim(i - off) == 1 ? 0 : st[i - off];
        }
        return out;
    }

    /**
     * An odometer over all dimensions but the last of a shape, carrying one flat offset per operand.
     * The caller runs the last dimension as a tight loop.
     */
    private static final class RowOdometer {
        final int[] dims;
        final int[][] strides;
        final int[] idx;
        final int[] off;

        RowOdometer(Shape shape, int[]... strides) {
            this.dims = shape.dims();
            this.strides = strides;
            this.idx = new int[dims.length];
            this.off = new int[strides.length];
        }

        /** Advances to the next row; false when every row has been visited. */
        boolean next() {
            for (int ax = dims.length - 2; ax >= 0; ax--) {
                if (++idx[ax] < dims[ax]) {
                    for (int k = 0; k < off.length; k++) {
                        off[k] += strides[k][ax];
                    }
                    return true;
                }
                for (int k = 0; k < off.length; k++) {
                    off[k] -= strides[k][ax] * (dims[ax] - 1);
                }
                idx[ax] = 0;
            }
            return false;
        }
    }

    // ------------------------------------------------------------------ broadcasting pair

    /**
     * {@code a} repeated along broadcast dimensions to {@code target}.
     *
     * @param a      the tensor repeated
     * @param target a shape {@code a} broadcasts to
     * @return a tensor of shape {@code target}
     */
    public static Tensor broadcastTo(Tensor a, Shape target) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(target, "target");
        if (!a.shape.broadcastsTo(target)) {
            throw new IllegalArgumentException("broadcastTo: " + a.shape + " does not broadcast to " + target);
        }
        if (a.shape.equals(target)) {
            return a;
        }
        return binary(Binary.ADD, zeros(a.dtype, target), a);
    }

    private static Tensor zeros(DType dtype, Shape s) {
        return Tensor.allocate(dtype, s);
    }

    /**
     * The sum of {@code a} over the dimensions along which {@code target} was broadcast to
     * {@code a.shape}: the adjoint of {@link #broadcastTo}.
     *
     * @param a      the tensor summed
     * @param target a shape that broadcasts to {@code a}'s
     * @return a tensor of shape {@code target}
     */
    public static Tensor sumTo(Tensor a, Shape target) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(target, "target");
        if (!target.broadcastsTo(a.shape)) {
            throw new IllegalArgumentException("sumTo: " + target + " does not broadcast to " + a.shape);
        }
        if (a.shape.equals(target)) {
            return a;
        }
        if (target.isTrailingBlockOf(a.shape)) {
            return sumLeadingBlocks(a, target);
        }
        int lead = a.rank() - target.rank();
        int[] axes = new int[a.rank()];
        int n = 0;
        for (int i = 0; i < a.rank(); i++) {
            if (i < lead || (target.dim(i - lead) == 1 && a.shape.dim(i) != 1)) {
                axes[n++] = i;
            }
        }
        return sum(a, Arrays.copyOf(axes, n), false).reshape(target);
    }

    /**
     * {@code out[j] = Σ_b a[b·m + j]} with {@code m = target.size()}: the sum over the leading
     * dimensions (the bias gradient {@code [B, H] → [H]}). Accumulates in double in increasing
     * {@code b}, the same order and precision as {@link #sum}, so both give identical bits.
     */
    private static Tensor sumLeadingBlocks(Tensor a, Shape target) {
        int m = target.size();
        Tensor out = Tensor.allocate(a.dtype, target);
        if (m == 0) {
            return out;
        }
        int n = a.size();
        if (a.f64() != null) {
            double[] acc = out.f64();
            int vectorColumns = SimdLoops.LOOPS != null ? SimdLoops.LOOPS.sumRowsInto(a.f64(), n, m, acc) : 0;
            sumRowsInto(a.f64(), n, m, vectorColumns, acc);
        } else {
            double[] acc = new double[m];
            // The vector loop takes the columns that fill whole vectors, also of rows shorter than SIMD_MIN; the bits are the same.
            int vectorColumns = SimdLoops.LOOPS != null ? SimdLoops.LOOPS.sumRowsInto(a.f32(), n, m, acc) : 0;
            sumRowsInto(a.f32(), n, m, vectorColumns, acc);
            float[] o = out.f32();
            for (int j = 0; j < m; j++) o[j] = (float) acc[j];
        }
        return out;
    }

    /**
     * {@code acc[j] += x[b·m + j]} for the rows {@code b} of {@code x[0, n)} in increasing order, in
     * double, for the columns {@code j ∈ [from, m)}. Four rows per pass over {@code acc}, added one after
     * another: the same order, with a quarter of the sum's loads and stores.
     */
    private static void sumRowsInto(float[] x, int n, int m, int from, double[] acc) {
        int at = 0;
        for (; at + 4 * m <= n; at += 4 * m) {
            int a1 = at + m;
            int a2 = a1 + m;
            int a3 = a2 + m;
            for (int j = from; j < m; j++) {
                double t = acc[j];
                t += x[at + j];
                t += x[a1 + j];
                t += x[a2 + j];
                t += x[a3 + j];
                acc[j] = t;
            }
        }
        for (; at < n; at += m) {
            for (int j = from; j < m; j++) acc[j] += x[at + j];
        }
    }

    /** The float64 form of {@link #sumRowsInto(float[], int, int, int, double[])}. */
    private static void sumRowsInto(double[] x, int n, int m, int from, double[] acc) {
        int at = 0;
        for (; at + 4 * m <= n; at += 4 * m) {
            int a1 = at + m;
            int a2 = a1 + m;
            int a3 = a2 + m;
            for (int j = from; j < m; j++) {
                double t = acc[j];
                t += x[at + j];
                t += x[a1 + j];
                t += x[a2 + j];
                t += x[a3 + j];
                acc[j] = t;
            }
        }
        for (; at < n; at += m) {
            for (int j = from; j < m; j++) acc[j] += x[at + j];
        }
    }

    // ------------------------------------------------------------------ optimizer updates

    /**
     * A rule that updates parameter values in float64, a chunk at a time ({@link #update}).
     */
    @FunctionalInterface
    public interface Update {
        /**
         * Overwrites {@code w[0, len)} with the new values of elements {@code at … at+len−1}.
         *
         * @param w   those elements of the parameter, as doubles; the rule writes the new values here
         * @param g   the same elements of the gradient, as doubles (the rule may overwrite them too)
         * @param at  the flat index of the chunk's first element
         * @param len the chunk's length, at least 1
         */
        void apply(double[] w, double[] g, int at, int len);
    }

    /** Elements per chunk of {@link #update}: two double arrays of it stay in the L1 cache. */
    private static final int UPDATE_CHUNK = 1024;

    /**
     * An optimizer's step on one parameter: a new tensor of {@code w}'s dtype and shape holding
     * {@code rule}'s new values, computed in float64 and rounded once to the dtype. The rule sees the
     * elements in chunks, in increasing order from index 0: float64 copies of a range of {@code w} and
     * of {@code g} at a time, which it updates in place. Neither input changes, and the result has
     * storage of its own (no workspace lends it), since parameters outlive a training step. Working
     * on chunks, a step reads each value and gradient once and writes the new value once, where
     * whole float64 copies of a large weight would be written to memory and read back. The new value
     * takes over the storage of the copy of {@code w} the matrix products keep, when no product is
     * reading it: it would otherwise be garbage a step old (Note [Panels handed on] on {@code KeptPanels}).
     * So do the results {@linkplain Tensor#derived derived} from {@code w}, for the same results of the new value.
     *
     * @param w    the parameter's value
     * @param g    its gradient, of {@code w}'s shape (any dtype)
     * @param rule the update, applied chunk by chunk
     * @return the parameter's new value
     * @throws IllegalArgumentException if the shapes differ
     */
    public static Tensor update(Tensor w, Tensor g, Update rule) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(g, "g");
        Objects.requireNonNull(rule, "rule");
        if (!w.shape.equals(g.shape)) {
            throw new IllegalArgumentException("update: gradient " + g.dtype + g.shape + " does not match value " + w.dtype + w.shape);
        }
        int n = w.size();
        Tensor out = w.f64() != null ? new Tensor(w.shape, new double[n]) : new Tensor(w.shape, new float[n]);
        double[] wc = new double[Math.min(n, UPDATE_CHUNK)];
        double[] gc = new double[wc.length];
        for (int at = 0; at < n; at += UPDATE_CHUNK) {
            int len = Math.min(UPDATE_CHUNK, n - at);
            w.widenInto(at, wc, len);
            g.widenInto(at, gc, len);
            rule.apply(wc, gc, at, len);
            out.setRange(at, wc, len);
        }
        KeptPanels.handOn(w, out);
        out.derivedBefore = w.takeDerived();
        return out;
    }

    // ------------------------------------------------------------------ reductions

    /**
     * {@code Σ aᵢ²} in double, as four running sums over the elements {@code i ≡ 0, 1, 2, 3 (mod 4)},
     * added as {@code (s₀ + s₁) + (s₂ + s₃)}: a fixed order, so the bits depend on nothing else, and
     * four independent chains of additions instead of one. Float32 squares cannot overflow or
     * underflow in double; float64 squares can (beyond about 1e154 or below 1e−162), which a caller
     * wanting a norm then computes with scaling ({@code GradientClipping.globalNorm}). A NaN or an
     * infinity anywhere makes the sum NaN or +∞.
     *
     * @param a the tensor
     * @return the sum of its squared elements
     */
    public static double sumOfSquares(Tensor a) {
        Objects.requireNonNull(a, "a");
        int n = a.size();
        int n4 = n & ~3;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (a.f64() != null) {
            double[] x = a.f64();
            for (int i = 0; i < n4; i += 4) {
                s0 += x[i] * x[i];
                s1 += x[i + 1] * x[i + 1];
                s2 += x[i + 2] * x[i + 2];
                s3 += x[i + 3] * x[i + 3];
            }
        } else {
            float[] x = a.f32();
            for (int i = 0; i < n4; i += 4) {
                double v0 = x[i], v1 = x[i + 1], v2 = x[i + 2], v3 = x[i + 3];
                s0 += v0 * v0;
                s1 += v1 * v1;
                s2 += v2 * v2;
                s3 += v3 * v3;
            }
        }
        for (int i = n4; i < n; i++) {   // at most three, each into the chain of its index
            double v = a.at(i);
            switch (i - n4) {
                case 0 -> s0 += v * v;
                case 1 -> s1 += v * v;
                default -> s2 += v * v;
            }
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Normalises reduction axes (negative allowed, no repeats); an empty array means all axes.
     *
     * @param s    the shape reduced
     * @param axes the axes, possibly negative
     * @param op   the op's name, for the error message
     * @return the axes, resolved and sorted (every axis when {@code axes} is empty)
     */
    public static int[] axes(Shape s, int[] axes, String op) {
        Objects.requireNonNull(s, "s");
        Objects.requireNonNull(axes, "axes");
        Objects.requireNonNull(op, "op");
        if (axes.length == 0) {
            int[] all = new int[s.rank()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = s.axis(axes[i], op);
            for (int j = 0; j < i; j++) {
                if (out[j] == out[i]) {
                    throw new IllegalArgumentException(op + ": axis " + axes[i] + " repeated for shape " + s);
                }
            }
        }
        Arrays.sort(out);
        return out;
    }

    /**
     * The shape after reducing {@code axes} (sorted, resolved), keeping them as 1 or dropping them.
     *
     * @param s        the shape reduced
     * @param axes     the axes, resolved and sorted
     * @param keepDims whether reduced axes stay as size 1
     * @return the reduced shape
     */
    public static Shape reducedShape(Shape s, int[] axes, boolean keepDims) {
        Objects.requireNonNull(s, "s");
        Objects.requireNonNull(axes, "axes");
        int[] d = s.dims();
        int[] out = new int[keepDims ? d.length : d.length - axes.length];
        int k = 0;
        for (int i = 0; i < d.length; i++) {
            boolean reduced = Arrays.binarySearch(axes, i) >= 0;
            if (keepDims) {
                out[k++] = reduced ? 1 : d[i];
            } else if (!reduced) {
                out[k++] = d[i];
            }
        }
        return Shape.of(out);
    }

    /**
     * Sum over {@code axes} (all when empty).
     *
     * @param a        the tensor summed
     * @param axes     the axes summed over
     * @param keepDims whether the summed axes stay as size 1
     * @return the sum
     */
    public static Tensor sum(Tensor a, int[] axes, boolean keepDims) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(axes, "axes");
        return reduce(a, axes, keepDims, Extreme.NONE, "sum");
    }

    /**
     * Maximum over {@code axes} (all when empty). NaN propagates.
     *
     * @param a        the tensor reduced
     * @param axes     the axes reduced
     * @param keepDims whether the reduced axes stay as size 1
     * @return the maximum
     */
    public static Tensor max(Tensor a, int[] axes, boolean keepDims) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(axes, "axes");
        return reduce(a, axes, keepDims, Extreme.MAX, "max");
    }

    /**
     * Minimum over {@code axes} (all when empty). NaN propagates.
     *
     * @param a        the tensor reduced
     * @param axes     the axes reduced
     * @param keepDims whether the reduced axes stay as size 1
     * @return the minimum
     */
    public static Tensor min(Tensor a, int[] axes, boolean keepDims) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(axes, "axes");
        return reduce(a, axes, keepDims, Extreme.MIN, "min");
    }

    /** Which extreme a reduction keeps, or none (a sum). */
    private enum Extreme { NONE, MAX, MIN }

    private static Tensor reduce(Tensor a, int[] rawAxes, boolean keepDims, Extreme extreme, String op) {
        boolean extremum = extreme != Extreme.NONE;
        boolean isMin = extreme == Extreme.MIN;
        int[] ax = axes(a.shape, rawAxes, op);
        Shape kept = reducedShape(a.shape, ax, true);
        if (extremum) {
            for (int axis : ax) {
                if (a.shape.dim(axis) == 0) {
                    throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + a.shape + " is empty");
                }
            }
        }
        Tensor out = Tensor.allocateOverwritten(a.dtype, kept);
        double[] acc = new double[kept.size()];
        if (extremum) {
            Arrays.fill(acc, isMin ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
        }
        if (a.size() > 0) {
            int r = a.rank();
            if (r == 0) {
                acc[0] = a.at(0);
            } else {
                int[] so = broadcastStrides(kept, a.shape);
                RowOdometer w = new RowOdometer(a.shape, a.shape.strides(), so);
                int n = a.shape.dim(r - 1);
                int s = so[r - 1];
                double[] xd = a.f64();
                float[] xf = a.f32();
                do {
                    int ai = w.off[0];
                    int oi = w.off[1];
                    if (isMin) {
                        for (int i = 0; i < n; i++) {
                            double v = xd != null ? xd[ai + i] : xf[ai + i];
                            int o = oi + i * s;
                            if (v < acc[o] || Double.isNaN(v)) acc[o] = v;
                        }
                    } else if (extremum) {
                        for (int i = 0; i < n; i++) {
                            double v = xd != null ? xd[ai + i] : xf[ai + i];
                            int o = oi + i * s;
                            if (v > acc[o] || Double.isNaN(v)) acc[o] = v;
                        }
                    } else if (s == 0) {
                        // the last axis is reduced: one running total per row, the same additions in the same order
                        double t = acc[oi];
                        if (xd != null) {
                            for (int i = 0; i < n; i++) t += xd[ai + i];
                        } else {
                            for (int i = 0; i < n; i++) t += xf[ai + i];
                        }
                        acc[oi] = t;
                    } else if (xd != null) {
                        for (int i = 0; i < n; i++) acc[oi + i] += xd[ai + i];
                    } else {
                        for (int i = 0; i < n; i++) acc[oi + i] += xf[ai + i];
                    }
                } while (w.next());
            }
        }
        for (int i = 0; i < acc.length; i++) {
            out.set(i, acc[i]);
        }
        return keepDims ? out : out.reshape(reducedShape(a.shape, ax, false));
    }

    /**
     * For the gradient of {@link #max}: 1/k at each of the k positions that attain the maximum of
     * their reduced group, 0 elsewhere (ties share the gradient evenly, as PyTorch's amax does).
     *
     * @param a    the tensor reduced by {@link #max}
     * @param axes the axes it was reduced over
     * @return a tensor of {@code a}'s shape
     */
    public static Tensor maxMask(Tensor a, int[] axes) {
        return extremeMask(a, max(a, axes, true), axes);
    }

    /**
     * For the gradient of {@link #min}: 1/k at each of the k positions that attain the minimum of their group, 0 elsewhere.
     *
     * @param a    the tensor reduced by {@link #min}
     * @param axes the axes it was reduced over
     * @return a tensor of {@code a}'s shape
     */
    public static Tensor minMask(Tensor a, int[] axes) {
        return extremeMask(a, min(a, axes, true), axes);
    }

    private static Tensor extremeMask(Tensor a, Tensor m, int[] axes) {
        Tensor mb = broadcastTo(m, a.shape);
        Tensor hit = Tensor.allocateOverwritten(a.dtype, a.shape);
        for (int i = 0; i < a.size(); i++) {
            hit.set(i, a.at(i) == mb.at(i) ? 1.0 : 0.0);
        }
        Tensor count = sum(hit, axes, true);
        return binary(Binary.DIV, hit, count);
    }

    /**
     * The index of the largest element along {@code axis} for every position of the other axes, in
     * row-major order of the shape without {@code axis}. Ties give the first index, and a NaN counts
     * as the largest (as in {@link #max}). Not differentiable: indices are integers.
     *
     * @param a       the tensor searched
     * @param rawAxis the axis, possibly negative
     * @return one index per position of the other axes
     * @throws IllegalArgumentException when the axis is out of range or empty
     */
    public static int[] argmax(Tensor a, int rawAxis) {
        Objects.requireNonNull(a, "a");
        int axis = a.shape.axis(rawAxis, "argmax");
        int n = a.shape.dim(axis);
        if (n == 0) {
            throw new IllegalArgumentException("argmax: axis " + rawAxis + " of shape " + a.shape + " is empty");
        }
        int inner = 1;
        for (int i = axis + 1; i < a.rank(); i++) inner *= a.shape.dim(i);
        int outer = inner == 0 ? 0 : a.size() / (n * inner);
        int[] out = new int[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * n * inner + in;
                int best = 0;
                double bv = a.at(base);
                for (int k = 1; k < n && !Double.isNaN(bv); k++) {
                    double v = a.at(base + k * inner);
                    if (v > bv || Double.isNaN(v)) {
                        best = k;
                        bv = v;
                    }
                }
                out[o * inner + in] = best;
            }
        }
        return out;
    }

    /**
     * {@code log Σ exp(a)} over {@code axes} (all when empty), as {@code m + log Σ exp(a − m)} with
     * {@code m} the group's maximum (Note [Softmax max trick]), so logits of ±1e4 give their exact
     * result. A group of −∞ gives −∞, one holding +∞ gives +∞.
     *
     * @param a        the tensor reduced
     * @param axes     the axes reduced
     * @param keepDims whether the reduced axes stay as size 1
     * @return the log-sum-exp
     */
    public static Tensor logSumExp(Tensor a, int[] axes, boolean keepDims) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(axes, "axes");
        int[] ax = axes(a.shape, axes, "logSumExp");
        Tensor m = reduce(a, ax, true, Extreme.MAX, "logSumExp");   // refuses an empty axis, naming logSumExp
        Tensor shift = Tensor.allocateOverwritten(a.dtype, m.shape);
        for (int i = 0; i < m.size(); i++) {
            double v = m.at(i);
            shift.set(i, Double.isInfinite(v) ? 0.0 : v); // an infinite maximum is the result itself: exp(∞ − ∞) would be NaN
        }
        Tensor s = sum(unary(Unary.EXP, binary(Binary.SUB, a, shift)), ax, true);
        Tensor out = Tensor.allocateOverwritten(a.dtype, m.shape);
        for (int i = 0; i < out.size(); i++) {
            out.set(i, shift.at(i) + Math.log(s.at(i)));
        }
        return keepDims ? out : out.reshape(reducedShape(a.shape, ax, false));
    }

    /**
     * The Euclidean norm {@code √Σ a²} over {@code axes} (all when empty), each group scaled by its
     * largest magnitude first, so values such as 1e200 neither overflow nor underflow on squaring.
     *
     * @param a        the tensor reduced
     * @param axes     the axes reduced
     * @param keepDims whether the reduced axes stay as size 1
     * @return the norm
     */
    public static Tensor norm(Tensor a, int[] axes, boolean keepDims) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(axes, "axes");
        int[] ax = axes(a.shape, axes, "norm");
        if (a.size() == 0) {
            return sum(a, ax, keepDims); // the norm of nothing is 0
        }
        Tensor abs = unary(Unary.ABS, a);
        Tensor m = max(abs, ax, true);
        Tensor scale = Tensor.allocateOverwritten(a.dtype, m.shape);
        for (int i = 0; i < m.size(); i++) {
            double v = m.at(i);
            scale.set(i, v > 0 && v < Double.POSITIVE_INFINITY ? v : 1.0); // 0, ∞ and NaN need no scaling to come out right
        }
        Tensor s = sum(unary(Unary.SQUARE, binary(Binary.DIV, abs, scale)), ax, true);
        Tensor out = Tensor.allocateOverwritten(a.dtype, m.shape);
        for (int i = 0; i < out.size(); i++) {
            out.set(i, Math.sqrt(s.at(i)) * scale.at(i));
        }
        return keepDims ? out : out.reshape(reducedShape(a.shape, ax, false));
    }

    // ------------------------------------------------------------------ softmax family

    /**
     * Softmax along {@code axis}: {@code exp(x − max) / Σ exp(x − max)}.
     *
     * <p>Note [Softmax max trick]: subtracting the row maximum leaves the result unchanged
     * (it cancels between numerator and denominator) and keeps every exponent ≤ 0, so logits of
     * ±1e4 neither overflow nor produce NaN. Because it cancels, no gradient flows through the
     * subtracted maximum: the derivative rules use only the output.
     *
     * @param a    the logits
     * @param axis the axis normalised over
     * @return a tensor of {@code a}'s shape
     */
    public static Tensor softmax(Tensor a, int axis) {
        Objects.requireNonNull(a, "a");
        return softmaxFamily(a, axis, false);
    }

    /**
     * Log-softmax along {@code axis}: {@code x − max − log Σ exp(x − max)} (Note [Softmax max trick]).
     *
     * @param a    the logits
     * @param axis the axis normalised over
     * @return a tensor of {@code a}'s shape
     */
    public static Tensor logSoftmax(Tensor a, int axis) {
        Objects.requireNonNull(a, "a");
        return softmaxFamily(a, axis, true);
    }

    private static Tensor softmaxFamily(Tensor a, int rawAxis, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        int axis = a.shape.axis(rawAxis, op);
        int n = a.shape.dim(axis);
        int inner = 1;
        for (int i = axis + 1; i < a.rank(); i++) inner *= a.shape.dim(i);
        int outer = n == 0 || inner == 0 ? 0 : a.size() / (n * inner);
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape);
        if (inner == 1) {
            // The last axis: contiguous rows, each on its own, so rows split between threads keep their bits.
            byRows(outer, n, (lo, hi) -> softmaxRows(a, out, n, log, lo, hi));
            return out;
        }
        double[] row = new double[n];
        double[] exps = new double[n];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * n * inner + in;
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < n; k++) {
                    row[k] = a.at(base + k * inner);
                    m = Math.max(m, row[k]);
                }
                if (m == Double.NEGATIVE_INFINITY) {
                    m = 0; // an all −∞ row: keep exp(−∞ − 0) = 0 rather than NaN from −∞ − (−∞)
                }
                double s = 0;
                for (int k = 0; k < n; k++) {
                    double e = Transcendentals.exp(row[k] - m);
                    s += e;
                    exps[k] = e; // kept so softmax's output needs no second exp
                }
                double logS = Math.log(s);
                for (int k = 0; k < n; k++) {
                    double v = log ? row[k] - m - logS : exps[k] / s;
                    out.set(base + k * inner, v);
                }
            }
        }
        return out;
    }

    /**
     * Runs {@code body} over rows {@code [0, rows)} of {@code width} elements each, in chunks of whole
     * rows, one per thread, when they hold enough transcendental work to split.
     */
    private static void byRows(int rows, int width, Range body) {
        if (splits(rows * width, TRANSCENDENTAL_CHUNK) && rows > 1) {
            inChunks(rows, Math.max(1, TRANSCENDENTAL_CHUNK / Math.max(width, 1)), body);
        } else {
            body.run(0, rows);
        }
    }

    /** Softmax or log-softmax of the contiguous rows {@code [lo, hi)} of length {@code n}; out's rows hold the exponentials first. */
    private static void softmaxRows(Tensor a, Tensor out, int n, boolean log, int lo, int hi) {
        double[] maxes = new double[hi - lo];
        shiftedExps(a, lo * n, n, hi - lo, out, lo * n, maxes);
        for (int r = lo; r < hi; r++) {
            int base = r * n;
            double m = maxes[r - lo];
            double s = rowSum(out, base, n);
            if (a.f64() != null) {
                double[] x = a.f64();
                double[] o = out.f64();
                if (log) {
                    double logS = Math.log(s);
                    for (int k = base; k < base + n; k++) o[k] = x[k] - m - logS;
                } else {
                    for (int k = base; k < base + n; k++) o[k] = o[k] / s;
                }
            } else {
                float[] x = a.f32();
                float[] o = out.f32();
                if (log) {
                    double logS = Math.log(s);
                    for (int k = base; k < base + n; k++) o[k] = (float) (x[k] - m - logS);
                } else {
                    for (int k = base; k < base + n; k++) o[k] = (float) (o[k] / s);
                }
            }
        }
    }

    /**
     * For each of {@code rows} contiguous rows of {@code n} elements, row r at {@code x[base + r·n]},
     * {@code exp(x[base + r·n + k] − m_r)} into {@code buf[at + r·n + k]} and {@code m_r} into
     * {@code maxes[r]}, where m_r is the row's maximum (Note [Softmax max trick]), or 0 for a row of −∞
     * alone, whose exponentials are then 0 rather than the NaN of −∞ − (−∞). The exponentials are
     * {@link Unary#EXP}'s, vector or scalar with the same bits, taken over all the rows at once: a row
     * as short as a character vocabulary is too short for the vector loop on its own.
     */
    private static void shiftedExps(Tensor x, int base, int n, int rows, Tensor buf, int at, double[] maxes) {
        for (int r = 0; r < rows; r++) {
            int from = base + r * n;
            int to = at + r * n;
            double m = Double.NEGATIVE_INFINITY;
            if (x.f64() != null) {
                double[] v = x.f64();
                double[] e = buf.f64();
                for (int k = 0; k < n; k++) m = Math.max(m, v[from + k]);
                if (m == Double.NEGATIVE_INFINITY) m = 0;
                for (int k = 0; k < n; k++) e[to + k] = v[from + k] - m;
            } else {
                float[] v = x.f32();
                float[] e = buf.f32();
                for (int k = 0; k < n; k++) m = Math.max(m, v[from + k]);
                if (m == Double.NEGATIVE_INFINITY) m = 0;
                for (int k = 0; k < n; k++) e[to + k] = (float) (v[from + k] - m);
            }
            maxes[r] = m;
        }
        unary(Unary.EXP, buf, buf, at, at + rows * n);
    }

    /** {@code Σ_k t[at + k]} for {@code k < n}, left to right in double. */
    private static double rowSum(Tensor t, int at, int n) {
        double s = 0;
        if (t.f64() != null) {
            double[] v = t.f64();
            for (int k = at; k < at + n; k++) s += v[k];
        } else {
            float[] v = t.f32();
            for (int k = at; k < at + n; k++) s += v[k];
        }
        return s;
    }

    /**
     * One-hot encoding, {@code out[..., c] = (indices[...] == c)} of shape {@code indexDims ++ [classes]},
     * as {@link Tensor#oneHot}, but made as a kernel's output is: on storage the workspace scope open
     * on this thread lends (Note [Workspace loans] on {@link Workspace}), for encodings a step makes
     * afresh each time (its inputs, a loss's targets), which a factory's own storage would allocate anew.
     *
     * @param dtype     the dtype
     * @param indices   the class indices, row-major
     * @param classes   the number of classes
     * @param indexDims the shape of {@code indices}
     * @return the encoding
     * @throws IllegalArgumentException when an index is outside [0, classes) or the indices do not fill {@code indexDims}
     */
    public static Tensor oneHot(DType dtype, int[] indices, int classes, int... indexDims) {
        return Tensor.oneHot(true, dtype, indices, classes, indexDims);
    }

    /**
     * Mean softmax cross-entropy of {@code logits [N, C]} against integer {@code targets} in [0, C):
     * {@code (1/N) Σ_n (logsumexp(logits[n]) − logits[n, targets[n]])}, with the max trick.
     *
     * @param logits  the logits {@code [N, C]}
     * @param targets the class of each row
     * @return the mean loss, a scalar
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        checkTargets(logits, targets);
        int n = logits.shape.dim(0);
        int c = logits.shape.dim(1);
        // Each row's term on its own, summed in row order after: the bits do not depend on the threads.
        double[] terms = new double[n];
        int block = Math.max(1, CE_BLOCK / c);
        Range rows = (lo, hi) -> {
            Tensor exps = Tensor.allocateOverwritten(logits.dtype, Shape.of(Math.min(block, hi - lo) * c));
            double[] maxes = new double[block];
            for (int from = lo; from < hi; from += block) {
                int count = Math.min(block, hi - from);
                shiftedExps(logits, from * c, c, count, exps, 0, maxes);
                for (int r = 0; r < count; r++) {
                    int i = from + r;
                    terms[i] = maxes[r] + Math.log(rowSum(exps, r * c, c)) - logits.at(i * c + targets[i]);
                }
            }
        };
        byRows(n, c, rows);
        double total = 0;
        for (double t : terms) total += t;
        return Tensor.full(logits.dtype, total / n, Shape.scalar());
    }

    /**
     * Validates cross-entropy arguments: logits [N, C], N targets each in [0, C).
     *
     * @param logits  the logits, which must be {@code [N, C]}
     * @param targets N class indices, each in [0, C)
     */
    public static void checkTargets(Tensor logits, int[] targets) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("crossEntropy: logits must be [N, C], got " + logits.shape);
        }
        int n = logits.shape.dim(0);
        int c = logits.shape.dim(1);
        if (targets.length != n) {
            throw new IllegalArgumentException("crossEntropy: logits " + logits.shape + " but " + targets.length + " targets");
        }
        if (n == 0) {
            // the mean over no rows is 0/0: refuse rather than hand back a NaN loss
            throw new IllegalArgumentException("crossEntropy: logits " + logits.shape + " have no rows to average over");
        }
        for (int i = 0; i < n; i++) {
            if (targets[i] < 0 || targets[i] >= c) {
                throw new IllegalArgumentException("crossEntropy: target " + targets[i] + " at row " + i
                        + " is outside [0, " + c + ") for logits " + logits.shape);
            }
        }
    }

    // ------------------------------------------------------------------ matmul

    /**
     * The result shape of {@link #matmul}, or an error naming both shapes.
     *
     * @param a      the left operand's shape
     * @param b      the right operand's shape
     * @param transA whether {@code a} is read transposed
     * @param transB whether {@code b} is read transposed
     * @return the product's shape
     */
    public static Shape matmulShape(Shape a, Shape b, boolean transA, boolean transB) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException(matmulSignature(a, b, transA, transB) + ": both operands need at least 2 dimensions");
        }
        int m = transA ? a.dim(-1) : a.dim(-2);
        int ka = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2);
        int n = transB ? b.dim(-2) : b.dim(-1);
        if (ka != kb) {
            throw new IllegalArgumentException(matmulSignature(a, b, transA, transB) + ": inner dimensions " + ka + " and " + kb + " differ");
        }
        Shape batch;
        try {
            batch = Shape.broadcast(batchShape(a), batchShape(b), "matmul");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(matmulSignature(a, b, transA, transB) + ": batch dimensions " + batchShape(a) + " and " + batchShape(b)
                    + " do not broadcast", e);
        }
        int[] d = Arrays.copyOf(batch.dims(), batch.rank() + 2);
        d[batch.rank()] = m;
        d[batch.rank() + 1] = n;
        return Shape.of(d);
    }

    /** {@code matmul: [2, 3] x [4, 5]ᵀ}: built only when an error needs it. */
    private static String matmulSignature(Shape a, Shape b, boolean transA, boolean transB) {
        return "matmul: " + a + (transA ? "ᵀ" : "") + " x " + b + (transB ? "ᵀ" : "");
    }

    private static Shape batchShape(Shape s) {
        return Shape.of(Arrays.copyOf(s.dims(), s.rank() - 2));
    }

    /**
     * Batched matrix product {@code op(A) · op(B)} where {@code op} transposes the last two
     * dimensions when its flag is set: {@code A [..., m, k]} (or {@code [..., k, m]} transposed),
     * {@code B [..., k, n]} (or {@code [..., n, k]}), result {@code [..., m, n]}; batch dimensions
     * broadcast. The transposed forms are what backward needs ({@code g·Bᵀ}, {@code Aᵀ·g}); they are
     * read in place, never materialised as tensors.
     *
     * @param a      the left operand
     * @param b      the right operand, of {@code a}'s dtype
     * @param transA read {@code a} with its last two axes swapped
     * @param transB read {@code b} with its last two axes swapped
     * @return the product {@code [..., m, n]}
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        sameDType("matmul", a, b);
        if (a.rank() == 2 && b.rank() == 2) {
            // The hot case (every recurrent step): no batch bookkeeping; mismatches fall through to matmulShape's message.
            int m = transA ? a.shape.dim(1) : a.shape.dim(0);
            int k = transA ? a.shape.dim(0) : a.shape.dim(1);
            int n = transB ? b.shape.dim(0) : b.shape.dim(1);
            if (k == (transB ? b.shape.dim(1) : b.shape.dim(0))) {
                Tensor out = Tensor.allocateOverwritten(a.dtype, Shape.matrix(m, n));
                Gemm.product(a, 0, transA, b, 0, transB, out, 0, m, n, k);
                return out;
            }
        }
        Shape os = matmulShape(a.shape, b.shape, transA, transB);
        int m = os.dim(-2);
        int n = os.dim(-1);
        int k = transA ? a.shape.dim(-2) : a.shape.dim(-1);
        Tensor out = Tensor.allocateOverwritten(a.dtype, os);
        Shape batch = batchShape(os);
        int aMat = a.shape.dim(-1) * a.shape.dim(-2);
        int bMat = b.shape.dim(-1) * b.shape.dim(-2);
        int[] sa = matrixStrides(batchShape(a.shape), batch);
        int[] sb = matrixStrides(batchShape(b.shape), batch);
        int batches = batch.size();
        int[] idx = new int[batch.rank()];
        int[] bd = batch.dims();
        for (int bi = 0; bi < batches; bi++) {
            int ao = 0;
            int bo = 0;
            for (int i = 0; i < idx.length; i++) {
                ao += idx[i] * sa[i];
                bo += idx[i] * sb[i];
            }
            Gemm.product(a, ao * aMat, transA, b, bo * bMat, transB, out, bi * m * n, m, n, k);
            for (int i = idx.length - 1; i >= 0; i--) {
                if (++idx[i] < bd[i]) break;
                idx[i] = 0;
            }
        }
        return out;
    }

    /**
     * {@code op(A)·op(B) + c}, with {@code c} broadcasting to the product's shape {@code [..., m, n]}
     * (a bias {@code [n]} or {@code [1, n]}, or the product's own shape): {@code c} is added over the
     * product as it leaves {@link #matmul}, so no second array of the product's size is made. Each
     * element is rounded exactly as {@code binary(ADD, matmul(a, b, …), c)} rounds it.
     *
     * @param a      the left operand
     * @param b      the right operand, of {@code a}'s dtype
     * @param transA read {@code a} with its last two axes swapped
     * @param transB read {@code b} with its last two axes swapped
     * @param c      the addend, of {@code a}'s dtype
     * @return the sum {@code [..., m, n]}
     * @throws IllegalArgumentException when {@code c}'s dtype differs, or {@code c} does not broadcast to the product's shape
     */
    public static Tensor matmulPlus(Tensor a, Tensor b, boolean transA, boolean transB, Tensor c) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(c, "c");
        sameDType("matmulPlus", a, c);
        Tensor out = matmul(a, b, transA, transB);
        if (c.shape.isTrailingBlockOf(out.shape)) {
            repeatedBlockRuns(Binary.ADD, out, c, out);
            return out;
        }
        if (!Shape.broadcast(out.shape, c.shape, "matmulPlus").equals(out.shape)) {
            throw new IllegalArgumentException("matmulPlus: the addend " + c.dtype + c.shape + " does not broadcast to the product's shape "
                    + out.shape);
        }
        return binary(Binary.ADD, out, c);
    }

    /** Batch strides in units of whole matrices, 0 along broadcast batch dimensions. */
    private static int[] matrixStrides(Shape s, Shape target) {
        return broadcastStrides(s, target);
    }

    // ------------------------------------------------------------------ shape ops

    /**
     * Permutes dimensions: {@code out.dim(i) = a.dim(perm[i])}.
     *
     * @param a    the tensor permuted
     * @param perm the source axis of each output axis
     * @return the permuted tensor
     */
    public static Tensor permute(Tensor a, int[] perm) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(perm, "perm");
        int r = a.rank();
        if (perm.length != r) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " for shape " + a.shape);
        }
        boolean[] seen = new boolean[r];
        int[] od = new int[r];
        int[] as = a.shape.strides();
        int[] ps = new int[r];
        for (int i = 0; i < r; i++) {
            int p = perm[i] < 0 ? perm[i] + r : perm[i];
            if (p < 0 || p >= r || seen[p]) {
                throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " is not a permutation of the axes of " + a.shape);
            }
            seen[p] = true;
            od[i] = a.shape.dim(p);
            ps[i] = as[p];
        }
        if (r == 0) {
            return a;
        }
        Shape os = Shape.of(od);
        Tensor out = Tensor.allocateOverwritten(a.dtype, os);
        if (os.size() == 0) {
            return out;
        }
        RowOdometer w = new RowOdometer(os, ps, os.strides());
        int n = os.dim(r - 1);
        int s = ps[r - 1];
        do {
            int ai = w.off[0];
            int oi = w.off[1];
            if (a.f64() != null) {
                double[] x = a.f64();
                double[] o = out.f64();
                for (int i = 0; i < n; i++) o[oi + i] = x[ai + i * s];
            } else {
                float[] x = a.f32();
                float[] o = out.f32();
                for (int i = 0; i < n; i++) o[oi + i] = x[ai + i * s];
            }
        } while (w.next());
        return out;
    }

    /**
     * {@code a[..., start:end, ...]} along {@code axis}.
     *
     * @param a       the tensor sliced
     * @param rawAxis the axis, possibly negative
     * @param start   the first index kept
     * @param end     the index after the last one kept
     * @return the slice
     */
    public static Tensor slice(Tensor a, int rawAxis, int start, int end) {
        Objects.requireNonNull(a, "a");
        int axis = a.shape.axis(rawAxis, "slice");
        int d = a.shape.dim(axis);
        if (start < 0 || end > d || start > end) {
            throw new IllegalArgumentException("slice: [" + start + ", " + end + ") along axis " + rawAxis
                    + " is outside shape " + a.shape);
        }
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape.with(axis, end - start));
        copyBlocks(a, axis, start, out, 0, end - start);
        if (a.hotColumns != null && axis < a.rank() - 1) {
            out.hotColumns = new int[rowsOfLastAxis(out.shape)];
            copyHotBlocks(a, axis, start, out, 0, end - start);
        }
        return out;
    }

    /**
     * The adjoint of {@link #slice}: zeros of length {@code full} along {@code axis} with {@code a} placed at {@code start}.
     *
     * @param a       the slice
     * @param rawAxis the axis, possibly negative
     * @param start   where {@code a} starts along it
     * @param full    the result's length along it
     * @return zeros with {@code a} placed at {@code start}
     */
    public static Tensor unslice(Tensor a, int rawAxis, int start, int full) {
        Objects.requireNonNull(a, "a");
        int axis = a.shape.axis(rawAxis, "unslice");
        int len = a.shape.dim(axis);
        if (start < 0 || start + len > full) {
            throw new IllegalArgumentException("unslice: " + a.shape + " at " + start + " does not fit length " + full + " along axis " + rawAxis);
        }
        Tensor out = Tensor.allocate(a.dtype, a.shape.with(axis, full));
        copyBlocks(a, axis, 0, out, start, len);
        return out;
    }

    /** Copies {@code len} positions along {@code axis} from src (from srcStart) into dst (at dstStart). */
    private static void copyBlocks(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int len) {
        int inner = 1;
        for (int i = axis + 1; i < src.rank(); i++) inner *= src.shape.dim(i);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= src.shape.dim(i);
        int sd = src.shape.dim(axis);
        int dd = dst.shape.dim(axis);
        int block = len * inner;
        for (int o = 0; o < outer; o++) {
            int so = (o * sd + srcStart) * inner;
            int doff = (o * dd + dstStart) * inner;
            if (src.f64() != null) {
                System.arraycopy(src.f64(), so, dst.f64(), doff, block);
            } else {
                System.arraycopy(src.f32(), so, dst.f32(), doff, block);
            }
        }
    }

    /** The rows of a shape's last axis: the product of the other dimensions. */
    private static int rowsOfLastAxis(Shape s) {
        int rows = 1;
        for (int i = 0; i < s.rank() - 1; i++) rows *= s.dim(i);
        return rows;
    }

    /**
     * {@link #copyBlocks} for the positions of one-hot rows ({@code Tensor.hotColumns}), one per row of the
     * last axis, along an {@code axis} before the last.
     */
    private static void copyHotBlocks(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int len) {
        int inner = 1;
        for (int i = axis + 1; i < src.rank() - 1; i++) inner *= src.shape.dim(i);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= src.shape.dim(i);
        int sd = src.shape.dim(axis);
        int dd = dst.shape.dim(axis);
        for (int o = 0; o < outer; o++) {
            System.arraycopy(src.hotColumns, (o * sd + srcStart) * inner, dst.hotColumns, (o * dd + dstStart) * inner, len * inner);
        }
    }

    /**
     * {@code acc[..., start:start+len, ...] = g} along {@code axis}, in place, on a buffer no one else
     * can see yet (shapes already checked): the adjoint of {@link #slice} written into a sum's buffer
     * where nothing has been written before.
     */
    static void copyInto(Tensor acc, Tensor g, int axis, int start) {
        copyBlocks(g, axis, 0, acc, start, g.shape.dim(axis));
    }

    /** {@code acc[..., start:start+len, ...] = 0} along {@code axis}, in place, on a buffer no one else can see yet. */
    static void zeroInto(Tensor acc, int axis, int start, int len) {
        int inner = 1;
        for (int i = axis + 1; i < acc.rank(); i++) inner *= acc.shape.dim(i);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= acc.shape.dim(i);
        int ad = acc.shape.dim(axis);
        for (int o = 0; o < outer; o++) {
            int from = (o * ad + start) * inner;
            int to = from + len * inner;
            if (acc.f64() != null) {
                Arrays.fill(acc.f64(), from, to, 0.0);
            } else {
                Arrays.fill(acc.f32(), from, to, 0f);
            }
        }
    }

    /**
     * {@code acc[..., start:start+len, ...] += g} along {@code axis}, in place, on a buffer no one else
     * can see yet (shapes already checked): the adjoint of {@link #slice} added into a running sum.
     */
    static void addInto(Tensor acc, Tensor g, int axis, int start) {
        int inner = 1;
        for (int i = axis + 1; i < g.rank(); i++) inner *= g.shape.dim(i);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= g.shape.dim(i);
        int gd = g.shape.dim(axis);
        int ad = acc.shape.dim(axis);
        int block = gd * inner;
        for (int o = 0; o < outer; o++) {
            // In place at two offsets, which C2 does not vectorise by itself; binaryRun's ADD has the scalar bits.
            int ao = (o * ad + start) * inner;
            binaryRun(Binary.ADD, acc, ao, 1, g, o * block, 1, acc, ao, block);
        }
    }

    /**
     * Joins tensors along an existing {@code axis}; all other dimensions and the dtype must agree.
     *
     * @param parts   the tensors joined
     * @param rawAxis the axis, possibly negative
     * @return the concatenation
     */
    public static Tensor concat(List<Tensor> parts, int rawAxis) {
        Objects.requireNonNull(parts, "parts");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        Tensor first = parts.get(0);
        int axis = first.shape.axis(rawAxis, "concat");
        int total = 0;
        boolean hot = axis < first.rank() - 1;   // rows joined from one-hot rows are one-hot
        for (Tensor p : parts) {
            sameDType("concat", first, p);
            if (!p.shape.equalsExcept(first.shape, axis)) {
                throw new IllegalArgumentException("concat: shapes " + first.shape + " and " + p.shape
                        + " differ outside axis " + rawAxis);
            }
            total += p.shape.dim(axis);
            hot &= p.hotColumns != null;
        }
        Tensor out = Tensor.allocateOverwritten(first.dtype, first.shape.with(axis, total));
        if (hot) {
            out.hotColumns = new int[rowsOfLastAxis(out.shape)];
        }
        int at = 0;
        for (Tensor p : parts) {
            int len = p.shape.dim(axis);
            copyBlocks(p, axis, 0, out, at, len);
            if (hot) {
                copyHotBlocks(p, axis, 0, out, at, len);
            }
            at += len;
        }
        return out;
    }

    /**
     * {@code out[..., i, ...] = a[..., indices[i], ...]} along {@code axis}: index-select, the embedding lookup.
     *
     * @param a       the tensor selected from
     * @param rawAxis the axis, possibly negative
     * @param indices the positions selected, in output order
     * @return the selected slices
     */
    public static Tensor indexSelect(Tensor a, int rawAxis, int[] indices) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(indices, "indices");
        int axis = a.shape.axis(rawAxis, "indexSelect");
        int d = a.shape.dim(axis);
        checkIndices("indexSelect", indices, d, a.shape, rawAxis);
        Tensor out = Tensor.allocateOverwritten(a.dtype, a.shape.with(axis, indices.length));
        for (int i = 0; i < indices.length; i++) {
            copyBlocks(a, axis, indices[i], out, i, 1);
        }
        return out;
    }

    /**
     * The adjoint of {@link #indexSelect}: zeros of length {@code size} along {@code axis}, {@code g}'s slices added at their indices.
     *
     * @param g       the slices added
     * @param rawAxis the axis, possibly negative
     * @param indices the position each slice is added at
     * @param size    the result's length along the axis
     * @return zeros with the slices added at their positions
     */
    public static Tensor indexAdd(Tensor g, int rawAxis, int[] indices, int size) {
        Objects.requireNonNull(g, "g");
        Objects.requireNonNull(indices, "indices");
        int axis = g.shape.axis(rawAxis, "indexAdd");
        if (g.shape.dim(axis) != indices.length) {
            throw new IllegalArgumentException("indexAdd: " + indices.length + " indices for " + g.shape + " along axis " + rawAxis);
        }
        checkIndices("indexAdd", indices, size, g.shape, rawAxis);
        Tensor out = Tensor.allocate(g.dtype, g.shape.with(axis, size));
        int inner = 1;
        for (int i = axis + 1; i < g.rank(); i++) inner *= g.shape.dim(i);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= g.shape.dim(i);
        int gd = indices.length;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < gd; i++) {
                int go = (o * gd + i) * inner;
                int oo = (o * size + indices[i]) * inner;
                if (g.f64() != null) {
                    double[] x = g.f64();
                    double[] y = out.f64();
                    for (int j = 0; j < inner; j++) y[oo + j] += x[go + j];
                } else {
                    float[] x = g.f32();
                    float[] y = out.f32();
                    for (int j = 0; j < inner; j++) y[oo + j] += x[go + j];
                }
            }
        }
        return out;
    }

    /**
     * Per-element gather along {@code axis} (PyTorch's {@code torch.gather}, NumPy's
     * {@code take_along_axis}): for every position {@code i} of {@code indexShape},
     * {@code out[i] = a[i with i[axis] replaced by index[i]]}. {@code index} holds one entry per
     * element of {@code indexShape}, in row-major order; {@code indexShape} has {@code a}'s rank and no
     * dimension larger than {@code a}'s outside {@code axis}. The result has shape {@code indexShape}.
     * So for logits {@code [N, C]}, axis 1 and an index {@code [N, 1]} of targets, it picks
     * {@code a[n, t_n]}.
     *
     * @param a          the tensor read
     * @param rawAxis    the axis, possibly negative
     * @param index      the position along the axis of each output element, row-major
     * @param indexShape the shape of {@code index}, which is the output's
     * @return the gathered elements
     */
    public static Tensor gather(Tensor a, int rawAxis, int[] index, Shape indexShape) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(indexShape, "indexShape");
        int axis = checkAlong("gather", a.shape, rawAxis, index, indexShape);
        Tensor out = Tensor.allocateOverwritten(a.dtype, indexShape);
        int[] as = a.shape.strides();
        int[] is = indexShape.strides();
        for (int p = 0; p < index.length; p++) {
            out.set(p, a.at(offsetAlong(p, is, as, axis, index[p])));
        }
        return out;
    }

    /**
     * {@code base} with {@code src}'s elements added at the positions {@link #gather} would read them
     * from: {@code out[i with i[axis] replaced by index[i]] += src[i]} for every position {@code i} of
     * {@code src} (PyTorch's {@code scatter_add}); repeated targets add up. {@code index} has one entry
     * per element of {@code src}; the result has {@code base}'s shape.
     *
     * @param base    the tensor added into
     * @param rawAxis the axis, possibly negative
     * @param index   the position along the axis of each element of {@code src}, row-major
     * @param src     the elements added
     * @return {@code base} with {@code src} added at those positions
     */
    public static Tensor scatterAdd(Tensor base, int rawAxis, int[] index, Tensor src) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(src, "src");
        sameDType("scatterAdd", base, src);
        int axis = checkAlong("scatterAdd", base.shape, rawAxis, index, src.shape);
        Tensor out = Tensor.allocateOverwritten(base.dtype, base.shape);
        if (base.f64() != null) {
            System.arraycopy(base.f64(), 0, out.f64(), 0, base.size());
        } else {
            System.arraycopy(base.f32(), 0, out.f32(), 0, base.size());
        }
        int[] os = base.shape.strides();
        int[] is = src.shape.strides();
        for (int p = 0; p < index.length; p++) {
            int o = offsetAlong(p, is, os, axis, index[p]);
            out.set(o, out.at(o) + src.at(p));
        }
        return out;
    }

    /** The offset in a tensor of strides {@code to} of index position {@code p} (strides {@code from}) with its {@code axis} coordinate replaced. */
    private static int offsetAlong(int p, int[] from, int[] to, int axis, int replacement) {
        int off = 0;
        for (int k = 0; k < from.length; k++) {
            int coord = p / from[k];
            p -= coord * from[k];
            off += (k == axis ? replacement : coord) * to[k];
        }
        return off;
    }

    /** Validates a per-element index against the indexed shape; returns the resolved axis. */
    private static int checkAlong(String op, Shape s, int rawAxis, int[] index, Shape indexShape) {
        int axis = s.axis(rawAxis, op);
        if (indexShape.rank() != s.rank()) {
            throw new IllegalArgumentException(op + ": index shape " + indexShape + " has rank " + indexShape.rank() + " but "
                    + s + " has rank " + s.rank() + " (the index must have the same rank)");
        }
        if (index.length != indexShape.size()) {
            throw new IllegalArgumentException(op + ": " + index.length + " indices do not fill index shape " + indexShape);
        }
        for (int k = 0; k < s.rank(); k++) {
            if (k != axis && indexShape.dim(k) > s.dim(k)) {
                throw new IllegalArgumentException(op + ": index shape " + indexShape + " is larger than " + s + " along axis " + k
                        + " (only axis " + rawAxis + " may differ)");
            }
        }
        checkIndices(op, index, s.dim(axis), s, rawAxis);
        return axis;
    }

    private static void checkIndices(String op, int[] indices, int d, Shape s, int axis) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= d) {
                throw new IllegalArgumentException(op + ": index " + indices[i] + " at position " + i
                        + " is outside [0, " + d + ") along axis " + axis + " of " + s);
            }
        }
    }

    /**
     * The first NaN or infinite element of {@code a}: what anomaly reports name, and, when there is one,
     * what {@link Tensor#hasNonFinite} answers. On the Vector API loop when it is in use.
     *
     * @param a the tensor scanned
     * @return the flat offset of the first NaN or infinite element, or −1 when there is none
     */
    public static int firstNonFinite(Tensor a) {
        Objects.requireNonNull(a, "a");
        return firstNonFinite(a, 0, a.size());
    }

    /**
     * The first NaN or ±∞ among {@code len} values of {@code a}'s storage from {@code from}, as an offset into it, or −1.
     */
    static int firstNonFinite(Tensor a, int from, int len) {
        double[] d = a.f64();
        return d != null ? firstNonFinite(d, from, from + len) : firstNonFinite(a.f32(), from, from + len);
    }

    /** The index of the first NaN or ±∞ in {@code x[from, to)}, or −1; on the Vector API loop when it is in use. */
    static int firstNonFinite(double[] x, int from, int to) {
        SimdLoops loops = SimdLoops.LOOPS;
        return loops != null ? loops.firstNonFinite(x, from, to) : firstNonFiniteScalar(x, from, to);
    }

    /** The float32 form of {@link #firstNonFinite(double[], int, int)}. */
    static int firstNonFinite(float[] x, int from, int to) {
        SimdLoops loops = SimdLoops.LOOPS;
        return loops != null ? loops.firstNonFinite(x, from, to) : firstNonFiniteScalar(x, from, to);
    }

    /** The index of the first NaN or ±∞ in {@code x[from, to)}, or −1: the scalar loop, also the vector loop's rest. */
    static int firstNonFiniteScalar(double[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Double.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The float32 form of {@link #firstNonFiniteScalar(double[], int, int)}. */
    static int firstNonFiniteScalar(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(x[i])) {
                return i;
            }
        }
        return -1;
    }
}
