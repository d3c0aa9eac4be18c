package dev.jgrad.examples;

import dev.jgrad.examples.bench.BenchCommand;
import dev.jgrad.examples.cli.ErrorLines;
import dev.jgrad.examples.cli.ManifestVersion;
import dev.jgrad.examples.flow.GradientFlowCommand;
import dev.jgrad.examples.rungru.RunGruCommand;
import dev.jgrad.examples.train.SampleCommand;
import dev.jgrad.examples.train.TrainCommand;
import dev.jgrad.examples.walkthrough.WalkthroughCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code gru-examples} program: one subcommand per example. */
@Command(name = "gru-examples", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "GRU examples built on jgrad: walkthrough, train, sample, run-gru, gradient-flow, bench.",
        subcommands = {WalkthroughCommand.class, TrainCommand.class, SampleCommand.class, RunGruCommand.class,
                GradientFlowCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: "
                + String.join(", ", spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // picocli's handlers see exceptions only; an exhausted heap is an Error and would print a stack trace
            System.err.printf("gru-examples: out of memory (Java heap limit %d MiB); give it more, e.g. "
                    + "JGRAD_JAVA_OPTS=-Xmx4g ./gru-examples ... or java -Xmx4g -jar gru-examples.jar ...%n",
                    Runtime.getRuntime().maxMemory() >> 20);
            code = 1;
        }
        System.exit(code);
    }

    /**
     * The configured command line: invalid options give a one-line error and exit code 2 (with a
     * "did you mean" for a misspelt command or option); an error inside a command gives a one-line
     * message and exit code 1, never a stack trace (set {@code -Djgrad.debug=true} to see it). Each
     * line starts with the command's name once, whether or not the message already did.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            if (Boolean.getBoolean("jgrad.debug")) {
                ex.printStackTrace(line.getErr());
            }
            line.getErr().println(ErrorLines.prefixed(line.getCommandName(), ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(ErrorLines.prefixed(c.getCommandName(), ErrorLines.usageError(ex)));
            return 2;
        });
        return cl;
    }
}
