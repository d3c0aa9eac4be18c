package dev.jgrad.examples.train;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class TrainCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("train is not implemented yet");
    }
}
