package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.examples.cli.EnumByName;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.tensor.DType;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code train} options that make up a run's {@link TrainConfig} (everything but {@code --epochs}):
 * a checkpoint stores them, so {@code --resume} uses the stored ones and ignores these. Kept in one
 * mixin so that the list of what is ignored on resume is this class's options, read from picocli's model.
 */
public final class RunOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;
    /** This mixin's own options. */
    @Spec
    CommandSpec own;

    // A string, not a Path: a command that reads through Hadoop takes URIs, which a Path would turn from hdfs://host/x into hdfs:/host/x.
    @Option(names = "--corpus", paramLabel = "FILE", description = "UTF-8 text file to train on (default: generated arithmetic lines). "
            + "The last tenth (or, with --max-tokens, the text right after the first N characters) is held out.")
    String corpus;
    @Option(names = "--d2l-text", description = "d2l's preprocessing: lowercase, every run of non-letters one space; 28-token vocabulary.")
    boolean d2lText;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0", description = "Train on the first N characters only (d2l: 10000; 0: all).")
    int maxTokens;
    @Option(names = "--corpus-lines", paramLabel = "N", defaultValue = "3000", description = "Lines of the generated corpus (default: ${DEFAULT-VALUE}).")
    int corpusLines;
    @Option(names = "--max-operand", paramLabel = "N", defaultValue = "49", description = "Largest operand in the generated corpus (default: ${DEFAULT-VALUE}).")
    int maxOperand;
    @Option(names = "--cell", converter = Cells.class, defaultValue = "gru", description = "gru (Cho/d2l), gru-reset-after (PyTorch), lstm, rnn or mgu (default: ${DEFAULT-VALUE}).")
    CellKind cell;
    @Option(names = "--init", converter = Inits.class, defaultValue = "pytorch", description = "Initial weights: pytorch (uniform ±1/√fan-in, PyTorch's defaults) or d2l "
            + "(the book's from-scratch code: N(0, 0.01²) weights, zero biases) (default: ${DEFAULT-VALUE}).")
    WeightInit init;
    @Option(names = "--embedding", paramLabel = "E", defaultValue = "0", description = "Input embedding size; 0: one-hot characters, as d2l (default: ${DEFAULT-VALUE}).")
    int embedding;
    @Option(names = "--hidden", defaultValue = "128", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "1", description = "Stacked recurrent layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--batch", defaultValue = "32", description = "Sequences per minibatch (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", defaultValue = "32", description = "Characters per sequence (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate (default: ${DEFAULT-VALUE}; d2l uses 1 with sgd).")
    double lr;
    @Option(names = "--clip", defaultValue = "1", description = "Clip the gradient to this global norm (default: ${DEFAULT-VALUE}).")
    double clip;
    @Option(names = "--optimizer", converter = Optimizers.class, defaultValue = "adam", description = "sgd or adam (default: ${DEFAULT-VALUE}).")
    OptimizerKind optimizer;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE}).")
    String dtype;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the weights and the partitions (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--sampling", defaultValue = "sequential", description = "sequential (state carried, detached) or random (default: ${DEFAULT-VALUE}).")
    String sampling;
    @Option(names = "--prefix", description = "Text generation starts from this (default: '12+7=' on the generated corpus, 'time traveller' with --d2l-text).")
    String prefix;
    @Option(names = "--sample-every", paramLabel = "N", defaultValue = "5", description = "Generate text every N epochs and at the end (default: ${DEFAULT-VALUE}; 0: only at the end).")
    int sampleEvery;
    @Option(names = "--sample-length", paramLabel = "N", defaultValue = "50", description = "Characters generated after the prefix (default: ${DEFAULT-VALUE}).")
    int sampleLength;
    @Option(names = "--detect-anomaly", description = "Check every op for NaN/infinity and name the op that produced one (slow).")
    boolean anomaly;

    static final class Cells extends EnumByName<CellKind> {
        Cells() {
            super(CellKind.class);
        }
    }

    static final class Inits extends EnumByName<WeightInit> {
        Inits() {
            super(WeightInit.class);
        }
    }

    static final class Optimizers extends EnumByName<OptimizerKind> {
        Optimizers() {
            super(OptimizerKind.class);
        }
    }

    /**
     * The options of this mixin that were given on the command line, by their long names: what a
     * resumed run ignores (its configuration comes from the checkpoint).
     *
     * @return the names, in the order of the options
     */
    public List<String> given() {
        ParseResult given = spec.commandLine().getParseResult();
        return own.options().stream().filter(given::hasMatchedOption).map(OptionSpec::longestName).toList();
    }

    /**
     * The configuration these options describe, for {@code epochs} epochs.
     *
     * @param epochs the epochs in total
     * @return the configuration
     * @throws ParameterException naming the option when a value is out of range
     */
    public TrainConfig config(int epochs) {
        DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f64" -> DType.F64;
            default -> throw new ParameterException(spec.commandLine(), "--dtype must be f32 or f64, got " + dtype);
        };
        Partitioning part = switch (sampling.toLowerCase(Locale.ROOT)) {
            case "sequential" -> Partitioning.SEQUENTIAL;
            case "random" -> Partitioning.RANDOM;
            default -> throw new ParameterException(spec.commandLine(), "--sampling must be sequential or random, got " + sampling);
        };
        if (prefix != null && prefix.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prefix must not be empty (generation needs a first character)");
        }
        try {
            return new TrainConfig(corpus, d2lText, maxTokens, corpusLines, maxOperand, cell, embedding,
                    hidden, layers, batch, steps, lr, clip, epochs, optimizer, dt, seed, part, prefix, sampleEvery, sampleLength, anomaly,
                    init);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
