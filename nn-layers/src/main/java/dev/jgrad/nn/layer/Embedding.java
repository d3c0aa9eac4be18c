package dev.jgrad.nn.layer;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * A lookup table {@code weight [num, dim]} (initialised N(0, 1), as PyTorch): row {@code i} is the
 * vector of token {@code i}. Looking rows up equals multiplying one-hot rows by the table,
 * {@code onehot(idx)·W}, without building the one-hot matrix; its gradient adds into the looked-up
 * rows only.
 */
public final class Embedding implements Module {
    private final int num;
    private final int dim;
    private final Parameter weight;
    private final Map<String, Parameter> params;

    /**
     * A table of {@code num} vectors of size {@code dim}, initialised N(0, 1) as PyTorch's {@code nn.Embedding}.
     *
     * @param num   the number of rows
     * @param dim   the size of each row
     * @param dtype the dtype
     * @param rng   the generator the table is drawn from
     */
    public Embedding(int num, int dim, DType dtype, Rng rng) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got num=" + num + ", dim=" + dim);
        }
        this.num = num;
        this.dim = dim;
        this.weight = new Parameter("weight", Tensor.randn(rng, dtype, 1.0, num, dim));
        this.params = Module.named(weight);
    }

    /**
     * The number of rows.
     *
     * @return the number of rows
     */
    public int numEmbeddings() {
        return num;
    }

    /**
     * The size of each row.
     *
     * @return the row size
     */
    public int embeddingDim() {
        return dim;
    }

    /**
     * The table {@code [num, dim]}.
     *
     * @return the weight parameter
     */
    public Parameter weight() {
        return weight;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /**
     * The rows {@code weight[indices]}, shaped {@code [indexDims..., dim]} ({@code [indices.length, dim]}
     * when no dimensions are given).
     *
     * @param indices   the rows looked up, each in [0, num)
     * @param indexDims the shape of {@code indices}
     * @return the rows, {@code [indexDims..., dim]}
     * @throws IllegalArgumentException when the indices do not fill {@code indexDims} or one is outside [0, num)
     */
    public Variable forward(int[] indices, int... indexDims) {
        int[] dims = indexDims.length == 0 ? new int[] {indices.length} : indexDims;
        if (Shape.of(dims).size() != indices.length) {
            throw new IllegalArgumentException("Embedding.forward: " + indices.length + " indices do not fill shape "
                    + Arrays.toString(dims));
        }
        int[] out = Arrays.copyOf(dims, dims.length + 1);
        out[dims.length] = dim;
        return weight.variable().indexSelect(0, indices).reshape(out);
    }
}
