package dev.jgrad.examples.rungru;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "run-gru", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class RunGruCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("run-gru is not implemented yet");
    }
}
