/**
 * The {@code walkthrough} command: the GRU's matrix operations on the tutorials' toy example
 * ({@code MathMathMathMath}, four characters, hidden size 2), computed by the library's own
 * {@link dev.jgrad.nn.cell.GRUCell} and {@link dev.jgrad.nn.layer.Linear} and printed term by term.
 */
package dev.jgrad.examples.walkthrough;
