package dev.jgrad.spark.train;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named tensors as plain arrays, the form in which weights, gradients and optimizer state travel
 * between the driver and the tasks ({@link Tensor} is not serialisable). Float32 values widen to
 * float64 exactly and narrow back exactly, so nothing is lost either way; on the wire they are
 * float32 again ({@link Packed}).
 *
 * @param values the flattened values; an entry may be null (a parameter without a gradient)
 */
public record NamedArrays(String[] names, int[][] dims, double[][] values) implements Serializable {

    /** The tensors of {@code map}, in its order. */
    public static NamedArrays of(Map<String, Tensor> map) {
        String[] names = new String[map.size()];
        int[][] dims = new int[map.size()][];
        double[][] values = new double[map.size()][];
        int i = 0;
        for (Map.Entry<String, Tensor> e : map.entrySet()) {
            names[i] = e.getKey();
            dims[i] = e.getValue().shape().dims();
            values[i] = e.getValue().toDoubleArray();
            i++;
        }
        return new NamedArrays(names, dims, values);
    }

    /** Serialised through {@link Wire}, so float32 values travel as float32. */
    private Object writeReplace() {
        return new Wire(names, dims, Packed.of(values));
    }

    private record Wire(String[] names, int[][] dims, Packed values) implements Serializable {
        private Object readResolve() {
            return new NamedArrays(names, dims, values.unpack());
        }
    }

    public int size() {
        return names.length;
    }

    /** The tensors again, of {@code dtype}, in order; null values are left out. */
    public Map<String, Tensor> toTensors(DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null) {
                out.put(names[i], Tensor.of(dtype, values[i], dims[i]));
            }
        }
        return out;
    }
}
