/**
 * Recurrent layers: {@link dev.jgrad.nn.layer.RecurrentLayer} unrolls any stack of
 * {@link dev.jgrad.nn.cell.RecurrentCell}s over a batch-first sequence, exactly as repeated cell steps.
 */
package dev.jgrad.nn.layer;
