package dev.jgrad.nn.layer;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LinearEmbeddingTest {

    @Property(tries = 20)
    void linearIsXTimesWTransposedPlusB(@ForAll @IntRange(min = 1, max = 4) int in, @ForAll @IntRange(min = 1, max = 4) int out,
            @ForAll boolean bias, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Linear lin = new Linear(in, out, bias, DType.F64, rng);
        assertEquals(Shape.of(out, in), lin.weight().value().shape());
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, 2, 3, in);
        Tensor y = lin.forward(Variable.constant(x)).value();
        assertEquals(Shape.of(2, 3, out), y.shape());
        for (int a = 0; a < 2; a++) {
            for (int t = 0; t < 3; t++) {
                for (int o = 0; o < out; o++) {
                    double s = bias ? lin.bias().value().at(o) : 0;
                    for (int i = 0; i < in; i++) {
                        s += x.get(a, t, i) * lin.weight().value().get(o, i);
                    }
                    assertEquals(s, y.get(a, t, o), 1e-13);
                }
            }
        }
        GradCheckReport r = ModuleGradCheck.check(lin, ModuleGradCheck.contracted(() -> lin.forward(Variable.constant(x)), rng));
        assertTrue(r.passed(), r.toString());
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 2, 3, out);
        GradCheckReport rx = GradCheck.check(v -> lin.forward(v.get(0)).times(Variable.constant(c)).sum(), List.of(x));
        assertTrue(rx.passed(), rx.toString());
    }

    @Test
    void linearInitAndShapeErrors() {
        Linear lin = new Linear(16, 3, true, DType.F64, Rng.seeded(2));
        for (Parameter p : lin.parameters().values()) {
            for (int i = 0; i < p.value().size(); i++) {
                assertTrue(Math.abs(p.value().at(i)) <= 0.25);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lin.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 15))));
        assertTrue(e.getMessage().contains("Linear.forward") && e.getMessage().contains("[2, 15]")
                && e.getMessage().contains("[3, 16]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3, true, DType.F64, Rng.seeded(1)));
    }

    /** The lookup equals the textbook one-hot product {@code onehot(idx)·W}, in values and in the table's gradient. */
    @Property(tries = 20)
    void embeddingEqualsOneHotMatmul(@ForAll @IntRange(min = 2, max = 7) int num, @ForAll @IntRange(min = 1, max = 4) int dim,
            @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        Embedding emb = new Embedding(num, dim, DType.F64, rng);
        int[] idx = new int[6];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = rng.nextInt(num);
        }
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 2, 3, dim);
        Tensor lookup;
        Tensor lookupGrad;
        try (Tape t = Tape.record()) {
            Variable y = emb.forward(idx, 2, 3);
            lookup = y.value();
            y.times(Variable.constant(c)).sum().backward();
            lookupGrad = emb.weight().grad();
        }
        emb.weight().zeroGrad();
        Tensor oneHotValue;
        try (Tape t = Tape.record()) {
            Variable oneHot = Variable.constant(Tensor.oneHot(DType.F64, idx, num, 2, 3));
            Variable y = oneHot.reshape(6, num).matmul(emb.weight().variable()).reshape(2, 3, dim);
            oneHotValue = y.value();
            y.times(Variable.constant(c)).sum().backward();
        }
        assertEquals(Shape.of(2, 3, dim), lookup.shape());
        assertEquals(0.0, lookup.maxAbsDiff(oneHotValue));
        assertTrue(lookupGrad.allClose(emb.weight().grad(), 0, 1e-14), lookupGrad + " vs " + emb.weight().grad());
        GradCheckReport r = ModuleGradCheck.check(emb, ModuleGradCheck.contracted(() -> emb.forward(idx, 2, 3), rng));
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void embeddingRejectsBadIndices() {
        Embedding emb = new Embedding(5, 2, DType.F64, Rng.seeded(1));
        assertEquals(Shape.of(3, 2), emb.forward(new int[] {0, 4, 2}).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {0, 5}));
        assertTrue(e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {-1}));
        e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {0, 1, 2}, 2, 2));
        assertTrue(e.getMessage().contains("3 indices") && e.getMessage().contains("[2, 2]"), e.getMessage());
    }
}
