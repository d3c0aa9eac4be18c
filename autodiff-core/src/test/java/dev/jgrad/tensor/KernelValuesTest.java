package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Kernel results and refusals pinned where the gradient properties cannot see them: those compare the
 * tape with finite differences of the same kernels, so a kernel wrong in the same way as its adjoint
 * (gather and scatterAdd), or one returning a wrongly shaped result that its cotangent is then made
 * to match, passes every one of them. Each case here kills a PIT mutant that every other test let through.
 */
class KernelValuesTest {
    private static final Tensor M = Tensor.matrix(new double[] {1, 2, 3}, new double[] {4, 5, 6});

    private static void assertValues(double[] expected, Shape shape, Tensor actual) {
        assertEquals(shape, actual.shape());
        assertArrayEquals(expected, actual.toDoubleArray(), 0.0);
    }

    /** gather picks one element per index entry, scatterAdd adds each source element at its position (repeats add up). */
    /**
     * Softmax over the last axis runs on contiguous rows, over another axis on strided ones: in
     * float64 both take the same exponentials in the same order, so a transposed tensor gives the
     * same bits either way; the float32 rows exponentiate in float, within a few of its ulps. The
     * cross-entropy is minus the mean log-probability of the targets.
     */
    /** The documented order: four interleaved running sums, (s₀ + s₁) + (s₂ + s₃); a NaN or an infinity shows. */
    @Test
    void sumOfSquaresAddsFourInterleavedChains() {
        Rng rng = Rng.seeded(11);
        for (DType dt : DType.values()) {
            for (int n = 0; n <= 11; n++) {
                Tensor a = Tensor.randn(rng, dt, 1.0, n);
                double[] v = a.toDoubleArray();
                double[] s = new double[4];
                for (int i = 0; i < n; i++) s[i % 4] += v[i] * v[i];
                assertEquals((s[0] + s[1]) + (s[2] + s[3]), Kernels.sumOfSquares(a), 0.0, dt + " n=" + n);
            }
            assertEquals(Double.NaN, Kernels.sumOfSquares(Tensor.vector(1, Double.NaN, 2).cast(dt)));
            assertEquals(Double.POSITIVE_INFINITY, Kernels.sumOfSquares(Tensor.vector(1, 2, 3, 4, Double.NEGATIVE_INFINITY).cast(dt)));
        }
        // float32 squares stay exact in double: (2^100)² would overflow float but not double
        assertEquals(0x1p200, Kernels.sumOfSquares(Tensor.vector(0x1p100).cast(DType.F32)));
    }

    /** Both one-hot encodings, the factory's and the kernel's, put a one at each index and refuse indices outside the classes by position. */
    @Test
    void oneHotPutsAOneAtEachIndexAndRefusesIndicesOutsideTheClasses() {
        for (DType dt : DType.values()) {
            for (Tensor t : List.of(Tensor.oneHot(dt, new int[] {2, 0, 1, 2}, 3, 2, 2), Kernels.oneHot(dt, new int[] {2, 0, 1, 2}, 3, 2, 2))) {
                assertEquals(dt, t.dtype());
                assertValues(new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, Shape.of(2, 2, 3), t);
            }
            assertEquals("oneHot: index 3 at position 1 is outside [0, 3)",
                    assertThrows(IllegalArgumentException.class, () -> Kernels.oneHot(dt, new int[] {0, 3}, 3, 2)).getMessage());
            assertEquals("oneHot: index -1 at position 0 is outside [0, 3)",
                    assertThrows(IllegalArgumentException.class, () -> Tensor.oneHot(dt, new int[] {-1, 0}, 3, 2)).getMessage());
            assertEquals("oneHot: 3 indices do not fill shape [2, 2]",
                    assertThrows(IllegalArgumentException.class, () -> Kernels.oneHot(dt, new int[] {0, 1, 2}, 3, 2, 2)).getMessage());
        }
    }

