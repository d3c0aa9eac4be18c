package dev.jgrad.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GradCheck must be able to fail, and say where: functions whose tape derivative is deliberately
 * wrong (built with detach) are caught in full and random-direction modes, at first and second order,
 * with reports naming the input, the element and both values.
 */
class GradCheckTest {

    /** f(x) = detach(x)·x: value x², tape derivative x (the detached factor is a constant), true derivative 2x. */
    private static final DifferentiableFunction HALF_DERIVATIVE = in -> in.get(0).detach().times(in.get(0));

    /**
     * f(x) = 3·d²·x − 2·d³ with d = detach(x): value x³ and tape gradient 3d² = 3x², both right; but that
     * gradient is built from constants only, so its tape derivative is 0 where the true one is 6x.
     */
    private static final DifferentiableFunction RIGHT_GRADIENT_WRONG_HESSIAN = in -> {
        Variable x = in.get(0);
        Variable d = x.detach();
        return d.square().times(x).times(3).minus(d.pow(3).times(2));
    };

    private static final Tensor X = Tensor.vector(1.5, -2.0, 0.75);

    @Test
    void fullModeReportsInputElementAndBothValues() {
        GradCheckReport r = GradCheck.check(HALF_DERIVATIVE, List.of(X));
        assertFalse(r.passed());
        assertEquals(9, r.compared(), "3 outputs x 3 inputs");
        assertEquals(3, r.mismatches().size(), "only the diagonal is wrong");
        Mismatch m = r.mismatches().get(0);
        assertEquals("input 0 [3]", m.input());
        assertEquals("[0]", m.element());
        assertEquals("[0]", m.outputElement());
        assertEquals(1.5, m.analytic(), 1e-12);
        assertEquals(3.0, m.numeric(), 1e-6);
        String text = r.toString();
        assertTrue(text.startsWith("gradient check FAILED: 9 values compared"), text);
        assertTrue(text.contains("input 0 [3], element [1], output element [1]: analytic -2.00000000000, numeric -4.0000"), text);
    }

