package dev.jgrad.testing;

import dev.jgrad.tensor.Shape;

/**
 * Two shapes that broadcast together (Note [Broadcasting] on {@link Shape}), with their broadcast result.
 *
 * @param left  the left operand's shape
 * @param right the right operand's shape
 */
public record ShapePair(Shape left, Shape right) {
    /**
     * The shape both operands broadcast to.
     *
     * @return the broadcast of {@code left} and {@code right}
     */
    public Shape broadcast() {
        return Shape.broadcast(left, right, "ShapePair");
    }
}
