package dev.jgrad.nn.layer;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.Objects;

/**
 * An affine map {@code y = x·Wᵀ + b} for {@code x [..., in] → y [..., out]}, in PyTorch's layout:
 * {@code weight [out, in]}, {@code bias [out]}, both initialised U(−1/√in, 1/√in).
 */
public final class Linear implements Module {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final Map<String, Parameter> params;

    /**
     * A layer from {@code in} to {@code out} features.
     *
     * @param in    the input size
     * @param out   the output size
     * @param bias  whether the layer has a bias
     * @param dtype the parameters' dtype
     * @param rng   the generator the parameters are drawn from
     */
    public Linear(int in, int out, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        double bound = 1.0 / Math.sqrt(in);
        this.weight = Parameter.uniform("weight", rng, dtype, bound, out, in);
        this.bias = bias ? Parameter.uniform("bias", rng, dtype, bound, out) : null;
        this.params = Module.named(weight, this.bias);
    }

    /**
     * The input size.
     *
     * @return {@code in}
     */
    public int inFeatures() {
        return in;
    }

    /**
     * The output size.
     *
     * @return {@code out}
     */
    public int outFeatures() {
        return out;
    }

    /**
     * The weight {@code [out, in]}.
     *
     * @return the weight parameter
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The bias, or null when built without one.
     *
     * @return the bias parameter, or null
     */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /**
     * {@code x [..., in] → x·Wᵀ + b [..., out]}; the transpose is a matmul flag, never materialised.
     *
     * @param x the input {@code [..., in]}
     * @return the output {@code [..., out]}
     */
    public Variable forward(Variable x) {
        Objects.requireNonNull(x, "x");
        int[] d = x.shape().dims();
        if (d.length == 0 || d[d.length - 1] != in) {
            throw new IllegalArgumentException("Linear.forward: input " + x.shape() + " does not end in " + in
                    + " (weight " + weight.value().shape() + ")");
        }
        Variable rows = x.reshape(-1, in);
        Variable y = bias == null ? rows.matmul(weight.variable(), false, true)
                : rows.matmulPlus(weight.variable(), false, true, bias.variable());
        d[d.length - 1] = out;
        return y.reshape(d);
    }
}
