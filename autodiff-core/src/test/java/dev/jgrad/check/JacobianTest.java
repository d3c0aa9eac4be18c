package dev.jgrad.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Jacobians by the tape against known matrices and against finite differences. */
class JacobianTest {

    /** The Jacobian of the linear map x ↦ W·x is W itself, exactly, by the tape and (to rounding) numerically. */
    @Test
    void linearMapHasJacobianW() {
        Tensor w = Tensor.matrix(new double[][] {{1, 2, 3}, {4, 5, 6}});
        Tensor x = Tensor.vector(0.5, -1, 2);
        Variable wv = Variable.constant(w);
        Tensor j = Jacobian.of(v -> wv.matmul(v.reshape(3, 1)).reshape(2), x);
        assertEquals(Shape.of(2, 3), j.shape());
        assertEquals(0.0, j.maxAbsDiff(w));
        Tensor n = Jacobian.numeric(v -> wv.matmul(v.reshape(3, 1)).reshape(2), x, 1e-6);
        assertTrue(n.allClose(w, 0, 1e-8), n.toString());
    }

    /** Elementwise exp: J = diag(exp(x)). */
    @Test
    void elementwiseMapHasDiagonalJacobian() {
        Tensor x = Tensor.vector(0.1, -0.7, 1.3);
        Tensor j = Jacobian.of(Variable::exp, x);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(r == c ? Math.exp(x.at(r)) : 0.0, j.get(r, c), 1e-15);
            }
        }
    }

    /** Output shape O and input shape I give a Jacobian of shape O ++ I; tape and numeric agree. */
    @Test
    void tapeAgreesWithNumericForANonlinearMapOfMatrices() {
        Rng rng = Rng.seeded(7);
        Tensor a = Tensor.randn(rng, DType.F64, 1.0, 2, 3);
        Tensor b = Tensor.randn(rng, DType.F64, 1.0, 3, 2);
        DifferentiableFunction f = in -> in.get(0).matmul(in.get(1)).tanh().softmax(1);
        for (int wrt = 0; wrt < 2; wrt++) {
            Tensor analytic = Jacobian.analytic(f, List.of(a, b), wrt);
            Tensor numeric = Jacobian.numeric(f, List.of(a, b), wrt, 1e-6);
            int[] expectedDims = wrt == 0 ? new int[] {2, 2, 2, 3} : new int[] {2, 2, 3, 2};
            assertEquals(Shape.of(expectedDims), analytic.shape());
            assertTrue(analytic.allClose(numeric, 1e-6, 1e-8), "wrt " + wrt + ": max diff " + analytic.maxAbsDiff(numeric));
        }
    }
}
