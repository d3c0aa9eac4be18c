/**
 * N-dimensional tensors and their numeric kernels: {@link dev.jgrad.tensor.Tensor} (immutable,
 * row-major, float64 or float32), {@link dev.jgrad.tensor.Shape} with NumPy broadcasting,
 * {@link dev.jgrad.tensor.Rng} (the explicit seeded generator) and {@link dev.jgrad.tensor.Kernels},
 * the one place where loops over storage live. Nothing here knows about gradients.
 */
package dev.jgrad.tensor;
