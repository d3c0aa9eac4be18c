package dev.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.cli.ErrorLines;
import dev.jgrad.examples.cli.ManifestVersion;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command-line conventions: --help everywhere, one-line errors with a non-zero exit, no stack traces. */
class MainTest {
    @ParameterizedTest
    @ValueSource(strings = {"walkthrough", "train", "sample", "run-gru", "gradient-flow", "bench"})
    void helpWorksOnEachCommand(String command) {
        Cli.Result r = Cli.run(command, "--help").expect(0);
        assertTrue(r.out().startsWith("Usage: gru-examples " + command), r.out());
        assertTrue(r.err().isEmpty(), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"walkthrough", "train", "sample --checkpoint x"})
    void unknownOptionGivesOneLineAndExitTwo(String command) {
        Cli.Result r = Cli.run((command + " --no-such-option").split(" ")).expect(2);
        assertEquals(command.split(" ")[0] + ": unknown option '--no-such-option' (try --help)", r.errLine());
        assertFalse(r.err().contains("at dev.jgrad"), "no stack trace");
    }

    @Test
    void misspeltCommandsAndOptionsGetASuggestion() {
        assertEquals("gru-examples: unknown command 'trian' (did you mean train?)", Cli.run("trian").expect(2).errLine());
        assertEquals("gru-examples: unknown command 'trian' (did you mean train?)", Cli.run("trian", "--epochs", "2").expect(2).errLine());
        assertEquals("train: unknown option '--epoch' (did you mean --epochs?)", Cli.run("train", "--epoch", "3").expect(2).errLine());
        assertEquals("gru-examples: unknown command 'walk' (did you mean walkthrough?)", Cli.run("walk").expect(2).errLine());
        assertEquals("gru-examples: unknown command 'frobnicate' (try --help)", Cli.run("frobnicate").expect(2).errLine(),
                "no suggestion that is not close");
        assertEquals("bench: unknown option '--confg' (did you mean --config?)", Cli.run("bench", "--confg", "x").expect(2).errLine());
    }

    @Test
    void noCommandSaysSoOnceWithTheCommands() {
        assertEquals("gru-examples: a command is required: walkthrough, train, sample, run-gru, gradient-flow, bench (try --help)",
                Cli.run().expect(2).errLine());
    }

    @Test
    void anErrorMessageIsPrefixedWithTheCommandOnce() {
        assertEquals("train: cannot read corpus x", ErrorLines.prefixed("train", "train: cannot read corpus x"));
        assertEquals("train: resume: no", ErrorLines.prefixed("train", "resume: no"));
        assertEquals("bench: unknown dtype 'f16'", ErrorLines.prefixed("bench", "bench: unknown dtype 'f16'"));
    }

    @Test
    void badValuesAreRefusedWithTheOptionName(@TempDir Path dir) {
        String[][] cases = {
            {"--dtype", "train", "--dtype", "f16"}, {"--sampling", "train", "--sampling", "shuffled"},
            {"--cell", "train", "--cell", "transformer"}, {"--hidden", "train", "--hidden", "0"},
            {"--optimizer", "train", "--optimizer", "rmsprop"}, {"--checkpoint", "train", "--resume"},
            {"--checkpoint", "sample"}, {"--temperature", "sample", "--checkpoint", dir.toString(), "--temperature", "-1"}};
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Cli.Result r = Cli.run(args).expect(2);
            assertEquals(1, r.errLine().lines().count(), r.err());
            assertTrue(r.errLine().startsWith(args[0] + ": ") && r.errLine().contains(c[0]), String.join(" ", args) + ": " + r.err());
        }
    }

    /** --version prints the Implementation-Version of the manifest of the jar the program runs from. */
    @Test
    void versionComesFromTheJarManifest(@TempDir Path dir) throws Exception {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "9.8.7-TEST");
        Path jar = dir.resolve("gru-examples.jar");
        String entry = ManifestVersion.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest);
                InputStream in = ManifestVersion.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
        }
        URL picocli = picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL(), picocli}, ClassLoader.getPlatformClassLoader())) {
            Class<?> c = loader.loadClass(ManifestVersion.class.getName());
            Method getVersion = c.getMethod("getVersion");
            String[] lines = (String[]) getVersion.invoke(c.getConstructor().newInstance());
            assertEquals("gru-examples 9.8.7-TEST", lines[0]);
        }
        assertEquals("gru-examples (version unknown: not run from gru-examples.jar)", Cli.run("--version").expect(0).out().strip(),
                "the test classes have no manifest, and the program does not invent a version");
    }
}
