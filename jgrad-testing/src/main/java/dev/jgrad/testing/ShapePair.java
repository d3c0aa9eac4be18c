package dev.jgrad.testing;

import dev.jgrad.tensor.Shape;

/** Two shapes that broadcast together (Note [Broadcasting] on {@link Shape}), with their broadcast result. */
public record ShapePair(Shape left, Shape right) {
    /** The shape both operands broadcast to. */
    public Shape broadcast() {
        return Shape.broadcast(left, right, "ShapePair");
    }
}
