package dev.jgrad.nn.layer;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Layer normalisation: PyTorch's definition in closed form, its input gradient to second order, its parameters' gradients, its edges. */
class LayerNormTest {

    /**
     * x = [1, 2, 3, 6]: μ = 3, σ² = (4 + 1 + 0 + 9)/4 = 3.5, so y = (x − 3)/√(3.5 + eps) ⊙ w + b, here with
     * w = [1, 2, 1, 1] and b = [0, 0, 1, 0] set by hand.
     */
    @Example
    void closedForm() {
        LayerNorm ln = new LayerNorm(4, DType.F64);
        ln.weight().set(Tensor.vector(1, 2, 1, 1));
        ln.bias().set(Tensor.vector(0, 0, 1, 0));
        Tensor y = ln.forward(Variable.constant(Tensor.vector(1, 2, 3, 6))).value();
        double s = Math.sqrt(3.5 + 1e-5);
        double[] expected = {-2 / s, 2 * -1 / s, 1, 3 / s};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], y.at(i), 1e-15, "element " + i);
        }
    }

    /** Each row of the output has mean 0 and population variance 1 (up to eps), whatever its scale and offset. */
    @Property
    void normalisesEachRow(@ForAll("rows") Tensor x) {
        LayerNorm ln = new LayerNorm(x.shape().dim(-1), DType.F64);
        Variable y = ln.forward(Variable.constant(x));
        Tensor mean = y.mean(-1).value();
        Tensor var = y.var(-1).value();
        Tensor inVar = Variable.constant(x).var(-1).value();
        for (int i = 0; i < mean.size(); i++) {
            assertEquals(0.0, mean.at(i), 1e-12, "mean of row " + i);
            assertEquals(inVar.at(i) / (inVar.at(i) + 1e-5), var.at(i), 1e-9, "variance of row " + i);
        }
    }

    /**
     * Distinct values, so no row is nearly constant: there the output's derivatives grow like
     * powers of 1/√eps and finite differences of step 1e-6 lose their accuracy.
     */
    @Property
    void inputGradient(@ForAll("distinctRows") Tensor x, @ForAll long seed) {
        LayerNorm ln = new LayerNorm(x.shape().dim(-1), DType.F64);
        ln.weight().set(Tensor.uniform(Rng.seeded(seed), DType.F64, 0.5, 1.5, x.shape().dim(-1)));
        assertBothOrders(in -> ln.forward(in.get(0)), List.of(x), seed);
    }

    /** Over the last two dimensions, with its weight and bias checked by ModuleGradCheck. */
    @Example
    void parameterGradientsOverTwoDimensions() {
        LayerNorm ln = new LayerNorm(Shape.of(3, 4), 1e-5, true, DType.F64);
        Rng rng = Rng.seeded(4);
        ln.weight().set(Tensor.uniform(rng, DType.F64, 0.5, 1.5, 3, 4));
        ln.bias().set(Tensor.uniform(rng, DType.F64, -1, 1, 3, 4));
        Variable x = Variable.constant(Tensor.randn(rng, DType.F64, 2, 2, 3, 4));
        ModuleGradCheck.assertGradients(ln, ModuleGradCheck.contracted(() -> ln.forward(x), rng));
        assertEquals(List.of("weight", "bias"), List.copyOf(ln.parameters().keySet()));
    }

    /**
     * Over the last two dimensions each {@code [3, 4]} block, and not a block cut along other axes, has mean 0 and
     * population variance σ²/(σ² + eps), σ² its input's: the statistics are taken over exactly the normalized axes.
     */
    @Example
    void normalisesEachBlockOfTheLastTwoDimensions() {
        LayerNorm ln = new LayerNorm(Shape.of(3, 4), 1e-5, true, DType.F64);
        Tensor x = Tensor.randn(Rng.seeded(9), DType.F64, 3.0, 2, 5, 3, 4);
        double[] in = x.toDoubleArray();
        double[] out = ln.forward(Variable.constant(x)).value().toDoubleArray();
        for (int block = 0; block < 10; block++) {
            double inMean = 0;
            double outMean = 0;
            for (int i = 0; i < 12; i++) {
                inMean += in[12 * block + i] / 12;
                outMean += out[12 * block + i] / 12;
            }
            double inVar = 0;
            double outVar = 0;
            for (int i = 0; i < 12; i++) {
                inVar += Math.pow(in[12 * block + i] - inMean, 2) / 12;
                outVar += Math.pow(out[12 * block + i] - outMean, 2) / 12;
            }
            assertEquals(0.0, outMean, 1e-12, "mean of block " + block);
            assertEquals(inVar / (inVar + 1e-5), outVar, 1e-12, "variance of block " + block);
        }
    }

    /** A constant row has σ² = 0: eps keeps the output (the bias) and the gradient finite. */
    @Example
    void aConstantRowStaysFinite() {
        LayerNorm ln = new LayerNorm(Shape.of(3), 1e-5, false, DType.F32);
        Variable x = Variable.leaf(Tensor.of(DType.F32, new double[] {7, 7, 7, 1e15, -1e15, 0}, 2, 3));
        try (Tape tape = Tape.record().withAnomalyDetection()) {
            Variable y = ln.forward(x);
            assertEquals(0.0, y.value().at(0));
            y.backward(Tensor.of(DType.F32, new double[] {1, -2, 0.5, 1, 1, 1}, 2, 3));
        }
        assertFalse(x.grad().hasNonFinite(), x.grad().toString());
        assertTrue(ln.parameters().isEmpty());
    }

    @Example
    void rejectsInputsAndSettingsThatDoNotFit() {
        LayerNorm ln = new LayerNorm(Shape.of(3, 4), 1e-5, true, DType.F64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ln.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 4, 3))));
        assertEquals("LayerNorm.forward: input [2, 4, 3] does not end in [3, 4]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ln.forward(Variable.constant(Tensor.zeros(DType.F64, 4))));
        assertThrows(IllegalArgumentException.class, () -> new LayerNorm(Shape.scalar(), 1e-5, true, DType.F64));
        e = assertThrows(IllegalArgumentException.class, () -> new LayerNorm(Shape.of(3), 0, true, DType.F64));
        assertEquals("LayerNorm: eps must be positive, got 0.0", e.getMessage());
    }

    /** Rank 1 to 3, the last dimension at least 2. */
    @Provide
    Arbitrary<Tensor> rows() {
        return TensorArbitraries.shapes(1, 3).filter(s -> s.dim(-1) >= 2).flatMap(s -> TensorArbitraries.tensors(s, -3, 3));
    }

    @Provide
    Arbitrary<Tensor> distinctRows() {
        return TensorArbitraries.shapes(1, 3).filter(s -> s.dim(-1) >= 2).flatMap(s -> TensorArbitraries.distinct(s, -3, 3));
    }
}
