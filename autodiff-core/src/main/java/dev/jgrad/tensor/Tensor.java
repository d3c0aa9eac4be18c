package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An N-dimensional, row-major array of float64 or float32 values, immutable from the outside.
 *
 * <p>A tensor never changes after construction, so reshaping shares storage and a value can be
 * read by many recorded ops at once. A tensor computed while a {@link Workspace} scope was open
 * refuses every read once the scope has closed and taken its storage back. Arithmetic on tensors lives in {@link Kernels}; differentiable
 * arithmetic lives on {@code dev.jgrad.autodiff.Variable}.
 */
public final class Tensor {
    final Shape shape;
    final DType dtype;
    /** Storage when {@code dtype == F64}, else null; read through {@link #f64()}. */
    private final double[] f64;
    /** Storage when {@code dtype == F32}, else null; read through {@link #f32()}. */
    private final float[] f32;
    /** The workspace loan of the storage, shared by every view of it; null for storage of its own. */
    private final Workspace.Loan loan;
    /**
     * For a matrix used as the right operand of products ({@code A·B}, and apart {@code A·Bᵀ}): how
     * often so far, and from the second use its panels, the copy {@link VectorGemm} reads. A tensor's
     * values never change once it is visible, so a copy never goes stale; a weight is used this way at
     * every time step, an activation mostly once, so a first use keeps no copy (unless the tensor was
     * handed the storage of the weight it replaced: Note [Panels handed on]). Racy counting only
     * delays the copy; the copy itself is published through the volatile.
     */
    int panelUses;
    volatile KeptPanels panels;
    int transposedUses;
    volatile KeptPanels transposedPanels;
    /** Storage for this tensor's panels handed on by the tensor it replaced (Note [Panels handed on] on {@link KeptPanels}). */
    volatile Object sparePanels;
    volatile Object spareTransposedPanels;
    /**
     * For a one-hot tensor ({@link #oneHot}, and rows sliced, joined or reshaped from one, keeping its
     * last axis): the position of the one in each row of the last axis, row-major; null for any other
     * tensor. Set before the tensor is visible, and its values never change, so a product can read the
     * rows as these positions (Note [One-hot products] on {@code OneHotProducts}).
     */
    int[] hotColumns;
    /**
     * For a matrix that products with a one-hot operand gather rows from, whole: how often so far, and
     * from the second use what the gathers read, kept with the tensor like its panels (Note [Kept
     * gather rows] on {@code OneHotProducts}).
     */
    int gatherUses;
    volatile OneHotProducts.KeptRows gatherRows;
    /**
     * Values derived from this tensor alone ({@link #derived}), by key; null until the first. Results
     * on storage of their own are kept and returned again; those on a workspace's are only remembered,
     * so that the tensor replacing this one can take their panels' storage (Note [Panels handed on]
     * on {@link KeptPanels}).
     */
    private volatile DerivedResults derived;
    /** The {@link #derived} results of the tensor this one replaced ({@link Kernels#update}); null when there were none. */
    volatile DerivedResults derivedBefore;

    Tensor(Shape shape, double[] f64) {
        this(shape, DType.F64, f64, null, null);
    }

    Tensor(Shape shape, float[] f32) {
        this(shape, DType.F32, null, f32, null);
    }

    /** A tensor on storage lent by a workspace (or with {@code loan} null, of its own). */
    Tensor(Shape shape, DType dtype, double[] f64, float[] f32, Workspace.Loan loan) {
        this.shape = shape;
        this.dtype = dtype;
        this.f64 = f64;
        this.f32 = f32;
        this.loan = loan;
        check();
    }

    private void check() {
        int n = f64 != null ? f64.length : f32.length;
        if (n != shape.size()) {
            throw new IllegalArgumentException("tensor: " + n + " values do not fill shape " + shape
                    + " (" + shape.size() + " elements)");
        }
    }

    /**
     * A new zero-filled tensor of the dtype (package use: kernels fill it before anyone sees it), on
     * storage lent by the workspace scope open on this thread, if any ({@link Workspace}).
     */
    static Tensor allocate(DType dtype, Shape shape) {
        Tensor lent = Workspace.lend(dtype, shape, true);
        return lent != null ? lent : fresh(dtype, shape);
    }

    /**
     * A new tensor of the dtype for a kernel that writes every element before anyone reads it: like
     * {@link #allocate}, but storage the workspace lends again is not zero-filled first, which would
     * write the array twice.
     */
    static Tensor allocateOverwritten(DType dtype, Shape shape) {
        Tensor lent = Workspace.lend(dtype, shape, false);
        return lent != null ? lent : fresh(dtype, shape);
    }

