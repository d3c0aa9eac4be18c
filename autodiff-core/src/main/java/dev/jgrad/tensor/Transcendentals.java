package dev.jgrad.tensor;

/**
 * The exponential, tanh and logistic functions of the elementwise kernels, written with arithmetic
 * alone (add, multiply, fused multiply-add, divide and bit assembly of powers of two).
 *
 * <p>Note [Reproducible transcendentals]: {@code Math.exp} and the Vector API's {@code EXP} lanes may
 * give different bits depending on whether the JIT has compiled the caller (an intrinsic) or not (a
 * library call), so a loop using them is not reproducible from one run, or one warm-up, to the next.
 * These functions use only correctly rounded IEEE operations in a fixed order, which the vector loops
 * ({@code VectorLoops}) repeat lane by lane: every element gets the same bits interpreted or
 * compiled, scalar or vector, with or without the incubating Vector API module.
 *
 * <p>Method: {@code e^x = 2^n · e^r} with {@code n = rint(x / ln 2)} and {@code r = x − n·ln 2}
 * (ln 2 split in two parts, so {@code |r| ≤ ln 2 / 2} is exact to working precision), {@code e^r − 1}
 * from its Taylor series (remainder below 10⁻¹⁷ in double, 10⁻⁸ in float), and {@code 2^n} applied as
 * two exact powers so results in the subnormal range round once. Errors stay within about 1 ulp for
 * exp and 2–3 ulp for tanh and σ, checked against {@code StrictMath} by the tests.
 * {@code tanh(x) = sign(x)·e/(e + 2)} with {@code e = expm1(2|x|)}, accurate near 0 where
 * {@code 1 − 2/(e^{2x} + 1)} would cancel. {@code σ(x) = 1/(1 + e)} for x ≥ 0 and {@code e/(1 + e)}
 * for x < 0, with {@code e = e^{−|x|} ≤ 1}: nothing overflows, and tiny results keep their relative
 * accuracy down to the subnormals.
 */
final class Transcendentals {
    static final double LOG2E = 1.4426950408889634;
    /** ln 2 in two parts; the high part has trailing zero bits, so {@code n·LN2_HI} is exact for |n| < 2¹¹. */
    static final double LN2_HI = 6.93147180369123816490e-01;
    static final double LN2_LO = 1.90821492927058770002e-10;
    /**
     * {@code t = v + 1.5·2⁵²} rounds {@code |v| < 2⁵¹} to the nearest integer k (ties to even) and holds it in its low
     * bits: {@code t − ROUND = k} and {@code bits(t) − bits(ROUND) = k}, both exact.
     */
    static final double ROUND = 6755399441055744.0;
    static final long ROUND_BITS = Double.doubleToRawLongBits(ROUND);
    /** Inputs are clamped to [EXP_MIN, EXP_MAX]: beyond them e^x is 0 or +∞ after rounding anyway. */
    static final double EXP_MIN = -746.0;
    static final double EXP_MAX = 710.0;
    /** tanh(x) rounds to ±1 in double beyond this. */
    static final double TANH_ONE = 22.0;

    /** Taylor coefficients 1/k! for k = 2 … 13 (double) and 2 … 7 (float), highest first. */
    static final double[] C = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
            1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5};

    static final float LOG2E_F = 1.44269504f;
    static final float LN2_HI_F = 0.693359375f;
    static final float LN2_LO_F = -2.12194440e-4f;
    static final float ROUND_F = 12582912.0f;
    static final int ROUND_BITS_F = Float.floatToRawIntBits(ROUND_F);
    static final float EXP_MIN_F = -104.0f;
    static final float EXP_MAX_F = 89.0f;
    static final float TANH_ONE_F = 9.1f;
    static final float[] C_F = {1f / 5040f, 1f / 720f, 1f / 120f, 1f / 24f, 1f / 6f, 0.5f};

    private Transcendentals() {
    }

    /** {@code e^r − 1} for {@code |r| ≤ ln 2 / 2}: {@code r + r²·(1/2 + r/6 + …)}, relative-accurate near 0. */
    static double expm1Reduced(double r) {
        double p = C[0];
        for (int i = 1; i < C.length; i++) {
            p = Math.fma(p, r, C[i]);
        }
        return Math.fma(r * r, p, r);
    }

    /** {@code 2^n} for {@code −1022 ≤ n ≤ 1023}, assembled from its exponent bits. */
    static double pow2(long n) {
        return Double.longBitsToDouble((n + 1023) << 52);
    }

    static double exp(double x) {
        double y = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        double t = y * LOG2E + ROUND;
        double n = t - ROUND;
        double r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, y));
        double er = 1.0 + expm1Reduced(r);
        long k = Double.doubleToRawLongBits(t) - ROUND_BITS;
        long k1 = k >> 1;
        return er * pow2(k1) * pow2(k - k1);
    }

    /** {@code e^y − 1} for {@code 0 ≤ y ≤ 2·TANH_ONE}, relative-accurate near 0. */
    static double expm1(double y) {
        double t = y * LOG2E + ROUND;
        double n = t - ROUND;
        double r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, y));
        double q = expm1Reduced(r);
        double s = pow2(Double.doubleToRawLongBits(t) - ROUND_BITS);
        return Math.fma(s, q, s - 1.0);
    }

    static double tanh(double x) {
        double a = Math.min(Math.abs(x), TANH_ONE);
        double e = expm1(2.0 * a);
        double t = e / (e + 2.0);
        return Math.copySign(a == TANH_ONE ? 1.0 : t, x);
    }

    static double sigmoid(double x) {
        double e = exp(-Math.abs(x));
        double r = 1.0 / (1.0 + e);
        return x >= 0 ? r : e * r;
    }

    static float expm1Reduced(float r) {
        float p = C_F[0];
        for (int i = 1; i < C_F.length; i++) {
            p = Math.fma(p, r, C_F[i]);
        }
        return Math.fma(r * r, p, r);
    }

    static float pow2(int n) {
        return Float.intBitsToFloat((n + 127) << 23);
    }

    static float exp(float x) {
        float y = Math.min(Math.max(x, EXP_MIN_F), EXP_MAX_F);
        float t = y * LOG2E_F + ROUND_F;
        float n = t - ROUND_F;
        float r = Math.fma(-n, LN2_LO_F, Math.fma(-n, LN2_HI_F, y));
        float er = 1f + expm1Reduced(r);
        int k = Float.floatToRawIntBits(t) - ROUND_BITS_F;
        int k1 = k >> 1;
        return er * pow2(k1) * pow2(k - k1);
    }

    static float expm1(float y) {
        float t = y * LOG2E_F + ROUND_F;
        float n = t - ROUND_F;
        float r = Math.fma(-n, LN2_LO_F, Math.fma(-n, LN2_HI_F, y));
        float q = expm1Reduced(r);
        float s = pow2(Float.floatToRawIntBits(t) - ROUND_BITS_F);
        return Math.fma(s, q, s - 1f);
    }

    static float tanh(float x) {
        float a = Math.min(Math.abs(x), TANH_ONE_F);
        float e = expm1(2f * a);
        float t = e / (e + 2f);
        return Math.copySign(a == TANH_ONE_F ? 1f : t, x);
    }

    static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        float r = 1f / (1f + e);
        return x >= 0 ? r : e * r;
    }
}
