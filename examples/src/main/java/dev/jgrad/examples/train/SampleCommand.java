package dev.jgrad.examples.train;

import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.tensor.Rng;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code gru-examples sample}: text from a trained checkpoint. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Loads the checkpoint written by 'train --checkpoint DIR' and generates text from a prefix: "
                + "greedy (the most likely next character) with --temperature 0, otherwise drawn from softmax(logits / temperature).")
public final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "DIR", required = true, description = "Checkpoint folder written by train.")
    Path checkpoint;
    @Option(names = "--prefix", description = "Start of the text (default: the training run's prefix).")
    String prefix;
    @Option(names = "--length", paramLabel = "N", defaultValue = "200", description = "Characters to generate (default: ${DEFAULT-VALUE}).")
    int length;
    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0: greedy; > 0: sample from softmax(logits / T) (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (length < 0) {
            throw new ParameterException(spec.commandLine(), "--length must not be negative, got " + length);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new ParameterException(spec.commandLine(), "--temperature must be finite and ≥ 0, got " + temperature);
        }
        if (prefix != null && prefix.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prefix must not be empty (generation needs a first character); "
                    + "leave it out to start from the training run's prefix");
        }
        Checkpoint cp = Checkpoint.read(checkpoint);
        Vocabulary vocab = new Vocabulary(cp.vocabulary());
        TrainConfig c = cp.config();
        CharModel model = CharModel.of(c, vocab.size());
        model.loadStateDict(cp.model());
        String start = prefix != null ? prefix : Trainer.defaultPrefix(c);
        if (start == null) {
            throw new ParameterException(spec.commandLine(), "--prefix is required for this checkpoint (its run had none)");
        }
        String unknown = TextGenerator.unknownCharacters(vocab, start);
        if (unknown != null) {
            spec.commandLine().getErr().println("sample: " + unknown);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(TextGenerator.generate(model, vocab, start, length, temperature, Rng.seeded(seed)));
        out.flush();
        return 0;
    }
}
