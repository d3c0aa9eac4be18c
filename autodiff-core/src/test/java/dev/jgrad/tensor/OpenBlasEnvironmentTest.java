package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bundled OpenBLAS chooses its core for the CPU, not from the environment (Note [OpenBLAS's environment] on {@link NativeBlas}). */
class OpenBlasEnvironmentTest {

    /** Prints {@link Blas#description()} in a fresh JVM, where OpenBLAS is opened afresh. */
    public static final class Describe {
        public static void main(String[] args) {
            System.out.println(Blas.description());
        }
    }

    @Test
    void processEnvironmentSetsRemovesAndPutsBackWhatWasThere() {
        String name = "JGRAD_TEST_VARIABLE_" + ProcessHandle.current().pid();
        assertNull(ProcessEnvironment.get(name));
        Map<String, String> set = new HashMap<>();
        set.put(name, "inside");
        assertEquals("inside", ProcessEnvironment.with(set, () -> ProcessEnvironment.get(name)));
        assertNull(ProcessEnvironment.get(name), "a variable that was not set is removed again");
        ProcessEnvironment.with(Map.of(name, "outside"), () -> {
            set.put(name, null);
            assertNull(ProcessEnvironment.with(set, () -> ProcessEnvironment.get(name)), "null removes it inside");
            assertEquals("outside", ProcessEnvironment.get(name), "and it is back after");
            return null;
        });
        assertThrows(RuntimeException.class, () -> ProcessEnvironment.with(Map.of(name, "x"), () -> {
            throw new IllegalStateException("the body fails");
        }));
        assertNull(ProcessEnvironment.get(name), "put back when the body throws too");
    }

    @Test
    void theBundledCopyIgnoresCoreOverridesInTheEnvironmentAndSaysSo() throws Exception {
        assumeBundled();
        String plain = describe(Map.of(), List.of());
        String overridden = describe(Map.of("OPENBLAS_CORETYPE", "Prescott", "OPENBLAS_L2_SIZE", "64"), List.of());
        assertEquals(core(plain), core(overridden), overridden);
        assertTrue(overridden.contains("; OPENBLAS_CORETYPE=Prescott OPENBLAS_L2_SIZE=64 in the environment not applied to it"), overridden);
        assertFalse(plain.contains("in the environment"), plain);
    }

    @Test
    void jgradBlasCoretypeForcesACoreAndRejectsAnUnknownOneByName() throws Exception {
        assumeBundled();
        String forced = describe(Map.of("OPENBLAS_CORETYPE", "Haswell"), List.of("-Djgrad.blas.coretype=Prescott"));
        assertEquals("Prescott", core(forced), forced);
        assertTrue(forced.contains("forced by jgrad.blas.coretype; OPENBLAS_CORETYPE=Haswell in the environment not applied"), forced);
        String unknown = describe(Map.of(), List.of("-Djgrad.blas.coretype=Pentium9"));
        assertTrue(unknown.startsWith("java (pure-Java kernel; native BLAS unavailable: jgrad.blas.coretype=Pentium9: OpenBLAS has no such core (it chose "),
                unknown);
    }

    private static void assumeBundled() {
        assumeTrue(BlasBackends.bundledPlatform(), "OpenBLAS is bundled for Linux x86-64");
        assumeTrue(System.getProperty("jgrad.blas.library", "bundled").equals("bundled"), "this suite runs on another OpenBLAS");
    }

    private static String core(String description) {
        int at = description.indexOf("(core ");
        assertTrue(at >= 0, description);
        return description.substring(at + 6, description.indexOf(',', at));
    }

    /** One line from {@link Describe} run with the given environment changes and JVM options; the other overrides are removed. */
    private static String describe(Map<String, String> env, List<String> options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(options);
        cmd.add(Describe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
