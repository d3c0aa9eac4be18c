package dev.jgrad.check;

import dev.jgrad.autodiff.Variable;
import java.util.List;

/**
 * A function of several tensors written with differentiable ops: the unit that gradient checks
 * and Jacobians take. It may return a value of any shape.
 */
@FunctionalInterface
public interface DifferentiableFunction {
    /**
     * The output for these inputs, computed with {@link Variable} ops so the tape can differentiate it.
     *
     * @param inputs one variable per input tensor, in order
     * @return the output
     */
    Variable apply(List<Variable> inputs);
}
