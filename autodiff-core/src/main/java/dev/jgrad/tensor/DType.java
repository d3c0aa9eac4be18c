package dev.jgrad.tensor;

/**
 * Element type of a {@link Tensor}. Every op keeps its inputs' dtype; mixing dtypes in one op is an
 * error that names both, unless the caller casts explicitly with {@link Tensor#cast(DType)}.
 */
public enum DType {
    /** IEEE 754 binary64, stored in a {@code double[]}. The dtype of gradient checks. */
    F64("F64", 8),
    /** IEEE 754 binary32, stored in a {@code float[]}; arithmetic rounds each result to float. */
    F32("F32", 4);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    /**
     * The dtype's name in a safetensors header ({@code "F64"}, {@code "F32"}).
     *
     * @return the safetensors dtype name
     */
    public String safetensorsName() {
        return safetensorsName;
    }

    /**
     * Bytes per element.
     *
     * @return bytes per element: 8 or 4
     */
    public int bytes() {
        return bytes;
    }

    /**
     * Machine epsilon of the type: the gap between 1 and the next representable number.
     *
     * @return {@code 2⁻⁵²} for F64, {@code 2⁻²³} for F32
     */
    public double epsilon() {
        return this == F64 ? Math.ulp(1.0) : Math.ulp(1.0f);
    }
}
