package dev.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The command-line conventions: --help everywhere, one-line errors with a non-zero exit, no stack traces. */
class MainTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"walkthrough", "train", "sample"})
    void helpWorksOnEachCommand(String command) {
        Run r = run(command, "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: gru-examples " + command), r.out());
        assertTrue(r.err().isEmpty(), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"walkthrough", "train", "sample --checkpoint x"})
    void unknownOptionGivesOneLineAndExitTwo(String command) {
        Run r = run((command + " --no-such-option").split(" "));
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--no-such-option"), r.err());
        assertFalse(r.err().contains("at dev.jgrad"), "no stack trace");
    }

    @Test
    void badValuesAreRefusedWithTheOptionName(@TempDir Path dir) {
        for (String[] args : new String[][] {
                {"train", "--dtype", "f16"}, {"train", "--sampling", "shuffled"}, {"train", "--cell", "transformer"},
                {"train", "--hidden", "0"}, {"train", "--optimizer", "rmsprop"}, {"train", "--resume"},
                {"sample"}, {"sample", "--checkpoint", dir.toString(), "--temperature", "-1"}}) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        Run missing = run("train", "--corpus", dir.resolve("absent.txt").toString(), "--epochs", "1");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("absent.txt"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
    }
}
