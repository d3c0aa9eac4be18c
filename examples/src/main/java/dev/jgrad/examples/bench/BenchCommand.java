package dev.jgrad.examples.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("bench is not implemented yet");
    }
}
