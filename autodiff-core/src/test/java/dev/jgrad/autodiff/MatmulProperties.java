package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.MatmulShapes;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Matrix product properties: gradients (first and second order, through a random cotangent) for 2-D
 * operands with every transpose-flag combination and for batched operands with broadcasting batch
 * dimensions; and the forward of each flag combination equal to the product of explicitly
 * transposed operands.
 */
class MatmulProperties {

    record Operands(MatmulShapes shapes, Tensor a, Tensor b) {
        Variable apply(List<Variable> x) {
            return x.get(0).matmul(x.get(1), shapes.transA(), shapes.transB());
        }
    }

    @Property
    void matmul2dGradients(@ForAll("operands2d") Operands o, @ForAll long seed) {
        assertBothOrders(o::apply, List.of(o.a(), o.b()), seed);
    }

    @Property
    void batchedMatmulGradients(@ForAll("operandsBatched") Operands o, @ForAll long seed) {
        assertBothOrders(o::apply, List.of(o.a(), o.b()), seed);
    }

    /**
     * The addend {@code c} of {@code op(A)·op(B) + c} in one of three forms: a bias over the last axis,
     * a row {@code [1, n]}, or the product's own shape.
     */
    private static Tensor addend(Operands o, int form, long seed) {
        Shape product = o.apply(List.of(Variable.constant(o.a()), Variable.constant(o.b()))).shape();
        int n = product.dim(-1);
        Shape c = switch (form) {
            case 0 -> Shape.of(n);
            case 1 -> Shape.of(1, n);
            default -> product;
        };
        return Tensor.randn(Rng.seeded(seed), DType.F64, 1, c.dims());
    }

