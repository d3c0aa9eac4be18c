package dev.jgrad.spark;

import dev.jgrad.examples.train.TrainCommand;
import dev.jgrad.examples.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The options of {@code gru-examples train}, parsed by {@code train}'s own command, so the Spark
 * trainer accepts exactly the same ones with the same defaults, checks and messages.
 *
 * @param config     the run's configuration (for a resumed run, the checkpoint's replaces it)
 * @param epochs     {@code --epochs} when given, else null
 * @param checkpoint {@code --checkpoint}, or null
 * @param metrics    {@code --metrics}, or null
 * @param threads    {@code --threads}, or null
 * @param matched    the options that were given, by their long names
 */
public record TrainArguments(TrainConfig config, boolean resume, Integer epochs, Path checkpoint, Path metrics, Integer threads,
        List<String> matched) {

    /**
     * Parses {@code args} as {@code train} would.
     *
     * @throws CommandLine.ParameterException with {@code train}'s message for an unknown or invalid option
     */
    public static TrainArguments parse(List<String> args) {
        CommandLine cl = new CommandLine(new TrainCommand());
        ParseResult pr = cl.parseArgs(args.toArray(String[]::new));
        TrainCommand command = cl.getCommand();
        boolean resume = pr.hasMatchedOption("--resume");
        // A resumed run takes its configuration from the checkpoint; the options need not make a valid one.
        TrainConfig config = resume ? null : command.config();
        String corpus = corpusAsGiven(args);
        if (config != null && corpus != null) {
            config = config.withCorpus(corpus);
        }
        return new TrainArguments(config, resume, pr.matchedOptionValue("--epochs", null), pr.matchedOptionValue("--checkpoint", null),
                pr.matchedOptionValue("--metrics", null), pr.matchedOptionValue("--threads", null),
                pr.matchedOptions().stream().map(o -> o.longestName()).toList());
    }

    /** The {@code --corpus} value as typed: {@code train} reads it as a local path, which would turn {@code hdfs://} into {@code hdfs:/}. */
    private static String corpusAsGiven(List<String> args) {
        String corpus = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--corpus") && i + 1 < args.size()) {
                corpus = args.get(++i);
            } else if (a.startsWith("--corpus=")) {
                corpus = a.substring("--corpus=".length());
            }
        }
        return corpus;
    }

    /** Parses {@code args} as {@code train} would. */
    public static TrainArguments parse(String... args) {
        return parse(List.of(args));
    }
}
