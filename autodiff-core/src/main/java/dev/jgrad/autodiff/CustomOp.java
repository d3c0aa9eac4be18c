package dev.jgrad.autodiff;

import java.util.Objects;

/**
 * An op of your own, with its derivative rule: the analogue of PyTorch's
 * {@code torch.autograd.Function} and JAX's {@code custom_vjp}. The built-in ops stay a closed set;
 * a custom op enters it through one built-in record ({@link Op.Custom}), so the tape records it as
 * one node, anomaly detection names it, and {@link dev.jgrad.check.GradCheck} checks it like any
 * built-in.
 *
 * <pre>{@code
 * // log(1 + eˣ) without overflow, and its derivative σ(x)
 * static final CustomOp SOFTPLUS = new CustomOp() {
 *     public String name() { return "mySoftplus"; }
 *     public Op.Saves saves() { return Op.Saves.FIRST; }            // the rule reads x
 *     public Variable forward(Variable... in) {
 *         Variable x = in[0];
 *         return x.relu().plus(x.abs().neg().exp().log1p());
 *     }
 *     public Variable[] backward(Variable[] in, Variable out, Variable g) {
 *         return new Variable[] {g.times(in[0].sigmoid())};
 *     }
 * };
 * Variable y = SOFTPLUS.apply(x);
 * }</pre>
 *
 * <p>The forward runs with recording suspended, on constants holding the input values: write it
 * with {@link Variable} ops or with {@link dev.jgrad.tensor.Kernels}. Every value it depends on must
 * be an input, since gradients reach only inputs. The rule is a vector-Jacobian product written
 * with {@code Variable} ops: given the inputs, the output and the output's cotangent {@code g}, one
 * gradient per input (null for none; a broadcast shape is summed back by the tape). Because it uses
 * differentiable ops, the rule is itself recorded when a backward pass builds a graph, so
 * second-order gradients work, exactly as for the built-ins.
 *
 * <p>{@link #saves()} declares which values the rule reads (Note [Saved values] on {@link Op}): the
 * tape keeps only those alive, and a rule that reads an undeclared value fails with a message
 * naming it.
 */
public interface CustomOp {

    /**
     * The op's name, as it appears in error and anomaly messages.
     *
     * @return the name
     */
    String name();

    /**
     * Which values {@link #backward} reads: {@link Op.Saves#OUTPUT}, {@link Op.Saves#FIRST}, {@link Op.Saves#INPUTS}, ….
     *
     * @return the values the rule reads
     */
    Op.Saves saves();

    /**
     * The output, computed from constants holding the input values (nothing is recorded here).
     *
     * @param in the inputs, as constants
     * @return the output
     */
    Variable forward(Variable... in);

    /**
     * The vector-Jacobian product: one gradient per input (or null), written with {@link Variable} ops.
     *
     * @param in  the inputs (their values only if {@link #saves()} lists them)
     * @param out the output
     * @param g   the output's cotangent
     * @return one gradient per input, in its shape or one that broadcasts to it, or null
     */
    Variable[] backward(Variable[] in, Variable out, Variable g);

    /**
     * Applies this op: computes it and, when a tape is recording and an input needs a gradient, records it.
     *
     * @param in the inputs
     * @return the output, recorded when a tape records
     */
    default Variable apply(Variable... in) {
        Objects.requireNonNull(in, "in");
        return Variable.apply(new Op.Custom(this), in);
    }
}
