package dev.jgrad.testing;

import dev.jgrad.tensor.Shape;

/**
 * Operand shapes for {@code op(A) · op(B)}: with {@code transA}, {@code a} is stored {@code [..., k, m]}
 * (otherwise {@code [..., m, k]}); with {@code transB}, {@code b} is {@code [..., n, k]} (otherwise
 * {@code [..., k, n]}). Batch dimensions broadcast.
 *
 * @param a      the left operand's stored shape
 * @param b      the right operand's stored shape
 * @param transA whether {@code a} is read transposed
 * @param transB whether {@code b} is read transposed
 */
public record MatmulShapes(Shape a, Shape b, boolean transA, boolean transB) {
}
