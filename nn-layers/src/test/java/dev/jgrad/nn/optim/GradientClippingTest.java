package dev.jgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    private static Map<String, Parameter> threeFourFive() {
        Parameter a = new Parameter("a", Tensor.vector(1, 1));
        Parameter b = new Parameter("b", Tensor.vector(1));
        Parameter none = new Parameter("none", Tensor.vector(7));
        a.setGrad(Tensor.vector(3, 0));
        b.setGrad(Tensor.vector(-4));
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("layers.0.a", a);
        m.put("layers.0.b", b);
        m.put("layers.1.none", none);
        return m;
    }

    @Test
    void scalesByMaxNormOverNormWhenAbove() {
        Map<String, Parameter> ps = threeFourFive();
        GradientClipping.Result r = GradientClipping.clipByGlobalNorm(ps, 1.0, NonFinitePolicy.THROW);
        assertEquals(new GradientClipping.Result(5.0, true, false), r);
        assertEquals(0.6, ps.get("layers.0.a").grad().at(0), 1e-15);
        assertEquals(-0.8, ps.get("layers.0.b").grad().at(0), 1e-15);
        assertNull(ps.get("layers.1.none").grad());
        assertEquals(1.0, GradientClipping.globalNorm(ps), 1e-15);
    }

    @Test
    void leavesGradientsAloneAtOrBelowMaxNorm() {
        Map<String, Parameter> ps = threeFourFive();
        assertEquals(new GradientClipping.Result(5.0, false, false), GradientClipping.clipByGlobalNorm(ps, 5.0, NonFinitePolicy.THROW));
        assertEquals(3.0, ps.get("layers.0.a").grad().at(0));
        assertEquals(new GradientClipping.Result(5.0, false, false),
                GradientClipping.clipByGlobalNorm(ps.values(), 10.0, NonFinitePolicy.SKIP));
    }

    @Property(tries = 40)
    void clippedNormIsMaxNormAndDirectionIsKept(@ForAll long seed, @ForAll @DoubleRange(min = 0.01, max = 10) double maxNorm) {
        Rng rng = Rng.seeded(seed);
        Parameter p = new Parameter("p", Tensor.zeros(DType.F64, 3, 2));
        Parameter q = new Parameter("q", Tensor.zeros(DType.F32, 4));
        Tensor gp = Tensor.randn(rng, DType.F64, 3.0, 3, 2);
        Tensor gq = Tensor.randn(rng, DType.F32, 3.0, 4);
        p.setGrad(gp);
        q.setGrad(gq);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            sum += gp.at(i) * gp.at(i);
        }
        for (int i = 0; i < 4; i++) {
            sum += gq.at(i) * gq.at(i);
        }
        double norm = Math.sqrt(sum);
        GradientClipping.Result r = GradientClipping.clipByGlobalNorm(List.of(p, q), maxNorm, NonFinitePolicy.THROW);
        assertEquals(norm, r.norm(), 1e-12 * norm);
        assertEquals(norm > maxNorm, r.clipped());
        double scale = norm > maxNorm ? maxNorm / norm : 1;
        for (int i = 0; i < 6; i++) {
            assertEquals(gp.at(i) * scale, p.grad().at(i), 1e-12);
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(gq.at(i) * scale, q.grad().at(i), 1e-5 * Math.abs(gq.at(i)) + 1e-6);
        }
        assertEquals(DType.F32, q.grad().dtype());
    }

    /** Squares of 1e-200 underflow in double: the norm takes the scaled path and keeps them. */
    @Test
    void tinyFloat64GradientsKeepTheirNorm() {
        Parameter a = new Parameter("a", Tensor.vector(0, 0));
        a.setGrad(Tensor.vector(3e-200, -4e-200));
        assertEquals(5e-200, GradientClipping.globalNorm(Map.of("a", a)), 1e-215);
    }

    /** Float32 and float64 gradients together, against the norm computed term by term. */
    @Property(tries = 30)
    void theNormIsTheRootOfTheSumOfSquares(@ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Map<String, Parameter> ps = new LinkedHashMap<>();
        double want = 0;
        int k = 0;
        for (DType dt : List.of(DType.F32, DType.F64, DType.F32)) {
            int n = 1 + rng.nextInt(40);
            Parameter p = new Parameter("p" + k, Tensor.zeros(dt, n));
            p.setGrad(Tensor.randn(rng, dt, 2.0, n));
            for (double v : p.grad().toDoubleArray()) want += v * v;
            ps.put("p" + k++, p);
        }
        assertEquals(Math.sqrt(want), GradientClipping.globalNorm(ps), 1e-14 * Math.sqrt(want));
    }

    @Test
    void hugeFiniteGradientsDoNotOverflowTheNorm() {
        Parameter p = new Parameter("p", Tensor.vector(0, 0));
        p.setGrad(Tensor.vector(1e200, 1e200));
        GradientClipping.Result r = GradientClipping.clipByGlobalNorm(List.of(p), 1.0, NonFinitePolicy.THROW);
        assertEquals(1e200 * Math.sqrt(2), r.norm(), 1e186);
        assertTrue(r.clipped());
        assertEquals(Math.sqrt(0.5), p.grad().at(0), 1e-15);
    }

    @Test
    void nonFiniteGradientThrowsNamingTheParameterAndChangesNothing() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            Map<String, Parameter> ps = threeFourFive();
            ps.get("layers.0.b").setGrad(Tensor.vector(bad));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> GradientClipping.clipByGlobalNorm(ps, 1.0, NonFinitePolicy.THROW));
            assertTrue(e.getMessage().contains("layers.0.b"), e.getMessage());
            assertEquals(3.0, ps.get("layers.0.a").grad().at(0));
        }
    }

    @Test
    void nonFiniteGradientUnderSkipZeroesGradientsSoAStepChangesNothing() {
        Map<String, Parameter> ps = threeFourFive();
        ps.get("layers.0.a").setGrad(Tensor.vector(Double.NaN, 1));
        GradientClipping.Result r = GradientClipping.clipByGlobalNorm(ps, 1.0, NonFinitePolicy.SKIP);
        assertTrue(r.skipped());
        assertFalse(r.clipped());
        assertTrue(Double.isNaN(r.norm()));
        ps.values().forEach(p -> assertNull(p.grad()));
        new Adam(ps, 0.1).step();
        assertEquals(1.0, ps.get("layers.0.a").value().at(0));
        assertEquals(1.0, ps.get("layers.0.b").value().at(0));

        Map<String, Parameter> inf = threeFourFive();
        inf.get("layers.0.b").setGrad(Tensor.vector(Double.POSITIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, GradientClipping.clipByGlobalNorm(inf, 1.0, NonFinitePolicy.SKIP).norm());
    }

    /**
     * A collection of parameters is named by their own names, and where those repeat (two layers' "weight"), by their
     * positions: every parameter is still counted once in the norm and clipped, and an error names the one at fault.
     */
    @Test
    void aCollectionIsNamedByItsOwnNamesOrByPositionsWhereTheyRepeat() {
        Parameter a = new Parameter("a", Tensor.vector(0));
        Parameter b = new Parameter("b", Tensor.vector(0));
        b.setGrad(Tensor.vector(Double.NaN));
        IllegalStateException own = assertThrows(IllegalStateException.class,
                () -> GradientClipping.clipByGlobalNorm(List.of(a, b), 1.0, NonFinitePolicy.THROW));
        assertTrue(own.getMessage().startsWith("clipByGlobalNorm: gradient of b "), own.getMessage());

        Parameter w0 = new Parameter("weight", Tensor.vector(0, 0));
        Parameter w1 = new Parameter("weight", Tensor.vector(0));
        Parameter w2 = new Parameter("weight", Tensor.vector(0));
        w0.setGrad(Tensor.vector(3, 0));
        w1.setGrad(Tensor.vector(-4));
        w2.setGrad(Tensor.vector(12));
        GradientClipping.Result r = GradientClipping.clipByGlobalNorm(List.of(w0, w1, w2), 1.0, NonFinitePolicy.THROW);
        assertEquals(new GradientClipping.Result(13.0, true, false), r, "each of the three counted once: √(9 + 16 + 144)");
        assertEquals(3.0 / 13, w0.grad().at(0), 1e-15);
        assertEquals(-4.0 / 13, w1.grad().at(0), 1e-15);
        assertEquals(12.0 / 13, w2.grad().at(0), 1e-15);
        w2.setGrad(Tensor.vector(Double.POSITIVE_INFINITY));
        IllegalStateException positional = assertThrows(IllegalStateException.class,
                () -> GradientClipping.clipByGlobalNorm(List.of(w0, w1, w2), 1.0, NonFinitePolicy.THROW));
        assertTrue(positional.getMessage().startsWith("clipByGlobalNorm: gradient of #2 weight "), positional.getMessage());
    }

    @Test
    void rejectsNonPositiveMaxNorm() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(threeFourFive(), 0.0, NonFinitePolicy.THROW));
        assertThrows(IllegalArgumentException.class,
                () -> GradientClipping.clipByGlobalNorm(threeFourFive(), Double.NaN, NonFinitePolicy.THROW));
    }
}