    @Test
    void assertGradientsThrowsWithTheReport() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.assertGradients(HALF_DERIVATIVE, List.of(X)));
        assertTrue(e.getMessage().contains("FAILED") && e.getMessage().contains("input 0 [3], element [2]"), e.getMessage());
    }

    @Test
    void randomDirectionModeCatchesItToo() {
        GradCheckReport r = GradCheck.check(HALF_DERIVATIVE, List.of(X), GradCheck.Options.defaults().randomDirections(3));
        assertFalse(r.passed());
        assertEquals(3, r.mismatches().size(), "every direction disagrees");
        assertEquals("all inputs", r.mismatches().get(0).input());
        assertEquals("random direction 0", r.mismatches().get(0).element());
        // cᵀ·diag(x)·u versus cᵀ·diag(2x)·u: the numeric value is exactly twice the analytic one
        assertEquals(2 * r.mismatches().get(0).analytic(), r.mismatches().get(0).numeric(), 1e-6);
    }

    /** Of several inputs, only the wrongly differentiated one is named. */
    @Test
    void namesTheOffendingInputAmongSeveral() {
        DifferentiableFunction f = in -> in.get(0).times(in.get(1).detach()).plus(in.get(1).square());
        // ∂/∂a = b is right (b is constant for a); ∂/∂b misses the a term
        GradCheckReport r = GradCheck.check(f, List.of(Tensor.vector(1, 2), Tensor.vector(3, -1)));
        assertFalse(r.passed());
        for (Mismatch m : r.mismatches()) {
            assertEquals("input 1 [2]", m.input(), r.toString());
        }
    }

    @Test
    void correctFunctionPasses() {
        GradCheckReport r = GradCheck.check(in -> in.get(0).times(in.get(0)), List.of(X));
        assertTrue(r.passed(), r.toString());
        assertTrue(GradCheck.check(in -> in.get(0).times(in.get(0)), List.of(X), GradCheck.Options.defaults().randomDirections(4)).passed());
    }

    @Test
    void secondOrderCatchesAWrongSecondDerivative() {
        assertTrue(GradCheck.check(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X)).passed(), "the first derivative is right");
        GradCheckReport r = GradCheck.checkSecondOrder(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X));
        assertFalse(r.passed());
        assertEquals(3, r.mismatches().size(), "the Hessian is diagonal: three wrong entries");
        Mismatch m = r.mismatches().get(0);
        assertEquals("input 0 [3]", m.input());
        assertEquals("[0]", m.element());
        assertEquals("gradient of input 0 at [0]", m.outputElement());
        assertEquals(0.0, m.analytic());
        assertTrue(Math.abs(m.numeric()) > 0.1, "numeric is c₀·6x₀ ≠ 0: " + m);
        assertTrue(r.toString().startsWith("second-order check FAILED"), r.toString());
        assertThrows(AssertionError.class, () -> GradCheck.assertSecondOrder(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X)));
    }

    @Test
    void secondOrderRandomDirectionCatchesItToo() {
        GradCheckReport r = GradCheck.checkSecondOrder(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X), GradCheck.Options.defaults().randomDirections(3));
        assertFalse(r.passed());
        assertEquals(0.0, r.mismatches().get(0).analytic(), "the tape sees no second derivative at all");
    }

    @Test
    void secondOrderPassesForACorrectFunction() {
        assertTrue(GradCheck.checkSecondOrder(in -> in.get(0).pow(3), List.of(X)).passed());
        assertTrue(GradCheck.checkSecondOrder(in -> in.get(0).pow(3), List.of(X), GradCheck.Options.defaults().randomDirections(3)).passed());
    }

    @Test
    void float32InputsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in.get(0).exp(), List.of(Tensor.zeros(DType.F32, 2))));
        assertTrue(e.getMessage().contains("input 0 is F32[2]") && e.getMessage().contains("float64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.checkSecondOrder(in -> in.get(0).times(in.get(1)), List.of(X, Tensor.zeros(DType.F32, 3))));
        assertEquals("gradient check: input 1 is F32[3]; finite differences need float64 (cast it, and compare float32 results against "
                + "float64 ones instead)", e.getMessage());
    }

    /** The comparison rule |a − n| ≤ atol + rtol·|n| at its boundary. */
    @Test
    void toleranceRule() {
        GradCheck.Options o = GradCheck.Options.defaults();
        // numeric 1001 allows |a − n| ≤ 1e-5 + 1e-3·1001 = 1.00101
        assertTrue(o.accepts(1001 + 1.001 + 0.9e-5, 1001));
        assertFalse(o.accepts(1001 + 1.001 + 1.1e-5, 1001));
        assertFalse(o.accepts(Double.NaN, 1), "NaN never passes");
        assertFalse(o.accepts(1, Double.NaN), "NaN never passes");
        // exactly on the boundary (all values exact in binary): 0.25 + 0.5·|−2| = 1.25 is allowed, no more
        GradCheck.Options exact = o.withAtol(0.25).withRtol(0.5);
        assertTrue(exact.accepts(-0.75, -2.0));
        assertTrue(exact.accepts(-3.25, -2.0));
        assertFalse(exact.accepts(-2.0 + Math.nextUp(1.25), -2.0));
        assertFalse(exact.accepts(Math.nextDown(-3.25), -2.0));
    }

    /** Each option changes what it names, and the report states the options used. */
    @Test
    void optionsAreHonouredAndReported() {
        GradCheck.Options o = GradCheck.Options.defaults();
        assertEquals(new GradCheck.Options(1e-6, 1e-5, 1e-3, GradCheck.Mode.FULL, 4, 20240611L), o);
        assertEquals(new GradCheck.Options(0.1, 2.0, 3.0, GradCheck.Mode.RANDOM_DIRECTION, 7, 5L),
                o.withEps(0.1).withAtol(2.0).withRtol(3.0).withSeed(5L).randomDirections(7));
        assertEquals(o, o.randomDirections(7).full().withSeed(20240611L).randomDirections(4).full());

        // x³ at 1 by central differences is 3 + eps²: exact enough with eps = 1e-6, not with eps = 0.1
        DifferentiableFunction cube = in -> in.get(0).pow(3);
        List<Tensor> one = List.of(Tensor.vector(1.0));
        assertTrue(GradCheck.check(cube, one).passed());
        GradCheckReport coarse = GradCheck.check(cube, one, o.withEps(0.1));
        assertFalse(coarse.passed());
        assertEquals(3.01, coarse.mismatches().get(0).numeric(), 1e-12);
        assertTrue(GradCheck.check(cube, one, o.withEps(0.1).withAtol(0.02)).passed(), "atol 0.02 covers the 0.01");
        assertTrue(GradCheck.check(cube, one, o.withEps(0.1).withRtol(0.01)).passed(), "rtol 0.01 of 3.01 covers the 0.01");
        assertEquals("gradient check FAILED: 1 values compared (FULL, eps 0.1, atol 1.0E-5, rtol 0.001)\n"
                + "  input 0 [1], element [0], output element [0]: analytic 3.00000000000, numeric 3.01000000000 (difference 0.0100)",
                coarse.toString());
    }

    /**
     * How many values each mode compares: full mode every Jacobian element (outputs × inputs; the
     * second-order check's function is the gradient map, Σ sizes → Σ sizes), random-direction mode
     * one per direction, at either order.
     */
    @Test
    void comparedCountsPerMode() {
        List<Tensor> two = List.of(X, Tensor.vector(0.5, -1.0));
        DifferentiableFunction f = in -> in.get(0).sum().times(in.get(1)).tanh(); // [2] from [3] and [2]
        GradCheck.Options o = GradCheck.Options.defaults();
        assertEquals(2 * 5, GradCheck.check(f, two).compared());
        assertEquals(5 * 5, GradCheck.checkSecondOrder(f, two).compared());
        assertEquals(3, GradCheck.check(f, two, o.randomDirections(3)).compared());
        assertEquals(3, GradCheck.checkSecondOrder(f, two, o.randomDirections(3)).compared());
        assertEquals(25, GradCheck.checkSecondOrder(f, two, o.randomDirections(3).full()).compared());
        assertEquals("second-order check passed: 3 values compared (RANDOM_DIRECTION, eps 1.0E-6, atol 1.0E-5, rtol 0.001)",
                GradCheck.checkSecondOrder(f, two, o.randomDirections(3)).toString());
    }

    /** The report lists ten mismatches and counts the rest. */
    @Test
    void reportsListTenMismatchesAndCountTheRest() {
        GradCheckReport r = GradCheck.check(HALF_DERIVATIVE, List.of(Tensor.randn(dev.jgrad.tensor.Rng.seeded(3), DType.F64, 1.0, 12)));
        assertEquals(12, r.mismatches().size(), "the whole diagonal is wrong");
        String[] lines = r.toString().split("\n");
        assertEquals(12, lines.length, "a header, ten mismatches and the count of the rest");
        assertTrue(lines[10].startsWith("  input 0 [12], element [9], output element [9]: analytic"), lines[10]);
        assertEquals("  … and 2 more", lines[11]);
    }

    /**
     * A random direction's values are {@code cᵀ·J·u} for the cotangent {@code c} and direction {@code u}
     * drawn, in that order, from the seed: here {@code J = diag(x)} by the tape and {@code diag(2x)} truly.
     */
    @Test
    void randomDirectionValuesAreTheDirectionalDerivatives() {
        long seed = 17;
        dev.jgrad.tensor.Rng rng = dev.jgrad.tensor.Rng.seeded(seed);
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 3);
        Tensor u = Tensor.randn(rng, DType.F64, 1.0, 3);
        double cxu = 0;
        for (int k = 0; k < 3; k++) {
            cxu += c.at(k) * X.at(k) * u.at(k);
        }
        Mismatch m = GradCheck.check(HALF_DERIVATIVE, List.of(X), GradCheck.Options.defaults().withSeed(seed).randomDirections(1))
                .mismatches().get(0);
        assertEquals(cxu, m.analytic(), 1e-12);
        assertEquals(2 * cxu, m.numeric(), 1e-6);
    }

    /** The seed chooses the random directions, at either order: two seeds, two different directions. */
    @Test
    void theSeedChoosesTheDirections() {
        GradCheck.Options o = GradCheck.Options.defaults().randomDirections(1);
        for (long[] seeds : new long[][] {{0, 2}, {1, 3}}) {
            double first = GradCheck.check(HALF_DERIVATIVE, List.of(X), o.withSeed(seeds[0])).mismatches().get(0).numeric();
            double firstAgain = GradCheck.check(HALF_DERIVATIVE, List.of(X), o.withSeed(seeds[0])).mismatches().get(0).numeric();
            double other = GradCheck.check(HALF_DERIVATIVE, List.of(X), o.withSeed(seeds[1])).mismatches().get(0).numeric();
            assertEquals(first, firstAgain, 0.0, "a seed gives the same direction every time");
            assertNotEquals(first, other, "seeds " + seeds[0] + " and " + seeds[1]);
            double second = GradCheck.checkSecondOrder(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X), o.withSeed(seeds[0])).mismatches().get(0).numeric();
            double secondOther = GradCheck.checkSecondOrder(RIGHT_GRADIENT_WRONG_HESSIAN, List.of(X), o.withSeed(seeds[1])).mismatches().get(0).numeric();
            assertNotEquals(second, secondOther, "second order, seeds " + seeds[0] + " and " + seeds[1]);
        }
    }
}
