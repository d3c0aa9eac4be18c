package dev.jgrad.examples.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class AddingProblemTest {
    @Property(tries = 50)
    void everySequenceHasTwoMarksOnePerHalfAndTheTargetIsTheirSum(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6) int batch, @ForAll @IntRange(min = 2, max = 60) int length) {
        AddingProblem.Batch b = AddingProblem.sample(Rng.seeded(seed), batch, length, DType.F64);
        assertEquals(Shape.of(batch, length, 2), b.x().shape());
        assertEquals(Shape.of(batch, 1), b.y().shape());
        for (int s = 0; s < batch; s++) {
            int marks = 0;
            double sum = 0;
            for (int t = 0; t < length; t++) {
                double value = b.x().get(s, t, 0);
                double mark = b.x().get(s, t, 1);
                assertTrue(value >= 0 && value < 1, "value " + value);
                assertTrue(mark == 0 || mark == 1, "marker " + mark);
                if (mark == 1) {
                    marks++;
                    sum += value;
                    boolean firstHalf = t < length / 2;
                    assertEquals(marks == 1, firstHalf, "mark " + marks + " at step " + t + " of " + length);
                }
            }
            assertEquals(2, marks);
            assertEquals(sum, b.y().get(s, 0), 0);
            assertEquals(b.x().get(s, b.marks()[s][0], 1), 1);
            assertEquals(b.x().get(s, b.marks()[s][1], 1), 1);
        }
    }

    @Test
    void sameSeedSameBatchAndFloat32MatchesFloat64() {
        AddingProblem.Batch a = AddingProblem.sample(Rng.seeded(9), 3, 20, DType.F64);
        AddingProblem.Batch b = AddingProblem.sample(Rng.seeded(9), 3, 20, DType.F64);
        AddingProblem.Batch f = AddingProblem.sample(Rng.seeded(9), 3, 20, DType.F32);
        assertEquals(0, a.x().maxAbsDiff(b.x()));
        assertEquals(DType.F32, f.x().dtype());
        assertTrue(f.x().cast(DType.F64).maxAbsDiff(a.x()) < 1e-7);
    }

    /** The baseline: predicting 1 scores Var(U₁+U₂) = 1/6 (checked on 20 000 samples to ±0.01). */
    @Test
    void predictingOneScoresTheBaseline() {
        AddingProblem.Batch b = AddingProblem.sample(Rng.seeded(1), 20_000, 4, DType.F64);
        double mse = 0;
        for (double y : b.y().toDoubleArray()) {
            mse += (y - 1) * (y - 1);
        }
        mse /= 20_000;
        assertEquals(AddingProblem.BASELINE_MSE, mse, 0.01);
    }

    @Test
    void rejectsTooShortSequences() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AddingProblem.sample(Rng.seeded(1), 2, 1, DType.F64));
        assertTrue(e.getMessage().contains("length 1"), e.getMessage());
    }
}
