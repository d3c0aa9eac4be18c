package dev.jgrad.examples.walkthrough;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code gru-examples walkthrough}: prints the GRU's matrix operations on the tutorials' toy example. */
@Command(name = "walkthrough", mixinStandardHelpOptions = true,
        description = {"Prints, with real numbers from the library, every matrix operation of a GRU (Cho / d2l variant) "
                + "on the tutorials' example: text MathMathMathMath, dictionary {h: 0, a: 1, t: 2, M: 3}, batch size 2, "
                + "sequence length 3, hidden size 2, a linear output layer and a softmax with the max trick.",
                "The same seed prints the same numbers on every run."})
public final class WalkthroughCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the weight initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        new WalkthroughPrinter(out).print(GruWalkthrough.run(seed));
        return 0;
    }
}
