package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.testing.ShapePair;
import dev.jgrad.testing.TensorArbitraries;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The broadcasting kernels ({@link Kernels#binary}, {@link Kernels#sumTo}) against a reference
 * written from the definition, one element at a time through multi-indices. Both the block fast
 * paths ({@code [B, H] ∘ [H]}, scalars, {@code [B, H] → [H]}) and the general odometer must match it
 * bit for bit, in float64 and float32, so a fast path can never change a training run's numbers.
 */
class BroadcastKernelProperties {

    @Property(tries = 80)
    void binaryMatchesTheElementwiseDefinitionBitForBit(@ForAll("pairs") ShapePair p, @ForAll("ops") Kernels.Binary op,
            @ForAll boolean f32, @ForAll("seeds") long seed) {
        checkBinary(p, op, f32, seed);
    }

    /**
     * Every op in both dtypes with one operand broadcast along the last axis, from either side, and
     * with a scalar on either side: the loops that read an operand with stride 0, which random pairs
     * reach only for some ops.
     */
    @Example
    void everyOpWithAnOperandBroadcastAlongTheLastAxis() {
        ShapePair[] pairs = {
            new ShapePair(Shape.of(3, 1), Shape.of(3, 40)), new ShapePair(Shape.of(3, 40), Shape.of(3, 1)),
            new ShapePair(Shape.of(1), Shape.of(5)), new ShapePair(Shape.of(5), Shape.of(1)),
            new ShapePair(Shape.scalar(), Shape.of(2, 3)), new ShapePair(Shape.of(2, 3), Shape.scalar()),
        };
        long seed = 1;
        for (Kernels.Binary op : Kernels.Binary.values()) {
            for (boolean f32 : new boolean[] {true, false}) {
                for (ShapePair p : pairs) {
                    checkBinary(p, op, f32, seed++);
                }
            }
        }
    }

    private static void checkBinary(ShapePair p, Kernels.Binary op, boolean f32, long seed) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        // b away from 0 so DIV stays finite and comparable
        Tensor a = Tensor.uniform(rng, dt, -3, 3, p.left().dims());
        Tensor b = Tensor.uniform(rng, dt, 0.5, 3, p.right().dims());
        Tensor out = Kernels.binary(op, a, b);
        Shape os = p.broadcast();
        assertEquals(os, out.shape());
        double[] want = new double[os.size()];
        for (int i = 0; i < want.length; i++) {
            int[] ix = os.unravel(i);
            double x = a.get(project(ix, a.shape()));
            double y = b.get(project(ix, b.shape()));
            double v = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAXIMUM -> Math.max(x, y);
                case MINIMUM -> Math.min(x, y);
                case GREATER -> x > y ? 1 : x == y ? 0.5 : 0;
                // the fused derivative rules round each of their three steps, to float in float32
                case TANH_GRAD -> f32 ? (float) y * (1 - (float) x * (float) x) : y * (1 - x * x);
                case SIGMOID_GRAD -> f32 ? (float) y * ((float) x * (1 - (float) x)) : y * (x * (1 - x));
            };
            // float32 kernels compute in float: one float op on float operands rounds the same as double-then-round
            want[i] = f32 ? (float) v : v;
        }
        assertArrayEquals(want, out.toDoubleArray(), 0.0, () -> op + " " + p);
    }

    @Property(tries = 80)
    void sumToMatchesARowMajorDoubleAccumulation(@ForAll("pairs") ShapePair p, @ForAll boolean f32, @ForAll("seeds") long seed) {
        checkSumTo(p.broadcast(), p.left(), f32, seed, p::toString);
    }

    /**
     * The bias gradient's path ({@code [B, …] → […]}, a trailing block) over every row count from 1 to 9,
     * so that the float32 loop's four rows a pass and its remainder rows both run, and an empty block;
     * blocks of 28 (a character vocabulary's, shorter than the elementwise loops' vector threshold), 37 and 64
     * columns take the Vector API loop where it is in use (whole vectors and a tail), and 40 columns the float64 loop's
     * four vectors held down the rows followed by one more vector.
     */
    @Example
    void sumToOverLeadingRowsMatchesTheDefinitionForEveryRowCount() {
        for (boolean f32 : new boolean[] {true, false}) {
            for (int rows = 1; rows <= 9; rows++) {
                for (int[] block : new int[][] {{5}, {3, 2}, {0}, {28}, {37}, {40}, {4, 16}}) {
                    int[] dims = new int[block.length + 1];
                    dims[0] = rows;
                    System.arraycopy(block, 0, dims, 1, block.length);
                    Shape big = Shape.of(dims);
                    checkSumTo(big, Shape.of(block), f32, 31L * rows + block.length, big::toString);
                }
            }
        }
    }

    /**
     * The float64 vector loop adds the rows to whatever the sums hold ({@code acc[j] +=}), not only to zeros as
     * {@code sumTo} starts them: each of the four vectors it holds in registers starts from its own columns' sums.
     */
    @Example
    void theFloat64RowSumsAddToTheSumsTheyAreGiven() {
        Assume.that(SimdLoops.LOOPS != null);
        for (int m : new int[] {8, 40, 64, 70}) {
            Rng rng = Rng.seeded(m);
            int rows = 3;
            double[] x = Tensor.uniform(rng, DType.F64, -1e3, 1e3, rows, m).toDoubleArray();
            double[] acc = Tensor.uniform(rng, DType.F64, -1e3, 1e3, m).toDoubleArray();
            double[] expected = acc.clone();
            for (int b = 0; b < rows; b++) {
                for (int j = 0; j < m; j++) expected[j] += x[b * m + j];
            }
            int columns = SimdLoops.LOOPS.sumRowsInto(x, rows * m, m, acc);
            assertEquals(m / 8 * 8, columns, m + " columns: the whole vectors the loop took");
            assertArrayEquals(Arrays.copyOf(expected, columns), Arrays.copyOf(acc, columns), 0.0, m + " columns");
        }
    }

    private static void checkSumTo(Shape big, Shape target, boolean f32, long seed, java.util.function.Supplier<String> what) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        Tensor y = Tensor.uniform(rng, dt, -1e3, 1e3, big.dims());
        Tensor s = Kernels.sumTo(y, target);
        assertEquals(target, s.shape());
        // the documented order: row-major over y, accumulated in double, rounded once
        double[] acc = new double[target.size()];
        int[] strides = target.strides();
        for (int i = 0; i < y.size(); i++) {
            int[] ix = project(big.unravel(i), target);
            int o = 0;
            for (int k = 0; k < ix.length; k++) o += ix[k] * strides[k];
            acc[o] += y.at(i);
        }
        for (int i = 0; i < acc.length; i++) {
            acc[i] = f32 ? (float) acc[i] : acc[i];
        }
        assertArrayEquals(acc, s.toDoubleArray(), 0.0, what);
    }

    /** sum, max and min over any set of axes against the same row-major double accumulation. */
    @Property(tries = 80)
    void reductionsMatchARowMajorAccumulation(@ForAll("reduced") Shape shape, @ForAll("axisMasks") int mask,
            @ForAll boolean f32, @ForAll("seeds") long seed) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        Tensor a = Tensor.uniform(rng, dt, -1e3, 1e3, shape.dims());
        int[] axes = java.util.stream.IntStream.range(0, shape.rank()).filter(k -> (mask >> k & 1) == 1).toArray();
        int[] resolved = Kernels.axes(shape, axes, "test");
        Shape kept = Kernels.reducedShape(shape, resolved, true);
        double[] sum = new double[kept.size()];
        double[] max = new double[kept.size()];
        double[] min = new double[kept.size()];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        int[] strides = kept.strides();
        for (int i = 0; i < a.size(); i++) {
            int[] ix = project(shape.unravel(i), kept);
            int o = 0;
            for (int k = 0; k < ix.length; k++) o += ix[k] * strides[k];
            sum[o] += a.at(i);
            max[o] = Math.max(max[o], a.at(i));
            min[o] = Math.min(min[o], a.at(i));
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] = f32 ? (float) sum[i] : sum[i];
        }
        assertArrayEquals(sum, Kernels.sum(a, axes, true).toDoubleArray(), 0.0, () -> shape + " axes " + java.util.Arrays.toString(axes));
        if (a.size() > 0) {
            assertArrayEquals(max, Kernels.max(a, axes, true).toDoubleArray(), 0.0, () -> shape + " axes " + java.util.Arrays.toString(axes));
            assertArrayEquals(min, Kernels.min(a, axes, true).toDoubleArray(), 0.0, () -> shape + " axes " + java.util.Arrays.toString(axes));
        }
    }

    @Provide
    Arbitrary<Shape> reduced() {
        return TensorArbitraries.shapes(1, 4);
    }

    @Provide
    Arbitrary<Integer> axisMasks() {
        return Arbitraries.integers().between(0, 15);
    }

    /** The multi-index of {@code s} that broadcasting reads for output index {@code ix}. */
    private static int[] project(int[] ix, Shape s) {
        int off = ix.length - s.rank();
        int[] out = new int[s.rank()];
        for (int k = 0; k < out.length; k++) {
            out[k] = s.dim(k) == 1 ? 0 : ix[k + off];
        }
        return out;
    }

    /**
     * The general generator's pairs plus the shapes the fast paths take: a trailing block with or
     * without leading 1s, a scalar, and each the other way round.
     */
    @Provide
    Arbitrary<ShapePair> pairs() {
        Arbitrary<Integer> d = Arbitraries.integers().between(1, 4);
        Arbitrary<ShapePair> block = net.jqwik.api.Combinators.combine(d, d, d, Arbitraries.integers().between(0, 4))
                .as((b, h, w, kind) -> switch (kind) {
                    case 0 -> new ShapePair(Shape.of(b, h), Shape.of(h));
                    case 1 -> new ShapePair(Shape.of(h), Shape.of(b, h));
                    case 2 -> new ShapePair(Shape.of(b, h, w), Shape.of(1, h, w));
                    case 3 -> new ShapePair(Shape.of(b, h), Shape.scalar());
                    default -> new ShapePair(Shape.of(1), Shape.of(b, h, w));
                });
        return Arbitraries.oneOf(block, TensorArbitraries.broadcastPairs());
    }

    @Provide
    Arbitrary<Kernels.Binary> ops() {
        return Arbitraries.of(Kernels.Binary.class);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return TensorArbitraries.seeds();
    }
}
