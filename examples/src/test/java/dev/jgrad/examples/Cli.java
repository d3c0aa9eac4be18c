package dev.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The command tests' one harness: runs {@code gru-examples ARGS} in this JVM and keeps what it printed. */
public final class Cli {
    private Cli() {
    }

    /** Exit code, standard output and standard error of one run. */
    public record Result(int code, String out, String err) {
        /** Standard error without its final line break, for exact comparisons of one-line messages. */
        public String errLine() {
            return err.strip();
        }

        /** Asserts the exit code, showing both streams when it differs; returns this. */
        public Result expect(int expected) {
            assertEquals(expected, code, () -> "exit code; stdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    /** Runs the program's command line (as {@link Main#main} does, without exiting the JVM). */
    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
