package dev.jgrad.spark;

import dev.jgrad.examples.cli.ManifestVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jgrad-spark} program: {@code train} on Apache Spark, and {@code bench} to measure it. */
@Command(name = "jgrad-spark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "jgrad on Apache Spark: train (data-parallel training of gru-examples' language model), bench.",
        subcommands = {SparkTrainCommand.class, SparkBenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see --help)");
    }

    /** {@code --version}: the {@code Implementation-Version} of jgrad-spark.jar's manifest, as gru-examples reads its own. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {ManifestVersion.line("jgrad-spark", Main.class.getPackage().getImplementationVersion())};
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line, with {@code gru-examples}' own error handlers: invalid options give a
     * one-line error and exit code 2; a failure inside a command gives a one-line message and exit
     * code 1, never a stack trace ({@code -Djgrad.debug=true} shows it).
     */
    public static CommandLine commandLine() {
        CommandLine examples = dev.jgrad.examples.Main.commandLine();
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(examples.getExecutionExceptionHandler());
        cl.setParameterExceptionHandler(examples.getParameterExceptionHandler());
        return cl;
    }
}
