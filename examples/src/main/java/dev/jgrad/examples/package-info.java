/**
 * The {@code gru-examples} command-line program: {@link dev.jgrad.examples.Main} wires one picocli
 * subcommand per example (each in its own package) and sets the conventions they share — one-line
 * errors, exit code 2 for bad options and 1 for failures, never a stack trace.
 */
package dev.jgrad.examples;
