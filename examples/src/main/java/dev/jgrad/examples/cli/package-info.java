/**
 * What the commands of {@code gru-examples} share about the command line and files: the one line a
 * failed command prints ({@link dev.jgrad.examples.cli.ErrorLines}, with "did you mean"), enum options
 * read by their command-line names ({@link dev.jgrad.examples.cli.EnumByName}), why a file could not
 * be read or written ({@link dev.jgrad.examples.cli.FileProblem}), refusing an output that would
 * overwrite an input or land in a missing folder ({@link dev.jgrad.examples.cli.OutputFiles}), and
 * the version read from the jar's manifest ({@link dev.jgrad.examples.cli.ManifestVersion}). No
 * command lives here, and nothing here knows a particular command.
 */
package dev.jgrad.examples.cli;
