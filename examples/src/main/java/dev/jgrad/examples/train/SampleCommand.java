package dev.jgrad.examples.train;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class SampleCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("sample is not implemented yet");
    }
}
