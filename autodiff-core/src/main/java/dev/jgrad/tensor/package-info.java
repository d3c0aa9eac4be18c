/**
 * N-dimensional tensors and their numeric kernels: {@link dev.jgrad.tensor.Tensor} (immutable,
 * row-major, float64 or float32), {@link dev.jgrad.tensor.Shape} with NumPy broadcasting,
 * {@link dev.jgrad.tensor.Rng} (the explicit seeded generator), {@link dev.jgrad.tensor.Kernels},
 * the one place where loops over storage live (with the package-private {@code Gemm}, the matrix
 * product), {@link dev.jgrad.tensor.Parallelism}, the thread count large kernels split their work
 * over (results are bit-identical for any count), and {@link dev.jgrad.tensor.GradientAccumulator},
 * a running sum that writes only its own unpublished buffer. Nothing here knows about gradients.
 */
package dev.jgrad.tensor;
