package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link Variable#assign}: a leaf's value replaced in place, seen by every holder, and a tape that
 * recorded the old value refusing to differentiate it.
 */
class AssignTest {

    @Test
    void everyHolderSeesTheNewValueAndTheGradientIsDropped() {
        Variable w = Variable.leaf("w", Tensor.vector(1, 2));
        Variable heldEarlier = w;
        try (Tape tape = Tape.record()) {
            w.times(w).sum().backward();
        }
        assertEquals(2.0, w.grad().at(0));
        Tensor next = Tensor.vector(3, 4);
        w.assign(next);
        assertSame(next, heldEarlier.value());
        assertNull(heldEarlier.grad());
        try (Tape tape = Tape.record()) {
            heldEarlier.times(heldEarlier).sum().backward(); // recorded after the assignment: differentiable
        }
        assertEquals(8.0, w.grad().at(1));
    }

    /** The rule of w ⊙ w reads w: after an assignment it would read the new value, so the tape refuses. */
    @Test
    void aTapeThatRecordedTheOldValueRefusesBackward() {
        Variable w = Variable.leaf("w", Tensor.vector(1, 2));
        Variable x = Variable.leaf("x", Tensor.vector(5, 6));
        try (Tape tape = Tape.record()) {
            Variable y = x.exp().times(w).sum();
            w.assign(Tensor.vector(3, 4));
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertEquals("backward: a leaf input of mul at tape position 1 [w F64[2]] was assigned after the op was recorded;"
                    + " record the forward pass again with the new value", e.getMessage());
            assertThrows(IllegalStateException.class, () -> tape.gradients(y, java.util.List.of(x), false));
        }
        assertNull(x.grad(), "a refused backward adds nothing");
    }

    @Test
    void theDtypeMayChangeTheShapeMayNot() {
        Variable w = Variable.leaf("w", Tensor.vector(1, 2));
        w.assign(w.value().cast(DType.F32));
        assertEquals(DType.F32, w.dtype());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.assign(Tensor.vector(1, 2, 3)));
        assertEquals("assign: w F32[2] cannot take a value of shape [3]", e.getMessage());
    }

    @Test
    void onlyLeavesThatRequireAGradientAreAssigned() {
        Variable c = Variable.constant(Tensor.vector(1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.assign(Tensor.vector(2)));
        assertTrue(e.getMessage().contains("not a constant"), e.getMessage());
        Variable w = Variable.leaf(Tensor.vector(1));
        try (Tape tape = Tape.record()) {
            Variable y = w.exp();
            IllegalStateException n = assertThrows(IllegalStateException.class, () -> y.assign(Tensor.vector(2)));
            assertTrue(n.getMessage().contains("not the output of exp"), n.getMessage());
        }
    }
}
