package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Tensor#hasNonFinite} and {@link Kernels#firstNonFinite} against the definition, element by element: a NaN
 * (of any payload) or an infinity of either sign anywhere in a tensor of any length is found, the first of them named,
 * and the extreme finite
 * values (the largest, the smallest subnormal, both zeros) are not taken for one. With the Vector API
 * the scan runs whole vectors, two at a time, in blocks of 4,096 elements, and the rest one by one: the lengths and
 * positions below cross each of those edges. A range of the storage (a product's operand at an offset) is scanned from its
 * start to its end and nothing outside it.
 */
class NonFiniteScanProperties {
    private static final double[] FINITE_EXTREMES = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -Double.MIN_VALUE,
            Double.MIN_NORMAL, 0.0, -0.0, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE};
    private static final double[] NON_FINITE = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.longBitsToDouble(0x7ff0000000000001L), Double.longBitsToDouble(0xfff8000000000123L)};

    @Property(tries = 200)
    void findsExactlyTheNonFiniteElements(@ForAll @IntRange(min = 1, max = 10_000) int n, @ForAll boolean f32, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 4) int which, @ForAll boolean plant) {
        Rng rng = Rng.seeded(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextDouble() < 0.5 ? FINITE_EXTREMES[rng.nextInt(FINITE_EXTREMES.length)] : rng.nextGaussian();
            if (f32 && Math.abs(v[i]) > Float.MAX_VALUE) {
                v[i] = Math.copySign(Float.MAX_VALUE, v[i]);
            }
        }
        if (plant) {
            v[rng.nextInt(n)] = NON_FINITE[which];
        }
        Tensor t = f32 ? Tensor.of(DType.F32, v, n) : Tensor.of(v, n);
        int first = -1;
        for (int i = n - 1; i >= 0; i--) {
            if (!Double.isFinite(t.at(i))) {
                first = i;
            }
        }
        boolean expected = first >= 0;
        assertEquals(plant, expected, "the planted element survives the cast");
        assertEquals(expected, t.hasNonFinite(), (f32 ? "f32" : "f64") + " n=" + n);
        assertEquals(first, Kernels.firstNonFinite(t), (f32 ? "f32" : "f64") + " n=" + n);
    }

    @Property(tries = 300)
    void aRangeIsScannedFromItsStartToItsEndAndNoFurther(@ForAll @IntRange(min = 1, max = 9_000) int n, @ForAll boolean f32,
            @ForAll long seed, @ForAll @IntRange(min = 0, max = 4) int which) {
        Rng rng = Rng.seeded(seed);
        int from = rng.nextInt(n);
        int len = rng.nextInt(n - from + 1);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        if (from > 0) {
            v[rng.nextInt(from)] = NON_FINITE[which];          // before the range: not its business
        }
        if (from + len < n) {
            v[from + len + rng.nextInt(n - from - len)] = NON_FINITE[(which + 1) % NON_FINITE.length];   // after it
        }
        String at = (f32 ? "f32" : "f64") + " n=" + n + ", [" + from + ", " + (from + len) + ")";
        assertEquals(-1, Kernels.firstNonFinite(tensor(v, f32), from, len), at + " holds only finite values");
        if (len > 0) {
            int planted = from + rng.nextInt(len);
            v[planted] = NON_FINITE[which];
            int later = planted + rng.nextInt(from + len - planted);
            v[later] = NON_FINITE[(which + 2) % NON_FINITE.length];
            assertEquals(planted, Kernels.firstNonFinite(tensor(v, f32), from, len), at + ", the first at " + planted);
        }
    }

    @Example
    void findsANonFiniteElementAtEveryEdgeOfTheScan() {
        int[] lengths = {1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 4160, 8191, 8192, 8193, 10_000};
        for (int n : lengths) {
            for (boolean f32 : new boolean[] {false, true}) {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = f32 ? FINITE_EXTREMES[5 + i % 6] : FINITE_EXTREMES[i % FINITE_EXTREMES.length];   // from index 5 on, the extremes float32 holds
                }
                assertFalse(tensor(v, f32).hasNonFinite(), (f32 ? "f32" : "f64") + " n=" + n + ", every element finite");
                for (int at = 0; at < n; at = at < 140 ? at + 1 : at + 61) {
                    for (double bad : NON_FINITE) {
                        double kept = v[at];
                        v[at] = bad;
                        Tensor t = tensor(v, f32);
                        assertTrue(t.hasNonFinite(), (f32 ? "f32" : "f64") + " n=" + n + ", " + bad + " at " + at);
                        assertEquals(at, Kernels.firstNonFinite(t), (f32 ? "f32" : "f64") + " n=" + n + ", " + bad + " at " + at);
                        v[at] = kept;
                    }
                }
                v[n - 1] = Double.NaN;
                assertEquals(n - 1, Kernels.firstNonFinite(tensor(v, f32)), (f32 ? "f32" : "f64") + " n=" + n + ", NaN last");
                v[n / 2] = Double.POSITIVE_INFINITY;
                assertEquals(n / 2, Kernels.firstNonFinite(tensor(v, f32)), (f32 ? "f32" : "f64") + " n=" + n + ", ∞ before the NaN");
            }
        }
    }

    private static Tensor tensor(double[] v, boolean f32) {
        return f32 ? Tensor.of(DType.F32, v, v.length) : Tensor.of(v, v.length);
    }
}
