/**
 * Layers: modules with a {@code forward} from inputs to outputs. {@link dev.jgrad.nn.layer.Linear}
 * (an affine map), {@link dev.jgrad.nn.layer.Embedding} (a lookup table) and
 * {@link dev.jgrad.nn.layer.RecurrentStack}, which unrolls a stack of
 * {@link dev.jgrad.nn.cell.RecurrentCell}s over a batch-first sequence, exactly as repeated cell
 * steps. A {@code Dropout} or a {@code LayerNorm} belongs here too.
 *
 * <p>Not here: one time step of a recurrent network ({@code dev.jgrad.nn.cell}), losses
 * ({@code dev.jgrad.nn.loss}), and the {@code Module}/{@code Parameter} contract itself
 * ({@code dev.jgrad.nn}).
 */
package dev.jgrad.nn.layer;
