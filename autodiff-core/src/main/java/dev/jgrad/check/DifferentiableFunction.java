package dev.jgrad.check;

import dev.jgrad.autodiff.Variable;
import java.util.List;

/**
 * A function of several tensors written with differentiable ops: the unit that gradient checks
 * and Jacobians take. It may return a value of any shape.
 */
@FunctionalInterface
public interface DifferentiableFunction {
    Variable apply(List<Variable> inputs);
}
