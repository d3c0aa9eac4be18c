package dev.jgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.train.Checkpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jgrad-spark train} as a user runs it: train's options, Spark's, one-line errors, checkpoints and resume. */
class SparkTrainCommandTest {
    private static final String[] TINY = {"--corpus-lines", "80", "--max-operand", "9", "--hidden", "16", "--batch", "4",
        "--steps", "8", "--sample-every", "1", "--sample-length", "8"};

    @TempDir
    Path dir;

    @BeforeAll
    static void commandsOpenTheirOwnContexts() {
        LocalSpark.stop();
    }

    /** A command's exit code and what it printed. */
    record Outcome(int code, String out, String err) {
    }

    /** Runs {@code jgrad-spark} with {@code args} in this JVM, capturing both streams. */
    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static String[] train(String... more) {
        String[] out = new String[TINY.length + more.length + 1];
        out[0] = "train";
        System.arraycopy(TINY, 0, out, 1, TINY.length);
        System.arraycopy(more, 0, out, 1 + TINY.length, more.length);
        return out;
    }

    @Test
    void trainsInLocalModeWritesCheckpointsAndMetricsAndResumes() throws Exception {
        Path ck = dir.resolve("ck");
        Path metrics = dir.resolve("metrics.jsonl");
        Outcome first = run(train("--master", "local[2]", "--partitions", "2", "--epochs", "1", "--checkpoint", ck.toString(),
                "--metrics", metrics.toString(), "--profile"));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().startsWith("spark: master local[2], 2 partitions of a global batch of 4 sequences (8 steps each), "
                + "synchronous; corpus: generated arithmetic (80 lines, operands 0..9), 516 characters to train on and 55 held out, "
                + "vocabulary 14;"), first.out());
        assertTrue(first.out().contains("epoch   1  train perplexity"), first.out());
        assertTrue(first.out().contains("  held-out "), "the held-out perplexity, as train prints it: " + first.out());
        assertTrue(first.out().contains("sums right"), "the generated corpus's quality measure, as train prints it: " + first.out());
        assertTrue(first.out().contains("  sample: 12+7="), first.out());
        assertTrue(first.out().contains("profile: per step (mean of "), first.out());
        Outcome again = run(train("--master", "local[2]", "--checkpoint", ck.toString()));
        assertEquals(2, again.code());
        assertEquals("train: --checkpoint " + ck + " already holds a checkpoint, which a new run would replace: add --resume to "
                + "continue it, or choose another folder (try --help)\n", again.err());

        Outcome resumed = run("train", "--master", "local[2]", "--partitions", "2", "--resume", "--checkpoint", ck.toString(),
                "--epochs", "2", "--metrics", metrics.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().startsWith("resuming " + ck + " after epoch 1, batch 0"), resumed.out());
        assertEquals(2, Checkpoint.read(ck).position().completedEpochs());
        List<String> lines = Files.readAllLines(metrics);
        assertEquals(2, lines.size(), "one JSON line per epoch, the resumed run appending: " + lines);
        assertEquals(2, new ObjectMapper().readTree(lines.get(1)).get("epoch").asInt());
    }

    @Test
    void anUnreachableMasterIsOneLineAndNoHang() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        } // closed again: nothing listens there now
        Outcome o = run(train("--master", "spark://127.0.0.1:" + port));
        assertEquals(1, o.code());
        assertEquals("train: cannot reach the Spark master at spark://127.0.0.1:" + port + ": 127.0.0.1:" + port
                + " (Connection refused); is the master running, and is this the URL it printed?\n", o.err());
    }

    /** A host name that does not resolve (.invalid never does) is said to be unknown; every address of the URL is tried. */
    @Test
    void anUnknownMasterHostIsNamedAsSuch() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Outcome o = run(train("--master", "spark://no-such-host.invalid:7077,127.0.0.1:" + port));
        assertEquals(1, o.code());
        assertEquals("train: cannot reach the Spark master at spark://no-such-host.invalid:7077,127.0.0.1:" + port
                + ": no-such-host.invalid:7077 (unknown host), 127.0.0.1:" + port + " (Connection refused); is the master running, "
                + "and is this the URL it printed?\n", o.err());
    }

    /** The first limit as a user meets it: one line on stderr, exit code 1, and no checkpoint folder made. */
    @Test
    void aMissingCorpusIsOneLineAndWritesNothing() {
        Path missing = dir.resolve("no-such-book.txt");
        Path ck = dir.resolve("ck");
        Outcome o = run(train("--master", "local[1]", "--corpus", missing.toString(), "--checkpoint", ck.toString()));
        assertEquals(1, o.code());
        assertEquals("train: cannot read corpus " + missing + ": no such file or directory\n", o.err());
        assertEquals("", o.out());
        assertFalse(Files.exists(ck), "no checkpoint folder for a run that never started");
    }

    @Test
    void badOptionsAreOneLineWithExitCode2() {
        Outcome unknown = run(train("--no-such-option", "3"));
        assertEquals(2, unknown.code());
        assertEquals("train: unknown option '--no-such-option' (try --help)\n", unknown.err());
        Outcome trainsCheck = run(train("--layers", "0"));
        assertEquals(2, trainsCheck.code());
        assertEquals("train: --layers must be positive, got 0 (try --help)\n", trainsCheck.err());
        Outcome partitions = run(train("--partitions", "0", "--master", "local[1]"));
        assertEquals(2, partitions.code());
        assertEquals("train: --partitions must be at least 1, got 0 (try --help)\n", partitions.err());
        Outcome resume = run("train", "--resume");
        assertEquals(2, resume.code());
        assertEquals("train: --resume needs --checkpoint DIR (try --help)\n", resume.err());
    }

    @Test
    void theVersionComesFromTheJarAndIsNotInvented() {
        Outcome o = run("--version");
        assertEquals(0, o.code());
        assertEquals("jgrad-spark (version unknown: not run from jgrad-spark.jar)", o.out().strip(), "the test classes have no manifest");
    }

    @Test
    void thisJvmHasSparksModuleOptionsAsThePomListsThem() {
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String option : SparkContexts.moduleOptions()) {
            assertTrue(jvm.contains(option), option + " is in Spark's JavaModuleOptions but not in the pom's spark.jvm.options");
        }
    }
}
