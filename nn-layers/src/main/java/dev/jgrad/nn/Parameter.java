package dev.jgrad.nn;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Objects;

/**
 * A named trainable tensor. Its value is held by one leaf {@link Variable} that requires a gradient,
 * the same instance for the parameter's whole life: {@link #set(Tensor)} and {@link #toDType(DType)}
 * assign the new value to that leaf in place ({@link Variable#assign}), so a {@code Variable} fetched
 * earlier keeps receiving gradients. The shape never changes; the dtype only through
 * {@link #toDType(DType)}.
 */
public final class Parameter {
    private final String name;
    private final Variable variable;

    /**
     * A parameter named {@code name} (its local name inside its module) holding {@code value}.
     *
     * @param name  the parameter's local name
     * @param value its initial value
     */
    public Parameter(String name, Tensor value) {
        this.name = Objects.requireNonNull(name, "name");
        this.variable = Variable.leaf(name, Objects.requireNonNull(value, "value"));
    }

    /**
     * A parameter initialised U(−bound, bound), PyTorch's default for linear and recurrent weights with bound 1/√fanIn.
     *
     * @param name  the parameter's local name
     * @param rng   the generator drawn from
     * @param dtype the dtype
     * @param bound the half-width of the interval
     * @param dims  the shape
     * @return the parameter
     */
    public static Parameter uniform(String name, Rng rng, DType dtype, double bound, int... dims) {
        return new Parameter(name, Tensor.uniform(rng, dtype, -bound, bound, dims));
    }

    /**
     * The parameter's local name inside its module.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The current value.
     *
     * @return the value
     */
    public Tensor value() {
        return variable.value();
    }

    /**
     * The leaf variable holding the value: always the same instance.
     *
     * @return the leaf that ops should read this parameter through
     */
    public Variable variable() {
        return variable;
    }

    /**
     * The gradient accumulated into the current leaf, or null when none.
     *
     * @return the gradient, in the value's shape and dtype, or null
     */
    public Tensor grad() {
        return variable.grad();
    }

    /**
     * Replaces the value in place; the accumulated gradient is dropped. A tape that recorded this
     * parameter before refuses to run backward afterwards (see {@link Variable#assign}).
     *
     * @param value the new value, of this parameter's shape and dtype
     * @throws IllegalArgumentException when the shape or dtype differs, naming this parameter and both
     */
    public void set(Tensor value) {
        checkCompatible(value);
        variable.assign(value);
    }

    /**
     * Converts the value to {@code dtype} in place (nothing happens when it already has it); the
     * accumulated gradient is dropped.
     *
     * @param dtype the new dtype
     */
    public void toDType(DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        if (value().dtype() != dtype) {
            variable.assign(value().cast(dtype));
        }
    }

    /**
     * Throws unless {@code value} has this parameter's shape and dtype.
     *
     * @param value the tensor compared
     */
    public void checkCompatible(Tensor value) {
        Objects.requireNonNull(value, "value");
        Tensor cur = variable.value();
        if (!cur.shape().equals(value.shape()) || cur.dtype() != value.dtype()) {
            throw new IllegalArgumentException("parameter " + name + ": expected " + cur.dtype() + cur.shape()
                    + ", got " + value.dtype() + value.shape());
        }
    }

    /**
     * Replaces the accumulated gradient (clipping rescales it this way); null forgets it.
     *
     * @param grad the new gradient, of the value's shape and dtype, or null
     * @throws IllegalArgumentException when the gradient's shape or dtype differs from the value's; the
     *                                  gradient held before is then kept
     */
    public void setGrad(Tensor grad) {
        Tensor cur = variable.value();
        if (grad != null && (!cur.shape().equals(grad.shape()) || cur.dtype() != grad.dtype())) {
            throw new IllegalArgumentException("parameter " + name + ": gradient " + grad.dtype() + grad.shape()
                    + " does not match value " + cur.dtype() + cur.shape());
        }
        variable.zeroGrad();
        if (grad != null) {
            // Backward from a leaf with a cotangent accumulates exactly that cotangent into it.
            variable.backward(grad);
        }
    }

    /** Forgets the accumulated gradient. */
    public void zeroGrad() {
        variable.zeroGrad();
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + value().dtype() + value().shape() + ")";
    }
}
