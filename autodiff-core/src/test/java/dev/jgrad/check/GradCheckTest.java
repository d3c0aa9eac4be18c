package dev.jgrad.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    }
}
