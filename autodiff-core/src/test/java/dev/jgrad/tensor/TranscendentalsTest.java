package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link Transcendentals} against {@code StrictMath} (fdlibm, within 1 ulp of the exact value), over the whole range
 * including subnormal results, the clamping thresholds and special values; and the kernels' loops (the Vector API
 * when its module is present) against the scalar functions, bit for bit (Note [Reproducible transcendentals]).
 */
class TranscendentalsTest {
    private static final int SAMPLES = 200_000;

    @Test
    void float64AgainstStrictMath() {
        Rng rng = Rng.seeded(1);
        double[] worst = new double[3];
        for (int i = 0; i < SAMPLES; i++) {
            double x = sample(rng, i, 760);
            worst[0] = Math.max(worst[0], ulps(Transcendentals.exp(x), StrictMath.exp(x), "exp", x));
            worst[1] = Math.max(worst[1], ulps(Transcendentals.tanh(x), StrictMath.tanh(x), "tanh", x));
            worst[2] = Math.max(worst[2], ulps(Transcendentals.sigmoid(x), strictSigmoid(x), "sigmoid", x));
        }
        // The reference itself is within 1 ulp of the exact value (sigmoid's within 2: an exp, an add and a divide).
        assertTrue(worst[0] <= 2, "exp: " + worst[0] + " ulp");
        assertTrue(worst[1] <= 3, "tanh: " + worst[1] + " ulp");
        assertTrue(worst[2] <= 4, "sigmoid: " + worst[2] + " ulp");
    }

    @Test
    void float32AgainstStrictMathRounded() {
        Rng rng = Rng.seeded(2);
        double[] worst = new double[3];
        for (int i = 0; i < SAMPLES; i++) {
            float x = (float) sample(rng, i, 110);
            worst[0] = Math.max(worst[0], ulps(Transcendentals.exp(x), (float) StrictMath.exp(x), "exp", x));
            worst[1] = Math.max(worst[1], ulps(Transcendentals.tanh(x), (float) StrictMath.tanh(x), "tanh", x));
            worst[2] = Math.max(worst[2], ulps(Transcendentals.sigmoid(x), (float) strictSigmoid(x), "sigmoid", x));
        }
        // The float reference is the double value rounded once: within half an ulp of the exact value.
        assertTrue(worst[0] <= 2, "exp: " + worst[0] + " ulp");
        assertTrue(worst[1] <= 3, "tanh: " + worst[1] + " ulp");
        assertTrue(worst[2] <= 3, "sigmoid: " + worst[2] + " ulp");
    }

