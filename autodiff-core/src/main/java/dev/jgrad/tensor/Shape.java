package dev.jgrad.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * The dimensions of a row-major N-dimensional tensor, immutable. A rank-0 shape {@code []} is a
 * scalar with one element.
 *
 * <p>Note [Broadcasting]: two shapes broadcast as in NumPy: align them at the right; each pair of
 * dimensions must be equal or one of them 1; a missing dimension counts as 1. The result takes the
 * larger of each pair. Every binary op broadcasts its operands forward; the reverse step, summing
 * a gradient back to an operand's shape, happens in exactly one place: the tape's backward walk
 * (see {@code dev.jgrad.autodiff.Tape}).
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": negative dimension " + d);
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + ": more than 2^31 elements");
            }
        }
        this.dims = dims;
        this.size = (int) n;
    }

    /**
     * A shape with the given dimensions; {@code Shape.of()} is the scalar shape.
     *
     * @param dims the dimensions, each at least 0
     * @return the shape
     */
    public static Shape of(int... dims) {
        Objects.requireNonNull(dims, "dims");
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    /** {@code [rows, cols]} without the defensive copy of {@link #of}: the matmul result shape, made on every product. */
    static Shape matrix(int rows, int cols) {
        return new Shape(new int[] {rows, cols});
    }

    /**
     * The scalar shape {@code []}.
     *
     * @return the shape of rank 0
     */
    public static Shape scalar() {
        return SCALAR;
    }

    /**
     * Number of dimensions.
     *
     * @return the rank
     */
    public int rank() {
        return dims.length;
    }

    /**
     * Dimension {@code axis}; negative axes count from the end ({@code -1} is the last).
     *
     * @param axis the axis, possibly negative
     * @return its size
     */
    public int dim(int axis) {
        return dims[axis(axis, "shape")];
    }

    /**
     * A copy of the dimensions.
     *
     * @return the dimensions
     */
    public int[] dims() {
        return dims.clone();
    }

    /**
     * Number of elements: the product of the dimensions (1 for a scalar).
     *
     * @return the number of elements
     */
    public int size() {
        return size;
    }

    /**
     * Row-major strides in elements: {@code strides[i]} is the product of {@code dims[i+1..]}.
     *
     * @return the strides, one per dimension
     */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /**
     * Resolves a possibly negative axis against this rank.
     *
     * @param axis the axis, possibly negative
     * @param op   the op's name, for the error message
     * @return the axis in [0, rank)
     * @throws IllegalArgumentException naming {@code op} and this shape when out of range
     */
    public int axis(int axis, String op) {
        Objects.requireNonNull(op, "op");
        int r = dims.length;
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for shape " + this);
        }
        return a;
    }

    /**
     * This shape with dimension {@code axis} replaced by {@code value}.
     *
     * @param axis  the axis replaced
     * @param value its new size
     * @return the new shape
     */
    public Shape with(int axis, int value) {
        int[] d = dims.clone();
        d[axis(axis, "shape")] = value;
        return new Shape(d);
    }

    /**
     * Whether {@code other} has this shape's rank and dims except, perhaps, along {@code axis} (already
     * normalised). A loop: shapes have a few dims, for which Arrays.equals' vectorised search costs more.
     */
    boolean equalsExcept(Shape other, int axis) {
        if (other.dims.length != dims.length) {
            return false;
        }
        for (int i = 0; i < dims.length; i++) {
            if (i != axis && other.dims[i] != dims[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The broadcast of two shapes (Note [Broadcasting]).
     *
     * @param a  one shape
     * @param b  the other
     * @param op the op's name, for the error message
     * @return the shape both broadcast to
     */
    public static Shape broadcast(Shape a, Shape b, String op) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(op, "op");
        if (a.equals(b)) {
            return a;
        }
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " do not broadcast (dimension " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /**
     * The multi-index of a flat row-major offset.
     *
     * @param flat the offset, in [0, size)
     * @return one index per dimension
     */
    public int[] unravel(int flat) {
        if (flat < 0 || flat >= Math.max(size, 1)) {
            throw new IndexOutOfBoundsException("unravel: offset " + flat + " is outside shape " + this);
        }
        int[] ix = new int[dims.length];
        for (int i = dims.length - 1; i >= 0; i--) {
            ix[i] = flat % dims[i];
            flat /= dims[i];
        }
        return ix;
    }

    /**
     * Whether this shape broadcasts to {@code target} without changing {@code target}.
     *
     * @param target the shape broadcast to
     * @return whether it does
     */
    public boolean broadcastsTo(Shape target) {
        Objects.requireNonNull(target, "target");
        if (rank() > target.rank()) {
            return false;
        }
        int off = target.rank() - rank();
        for (int i = 0; i < rank(); i++) {
            if (dims[i] != 1 && dims[i] != target.dims[i + off]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this shape is no longer than {@code other} and, ignoring its leading 1s, equals the trailing dimensions of {@code other}:
     * then broadcasting this to {@code other} repeats one contiguous block, the fast case of the
     * bias add {@code [B, H] + [H]} and of its adjoint {@code sumTo}.
     */
    boolean isTrailingBlockOf(Shape other) {
        if (dims.length > other.dims.length) {
            return false;
        }
        int lead = 0;
        while (lead < dims.length && dims[lead] == 1) {
            lead++;
        }
        int n = dims.length - lead;
        int off = other.dims.length - n;
        for (int i = 0; i < n; i++) {
            if (dims[lead + i] != other.dims[off + i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        // No axis is -1, so every dim is compared.
        return o == this || o instanceof Shape s && s.equalsExcept(this, -1);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** {@code [2, 3]}; the scalar shape prints as {@code []}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