    @Property
    void matmulPlusGradients(@ForAll("operands2d") Operands o, @ForAll @IntRange(min = 0, max = 2) int form, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).matmulPlus(x.get(1), o.shapes().transA(), o.shapes().transB(), x.get(2)),
                List.of(o.a(), o.b(), addend(o, form, seed)), seed);
    }

    @Property
    void batchedMatmulPlusGradients(@ForAll("operandsBatched") Operands o, @ForAll @IntRange(min = 0, max = 2) int form, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).matmulPlus(x.get(1), o.shapes().transA(), o.shapes().transB(), x.get(2)),
                List.of(o.a(), o.b(), addend(o, form, seed)), seed);
    }

    /** One op with the bits of the product followed by the sum, in float64 and float32. */
    @Property
    void matmulPlusIsTheProductThenTheSumBitForBit(@ForAll("operandsBatched") Operands o, @ForAll @IntRange(min = 0, max = 2) int form,
            @ForAll long seed) {
        for (DType dtype : DType.values()) {
            Variable a = Variable.constant(o.a().cast(dtype));
            Variable b = Variable.constant(o.b().cast(dtype));
            Variable c = Variable.constant(addend(o, form, seed).cast(dtype));
            boolean ta = o.shapes().transA();
            boolean tb = o.shapes().transB();
            Tensor fused = a.matmulPlus(b, ta, tb, c).value();
            Tensor twoOps = a.matmul(b, ta, tb).plus(c).value();
            assertEquals(twoOps.shape(), fused.shape());
            assertArrayEquals(twoOps.toDoubleArray(), fused.toDoubleArray(), 0.0, dtype.toString());
        }
    }

    /** An addend that would grow the product, or is of another dtype, is refused with the shapes. */
    @net.jqwik.api.Example
    void matmulPlusRefusesAnAddendThatDoesNotFitTheProduct() {
        Variable a = Variable.constant(Tensor.zeros(DType.F64, 3, 4));
        Variable b = Variable.constant(Tensor.zeros(DType.F64, 4, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.matmulPlus(b, Variable.constant(Tensor.zeros(DType.F64, 4))));
        assertTrue(e.getMessage().contains("matmulPlus") && e.getMessage().contains("[4]") && e.getMessage().contains("[3, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.matmulPlus(b, Variable.constant(Tensor.zeros(DType.F64, 2, 3, 5))));
        assertTrue(e.getMessage().contains("matmulPlus") && e.getMessage().contains("[2, 3, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.matmulPlus(b, Variable.constant(Tensor.zeros(DType.F32, 5))));
        assertTrue(e.getMessage().contains("matmulPlus") && e.getMessage().contains("F32"), e.getMessage());
    }

    /** Each of the four transpose-flag combinations explicitly (the generators draw them at random). */
    @net.jqwik.api.Example
    void allFourTransposeCombinations() {
        dev.jgrad.tensor.Rng rng = dev.jgrad.tensor.Rng.seeded(3);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = Tensor.randn(rng, dev.jgrad.tensor.DType.F64, 1, ta ? 4 : 3, ta ? 3 : 4);
                Tensor b = Tensor.randn(rng, dev.jgrad.tensor.DType.F64, 1, tb ? 2 : 4, tb ? 4 : 2);
                assertBothOrders(x -> x.get(0).matmul(x.get(1), ta, tb), List.of(a, b), 17);
            }
        }
    }

    /** {@code op(A)·op(B)} equals the flag-free product of the explicitly transposed operands, to rounding. */
    @Property
    void transposeFlagsMatchExplicitTransposes(@ForAll("operandsBatched") Operands o) {
        Variable a = Variable.constant(o.a());
        Variable b = Variable.constant(o.b());
        Tensor flagged = a.matmul(b, o.shapes().transA(), o.shapes().transB()).value();
        Tensor explicit = (o.shapes().transA() ? a.matrixTranspose() : a).matmul(o.shapes().transB() ? b.matrixTranspose() : b).value();
        assertEquals(explicit.shape(), flagged.shape());
        assertTrue(flagged.allClose(explicit, 1e-12, 1e-12), () -> flagged + " vs " + explicit);
    }

    /** The product against an element-by-element triple loop over the broadcast batch. */
    @Property
    void batchedMatmulMatchesNaiveLoop(@ForAll("operandsBatched") Operands o) {
        Variable a = Variable.constant(o.a());
        Variable b = Variable.constant(o.b());
        Variable at = o.shapes().transA() ? a.matrixTranspose() : a;
        Variable bt = o.shapes().transB() ? b.matrixTranspose() : b;
        Tensor c = a.matmul(b, o.shapes().transA(), o.shapes().transB()).value();
        int[] cd = c.shape().dims();
        int r = cd.length;
        int k = at.shape().dim(-1);
        for (int flat = 0; flat < c.size(); flat++) {
            int[] idx = c.shape().unravel(flat);
            double expected = 0;
            for (int p = 0; p < k; p++) {
                expected += at.value().get(operandIndex(at.shape().dims(), idx, idx[r - 2], p))
                        * bt.value().get(operandIndex(bt.shape().dims(), idx, p, idx[r - 1]));
            }
            assertEquals(expected, c.at(flat), 1e-12, "element " + java.util.Arrays.toString(idx));
        }
    }

    /** The operand's index for output index {@code out}: batch dims right-aligned, 1-dims pinned to 0. */
    private static int[] operandIndex(int[] dims, int[] out, int row, int col) {
        int[] ix = new int[dims.length];
        int off = out.length - dims.length;
        for (int i = 0; i < dims.length - 2; i++) {
            ix[i] = dims[i] == 1 ? 0 : out[i + off];
        }
        ix[dims.length - 2] = row;
        ix[dims.length - 1] = col;
        return ix;
    }

    @Provide
    Arbitrary<Operands> operands2d() {
        return TensorArbitraries.matmulShapes().flatMap(MatmulProperties::operands);
    }

    @Provide
    Arbitrary<Operands> operandsBatched() {
        return TensorArbitraries.batchedMatmulShapes().flatMap(MatmulProperties::operands);
    }

    private static Arbitrary<Operands> operands(MatmulShapes s) {
        return Combinators.combine(TensorArbitraries.tensors(s.a(), -2, 2), TensorArbitraries.tensors(s.b(), -2, 2))
                .as((a, b) -> new Operands(s, a, b));
    }
}