    @Test
    void softmaxRowsAgreeWithTheStridedPathAndCrossEntropyWithLogSoftmax() {
        Rng rng = Rng.seeded(7);
        Tensor x = Tensor.uniform(rng, DType.F64, -40, 40, 33, 96);
        Tensor xt = Kernels.permute(x, new int[] {1, 0});
        assertArrayEquals(Kernels.permute(Kernels.softmax(xt, 0), new int[] {1, 0}).toDoubleArray(), Kernels.softmax(x, 1).toDoubleArray(), 0.0);
        assertArrayEquals(Kernels.permute(Kernels.logSoftmax(xt, 0), new int[] {1, 0}).toDoubleArray(), Kernels.logSoftmax(x, 1).toDoubleArray(), 0.0);
        // float32 against float64 on the same (rounded) inputs: x − m rounded to float is off by up to
        // |x − m|·2⁻²⁴, which scales e^(x−m) by as much; the exponential, division and cast add a few ulps.
        Tensor x32 = x.cast(DType.F32);
        double[] in = x32.toDoubleArray();
        double[] want = Kernels.softmax(x32.cast(DType.F64), 1).toDoubleArray();
        double[] got32 = Kernels.softmax(x32, 1).toDoubleArray();
        for (int r = 0; r < 33; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 96; k++) m = Math.max(m, in[r * 96 + k]);
            for (int k = 0; k < 96; k++) {
                int i = r * 96 + k;
                double tol = want[i] * (Math.abs(in[i] - m) * 0x1p-24 + 4 * 0x1p-23);
                assertEquals(want[i], got32[i], tol, "element " + i);
            }
        }
        int[] targets = new int[33];
        for (int i = 0; i < targets.length; i++) targets[i] = rng.nextInt(96);
        double[] logP = Kernels.logSoftmax(x, 1).toDoubleArray();
        double mean = 0;
        for (int i = 0; i < targets.length; i++) mean -= logP[i * 96 + targets[i]];
        assertEquals(mean / targets.length, Kernels.crossEntropy(x, targets).item(), 1e-12 * Math.abs(mean / targets.length));
    }

    /**
     * Rows shorter than a vector, more than one cross-entropy block of them, whose exponentials are
     * taken many rows at once on the vector loop: each row has the bits it has alone (on the scalar
     * loop, a row being shorter than a vector), with a row of −∞ but one 0 (one-hot) and an all −∞ row
     * (NaN, as PyTorch's) among them; a float64 cross-entropy is the mean of its rows' own, to the bit.
     */
    @Test
    void shortRowsTakenTogetherKeepEachRowsBits() {
        for (DType dt : DType.values()) {
            for (int c : new int[] {5, 28}) {
                int n = 700;
                double[] v = Tensor.uniform(Rng.seeded(c), dt, -30, 30, n, c).toDoubleArray();
                Arrays.fill(v, 3 * c, 4 * c, Double.NEGATIVE_INFINITY);
                v[3 * c + 1] = 0;
                Arrays.fill(v, 5 * c, 6 * c, Double.NEGATIVE_INFINITY);
                Tensor x = Tensor.of(dt, v, n, c);
                double[] p = Kernels.softmax(x, 1).toDoubleArray();
                double[] logP = Kernels.logSoftmax(x, 1).toDoubleArray();
                for (int i = 0; i < n; i++) {
                    Tensor row = Kernels.slice(x, 0, i, i + 1);
                    String where = dt + " [" + n + ", " + c + "] row " + i;
                    assertArrayEquals(Kernels.softmax(row, 1).toDoubleArray(), Arrays.copyOfRange(p, i * c, (i + 1) * c), 0.0, where);
                    assertArrayEquals(Kernels.logSoftmax(row, 1).toDoubleArray(), Arrays.copyOfRange(logP, i * c, (i + 1) * c), 0.0, where);
                }
                assertEquals(1.0, p[3 * c + 1], dt + ": the one finite logit of a −∞ row takes all the probability");
                assertEquals(0.0, p[3 * c + 2], dt.toString());
                assertTrue(Double.isNaN(p[5 * c]), dt + ": an all −∞ row has no distribution");
            }
        }
        int c = 28;
        int n = 700;
        Tensor x = Tensor.uniform(Rng.seeded(3), DType.F64, -30, 30, n, c);
        int[] targets = new int[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            targets[i] = (i * 11) % c;
            sum += Kernels.crossEntropy(Kernels.slice(x, 0, i, i + 1), new int[] {targets[i]}).item();
        }
        assertEquals(sum / n, Kernels.crossEntropy(x, targets).item(), 0.0);
    }

    @Test
    void gatherAndScatterAddValues() {
        assertValues(new double[] {3, 4}, Shape.of(2, 1), Kernels.gather(M, 1, new int[] {2, 0}, Shape.of(2, 1)));
        assertValues(new double[] {4, 2, 6}, Shape.of(1, 3), Kernels.gather(M, 0, new int[] {1, 0, 1}, Shape.of(1, 3)));
        Tensor src = Tensor.matrix(new double[] {1, 2}, new double[] {3, 4});
        assertValues(new double[] {3, 0, 0, 0, 4, 3}, Shape.of(2, 3),
                Kernels.scatterAdd(Tensor.zeros(DType.F64, 2, 3), 1, new int[] {0, 0, 2, 1}, src));
        assertValues(new double[] {4, 4, 3, 5, 9, 6}, Shape.of(2, 3), Kernels.scatterAdd(M, 0, new int[] {1, 0, 0, 1}, src));
    }

    /**
     * lerp on operands of one shape (one pass, split over two threads when large) has the bits of
     * {@code a + w ⊙ (b − a)} computed by the three binary kernels, in both dtypes; so has the broadcasting form.
     */
    @Test
    void lerpHasTheBitsOfItsThreeBinaryOps() {
        int saved = Parallelism.threads();
        Parallelism.setThreads(2);
        try {
            for (DType dt : DType.values()) {
                for (int n : new int[] {7, 40_000}) {
                    Rng rng = Rng.seeded(n);
                    Tensor a = Tensor.uniform(rng, dt, -3, 3, n);
                    Tensor b = Tensor.uniform(rng, dt, -3, 3, n);
                    Tensor w = Tensor.uniform(rng, dt, -1, 2, n);
                    Tensor composed = Kernels.binary(Kernels.Binary.ADD, a, Kernels.binary(Kernels.Binary.MUL, w, Kernels.binary(Kernels.Binary.SUB, b, a)));
                    assertArrayEquals(composed.toDoubleArray(), Kernels.lerp(a, b, w).toDoubleArray(), 0.0, dt + " " + n);
                }
                Rng rng = Rng.seeded(3);
                Tensor a = Tensor.uniform(rng, dt, -3, 3, 4, 5);
                Tensor b = Tensor.uniform(rng, dt, -3, 3, 5);
                Tensor w = Tensor.uniform(rng, dt, 0, 1, 4, 1);
                Tensor composed = Kernels.binary(Kernels.Binary.ADD, a, Kernels.binary(Kernels.Binary.MUL, w, Kernels.binary(Kernels.Binary.SUB, b, a)));
                Tensor got = Kernels.lerp(a, b, w);
                assertEquals(Shape.of(4, 5), got.shape());
                assertArrayEquals(composed.toDoubleArray(), got.toDoubleArray(), 0.0, dt + " broadcast");
            }
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    /** Reductions keep their reduced axes as size 1 with keepDims and drop them without. */
    @Test
    void reductionsKeepOrDropTheirAxes() {
        int[] rows = {1};
        for (boolean keep : new boolean[] {false, true}) {
            Shape s = keep ? Shape.of(2, 1) : Shape.of(2);
            assertEquals(s, Kernels.sum(M, rows, keep).shape());
            assertEquals(s, Kernels.max(M, rows, keep).shape());
            assertEquals(s, Kernels.min(M, rows, keep).shape());
            assertEquals(s, Kernels.logSumExp(M, rows, keep).shape());
            assertEquals(s, Kernels.norm(M, rows, keep).shape());
        }
        assertArrayEquals(new double[] {Math.sqrt(14), Math.sqrt(77)}, Kernels.norm(M, rows, false).toDoubleArray(), 1e-15);
    }

    /** The norm of no elements is 0 (not the NaN of 0/0 scaling), in the reduced shape. */
    @Test
    void normOfNothing() {
        assertValues(new double[] {0}, Shape.scalar(), Kernels.norm(Tensor.zeros(DType.F64, 0, 3), new int[0], false));
        assertValues(new double[] {0, 0, 0}, Shape.of(3), Kernels.norm(Tensor.zeros(DType.F64, 0, 3), new int[] {0}, false));
    }

    /** relu and its step at 0 in float32 as in float64: relu(0) = 0 and step(0) = 0 (the derivative at the kink is taken as 0). */
    @Test
    void reluAndStepAtZeroInBothDtypes() {
        for (DType dt : DType.values()) {
            Tensor x = Tensor.of(dt, new double[] {-1, 0, 2}, 3);
            assertArrayEquals(new double[] {0, 0, 2}, Kernels.unary(Kernels.Unary.RELU, x).toDoubleArray(), 0.0, dt.toString());
            assertArrayEquals(new double[] {0, 0, 1}, Kernels.unary(Kernels.Unary.STEP, x).toDoubleArray(), 0.0, dt.toString());
        }
    }

    /**
     * Of equal values a min or a max keeps the first, as PyTorch 1.13's {@code amin}, {@code amax} and {@code min(dim)}
     * do: over {@code [+0, −0]} both give +0, over {@code [−0, +0]} both −0, along the last axis and along the first.
     */
    @Test
    void minAndMaxKeepTheFirstOfEqualZeros() {
        for (DType dt : DType.values()) {
            for (double first : new double[] {0.0, -0.0}) {
                double second = -first;
                Tensor rows = Tensor.of(dt, new double[] {first, second, first, second}, 2, 2);      // reduced along axis 1
                Tensor columns = Tensor.of(dt, new double[] {first, first, second, second}, 2, 2);   // reduced along axis 0
                for (Tensor t : new Tensor[] {Kernels.min(rows, new int[] {1}, false), Kernels.max(rows, new int[] {1}, false),
                        Kernels.min(columns, new int[] {0}, false), Kernels.max(columns, new int[] {0}, false)}) {
                    for (double v : t.toDoubleArray()) {
                        assertEquals(Double.doubleToLongBits(first), Double.doubleToLongBits(v), dt + ": the first of " + first + ", " + second);
                    }
                }
            }
        }
    }

    /**
     * relu keeps a NaN and a −0 and gives +0 for a negative value, and its step is 1 at a NaN, as PyTorch 1.13's
     * {@code relu} and its {@code threshold_backward} do: {@code relu([NaN, −0, +0, −1, 2])} is {@code [NaN, −0, +0, +0, 2]},
     * and the gradient of its sum {@code [1, 0, 0, 0, 1]}. A relu that turned a NaN into 0 would hide it from anomaly
     * detection.
     */
    @Test
    void reluKeepsANanAndTheSignOfZeroAsPyTorchDoes() {
        double[] in = {Double.NaN, -0.0, 0.0, -1, 2};
        double[] relu = {Double.NaN, -0.0, 0.0, 0.0, 2};
        double[] step = {1, 0, 0, 0, 1};
        for (DType dt : DType.values()) {
            Tensor x = Tensor.of(dt, in, in.length);
            double[] got = Kernels.unary(Kernels.Unary.RELU, x).toDoubleArray();
            double[] grad = Kernels.unary(Kernels.Unary.STEP, x).toDoubleArray();
            for (int i = 0; i < in.length; i++) {
                assertEquals(Double.doubleToLongBits(relu[i]), Double.doubleToLongBits(got[i]), dt + " relu(" + in[i] + ")");
                assertEquals(Double.doubleToLongBits(step[i]), Double.doubleToLongBits(grad[i]), dt + " step(" + in[i] + ")");
            }
        }
    }

    /**
     * Every elementwise function in float32 on a tensor long enough for the vector loops, which have
     * their own loops for exp, tanh and σ only: the others must still be computed (by the scalar
     * loops), to float32 rounding of the float64 result.
     */
    @Test
    void everyUnaryFunctionInFloat32OnLongTensors() {
        double[] v = new double[100];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.05 + 0.03 * i;
        }
        Tensor d = Tensor.of(v, v.length);
        Tensor f = d.cast(DType.F32);
        for (Kernels.Unary op : Kernels.Unary.values()) {
            double[] want = Kernels.unary(op, d).toDoubleArray();
            double[] got = Kernels.unary(op, f).toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), op + " at " + v[i]);
            }
        }
    }

    /** c / a elementwise. */
    @Test
    void scalarDividedByATensor() {
        assertValues(new double[] {3, 1.5, 1, -0.75, -3, Double.POSITIVE_INFINITY}, Shape.of(6),
                Kernels.div(3.0, Tensor.vector(1, 2, 3, -4, -1, 0)));
    }

    /** An empty slice ([1, 1)) is allowed, one that ends before it starts is not. */
    @Test
    void emptySlices() {
        assertEquals(Shape.of(0, 3), Kernels.slice(M, 0, 1, 1).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.slice(M, 0, 2, 1));
        assertEquals("slice: [2, 1) along axis 0 is outside shape [2, 3]", e.getMessage());
    }

    /** An axis one past the last is named in the refusal, not met with an index error; an empty tensor permutes to an empty one. */
    @Test
    void permuteRefusesAnAxisEqualToTheRankAndKeepsAnEmptyTensorEmpty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.permute(M, new int[] {0, 2}));
        assertEquals("permute: [0, 2] is not a permutation of the axes of [2, 3]", e.getMessage());
        assertValues(new double[0], Shape.of(3, 0, 2), Kernels.permute(Tensor.zeros(DType.F32, 2, 3, 0), new int[] {1, 2, 0}));
    }

    /**
     * An addend that broadcasts to the product without being a trailing block of its shape (a column
     * {@code [m, 1]}) takes matmulPlus's general path: the same values as the product plus the addend.
     */
    @Test
    void matmulPlusWithAColumnAddend() {
        for (DType dt : DType.values()) {
            Tensor a = Tensor.of(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor b = Tensor.of(dt, new double[] {1, 0, 0, 1, 1, 1}, 3, 2);
            Tensor c = Tensor.of(dt, new double[] {10, 20}, 2, 1);
            assertValues(new double[] {14, 15, 30, 31}, Shape.of(2, 2), Kernels.matmulPlus(a, b, false, false, c));
        }
    }

    /** Negative entries of a permutation count from the end. */
    @Test
    void permuteWithNegativeAxes() {
        assertValues(new double[] {1, 4, 2, 5, 3, 6}, Shape.of(3, 2), Kernels.permute(M, new int[] {-1, 0}));
        assertValues(new double[] {1, 4, 2, 5, 3, 6}, Shape.of(3, 2), Kernels.permute(M, new int[] {1, -2}));
    }

    /** Axes come back resolved and sorted, whatever order they were given in. */
    @Test
    void axesAreResolvedAndSorted() {
        assertArrayEquals(new int[] {0, 2}, Kernels.axes(Shape.of(2, 3, 4), new int[] {-1, 0}, "sum"));
        assertArrayEquals(new int[] {0, 1, 2}, Kernels.axes(Shape.of(2, 3, 4), new int[] {2, -3, 1}, "sum"));
    }

    /** The public kernels check their own arguments, naming themselves, also when called directly rather than through an op. */
    @Test
    void kernelsCalledDirectlyCheckTheirArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.inRange(M, 1, -1));
        assertEquals("inRange: bounds [1.0, -1.0] are not an interval (need lo ≤ hi, neither NaN)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.crossEntropy(M, new int[] {0, 3}));
        assertEquals("crossEntropy: target 3 at row 1 is outside [0, 3) for logits [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.logSoftmax(M, 2));
        assertEquals("logSoftmax: axis 2 is out of range for shape [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.softmax(M, -3));
        assertEquals("softmax: axis -3 is out of range for shape [2, 3]", e.getMessage());
    }
}
