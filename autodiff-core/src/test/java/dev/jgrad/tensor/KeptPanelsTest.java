package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The readers' count that keeps kept panels from being handed on under a product (Note [Panels handed on]). */
class KeptPanelsTest {
    @Test
    void panelsAreHandedOnOnlyWhenNoProductHoldsThemAndNeverHeldAfter() {
        Tensor old = Tensor.of(new double[4], 2, 2);
        Tensor next = Tensor.of(new double[4], 2, 2);
        double[] storage = new double[4];
        KeptPanels kept = new KeptPanels(storage);   // held by the product that made them
        old.panels = kept;
        KeptPanels.handOn(old, next, false);
        assertSame(kept, old.panels, "not handed on while the product that made them holds them");
        assertTrue(kept.acquire(), "a second product holds them too");
        kept.release();
        KeptPanels.handOn(old, next, false);
        assertSame(kept, old.panels, "one product still holds them");
        kept.release();
        KeptPanels.handOn(old, next, true);
        assertSame(kept, old.panels, "not handed on while the heap is crowded");
        assertEquals(null, next.sparePanels);
        KeptPanels.handOn(old, next, false);
        assertEquals(null, old.panels, "handed on once nobody holds them");
        assertFalse(kept.acquire(), "a product that still finds them cannot hold them");
        assertEquals(null, KeptPanels.takeSpare(next, true, 4), "nothing for the other orientation");
        assertEquals(null, KeptPanels.takeSpare(next, false, 5), "nor for another size");
        next.sparePanels = storage;
        assertSame(storage, KeptPanels.takeSpare(next, false, 4));
        assertEquals(null, KeptPanels.takeSpare(next, false, 4), "taken once");
        next.sparePanels = new float[4];
        assertEquals(null, KeptPanels.takeSpare(next, false, 4), "nor storage of another dtype");
    }

    @Test
    void aHeapFourFifthsFullAfterACollectionIsCrowded() {
        assertFalse(HeapPressure.crowded(80, 100));
        assertTrue(HeapPressure.crowded(81, 100));
        assertFalse(HeapPressure.crowded(1, 0), "no maximum known");
    }
}