    /** A new zero-filled tensor with storage of its own, for the factories: what a user creates is never lent. */
    private static Tensor fresh(DType dtype, Shape shape) {
        return dtype == DType.F64 ? new Tensor(shape, new double[shape.size()]) : new Tensor(shape, new float[shape.size()]);
    }

    /** The float64 storage, or null for float32; throws once a workspace has taken the storage back. */
    double[] f64() {
        if (loan != null && loan.returned) {
            throw loan.returnedError(this);
        }
        return f64;
    }

    /** The storage of either dtype, a {@code double[]} or a {@code float[]}; throws once a workspace has taken it back. */
    Object storage() {
        double[] d = f64();
        return d != null ? d : f32;
    }

    /** The float32 storage, or null for float64; throws once a workspace has taken the storage back. */
    float[] f32() {
        if (loan != null && loan.returned) {
            throw loan.returnedError(this);
        }
        return f32;
    }

    /** The workspace loan of the storage, or null (package use: {@link Workspace.Scope#keep}). */
    Workspace.Loan loan() {
        return loan;
    }

    // ---------------------------------------------------------------- creation

    /**
     * A float64 tensor holding a copy of {@code values} in row-major order.
     *
     * @param values the elements
     * @param dims   the shape, whose size is {@code values.length}
     * @return the tensor
     */
    public static Tensor of(double[] values, int... dims) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dims, "dims");
        return new Tensor(Shape.of(dims), values.clone());
    }

    /**
     * A float32 tensor holding a copy of {@code values} in row-major order.
     *
     * @param values the elements
     * @param dims   the shape, whose size is {@code values.length}
     * @return the tensor
     */
    public static Tensor of(float[] values, int... dims) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dims, "dims");
        return new Tensor(Shape.of(dims), values.clone());
    }

    /**
     * A tensor of the dtype holding {@code values} (rounded to float for F32).
     *
     * @param dtype  the dtype
     * @param values the elements
     * @param dims   the shape, whose size is {@code values.length}
     * @return the tensor
     */
    public static Tensor of(DType dtype, double[] values, int... dims) {
        Objects.requireNonNull(dtype, "dtype");
        return dtype == DType.F64 ? of(values, dims) : of(values, dims).cast(DType.F32);
    }

    /**
     * A float64 vector {@code [values.length]}.
     *
     * @param values the elements
     * @return the vector
     */
    public static Tensor vector(double... values) {
        Objects.requireNonNull(values, "values");
        return of(values, values.length);
    }

    /**
     * A float64 matrix from rows of equal length.
     *
     * @param rows the rows
     * @return the matrix {@code [rows.length, rows[0].length]}
     */
    public static Tensor matrix(double[]... rows) {
        Objects.requireNonNull(rows, "rows");
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] v = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("matrix: row " + i + " has " + rows[i].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, v, i * cols, cols);
        }
        return new Tensor(Shape.of(rows.length, cols), v);
    }

    /**
     * A float64 scalar (rank 0).
     *
     * @param value the value
     * @return the scalar
     */
    public static Tensor scalar(double value) {
        return new Tensor(Shape.scalar(), new double[] {value});
    }

    /**
     * A scalar (rank 0) of the dtype.
     *
     * @param dtype the dtype
     * @param value the value
     * @return the scalar
     */
    public static Tensor scalar(DType dtype, double value) {
        Objects.requireNonNull(dtype, "dtype");
        return full(dtype, value);
    }

    /**
     * Zeros of the dtype and shape.
     *
     * @param dtype the dtype
     * @param dims  the shape
     * @return the tensor
     */
    public static Tensor zeros(DType dtype, int... dims) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dims, "dims");
        return fresh(dtype, Shape.of(dims));
    }

    /**
     * Zeros of the dtype and shape.
     *
     * @param dtype the dtype
     * @param shape the shape
     * @return the tensor
     */
    public static Tensor zeros(DType dtype, Shape shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        return fresh(dtype, shape);
    }

    /**
     * Ones of the dtype and shape.
     *
     * @param dtype the dtype
     * @param dims  the shape
     * @return the tensor
     */
    public static Tensor ones(DType dtype, int... dims) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dims, "dims");
        return full(dtype, 1.0, dims);
    }

    /**
     * Every element {@code value}.
     *
     * @param dtype the dtype
     * @param value every element's value
     * @param dims  the shape
     * @return the tensor
     */
    public static Tensor full(DType dtype, double value, int... dims) {
        return full(dtype, value, Shape.of(dims));
    }

    /**
     * Every element {@code value}.
     *
     * @param dtype the dtype
     * @param value every element's value
     * @param shape the shape
     * @return the tensor
     */
    public static Tensor full(DType dtype, double value, Shape shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Tensor t = fresh(dtype, shape);
        if (t.f64 != null) {
            Arrays.fill(t.f64, value);
        } else {
            Arrays.fill(t.f32, (float) value);
        }
        return t;
    }

    /**
     * {@code [0, 1, …, n−1]}.
     *
     * @param dtype the dtype
     * @param n     the length
     * @return the vector {@code [n]}
     */
    public static Tensor arange(DType dtype, int n) {
        Objects.requireNonNull(dtype, "dtype");
        Tensor t = fresh(dtype, Shape.of(n));
        for (int i = 0; i < n; i++) {
            t.set(i, i);
        }
        return t;
    }

    /**
     * Independent standard normal values scaled by {@code std}, drawn from {@code rng}.
     *
     * @param rng   the generator drawn from
     * @param dtype the dtype
     * @param std   the standard deviation
     * @param dims  the shape
     * @return the tensor
     */
    public static Tensor randn(Rng rng, DType dtype, double std, int... dims) {
        Objects.requireNonNull(rng, "rng");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dims, "dims");
        Tensor t = fresh(dtype, Shape.of(dims));
        for (int i = 0; i < t.size(); i++) {
            t.set(i, std * rng.nextGaussian());
        }
        return t;
    }

    /**
     * Independent uniform values in [lo, hi), drawn from {@code rng}.
     *
     * @param rng   the generator drawn from
     * @param dtype the dtype
     * @param lo    the lower bound, included
     * @param hi    the upper bound, excluded
     * @param dims  the shape
     * @return the tensor
     */
    public static Tensor uniform(Rng rng, DType dtype, double lo, double hi, int... dims) {
        Objects.requireNonNull(rng, "rng");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dims, "dims");
        Tensor t = fresh(dtype, Shape.of(dims));
        for (int i = 0; i < t.size(); i++) {
            t.set(i, rng.uniform(lo, hi));
        }
        return t;
    }

    /**
     * Independent draws from {@code rng} that are 1 with probability {@code p} and 0 otherwise (one
     * uniform draw per element, in row-major order).
     *
     * @param rng   the generator drawn from
     * @param dtype the dtype
     * @param p     the probability of a 1
     * @param dims  the shape
     * @return the tensor of 0s and 1s
     * @throws IllegalArgumentException when {@code p} is not in [0, 1]
     */
    public static Tensor bernoulli(Rng rng, DType dtype, double p, int... dims) {
        Objects.requireNonNull(rng, "rng");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(dims, "dims");
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("bernoulli: probability " + p + " is outside [0, 1]");
        }
        Tensor t = fresh(dtype, Shape.of(dims));
        for (int i = 0; i < t.size(); i++) {
            t.set(i, rng.nextDouble() < p ? 1.0 : 0.0);
        }
        return t;
    }

    /**
     * One-hot encoding: {@code out[..., c] = (indices[...] == c)}, shape {@code indices.shape + [classes]}.
     * The tensor remembers its indices: a matrix product with it, or with rows sliced, joined or
     * reshaped from it, reads the other operand at the ones instead of multiplying by every zero, with
     * the pure-Java kernel's bits on either backend ({@link Blas}).
     *
     * @param dtype     the dtype
     * @param indices   the class indices, row-major
     * @param classes   the number of classes
     * @param indexDims the shape of {@code indices}
     * @return the encoding, of shape {@code indexDims ++ [classes]}
     * @throws IllegalArgumentException when an index is outside [0, classes)
     */
    public static Tensor oneHot(DType dtype, int[] indices, int classes, int... indexDims) {
        return oneHot(false, dtype, indices, classes, indexDims);
    }

    /** {@link #oneHot}, on storage the workspace scope open on this thread lends when {@code lent} ({@link Kernels#oneHot}). */
    static Tensor oneHot(boolean lent, DType dtype, int[] indices, int classes, int... indexDims) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(indices, "indices");
        Objects.requireNonNull(indexDims, "indexDims");
        Shape is = Shape.of(indexDims);
        if (is.size() != indices.length) {
            throw new IllegalArgumentException("oneHot: " + indices.length + " indices do not fill shape " + is);
        }
        int[] od = Arrays.copyOf(indexDims, indexDims.length + 1);
        od[indexDims.length] = classes;
        Tensor t = lent ? allocate(dtype, Shape.of(od)) : fresh(dtype, Shape.of(od));
        for (int i = 0; i < indices.length; i++) {
            int c = indices[i];
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException("oneHot: index " + c + " at position " + i + " is outside [0, " + classes + ")");
            }
            t.set(i * classes + c, 1.0);
        }
        t.hotColumns = indices.clone();
        return t;
    }

    // ---------------------------------------------------------------- reading

    /**
     * The shape.
     *
     * @return the shape
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The dtype.
     *
     * @return F64 or F32
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Number of elements.
     *
     * @return the number of elements
     */
    public int size() {
        return shape.size();
    }

    /**
     * The number of dimensions.
     *
     * @return the rank
     */
    public int rank() {
        return shape.rank();
    }

    /**
     * Element at a multi-index (one index per dimension).
     *
     * @param index one index per dimension
     * @return the element, as a double
     */
    public double get(int... index) {
        Objects.requireNonNull(index, "index");
        if (index.length != shape.rank()) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a tensor of shape " + shape);
        }
        int[] st = shape.strides();
        int off = 0;
        for (int i = 0; i < index.length; i++) {
            int ix = index[i];
            if (ix < 0 || ix >= shape.dim(i)) {
                throw new IndexOutOfBoundsException("get: index " + Arrays.toString(index) + " is outside shape " + shape);
            }
            off += ix * st[i];
        }
        return at(off);
    }

    /**
     * Element at a flat row-major offset.
     *
     * @param flatIndex the offset, in [0, size)
     * @return the element, as a double
     */
    public double at(int flatIndex) {
        double[] d = f64();
        return d != null ? d[flatIndex] : f32()[flatIndex];
    }

    /**
     * The single value of a one-element tensor.
     *
     * @return the value
     */
    public double item() {
        if (size() != 1) {
            throw new IllegalStateException("item: tensor of shape " + shape + " has " + size() + " elements, not 1");
        }
        return at(0);
    }

    /**
     * The index of the largest element along {@code axis} for every position of the other axes, in
     * row-major order of the shape without {@code axis}: a {@code [B, V]} matrix of scores gives the
     * {@code B} chosen classes along axis 1. Ties give the first index, and a NaN counts as the largest.
     *
     * @param axis the axis searched (negative counts from the end)
     * @return one index per position of the other axes
     * @throws IllegalArgumentException when the axis is out of range or empty
     */
    public int[] argmax(int axis) {
        return Kernels.argmax(this, axis);
    }

    /**
     * A copy of the values, widened to double.
     *
     * @return the values in row-major order
     */
    public double[] toDoubleArray() {
        double[] out = new double[size()];
        widenInto(0, out, out.length);
        return out;
    }

    /** {@code to[0, len)} = elements {@code at … at+len−1} in row-major order, widened to double. */
    void widenInto(int at, double[] to, int len) {
        double[] d = f64();
        if (d != null) {
            System.arraycopy(d, at, to, 0, len);
        } else {
            float[] f = f32();
            for (int i = 0; i < len; i++) {
                to[i] = f[at + i];
            }
        }
    }

    /**
     * A copy of the values, rounded to float.
     *
     * @return the values in row-major order
     */
    public float[] toFloatArray() {
        float[] f = f32();
        if (f != null) {
            return f.clone();
        }
        double[] d = f64();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /**
     * This tensor in another dtype (itself when the dtype already matches).
     *
     * @param to the dtype wanted
     * @return the converted tensor
     */
    public Tensor cast(DType to) {
        Objects.requireNonNull(to, "to");
        if (to == dtype) {
            return this;
        }
        return to == DType.F64 ? new Tensor(shape, toDoubleArray()) : new Tensor(shape, toFloatArray());
    }

    /**
     * The same values under another shape with the same number of elements; shares storage.
     *
     * @param to the new shape
     * @return the reshaped tensor
     */
    public Tensor reshape(Shape to) {
        Objects.requireNonNull(to, "to");
        if (to.size() != size()) {
            throw new IllegalArgumentException("reshape: cannot view " + shape + " (" + size() + " elements) as " + to
                    + " (" + to.size() + " elements)");
        }
        if (to.equals(shape)) {
            return this;
        }
        Tensor out = new Tensor(to, dtype, f64(), f32(), loan);
        if (hotColumns != null && to.rank() > 0 && to.dim(to.rank() - 1) == shape.dim(shape.rank() - 1)) {
            out.hotColumns = hotColumns;   // the same rows of the same last axis
        }
        return out;
    }

    /**
     * {@link #reshape(Shape)} with dimensions; one dimension may be −1 and is then inferred.
     *
     * @param dims the new dimensions
     * @return the reshaped tensor
     */
    public Tensor reshape(int... dims) {
        Objects.requireNonNull(dims, "dims");
        return reshape(inferShape(dims, size(), shape));
    }

    static Shape inferShape(int[] dims, int size, Shape from) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: " + from + " to " + Arrays.toString(dims) + ": at most one −1");
                }
                infer = i;
            } else {
                known *= dims[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("reshape: cannot view " + from + " as " + Arrays.toString(dims));
            }
            int[] d = dims.clone();
            d[infer] = (int) (size / known);
            return Shape.of(d);
        }
        return Shape.of(dims);
    }

    /**
     * Whether matrix products read the other operand at this tensor's ones instead of multiplying it by
     * every zero: true for a tensor made by {@link #oneHot} or {@link Kernels#oneHot}, and rows sliced,
     * joined or reshaped from one keeping its last axis, unless the system property
     * {@code jgrad.blas.onehot} is {@code off} (Note [One-hot products] on {@code OneHotProducts}).
     *
     * @return whether products with this tensor are gathers and scatter-adds
     */
    public boolean productsReadAtOnes() {
        return hotColumns != null && OneHotProducts.ENABLED;
    }

    /**
     * The tensor {@code compute} gives, kept with this one under {@code key} from the first call on: for
     * a value derived from this tensor's alone, such as a block of a weight sliced for inference at
     * every call of a model, which then costs its slice once and keeps the copies products make of
     * it. A tensor's values never change, so neither does such a result. A result on storage lent by
     * a workspace is not kept, since its storage goes back when its scope ends. When this tensor
     * replaced another in an optimizer's step ({@link Kernels#update}), a new result takes the storage
     * of the copies products made of that one's result under the same key, as the weight itself
     * takes its predecessor's (Note [Panels handed on] on {@code KeptPanels}); its bits do not change.
     *
     * @param key     what the result is of this tensor, compared by {@code equals}
     * @param compute computes the result, at most once per key while it can be kept
     * @return the kept result, or a fresh one when it cannot be kept
     */
    public Tensor derived(Object key, Supplier<Tensor> compute) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(compute, "compute");
        Tensor kept = DerivedResults.get(derived, key);
        if (kept != null && kept.loan == null) {
            return kept;
        }
        Tensor result = Objects.requireNonNull(compute.get(), "the computed tensor");
        Tensor predecessor;
        synchronized (this) {
            predecessor = derivedBefore == null ? null : derivedBefore.take(key);
        }
        if (predecessor != null && result != predecessor) {
            KeptPanels.handOn(predecessor, result);
        }
        synchronized (this) {
            kept = DerivedResults.get(derived, key);
            if (kept != null && kept.loan == null) {
                return kept;
            }
            derived = DerivedResults.with(derived, key, result);
        }
        return result;
    }

    /** This tensor's {@link #derived} results, for the tensor replacing it; they are no longer this one's. */
    synchronized DerivedResults takeDerived() {
        DerivedResults taken = derived;
        derived = null;
        return taken;
    }

    /**
     * The results {@link #derived} from a tensor, by key: a handful at most (the gate blocks of a packed
     * weight), so a scan by {@code equals} finds one sooner than a hash table's lookup would, and a new
     * key copies the few entries rather than changing them where another thread may be reading.
     */
    static final class DerivedResults {
        private final Object[] keys;
        private final Tensor[] results;

        private DerivedResults(Object[] keys, Tensor[] results) {
            this.keys = keys;
            this.results = results;
        }

        /** The result under {@code key} in {@code known}, or null when there is none (or no {@code known}). */
        static Tensor get(DerivedResults known, Object key) {
            int at = known == null ? -1 : known.indexOf(key);
            return at < 0 ? null : known.results[at];
        }

        /** {@code known} with {@code result} under {@code key}, replacing any result there; {@code known} is not changed. */
        static DerivedResults with(DerivedResults known, Object key, Tensor result) {
            if (known == null) {
                return new DerivedResults(new Object[] {key}, new Tensor[] {result});
            }
            int at = known.indexOf(key);
            if (at < 0) {
                at = known.keys.length;
            }
            Object[] keys = Arrays.copyOf(known.keys, Math.max(known.keys.length, at + 1));
            Tensor[] results = Arrays.copyOf(known.results, keys.length);
            keys[at] = key;
            results[at] = result;
            return new DerivedResults(keys, results);
        }

        /** The result under {@code key}, which no later call gets again; only under the owning tensor's lock. */
        Tensor take(Object key) {
            int at = indexOf(key);
            if (at < 0) {
                return null;
            }
            Tensor t = results[at];
            results[at] = null;
            return t;
        }

        /** Where {@code key} is, by {@code equals}, or −1. */
        private int indexOf(Object key) {
            for (int i = 0; i < keys.length; i++) {
                if (key.equals(keys[i])) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * Tells matrix products that this tensor will be read again and again, as a weight is at every time
     * step: they keep what they derive from it for the Vector API kernel (its panels) and for one-hot
     * rows (whether it is finite, its rows) from its first use, where otherwise they keep it from its
     * second (Note [Kept gather rows] on {@code OneHotProducts}). Values and bits do not change.
     */
    public void readAgainAndAgain() {
        panelUses = Math.max(panelUses, 1);
        transposedUses = Math.max(transposedUses, 1);
        gatherUses = Math.max(gatherUses, 1);
    }

    /**
     * Whether any element is NaN or infinite.
     *
     * @return true when some element is NaN or ±∞
     */
    public boolean hasNonFinite() {
        return Kernels.firstNonFinite(this) >= 0;
    }

    /**
     * Largest |this − other| over all elements; shapes must match.
     *
     * @param other a tensor of the same shape
     * @return the largest absolute difference
     */
    public double maxAbsDiff(Tensor other) {
        Objects.requireNonNull(other, "other");
        if (!shape.equals(other.shape)) {
            throw new IllegalArgumentException("maxAbsDiff: shapes " + shape + " and " + other.shape + " differ");
        }
        double m = 0;
        for (int i = 0; i < size(); i++) {
            double diff = Math.abs(at(i) - other.at(i));
            if (Double.isNaN(diff)) {
                return Double.NaN;
            }
            m = Math.max(m, diff);
        }
        return m;
    }

    /**
     * Same shape and {@code |a − b| ≤ atol + rtol·|b|} everywhere (NaN is never close).
     *
     * @param other the expected values
     * @param rtol  the tolerance relative to {@code |b|}
     * @param atol  the absolute tolerance
     * @return whether every element is close
     */
    public boolean allClose(Tensor other, double rtol, double atol) {
        Objects.requireNonNull(other, "other");
        if (!shape.equals(other.shape)) {
            return false;
        }
        for (int i = 0; i < size(); i++) {
            double a = at(i);
            double b = other.at(i);
            if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
                return false;
            }
        }
        return true;
    }

    // package-private writers used while a kernel fills a fresh tensor
    void set(int i, double v) {
        double[] d = f64();
        if (d != null) {
            d[i] = v;
        } else {
            f32()[i] = (float) v;
        }
    }

    /** Elements {@code at … at+len−1} = {@code from[0, len)}, each rounded once to this dtype: {@link #set} for a range. */
    void setRange(int at, double[] from, int len) {
        double[] d = f64();
        if (d != null) {
            System.arraycopy(from, 0, d, at, len);
        } else {
            float[] f = f32();
            for (int i = 0; i < len; i++) {
                f[at + i] = (float) from[i];
            }
        }
    }

    /** {@code F64[2, 3] [[1.00000, 2.00000, 3.00000], [4.00000, 5.00000, 6.00000]]}, six significant digits; tensors of more than 1,000 values are elided. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(dtype).append(shape).append(' ');
        if (size() > 1000) {
            sb.append("[").append(size()).append(" values]");
            return sb.toString();
        }
        format(sb, 0, 0);
        return sb.toString();
    }

    private int format(StringBuilder sb, int axis, int off) {
        if (axis == shape.rank()) {
            sb.append(String.format(Locale.ROOT, "%.6g", at(off)));
            return off + 1;
        }
        sb.append('[');
        for (int i = 0; i < shape.dim(axis); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            off = format(sb, axis + 1, off);
        }
        sb.append(']');
        return off;
    }
}
