package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The one-pass derivative kernels of tanh and σ ({@link Kernels.Binary#TANH_GRAD}, {@link Kernels.Binary#SIGMOID_GRAD})
 * give the bits of the three kernels the rules used to run, {@code g ⊙ oneMinus(square(y))} and
 * {@code g ⊙ (y ⊙ oneMinus(y))}: committed reference files, walkthrough outputs and bit-exact resume were
 * written by those. Checked in both dtypes, on random values and on every pair of extreme ones (±0, ±1, the
 * neighbours of 1, subnormals, values whose square overflows or underflows, ±∞, NaN), at sizes around the vector
 * widths (full vectors, tails, the scalar loops below 32 elements) and through the broadcast path, whose runs start
 * at offsets. Signed zeros count as different; NaNs count as equal (Java does not define their payload bits).
 */
class DerivativeKernelBitsTest {
    private static final int[] SIZES = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 127, 129, 1000, 4099};

    private static final double[] EXTREMES_F64 = {0.0, -0.0, 1.0, -1.0, Math.nextDown(1.0), Math.nextUp(1.0), -Math.nextDown(1.0),
        1 - 1e-9, 0.5, 1e-160, -1e-170, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL / 3, Double.MIN_NORMAL, 1e154,
        -1e200, Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};

    private static final double[] EXTREMES_F32 = {0.0, -0.0, 1.0, -1.0, Math.nextDown(1f), Math.nextUp(1f), -Math.nextDown(1f),
        1 - 1e-6f, 0.5, 1e-20f, -1e-22f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL / 3, Float.MIN_NORMAL, 1e19f,
        -1e30f, Float.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};

    /** What tanh's rule computed as three ops: {@code g ⊙ oneMinus(square(y))}. */
    private static Tensor composedTanh(Tensor y, Tensor g) {
        return Kernels.binary(Kernels.Binary.MUL, g, Kernels.affine(Kernels.unary(Kernels.Unary.SQUARE, y), -1.0, 1.0));
    }

    /** What σ's rule computed as three ops: {@code g ⊙ (y ⊙ oneMinus(y))}. */
    private static Tensor composedSigmoid(Tensor y, Tensor g) {
        return Kernels.binary(Kernels.Binary.MUL, g, Kernels.binary(Kernels.Binary.MUL, y, Kernels.affine(y, -1.0, 1.0)));
    }

    private static double[] extremes(DType dt) {
        return dt == DType.F64 ? EXTREMES_F64 : EXTREMES_F32;
    }

    /** Pairs (y, g) of {@code n} elements: random values in the ranges σ and tanh give, with random magnitudes for g, and extremes mixed in. */
    private static Tensor[] operands(DType dt, int n, long seed) {
        Rng rng = Rng.seeded(seed);
        double[] ext = extremes(dt);
        double[] y = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextDouble() < 0.2 ? ext[rng.nextInt(ext.length)] : rng.uniform(-1.2, 1.2);
            g[i] = rng.nextDouble() < 0.2 ? ext[rng.nextInt(ext.length)] : rng.uniform(-2, 2) * Math.scalb(1.0, rng.nextInt(41) - 20);
        }
        return new Tensor[] {Tensor.of(dt, y, n), Tensor.of(dt, g, n)};
    }

    /** Every pair of extreme values, as (y, g). */
    private static Tensor[] extremePairs(DType dt) {
        double[] ext = extremes(dt);
        int n = ext.length * ext.length;
        double[] y = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = ext[i / ext.length];
            g[i] = ext[i % ext.length];
        }
        return new Tensor[] {Tensor.of(dt, y, n), Tensor.of(dt, g, n)};
    }

    @Test
    void tanhGradGivesTheBitsOfTheThreeOps() {
        check(Kernels.Binary.TANH_GRAD, DerivativeKernelBitsTest::composedTanh);
    }

    @Test
    void sigmoidGradGivesTheBitsOfTheThreeOps() {
        check(Kernels.Binary.SIGMOID_GRAD, DerivativeKernelBitsTest::composedSigmoid);
    }

    /**
     * Lerp's rule in one pass ({@link Kernels#lerpGradients}) gives the bits of its ops {@code g ⊙ oneMinus(w)},
     * {@code g ⊙ w} and {@code g ⊙ (b − a)}, at every size above and on all pairs of extremes, and leaves out the
     * terms not asked for.
     */
    @Test
    void lerpGradientsGiveTheBitsOfTheRulesOps() {
        for (DType dt : DType.values()) {
            for (int n : SIZES) {
                Tensor[] wg = operands(dt, n, 17L * n + dt.ordinal());
                Tensor[] ab = operands(dt, n, 19L * n + dt.ordinal());
                checkLerp(wg[1], ab[0], ab[1], wg[0], dt + " n=" + n);
            }
            Tensor[] pairs = extremePairs(dt);
            checkLerp(pairs[1], pairs[0], pairs[1], pairs[0], dt + " extreme pairs, a = w, b = g");
            checkLerp(pairs[0], pairs[1], pairs[0], pairs[1], dt + " extreme pairs, a = w, b = g, the other way");
            Tensor[] t = operands(dt, 33, 23);
            Tensor[] only = Kernels.lerpGradients(t[1], t[0], t[1], t[0], new boolean[] {false, false, true});
            assertTrue(only[0] == null && only[1] == null, dt + ": terms not asked for are null");
            assertSameBits(Kernels.binary(Kernels.Binary.MUL, t[1], Kernels.binary(Kernels.Binary.SUB, t[1], t[0])), only[2], dt + " w's term alone");
        }
    }

    private static void checkLerp(Tensor g, Tensor a, Tensor b, Tensor w, String what) {
        Tensor[] terms = Kernels.lerpGradients(g, a, b, w, new boolean[] {true, true, true});
        assertSameBits(Kernels.binary(Kernels.Binary.MUL, g, Kernels.affine(w, -1.0, 1.0)), terms[0], what + ", a's term");
        assertSameBits(Kernels.binary(Kernels.Binary.MUL, g, w), terms[1], what + ", b's term");
        assertSameBits(Kernels.binary(Kernels.Binary.MUL, g, Kernels.binary(Kernels.Binary.SUB, b, a)), terms[2], what + ", w's term");
    }

    @Test
    void lerpGradientsRejectOperandsOfAnotherShapeByTheirShapes() {
        Tensor g = Tensor.zeros(DType.F64, 2, 3);
        Tensor other = Tensor.zeros(DType.F64, 3);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.lerpGradients(g, g, other, g, new boolean[] {true, true, true}));
        assertEquals("lerpGradients: operand [3] is not of the cotangent's shape [2, 3]", e.getMessage());
    }

    @Test
    void lerpGradientsRejectOperandsOfAnotherDTypeByTheirDTypes() {
        Tensor g = Tensor.zeros(DType.F64, 2, 3);
        Tensor other = Tensor.zeros(DType.F32, 2, 3);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Kernels.lerpGradients(g, g, g, other, new boolean[] {true, true, true}));
        assertEquals("lerpGradients: dtypes F64[2, 3] and F32[2, 3] differ; cast one explicitly", e.getMessage());
    }

    private static void check(Kernels.Binary op, BiFunction<Tensor, Tensor, Tensor> composed) {
        for (DType dt : DType.values()) {
            for (int n : SIZES) {
                Tensor[] yg = operands(dt, n, 31L * n + dt.ordinal());
                assertSameBits(composed.apply(yg[0], yg[1]), Kernels.binary(op, yg[0], yg[1]), op + " " + dt + " n=" + n);
            }
            Tensor[] pairs = extremePairs(dt);
            assertSameBits(composed.apply(pairs[0], pairs[1]), Kernels.binary(op, pairs[0], pairs[1]), op + " " + dt + " extreme pairs");
            // y [37] against g [3, 37] (the a-side block path) and y [3, 37] against g [37]: runs of 37 at offsets 0, 37, 74
            Tensor[] yg = operands(dt, 3 * 37, 5 + dt.ordinal());
            Tensor row = Kernels.slice(yg[0].reshape(3, 37), 0, 1, 2).reshape(37);
            Tensor rows = yg[1].reshape(3, 37);
            assertSameBits(composed.apply(row, rows), Kernels.binary(op, row, rows), op + " " + dt + " y [37], g [3, 37]");
            assertSameBits(composed.apply(rows, row), Kernels.binary(op, rows, row), op + " " + dt + " y [3, 37], g [37]");
        }
    }

    /**
     * The inputs tell the operation orders apart: each other order of the same arithmetic (the products grouped
     * otherwise, or float32 computed in double and rounded once) differs from the three ops' bits somewhere, so the
     * tests above fail for a kernel that computed any of them.
     */
    @Test
    void theInputsTellOtherOrdersApart() {
        List<String> indistinct = new ArrayList<>();
        for (DType dt : DType.values()) {
            Tensor[] yg = operands(dt, 1000, 31L * 1000 + dt.ordinal());
            Tensor tanh = composedTanh(yg[0], yg[1]);
            Tensor sigmoid = composedSigmoid(yg[0], yg[1]);
            differs(indistinct, dt + " tanh as g − g·y·y", tanh, yg, (y, g) -> g - g * y * y, (y, g) -> g - g * y * y);
            differs(indistinct, dt + " tanh as g·((1 − y)·(1 + y))", tanh, yg, (y, g) -> g * ((1 - y) * (1 + y)), (y, g) -> g * ((1 - y) * (1 + y)));
            differs(indistinct, dt + " σ as (g·y)·(1 − y)", sigmoid, yg, (y, g) -> g * y * (1 - y), (y, g) -> g * y * (1 - y));
            differs(indistinct, dt + " σ as (g·(1 − y))·y", sigmoid, yg, (y, g) -> g * (1 - y) * y, (y, g) -> g * (1 - y) * y);
            differs(indistinct, dt + " σ as g·(y − y·y)", sigmoid, yg, (y, g) -> g * (y - y * y), (y, g) -> g * (y - y * y));
            if (dt == DType.F32) {
                differs(indistinct, "F32 tanh in double, rounded once", tanh, yg, null, (y, g) -> (float) (g * (1 - (double) y * y)));
                differs(indistinct, "F32 σ in double, rounded once", sigmoid, yg, null, (y, g) -> (float) (g * (y * (1 - (double) y))));
            }
        }
        assertEquals(List.of(), indistinct, "orders the inputs cannot tell from the three ops'");
    }

    /** The float64 and float32 forms of one elementwise formula of (y, g). */
    private interface F64 {
        double at(double y, double g);
    }

    private interface F32 {
        float at(float y, float g);
    }

    private static void differs(List<String> indistinct, String what, Tensor want, Tensor[] yg, F64 f64, F32 f32) {
        int n = want.size();
        for (int i = 0; i < n; i++) {
            double v = want.dtype() == DType.F64 ? f64.at(yg[0].f64()[i], yg[1].f64()[i]) : f32.at(yg[0].f32()[i], yg[1].f32()[i]);
            if (Double.doubleToLongBits(v) != Double.doubleToLongBits(want.at(i))) {
                return;
            }
        }
        indistinct.add(what);
    }

    private static void assertSameBits(Tensor want, Tensor got, String what) {
        assertEquals(want.dtype(), got.dtype(), what);
        assertEquals(want.shape(), got.shape(), what);
        for (int i = 0; i < want.size(); i++) {
            boolean same = want.dtype() == DType.F64
                    ? Double.doubleToLongBits(want.f64()[i]) == Double.doubleToLongBits(got.f64()[i])
                    : Float.floatToIntBits(want.f32()[i]) == Float.floatToIntBits(got.f32()[i]);
            int at = i;
            assertTrue(same, () -> what + ": element " + at + " is " + got.at(at) + ", the three ops give " + want.at(at));
        }
    }
}
