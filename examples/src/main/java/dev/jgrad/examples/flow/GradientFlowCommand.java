package dev.jgrad.examples.flow;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "gradient-flow", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class GradientFlowCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("gradient-flow is not implemented yet");
    }
}
