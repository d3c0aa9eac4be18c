package dev.jgrad.tensor;

import java.util.Locale;

/**
 * The transcendental elementwise loops (exp, tanh, sigmoid) and the contiguous arithmetic ones run through the Vector API
 * ({@code jdk.incubator.vector}) when that incubating module is in the JVM
 * ({@code --add-modules jdk.incubator.vector}): C2 vectorises simple arithmetic loops by itself, but not
 * loops over three arrays at three offsets, nor the polynomial and bit assembly of
 * {@link Transcendentals}. Without the module, or with {@code -Djgrad.vector=off}, {@link #LOOPS}
 * is null and {@link Kernels} runs its scalar loops.
 *
 * <p>Every element is computed by the same function wherever it sits (a vector lane, or the scalar
 * function in a range's tail), so results do not depend on how a range is split between threads, and each lane
 * repeats the scalar loop's IEEE operations in order, so they equal the scalar loops' bit for bit
 * (Note [Reproducible transcendentals] on {@link Transcendentals}): the module changes speed only.
 */
interface SimdLoops {
    /** The Vector API loops, or null when they are not in use. */
    SimdLoops LOOPS = load();

    /** {@code o[i] = op(x[i])} for {@code i ∈ [lo, hi)}; false (nothing written) when {@code op} has no vector form here. */
    boolean unary(Kernels.Unary op, double[] x, double[] o, int lo, int hi);

    /** The float32 form of {@link #unary(Kernels.Unary, double[], double[], int, int)}. */
    boolean unary(Kernels.Unary op, float[] x, float[] o, int lo, int hi);

    /**
     * {@code o[oo + i] = x[xo + i] ∘ y[yo + i]} for {@code i ∈ [0, n)}, for ADD, SUB, MUL, DIV, TANH_GRAD and
     * SIGMOID_GRAD (others are refused: {@link Kernels} computes them). Each lane repeats the scalar loop's IEEE
     * operations in its order, so the bits equal the scalar loop's; the Vector API only makes sure the loop is
     * vectorised, which C2 does not do for a loop with three offsets.
     */
    void binary(Kernels.Binary op, double[] x, int xo, double[] y, int yo, double[] o, int oo, int n);

    /** The float32 form of {@link #binary(Kernels.Binary, double[], int, double[], int, double[], int, int)}. */
    void binary(Kernels.Binary op, float[] x, int xo, float[] y, int yo, float[] o, int oo, int n);

    /**
     * {@code o[oo + i] = ((o[oo + i] + 0) if accumulate, else +0) + x[xo + i]} for {@code i ∈ [0, n)}: a row a
     * one-hot product gathers, or the first term of a line its scatter-add sums, as the Java kernel's sum has it
     * (Note [One-hot products] on {@link OneHotProducts}). Each lane repeats the scalar loop's operations, so the
     * bits equal it; C2 does not vectorise that loop over two arrays at two offsets.
     */
    void put(double[] x, int xo, double[] o, int oo, int n, boolean accumulate);

    /** The float32 form of {@link #put(double[], int, double[], int, int, boolean)}. */
    void put(float[] x, int xo, float[] o, int oo, int n, boolean accumulate);

    /**
     * {@code acc[j] += x[b·m + j]} for the rows {@code b} of {@code x[0, n)} in increasing order, in double
     * ({@code n} a multiple of {@code m}), for the columns {@code j} below the returned count, a whole number of
     * vectors: the float32 bias gradient, whose remaining columns the scalar loop adds. Each lane adds its column's
     * rows one after another, the scalar loop's order, so the bits equal it; C2 does not vectorise the widening.
     */
    int sumRowsInto(float[] x, int n, int m, double[] acc);

    /**
     * The float64 form of {@link #sumRowsInto(float[], int, int, double[])}: the float64 bias gradient. Each lane
     * holds its column's sum in a register down all the rows, where adding a row at a time read and wrote the whole
     * sum once per row.
     */
    int sumRowsInto(double[] x, int n, int m, double[] acc);

    /**
     * The index of the first NaN or ±∞ in {@code x[from, to)}, or −1 when every value is finite. The scalar loop
     * tests and branches on each element; an optimizer tests every gradient and every new value of a step
     * this way, anomaly detection every op's result and gradient, and a product of zeros its other operand,
     * which may start anywhere in its storage.
     */
    int firstNonFinite(double[] x, int from, int to);

    /** The float32 form of {@link #firstNonFinite(double[], int, int)}. */
    int firstNonFinite(float[] x, int from, int to);

    /**
     * For a product {@code op(A)·op(B)} of dense row-major matrices ({@link Gemm#gemm}'s contract),
     * B's panels for the register-blocked kernel of {@link VectorGemm}, made or kept as
     * {@code VectorGemm.panelsFor} says; null, when the kernel does not take it: the vectors are narrower than 512 bits, B is part of a larger
     * tensor, or the shape is not one it takes. Kept panels are held for the product until the caller lets go of them
     * ({@link KeptPanels#release(Object)}).
     */
    Object gemmPanels(boolean ta, boolean tb, int m, int n, int k, Tensor b, int bo);

    /**
     * Columns {@code [j0, j1)} of {@code C[co..] += A·B}, or with {@code accumulate} false of
     * {@code C[co..] = A·B} without reading C, for A {@code [m, k]} (stored {@code [k, m]} when {@code ta}),
     * B's {@link #gemmPanels panels} and C
     * of row stride {@code ldc}: a product, or the columns of some of its panels.
     */
    void gemm(int m, int j0, int j1, int k, Tensor a, int ao, boolean ta, Object panels, Tensor c, int co, int ldc, boolean accumulate);

    /** Whether {@link #gemm} runs here at all (512-bit vectors). */
    boolean gemmUsable();

    /**
     * Whether {@link #gemmStacked} takes a product {@code Aᵀ·B} of {@code m × n} by an inner dimension
     * {@code k} in {@code dtype}.
     */
    boolean gemmTakesStacked(int m, int n, int k, DType dtype);

    /**
     * For a product {@code Aᵀ·B} that {@link #gemmTakesStacked} takes, with A and B each stacked along
     * k from row blocks: the panels of the stacked B, made from {@code bParts} ({@code [k_s, n]} each)
     * where they lie.
     */
    Object gemmPanelsStacked(int n, int k, Tensor[] bParts);

    /**
     * {@link #gemm} of a transposed A stacked along k from {@code aParts} ({@code [k_s, m]} each, read
     * where they lie), with the panels of {@link #gemmPanelsStacked}: the bits of the same product of the
     * stacked tensors.
     */
    void gemmStacked(int m, int j0, int j1, int k, Tensor[] aParts, Object panels, Tensor c, int ldc, boolean accumulate);

    /** Whether the Vector API loops are in use, for printing beside measured figures. */
    static String describe() {
        if (LOOPS != null) {
            return "Vector API (" + LOOPS + ")";
        }
        if ("off".equalsIgnoreCase(System.getProperty("jgrad.vector", "auto").trim())) {
            return "scalar (jgrad.vector=off)";
        }
        return "scalar (run with --add-modules jdk.incubator.vector for vector loops)";
    }

    private static SimdLoops load() {
        String setting = System.getProperty("jgrad.vector", "auto").trim().toLowerCase(Locale.ROOT);
        if (setting.equals("off") || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return null;
        }
        try {
            return (SimdLoops) Class.forName("dev.jgrad.tensor.VectorLoops").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
