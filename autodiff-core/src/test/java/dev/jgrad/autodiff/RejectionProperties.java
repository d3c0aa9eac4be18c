package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.function.Executable;

/**
 * Wrong arguments are rejected with an {@link IllegalArgumentException} whose message names the op
 * and the shapes involved, and a rejected op records nothing on the tape.
 */
class RejectionProperties {

    private static Variable zeros(Shape s) {
        return Variable.leaf(Tensor.zeros(DType.F64, s));
    }

    private static Variable zeros(int... dims) {
        return zeros(Shape.of(dims));
    }

    /** Runs {@code op} inside a tape, expects the rejection, checks the message mentions every part, and that nothing was recorded. */
    private static IllegalArgumentException rejected(Executable op, String... parts) {
        try (Tape tape = Tape.record()) {
            int before = tape.size();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op);
            for (String p : parts) {
                assertTrue(e.getMessage().contains(p), () -> "message \"" + e.getMessage() + "\" should mention \"" + p + "\"");
            }
            assertEquals(before, tape.size(), "a rejected op must record nothing");
            return e;
        }
    }

    // ------------------------------------------------------------------ matmul

    @Example
    void matmulInnerDimensionMessageIsExact() {
        IllegalArgumentException e = rejected(() -> zeros(2, 3).matmul(zeros(4, 5)));
        assertEquals("matmul: [2, 3] x [4, 5]: inner dimensions 3 and 4 differ", e.getMessage());
    }

    @Property
    void matmulInnerDimensionMismatch(@ForAll @IntRange(min = 1, max = 6) int m, @ForAll @IntRange(min = 1, max = 6) int k1,
            @ForAll @IntRange(min = 1, max = 6) int k2, @ForAll @IntRange(min = 1, max = 6) int n) {
        net.jqwik.api.Assume.that(k1 != k2);
        IllegalArgumentException e = rejected(() -> zeros(m, k1).matmul(zeros(k2, n)));
        assertEquals("matmul: [" + m + ", " + k1 + "] x [" + k2 + ", " + n + "]: inner dimensions " + k1 + " and " + k2 + " differ",
                e.getMessage());
    }

    /** With a transpose flag, the operand is marked ᵀ and the compared dimensions are the transposed ones. */
    @Example
    void matmulTransposedMismatchNamesTheTransposedOperand() {
        IllegalArgumentException e = rejected(() -> zeros(2, 3).matmul(zeros(2, 5), true, true));
        assertEquals("matmul: [2, 3]ᵀ x [2, 5]ᵀ: inner dimensions 2 and 5 differ", e.getMessage());
    }

    @Example
    void matmulNeedsTwoDimensions() {
        rejected(() -> zeros(3).matmul(zeros(3, 2)), "matmul", "[3]", "[3, 2]", "at least 2 dimensions");
    }

    @Example
    void matmulBatchDimensionsMustBroadcast() {
        rejected(() -> zeros(2, 2, 3).matmul(zeros(3, 3, 4)), "matmul", "[2, 2, 3]", "[3, 3, 4]", "batch dimensions [2] and [3]");
    }

    // ------------------------------------------------------------------ elementwise broadcasting

    /** Shapes with one aligned pair of dimensions that differ and are both > 1. */
    record Incompatible(Shape a, Shape b) {
    }

    @Property
    void nonBroadcastingPairsAreRejected(@ForAll("incompatible") Incompatible p, @ForAll("binaryOps") String op) {
        Variable a = zeros(p.a());
        Variable b = zeros(p.b());
        rejected(() -> binary(op, a, b), op + ": ", p.a().toString(), p.b().toString(), "do not broadcast");
    }

    /** lerp's weight must broadcast with the operands, and share their dtype, as the operands do with each other. */
    @Example
    void lerpNamesAWeightThatDoesNotFit() {
        rejected(() -> zeros(2, 3).lerp(zeros(2, 3), zeros(4)), "lerp: ", "[2, 3]", "[4]", "do not broadcast");
        rejected(() -> zeros(2, 3).lerp(zeros(2, 3), Variable.leaf(Tensor.zeros(DType.F32, 2, 3))), "lerp: ", "F64[2, 3]", "F32[2, 3]");
    }

    @Property
    void mixedDTypesNameBoth(@ForAll("binaryOps") String op) {
        Variable a = zeros(2, 3);
        Variable b = Variable.leaf(Tensor.zeros(DType.F32, 2, 3));
        rejected(() -> binary(op, a, b), op + ": ", "F64[2, 3]", "F32[2, 3]");
        rejected(() -> binary(op, b, a), op + ": ", "F32[2, 3]", "F64[2, 3]");
    }

    @Example
    void mixedDTypesInMatmulAndConcat() {
        Variable a = zeros(2, 3);
        Variable b = Variable.leaf(Tensor.zeros(DType.F32, 3, 2));
        rejected(() -> a.matmul(b), "matmul", "F64[2, 3]", "F32[3, 2]");
        rejected(() -> Variable.concat(0, a, Variable.leaf(Tensor.zeros(DType.F32, 2, 3))), "concat", "F64[2, 3]", "F32[2, 3]");
    }

    private static Variable binary(String op, Variable a, Variable b) {
        return switch (op) {
            case "add" -> a.plus(b);
            case "sub" -> a.minus(b);
            case "mul" -> a.times(b);
            case "div" -> a.div(b);
            case "maximum" -> a.maximum(b);
            case "minimum" -> a.minimum(b);
            case "tanhGrad" -> a.tanhGrad(b);
            case "sigmoidGrad" -> a.sigmoidGrad(b);
            case "lerp" -> a.lerp(b, a);
            default -> throw new IllegalStateException(op);
        };
    }

    // ------------------------------------------------------------------ axes

    @Property
    void outOfRangeAxesAreRejected(@ForAll("shapes") Shape s, @ForAll @IntRange(min = 0, max = 3) int beyond, @ForAll boolean negative) {
        int axis = negative ? -s.rank() - 1 - beyond : s.rank() + beyond;
        Variable x = zeros(s);
        String name = s.toString();
        rejected(() -> x.sum(axis), "sum", "axis " + axis, name);
        rejected(() -> x.max(false, axis), "max", "axis " + axis, name);
        rejected(() -> x.mean(false, axis), "mean", "axis " + axis, name);
        rejected(() -> x.softmax(axis), "softmax", "axis " + axis, name);
        rejected(() -> x.logSoftmax(axis), "logSoftmax", "axis " + axis, name);
        rejected(() -> x.min(axis), "min", "axis " + axis, name);
        rejected(() -> x.logSumExp(axis), "logSumExp", "axis " + axis, name);
        rejected(() -> x.norm(axis), "norm", "axis " + axis, name);
        rejected(() -> x.var(axis), "var", "axis " + axis, name);
        rejected(() -> x.std(axis), "std", "axis " + axis, name);
        rejected(() -> x.squeeze(axis), "squeeze", "axis " + axis, name);
        rejected(() -> x.flatten(axis, -1), "flatten", "axis " + axis, name);
        rejected(() -> x.gather(axis, new int[] {0}, new int[s.rank()]), "gather", "axis " + axis, name);
        rejected(() -> x.slice(axis, 0, 1), "slice", "axis " + axis, name);
        rejected(() -> x.indexSelect(axis, new int[] {0}), "indexSelect", "axis " + axis, name);
        rejected(() -> Variable.concat(axis, x, x), "concat", "axis " + axis, name);
    }

    @Example
    void repeatedAndMissingAxes() {
        Variable x = zeros(2, 3);
        rejected(() -> x.sum(1, -1), "sum", "repeated", "[2, 3]");
        rejected(() -> x.mean(false, 0, 0), "mean", "repeated", "[2, 3]");
        rejected(() -> x.sum(new int[0]), "sum", "no axes", "[2, 3]");
        // every reduction over given axes: an empty list is a mistake, not "all" (the no-argument forms reduce all)
        int[] none = new int[0];
        for (boolean keep : new boolean[] {false, true}) {
            rejected(() -> x.sum(keep, none), "sum: no axes given for [2, 3]; use sum() to reduce all");
            rejected(() -> x.mean(keep, none), "mean: no axes given for [2, 3]; use mean() to reduce all");
            rejected(() -> x.max(keep, none), "max: no axes given for [2, 3]; use max() to reduce all");
            rejected(() -> x.logSumExp(keep, none), "logSumExp: no axes given for [2, 3]; use logSumExp() to reduce all");
            rejected(() -> x.norm(keep, none), "norm: no axes given for [2, 3]; use norm() to reduce all");
            rejected(() -> x.var(keep, none), "var: no axes given for [2, 3]; use var() to reduce all");
            rejected(() -> x.std(keep, none), "std: no axes given for [2, 3]; use std() to reduce all");
        }
        rejected(() -> x.transpose(0, 2), "transpose", "axis 2", "[2, 3]");
        rejected(() -> zeros(3).transpose(), "transpose", "[3]");
        rejected(() -> x.permute(0, 0), "permute", "[0, 0]", "[2, 3]");
        rejected(() -> x.permute(0), "permute", "[0]", "[2, 3]");
        rejected(() -> Variable.stack(3, List.of(x, x)), "stack", "[2, 3]");
    }

    // ------------------------------------------------------------------ slices, gathers, shapes

    /** A shape, an axis of it and a [start, end) that is not inside that dimension. */
    record BadSlice(Shape s, int axis, int start, int end) {
    }

    @Property
    void badSlicesAreRejected(@ForAll("badSlices") BadSlice b) {
        rejected(() -> zeros(b.s()).slice(b.axis(), b.start(), b.end()), "slice", "[" + b.start() + ", " + b.end() + ")", b.s().toString());
    }

    @Example
    void unsliceThatDoesNotFitIsRejected() {
        rejected(() -> zeros(2, 3).unslice(1, 2, 4), "unslice", "[2, 3]", "at 2", "length 4");
        rejected(() -> zeros(2, 3).unslice(1, -1, 4), "unslice", "[2, 3]");
    }

    @Property
    void outOfRangeIndexSelectIndicesAreRejected(@ForAll("shapes") Shape s, @ForAll @IntRange(min = 0, max = 3) int beyond, @ForAll boolean negative) {
        int d = s.dim(0);
        int bad = negative ? -1 - beyond : d + beyond;
        rejected(() -> zeros(s).indexSelect(0, new int[] {0, bad}), "indexSelect", "index " + bad, "position 1", "[0, " + d + ")", s.toString());
        rejected(() -> zeros(s.with(0, 2)).indexAdd(0, new int[] {0, bad}, d), "indexAdd", "index " + bad, "[0, " + d + ")");
    }

    @Example
    void indexAddNeedsOneIndexPerSlice() {
        rejected(() -> zeros(3, 2).indexAdd(0, new int[] {0, 1}, 4), "indexAdd", "2 indices", "[3, 2]");
    }

    @Example
    void badReshapesBroadcastsAndJoins() {
        rejected(() -> zeros(2, 3).reshape(4), "reshape", "[2, 3]", "[4]");
        rejected(() -> zeros(2, 3).reshape(-1, -1), "reshape", "[2, 3]", "−1");
        rejected(() -> zeros(2, 3).reshape(-1, 4), "reshape", "[2, 3]", "[-1, 4]");
        rejected(() -> zeros(2, 3).broadcastTo(Shape.of(3, 3)), "broadcastTo", "[2, 3]", "[3, 3]");
        rejected(() -> zeros(2, 3).sumTo(Shape.of(2)), "sumTo", "[2]", "[2, 3]");
        rejected(() -> Variable.concat(0, zeros(2, 3), zeros(2, 4)), "concat", "[2, 3]", "[2, 4]");
        rejected(() -> Variable.stack(0, List.of(zeros(2, 3), zeros(3, 2))), "stack", "[2, 3]", "[3, 2]");
        rejected(() -> Variable.concat(0, List.of()), "concat");
    }

    /** The per-element gather and scatterAdd name the shapes that do not fit and the index that is out of range. */
    @Example
    void badGathersAndScattersAreRejected() {
        Variable x = zeros(3, 4);
        rejected(() -> x.gather(1, new int[] {0, 1, 2}), "gather", "give the index's shape", "indexSelect");
        IllegalArgumentException scalar = rejected(() -> Variable.leaf(Tensor.scalar(1.0)).gather(0, new int[] {0}));
        assertEquals("gather: axis 0 is out of range for shape []", scalar.getMessage(), "a scalar has no axis to gather along");
        rejected(() -> x.gather(1, new int[] {0, 1, 2}, 3), "gather", "index shape [3]", "rank 1", "[3, 4]", "rank 2");
        rejected(() -> x.gather(1, new int[] {0, 1}, 3, 1), "gather", "2 indices", "index shape [3, 1]");
        rejected(() -> x.gather(1, new int[] {0, 1, 2, 3}, 4, 1), "gather", "[4, 1]", "larger than [3, 4] along axis 0");
        rejected(() -> x.gather(1, new int[] {0, 4, 2}, 3, 1), "gather", "index 4", "position 1", "[0, 4)", "[3, 4]");
        rejected(() -> x.scatterAdd(0, new int[] {0, -1}, zeros(2, 1)), "scatterAdd", "index -1", "[0, 3)");
        rejected(() -> x.scatterAdd(0, new int[] {0, 1, 2, 0, 1}, zeros(1, 5)), "scatterAdd", "[1, 5]", "larger than [3, 4] along axis 1");
        rejected(() -> x.scatterAdd(0, new int[] {0}, Variable.leaf(Tensor.zeros(DType.F32, 1, 1))), "scatterAdd", "F64[3, 4]", "F32[1, 1]");
    }

    @Example
    void badShapeChangesAreRejected() {
        Variable x = zeros(2, 1, 3);
        rejected(() -> x.squeeze(0), "squeeze", "axis 0", "[2, 1, 3]", "size 2, not 1");
        rejected(() -> x.squeeze(new int[0]), "squeeze", "no axes", "squeeze()");
        rejected(() -> x.unsqueeze(4), "unsqueeze", "axis 4", "[2, 1, 3]", "-4 to 3");
        rejected(() -> x.unsqueeze(-5), "unsqueeze", "axis -5");
        rejected(() -> x.flatten(2, 0), "flatten", "start axis 2", "end axis 0", "[2, 1, 3]");
        rejected(() -> x.transpose(), "transpose", "[2, 1, 3]", "transpose(a, b)", "matrixTranspose()");
        rejected(() -> zeros(3).matrixTranspose(), "matrixTranspose", "[3]");
    }

    @Example
    void badBoundsConditionsAndProbabilitiesAreRejected() {
        Variable x = zeros(2, 3);
        rejected(() -> x.clamp(1, -1), "clamp", "[1.0, -1.0]", "lo ≤ hi");
        rejected(() -> x.clamp(Double.NaN, 1), "clamp", "NaN");
        rejected(() -> Variable.where(Tensor.vector(1, 0.5, 0), x, x), "where", "holds 0.5 at [1]", "only 0 (false) and 1 (true)");
        rejected(() -> Variable.where(Tensor.vector(1, 0), x, x), "where", "[2]", "[2, 3]", "do not broadcast");
        rejected(() -> Variable.where(Tensor.vector(1, 0, 1), x, Variable.leaf(Tensor.zeros(DType.F32, 2, 3))), "where", "F64[2, 3]", "F32[2, 3]");
        rejected(() -> x.maskedFill(Tensor.vector(2, 0, 1), 0), "where", "holds 2.0 at [0]");
        rejected(() -> x.min(new int[0]), "min", "no axes", "min()");
        rejected(() -> zeros(0, 3).min(0), "min", "axis 0", "[0, 3]", "empty");
        rejected(() -> zeros(0, 3).logSumExp(0), "logSumExp", "axis 0", "[0, 3]", "empty");
    }

    /** backward() seeds a cotangent of ones only for a scalar; anything larger must say which cotangent. */
    @Example
    void implicitCotangentOnlyForAScalar() {
        Variable x = zeros(2, 3);
        try (Tape tape = Tape.record()) {
            Variable y = x.exp();
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertEquals("backward: the value F64[2, 3] is not a scalar; pass a cotangent of its shape (backward(cotangent): the"
                    + " gradient of Σ cotangent ⊙ value) or reduce it to a scalar first", e.getMessage());
            IllegalStateException g = assertThrows(IllegalStateException.class, () -> tape.gradients(y, List.of(x), false));
            assertTrue(g.getMessage().startsWith("gradients: the value F64[2, 3] is not a scalar"), g.getMessage());
            // one element of any rank is a scalar loss
            y.slice(0, 0, 1).slice(1, 0, 1).backward();
        }
        assertEquals(1.0, x.grad().at(0));
    }

    // ------------------------------------------------------------------ cross-entropy targets

    @Property
    void outOfRangeTargetsAreRejected(@ForAll @IntRange(min = 1, max = 4) int n, @ForAll @IntRange(min = 1, max = 5) int c,
            @ForAll @IntRange(min = 0, max = 3) int beyond, @ForAll boolean negative, @ForAll("rows") int row) {
        int r = row % n;
        int[] t = new int[n];
        t[r] = negative ? -1 - beyond : c + beyond;
        rejected(() -> zeros(n, c).crossEntropy(t), "crossEntropy", "target " + t[r], "row " + r, "[0, " + c + ")", "[" + n + ", " + c + "]");
    }

    @Example
    void crossEntropyShapeErrors() {
        rejected(() -> zeros(2, 3).crossEntropy(new int[] {0}), "crossEntropy", "[2, 3]", "1 targets");
        rejected(() -> zeros(2, 3, 4).crossEntropy(new int[] {0, 0}), "crossEntropy", "[2, 3, 4]");
        rejected(() -> zeros(0, 3).crossEntropy(new int[0]), "crossEntropy", "[0, 3]", "no rows");
    }

    @Example
    void backwardWithWrongCotangentIsRejected() {
        Variable x = zeros(2, 3);
        try (Tape tape = Tape.record()) {
            Variable y = x.exp();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.zeros(DType.F64, 3, 2)));
            assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.zeros(DType.F32, 2, 3)));
        }
        assertEquals(null, x.grad(), "a rejected backward must not touch leaf gradients");
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<String> binaryOps() {
        return Arbitraries.of("add", "sub", "mul", "div", "maximum", "minimum", "tanhGrad", "sigmoidGrad", "lerp");
    }

    @Provide
    Arbitrary<Shape> shapes() {
        return TensorArbitraries.shapes(1, 4);
    }

    @Provide
    Arbitrary<Integer> rows() {
        return Arbitraries.integers().between(0, 100);
    }

    /** Broadcast-compatible pair, then one aligned dimension replaced by two different values ≥ 2. */
    @Provide
    Arbitrary<Incompatible> incompatible() {
        return TensorArbitraries.broadcastPairs().filter(p -> p.left().rank() > 0 && p.right().rank() > 0)
                .flatMap(p -> Combinators.combine(Arbitraries.integers().between(2, 4), Arbitraries.integers().between(1, 3),
                        Arbitraries.integers().between(0, 3)).as((d, delta, back) -> {
                            int k = back % Math.min(p.left().rank(), p.right().rank());
                            Shape a = p.left().with(p.left().rank() - 1 - k, d);
                            Shape b = p.right().with(p.right().rank() - 1 - k, d + delta);
                            return new Incompatible(a, b);
                        }));
    }

    @Provide
    Arbitrary<BadSlice> badSlices() {
        return TensorArbitraries.shapes(1, 3).flatMap(s -> Combinators.combine(Arbitraries.integers().between(0, s.rank() - 1),
                Arbitraries.integers().between(0, 2), Arbitraries.of("negativeStart", "pastEnd", "reversed")).as((axis, extra, kind) -> {
                    int d = s.dim(axis);
                    return switch (kind) {
                        case "negativeStart" -> new BadSlice(s, axis, -1 - extra, d);
                        case "pastEnd" -> new BadSlice(s, axis, 0, d + 1 + extra);
                        default -> new BadSlice(s, axis, d, Math.max(0, d - 1 - extra));
                    };
                }));
    }
}