    @Test
    void specialValues() {
        for (double x : new double[] {Double.NaN}) {
            assertTrue(Double.isNaN(Transcendentals.exp(x)) && Double.isNaN(Transcendentals.tanh(x)) && Double.isNaN(Transcendentals.sigmoid(x)));
            assertTrue(Float.isNaN(Transcendentals.exp((float) x)) && Float.isNaN(Transcendentals.tanh((float) x))
                    && Float.isNaN(Transcendentals.sigmoid((float) x)));
        }
        assertEquals(Double.POSITIVE_INFINITY, Transcendentals.exp(Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, Transcendentals.exp(709.8));
        assertEquals(StrictMath.exp(709.782712893384), Transcendentals.exp(709.782712893384), Math.ulp(Double.MAX_VALUE));
        assertEquals(0.0, Transcendentals.exp(Double.NEGATIVE_INFINITY));
        assertEquals(Double.MIN_VALUE, Transcendentals.exp(-744.44007192138126231410729844608163));
        assertEquals(Float.POSITIVE_INFINITY, Transcendentals.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, Transcendentals.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.MIN_VALUE, Transcendentals.exp(-103.2789f));
        for (double x : new double[] {0.0, -0.0}) {
            assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(Transcendentals.tanh(x)), "tanh keeps the sign of zero");
            assertEquals(Float.floatToRawIntBits((float) x), Float.floatToRawIntBits(Transcendentals.tanh((float) x)));
            assertEquals(1.0, Transcendentals.exp(x));
            assertEquals(0.5, Transcendentals.sigmoid(x));
        }
        assertEquals(1.0, Transcendentals.tanh(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Transcendentals.tanh(-1e300));
        assertEquals(-1f, Transcendentals.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(1.0, Transcendentals.sigmoid(800.0));
        assertEquals(0.0, Transcendentals.sigmoid(-800.0));
        assertEquals(strictSigmoid(-720), Transcendentals.sigmoid(-720.0), Math.ulp(strictSigmoid(-720)), "a subnormal σ, not 0");
        assertEquals((float) strictSigmoid(-95), Transcendentals.sigmoid(-95f), Math.ulp((float) strictSigmoid(-95)));
        assertEquals(1f, Transcendentals.sigmoid(800f));
        assertEquals(0f, Transcendentals.sigmoid(-800f));
        assertEquals(1e-300, Transcendentals.tanh(1e-300), 0.0, "tanh(x) = x to the last bit for tiny x");
        assertEquals(1e-30f, Transcendentals.tanh(1e-30f), 0f);
    }

    @Test
    void kernelLoopsGiveTheScalarFunctionsBitsWhereverAnElementSits() {
        Kernels.Unary[] ops = {Kernels.Unary.EXP, Kernels.Unary.TANH, Kernels.Unary.SIGMOID};
        DoubleUnaryOperator[] f64 = {Transcendentals::exp, Transcendentals::tanh, Transcendentals::sigmoid};
        Rng rng = Rng.seeded(3);
        for (int n : new int[] {1, 7, 8, 15, 16, 17, 33, 1000, 20011}) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = sample(rng, i, 760);
            }
            Tensor d = Tensor.of(v, n);
            Tensor f = d.cast(DType.F32);
            for (int k = 0; k < ops.length; k++) {
                Tensor gd = Kernels.unary(ops[k], d);
                Tensor gf = Kernels.unary(ops[k], f);
                for (int i = 0; i < n; i++) {
                    double want = f64[k].applyAsDouble(v[i]);
                    assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(gd.at(i)), ops[k] + " F64 n=" + n + " at " + i + " x=" + v[i]);
                    float x = (float) f.at(i);
                    float wantF = switch (ops[k]) {
                        case EXP -> Transcendentals.exp(x);
                        case TANH -> Transcendentals.tanh(x);
                        default -> Transcendentals.sigmoid(x);
                    };
                    assertEquals(Float.floatToIntBits(wantF), Float.floatToIntBits((float) gf.at(i)), ops[k] + " F32 n=" + n + " at " + i + " x=" + x);
                }
            }
        }
    }

    /** Mostly uniform over [−range, range], with a share of small magnitudes and special values. */
    private static double sample(Rng rng, int i, double range) {
        return switch (i % 10) {
            case 0 -> (rng.uniform(-1, 1)) * Math.pow(10, rng.uniform(-30, 0));
            case 1 -> new double[] {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-310, -1e-310,
                    709.78, -745.1, 88.7, -103.9, 22, 9.1}[(i / 10) % 13];
            case 2 -> rng.uniform(-2, 2);
            default -> rng.uniform(-range, range);
        };
    }

    /** σ from StrictMath, in the form that neither overflows nor loses tiny results: e/(1 + e) below 0. */
    private static double strictSigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + StrictMath.exp(-x));
        }
        double e = StrictMath.exp(x);
        return e / (1.0 + e);
    }

    private static double ulps(double got, double want, String f, double x) {
        if (Double.isNaN(want) || Double.isNaN(got)) {
            assertEquals(Double.isNaN(want), Double.isNaN(got), f + "(" + x + ") = " + got + ", want " + want);
            return 0;
        }
        if (got == want) {
            return 0;
        }
        assertFalse(Double.isInfinite(got) || Double.isInfinite(want), f + "(" + x + ") = " + got + ", want " + want);
        return Math.abs(got - want) / Math.ulp(want);
    }

    private static double ulps(float got, float want, String f, float x) {
        if (Float.isNaN(want) || Float.isNaN(got)) {
            assertEquals(Float.isNaN(want), Float.isNaN(got), f + "(" + x + ") = " + got + ", want " + want);
            return 0;
        }
        if (got == want) {
            return 0;
        }
        assertFalse(Float.isInfinite(got) || Float.isInfinite(want), f + "(" + x + ") = " + got + ", want " + want);
        return Math.abs(got - want) / Math.ulp(want);
    }
}
