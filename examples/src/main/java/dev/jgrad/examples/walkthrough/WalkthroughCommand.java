package dev.jgrad.examples.walkthrough;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: replaced by the command's implementation. */
@Command(name = "walkthrough", mixinStandardHelpOptions = true, description = "(not implemented yet)")
public final class WalkthroughCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("walkthrough is not implemented yet");
    }
}
