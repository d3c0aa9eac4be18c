/**
 * Training on several threads by splitting the batch: {@link dev.jgrad.nn.parallel.DataParallel} runs
 * the loss of each shard of a minibatch on its own thread and tape and adds the shards' gradients to
 * the parameters in a fixed order.
 *
 * <p>Not here: the kernels' own threads ({@code dev.jgrad.tensor.Parallelism}, which split one
 * product or elementwise op), the optimizers that read the gradients ({@code dev.jgrad.nn.optim}), and
 * training across machines (the {@code jgrad-spark} module).
 */
package dev.jgrad.nn.parallel;
