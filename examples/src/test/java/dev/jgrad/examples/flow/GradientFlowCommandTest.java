package dev.jgrad.examples.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradientFlowCommandTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static Cli.Result run(String... args) {
        return Cli.run(args);
    }

    @Test
    void quickRunPrintsBothTablesAndWritesThreePngs(@TempDir Path dir) throws IOException {
        Cli.Result r = run("gradient-flow", "--quick", "--output-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        for (String model : new String[] {"gru", "lstm", "rnn"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("8 ") && l.contains(" " + model + " ")), "adding row T=8 " + model);
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("16 ") && l.contains(" " + model + " ")), "adding row T=16 " + model);
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(model + " ") && l.contains(" init ")), "flow row " + model + " init");
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(model + " ") && l.contains(" trained ")), "flow row " + model + " trained");
        }
        assertTrue(r.out().contains("0.167"), "baseline printed");
        for (String name : new String[] {"jacobian-norms.png", "loss-gradient-norms.png", "adding-training.png"}) {
            Path png = dir.resolve(name);
            assertTrue(Files.isRegularFile(png), name);
            byte[] bytes = Files.readAllBytes(png);
            assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), name + " starts with the PNG signature");
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(800, image.getWidth(), name);
            assertEquals(500, image.getHeight(), name);
            assertTrue(r.out().contains(png.toString()), "path of " + name + " printed");
        }
    }

    @Test
    void quickKeepsTheOptionsGivenExplicitly(@TempDir Path dir) {
        Cli.Result r = run("gradient-flow", "--quick", "--steps", "3", "--hidden", "5", "--models", "rnn", "--output-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Adding problem: 3 training steps of 8 sequences, Adam lr 0.01, clip 1.0, hidden 5;"),
                "--steps and --hidden as given, the rest from --quick: " + r.out());
    }

    @Test
    void sameSeedSameNumbers(@TempDir Path dir) {
        String[] args = {"gradient-flow", "--quick", "--models", "rnn", "--output-dir", dir.toString()};
        Cli.Result a = run(args);
        Cli.Result b = run(args);
        assertEquals(0, a.code(), a.err());
        // The "seconds" column varies; everything else must not.
        assertEquals(withoutTimes(a.out()), withoutTimes(b.out()));
    }

    private static String withoutTimes(String out) {
        return out.lines().map(l -> l.matches("^\\d+ +\\w+ .*") ? l.replaceAll(" +[0-9.]+$", "") : l)
                .reduce("", (x, y) -> x + y + "\n");
    }

    @Test
    void helpAndBadOptions() {
        Cli.Result help = run("gradient-flow", "--help");
        assertEquals(0, help.code());
        for (String option : new String[] {"--output-dir", "--seed", "--hidden", "--length", "--lengths", "--steps", "--quick"}) {
            assertTrue(help.out().contains(option), option);
        }
        Cli.Result unknownModel = run("gradient-flow", "--models", "gru,transformer");
        assertEquals(2, unknownModel.code());
        assertTrue(unknownModel.err().contains("transformer"), unknownModel.err());
        assertEquals(1, unknownModel.err().strip().lines().count(), unknownModel.err());

        Cli.Result shortLength = run("gradient-flow", "--lengths", "50,1");
        assertEquals(2, shortLength.code());
        assertTrue(shortLength.err().contains("--lengths") && shortLength.err().contains("1"), shortLength.err());

        Cli.Result badHidden = run("gradient-flow", "--hidden", "0");
        assertEquals(2, badHidden.code());
        assertTrue(badHidden.err().contains("--hidden"), badHidden.err());
    }
}
