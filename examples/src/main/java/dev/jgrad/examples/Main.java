package dev.jgrad.examples;

import dev.jgrad.examples.bench.BenchCommand;
import dev.jgrad.examples.cli.ManifestVersion;
import dev.jgrad.examples.flow.GradientFlowCommand;
import dev.jgrad.examples.rungru.RunGruCommand;
import dev.jgrad.examples.train.SampleCommand;
import dev.jgrad.examples.train.TrainCommand;
import dev.jgrad.examples.walkthrough.WalkthroughCommand;
import java.util.List;
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
            line.getErr().println(prefixed(line.getCommandName(), ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(prefixed(c.getCommandName(), usageError(ex)));
            return 2;
        });
        return cl;
    }

    /** {@code command: message}, without doubling a prefix the message already has. */
    static String prefixed(String command, String message) {
        return message.startsWith(command + ": ") ? message : command + ": " + message;
    }

    /** Whether {@code typed} is plausibly a slip for {@code name}: its beginning, or at most two edits away. */
    static boolean looksLike(String typed, String name) {
        String t = typed.replaceFirst("^-+", "");
        String n = name.replaceFirst("^-+", "");
        return (t.length() >= 3 && n.startsWith(t)) || (t.length() >= 4 && editDistance(t, n) <= 2);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String usageError(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.isUnknownOption()
                    ? u.getUnmatched().stream().filter(a -> a.startsWith("-")).findFirst().orElse(u.getUnmatched().get(0))
                    : u.getUnmatched().get(0);
            List<String> suggestions = u.getSuggestions().stream().filter(s -> looksLike(first, s)).toList();
            String what = u.isUnknownOption() || first.startsWith("-") ? "unknown option"
                    : u.getCommandLine().getSubcommands().isEmpty() ? "unexpected argument" : "unknown command";
            return what + " '" + first + "'" + (suggestions.isEmpty() ? " (try --help)"
                    : " (did you mean " + String.join(" or ", suggestions) + "?)");
        }
        return ex.getMessage() + " (try --help)";
    }
}
