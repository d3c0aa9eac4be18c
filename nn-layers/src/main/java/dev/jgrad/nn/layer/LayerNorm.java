package dev.jgrad.nn.layer;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Layer normalisation (Ba, Kiros and Hinton 2016) over the trailing dimensions
 * {@code normalizedShape} of its input, as PyTorch's {@code nn.LayerNorm}:
 * {@code y = (x − μ) / √(σ² + eps) ⊙ weight + bias}, with μ and σ² the mean and the population
 * variance over those dimensions for each leading position. {@code weight} (ones) and {@code bias}
 * (zeros) have shape {@code normalizedShape} and PyTorch's names; without the elementwise affine
 * there are no parameters.
 */
public final class LayerNorm implements Module {
    private final Shape normalized;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;
    private final Map<String, Parameter> params;

    /**
     * Normalises the last dimension, of size {@code size}, with eps 1e-5 and a learned weight and bias (PyTorch's defaults).
     *
     * @param size  the size of the last dimension
     * @param dtype the parameters' dtype
     */
    public LayerNorm(int size, DType dtype) {
        this(Shape.of(size), 1e-5, true, dtype);
    }

    /**
     * Normalises the trailing dimensions {@code normalizedShape}.
     *
     * @param normalizedShape   the trailing dimensions normalised over
     * @param eps               added to the variance
     * @param elementwiseAffine whether a learned weight and bias follow the normalisation
     * @param dtype             the parameters' dtype
     * @throws IllegalArgumentException when the shape is empty or has a zero dimension, or eps is not positive
     */
    public LayerNorm(Shape normalizedShape, double eps, boolean elementwiseAffine, DType dtype) {
        if (normalizedShape.rank() == 0 || normalizedShape.size() == 0) {
            throw new IllegalArgumentException("LayerNorm: normalized shape " + normalizedShape + " must have at least one dimension and no zeros");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
        }
        this.normalized = normalizedShape;
        this.eps = eps;
        this.weight = elementwiseAffine ? new Parameter("weight", Tensor.ones(dtype, normalizedShape.dims())) : null;
        this.bias = elementwiseAffine ? new Parameter("bias", Tensor.zeros(dtype, normalizedShape)) : null;
        this.params = Module.named(weight, bias);
    }

    /**
     * The trailing dimensions normalised over.
     *
     * @return the shape
     */
    public Shape normalizedShape() {
        return normalized;
    }

    /**
     * The constant added to the variance.
     *
     * @return eps
     */
    public double eps() {
        return eps;
    }

    /**
     * The scale, or null without the elementwise affine.
     *
     * @return the weight {@code normalizedShape}, or null
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The shift, or null without the elementwise affine.
     *
     * @return the bias {@code normalizedShape}, or null
     */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /**
     * Normalises {@code x [..., normalizedShape]} over its trailing dimensions; the result has x's shape.
     *
     * @param x the input
     * @return the normalised input
     * @throws IllegalArgumentException when x does not end in the normalized shape
     */
    public Variable forward(Variable x) {
        int r = x.shape().rank();
        int k = normalized.rank();
        int[] d = x.shape().dims();
        if (r < k || !Arrays.equals(Arrays.copyOfRange(d, r - k, r), normalized.dims())) {
            throw new IllegalArgumentException("LayerNorm.forward: input " + x.shape() + " does not end in " + normalized);
        }
        int[] axes = new int[k];
        for (int i = 0; i < k; i++) {
            axes[i] = r - k + i;
        }
        Variable centred = x.minus(x.mean(true, axes));
        Variable y = centred.div(centred.square().mean(true, axes).plus(eps).sqrt());
        return weight == null ? y : y.times(weight.variable()).plus(bias.variable());
    }
}
