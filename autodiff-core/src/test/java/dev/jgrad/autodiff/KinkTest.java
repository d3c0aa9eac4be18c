package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.Tensor;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The gradients of the new ops exactly at their kinks and ties, which the properties stay away from
 * (finite differences straddle a kink): each value is the convention PyTorch uses, stated beside it.
 */
class KinkTest {

    /** The gradient of {@code Σ f(x)} at x. */
    private static Tensor gradient(Tensor x, UnaryOperator<Variable> f) {
        Variable v = Variable.leaf(x);
        try (Tape tape = Tape.record()) {
            f.apply(v).sum().backward();
        }
        return v.grad();
    }

    private static void assertValues(double[] expected, Tensor actual) {
        assertEquals(expected.length, actual.size(), "size of " + actual);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.at(i), 0.0, "element " + i + " of " + actual);
        }
    }

    /** |x|' = sign(x): 0 at 0 (and at −0). */
    @Test
    void absAtZero() {
        assertValues(new double[] {-1, 0, 0, 1}, gradient(Tensor.vector(-2, 0, -0.0, 3), Variable::abs));
    }

    /** The clamp's bounds themselves pass the gradient (lo ≤ x ≤ hi); beyond them it is 0. */
    @Test
    void clampAtItsBounds() {
        assertValues(new double[] {0, 1, 1, 1, 0}, gradient(Tensor.vector(-1.5, -1, 0.2, 1, 1.5), x -> x.clamp(-1, 1)));
        // a one-sided clamp is relu-like, but passes the gradient at its bound
        assertValues(new double[] {0, 1, 1}, gradient(Tensor.vector(-1, 0, 2), x -> x.clamp(0, Double.POSITIVE_INFINITY)));
    }

    /** Ties of maximum and minimum split the gradient in half; elsewhere the winner takes it all. */
    @Test
    void maximumAndMinimumAtTies() {
        Variable a = Variable.leaf(Tensor.vector(1, 2, 3));
        Variable b = Variable.leaf(Tensor.vector(1, 5, 0));
        try (Tape tape = Tape.record()) {
            a.maximum(b).sum().backward();
        }
        assertValues(new double[] {0.5, 0, 1}, a.grad());
        assertValues(new double[] {0.5, 1, 0}, b.grad());
        a.zeroGrad();
        b.zeroGrad();
        try (Tape tape = Tape.record()) {
            a.minimum(b).sum().backward();
        }
        assertValues(new double[] {0.5, 1, 0}, a.grad());
        assertValues(new double[] {0.5, 0, 1}, b.grad());
    }

    /** A minimum attained k times shares its gradient 1/k each, as max's does. */
    @Test
    void minReductionSharesTies() {
        assertValues(new double[] {0.5, 0, 0.5, 0, 0, 1}, gradient(Tensor.matrix(new double[] {1, 2, 1}, new double[] {4, 5, 3}),
                x -> x.min(1)));
    }

    /** The norm at 0 has gradient 0 (PyTorch's subgradient), not the NaN of x / ‖x‖ = 0/0; other groups are unaffected. */
    @Test
    void normAtZero() {
        Tensor g = gradient(Tensor.matrix(new double[] {0, 0}, new double[] {3, 4}), x -> x.norm(1));
        assertValues(new double[] {0, 0, 0.6, 0.8}, g);
        assertValues(new double[] {0, 0, 0}, gradient(Tensor.vector(0, 0, 0), Variable::norm));
    }

    /** The standard deviation of a constant group has gradient 0 (the norm's convention), not NaN. */
    @Test
    void stdOfAConstant() {
        assertValues(new double[] {0, 0, 0}, gradient(Tensor.vector(2, 2, 2), Variable::std));
        // and its second derivative is finite there too: the kink gives no NaN through a recorded backward pass
        Variable x = Variable.leaf(Tensor.vector(2, 2, 2));
        try (Tape tape = Tape.record()) {
            Variable g = tape.gradients(x.std(), java.util.List.of(x), true).get(0);
            g.sum().backward();
        }
        assertTrue(!x.grad().hasNonFinite(), x.grad().toString());
    }

    /** √ has a vertical tangent at 0: the gradient is +∞, and anomaly detection names sqrt's rule. */
    @Test
    void sqrtAtZero() {
        assertValues(new double[] {Double.POSITIVE_INFINITY, 0.25}, gradient(Tensor.vector(0, 4), Variable::sqrt));
        Variable x = Variable.leaf(Tensor.vector(0, 4));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = x.sqrt().sum();
            NonFiniteException e = assertThrows(NonFiniteException.class, y::backward);
            assertTrue(e.getMessage().startsWith("the derivative rule of sqrt produced +Infinity"), e.getMessage());
        }
    }

    /** where routes the whole gradient to the chosen branch, including where both branches are equal. */
    @Test
    void whereRoutesToTheChosenBranch() {
        Variable a = Variable.leaf(Tensor.vector(1, 2, 3));
        Variable b = Variable.leaf(Tensor.vector(1, 0, 0));
        try (Tape tape = Tape.record()) {
            Variable.where(Tensor.vector(1, 0, 1), a, b).sum().backward();
        }
        assertValues(new double[] {1, 0, 1}, a.grad());
        assertValues(new double[] {0, 1, 0}, b.grad());
    }
}
