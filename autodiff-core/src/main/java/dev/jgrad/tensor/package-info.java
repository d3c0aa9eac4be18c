/**
 * N-dimensional tensors and their numeric kernels: {@link dev.jgrad.tensor.Tensor} (immutable,
 * row-major, float64 or float32), {@link dev.jgrad.tensor.Shape} with NumPy broadcasting,
 * {@link dev.jgrad.tensor.Rng} (the explicit seeded generator), {@link dev.jgrad.tensor.Kernels},
 * the one place where loops over storage live, with its package-private helpers: {@code Gemm} (the
 * pure-Java matrix product), {@code NativeBlas} (OpenBLAS through the foreign-function API),
 * {@code VectorGemm} (products of a batch's rows by a weight, and taller and transposed ones a
 * chunk of rows at a time, on the Vector API), {@code OneHotProducts} (products with a one-hot
 * operand as gathers and scatter-adds),
 * {@code Transcendentals} (exp, tanh and σ from exact IEEE operations, reproducible bit for bit) and
 * {@code SimdLoops} / {@code VectorLoops} (the same functions on the incubating Vector API when its
 * module is present). {@link dev.jgrad.tensor.Blas} chooses and describes the matrix-product backend;
 * {@link dev.jgrad.tensor.Parallelism} sets the thread count large kernels split their work over;
 * {@link dev.jgrad.tensor.GradientAccumulator} is a running sum that writes only its own unpublished
 * buffer and sums deferred products in bulk; {@link dev.jgrad.tensor.Workspace} lends the storage of
 * one training step's tensors to the next, and within a step takes back what a backward walk's
 * accumulators no longer hold, giving way when {@code HeapPressure} reports a nearly full heap.
 * Nothing here knows the tape.
 */
package dev.jgrad.tensor;
