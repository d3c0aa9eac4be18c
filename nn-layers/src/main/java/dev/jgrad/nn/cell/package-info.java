/**
 * Recurrent cells, each defined only by its forward equations (the tape does the backward): the GRU
 * in both published variants, {@link dev.jgrad.nn.cell.GRUCell} (Cho / d2l) and
 * {@link dev.jgrad.nn.cell.TorchGRUCell} (PyTorch / cuDNN), told apart in Note [GRU reset gate] in
 * {@link dev.jgrad.nn.cell.GRU}; {@link dev.jgrad.nn.cell.LSTMCell}, {@link dev.jgrad.nn.cell.RNNCell},
 * and {@link dev.jgrad.nn.cell.MGUCell}, the worked example of writing a new cell. A cell maps one
 * time step {@code (x [B, I], state) → state}; a new recurrent unit goes here.
 *
 * <p>Not here: running cells over sequences and stacking them
 * ({@link dev.jgrad.nn.layer.RecurrentStack}), and anything that trains or stores them (cells use
 * neither {@code optim} nor {@code io}).
 */
package dev.jgrad.nn.cell;
