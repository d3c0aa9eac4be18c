/**
 * Layers: modules with a {@code forward} from inputs to outputs. {@link dev.jgrad.nn.layer.Linear}
 * (an affine map), {@link dev.jgrad.nn.layer.Embedding} (a lookup table),
 * {@link dev.jgrad.nn.layer.LayerNorm}, {@link dev.jgrad.nn.layer.Dropout} (its randomness from an
 * explicit generator) and {@link dev.jgrad.nn.layer.RecurrentStack}, which unrolls a stack of
 * {@link dev.jgrad.nn.cell.RecurrentCell}s over a batch-first sequence, exactly as repeated cell
 * steps.
 *
 * <p>Not here: one time step of a recurrent network ({@code dev.jgrad.nn.cell}), losses
 * ({@code dev.jgrad.nn.loss}), and the {@code Module}/{@code Parameter} contract itself
 * ({@code dev.jgrad.nn}).
 */
package dev.jgrad.nn.layer;
