/**
 * The {@code gradient-flow} command: why the GRU was invented, measured.
 *
 * <p>It compares a GRU, an LSTM and a plain tanh RNN of the same hidden size on the same inputs:
 * the norms of {@code ∂h_T/∂h_t} and {@code ∂L/∂h_t} for every step ({@link JacobianNorms}), the
 * singular values of the one-step Jacobian {@code ∂h_t/∂h_{t−1}} ({@link SingularValues}), the
 * share of saturated gates, and training on the adding problem ({@link AddingProblem}). Charts
 * are written as PNGs with the examples' chart package. Nothing here defines a cell: the cells are
 * {@code dev.jgrad.nn.cell}'s.
 */
package dev.jgrad.examples.flow;
