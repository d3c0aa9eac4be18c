package dev.jgrad.testhooks;

import com.google.common.primitives.Bytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.lifecycle.AroundContainerHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * A global jqwik hook (registered in this module's {@code META-INF/services/net.jqwik.api.lifecycle.LifecycleHook},
 * so it applies in every jgrad module that has {@code jgrad-test-hooks} on its test class path) that counts the
 * properties jqwik ran and their tries, prints one line when the jqwik engine finishes —
 * {@code jqwik: N properties, M tries} — and fails the run loudly when it executed no tries although
 * property classes are present: a property suite that silently runs nothing must not look green.
 *
 * <p>Counts come from jqwik's own {@link PropertyExecutionResult#countTries()}, so jqwik's per-property
 * reports can stay switched off ({@code jqwik.reporting.onlyfailures}, set in the parent POM's Surefire
 * configuration). A run narrowed with Surefire's {@code -Dtest=…} may legitimately select no property;
 * it is then reported, not failed.
 *
 * <p>Only a run that is meant to be a module's whole suite can be missing its properties: the parent
 * POM's Surefire configuration says so with the system property {@value #REQUIRED}. Other runs (one
 * test class from an IDE, a mutation tool running the tests that cover one mutant) select what they
 * select, and are reported, never failed, for running no property.
 */
public final class PropertyRunSummary implements AroundPropertyHook, AroundContainerHook {
    /** The system property ({@code true}) by which a run declares itself a module's whole suite, whose properties must run. */
    static final String REQUIRED = "jgrad.properties.required";

    private final AtomicInteger properties = new AtomicInteger();
    private final AtomicLong tries = new AtomicLong();

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        properties.incrementAndGet();
        tries.addAndGet(result.countTries());
        return result;
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) {
        if (context.optionalContainerClass().isPresent()) {
            return; // a test class finished; the summary belongs to the engine, which has no class
        }
        String filter = System.getProperty("test");
        String line = summary(properties.get(), tries.get(), filter);
        System.out.println(line);
        String failure = failure(properties.get(), tries.get(), filter, Boolean.getBoolean(REQUIRED), PropertyRunSummary::hasPropertyClasses);
        if (failure != null) {
            throw new AssertionError(failure);
        }
    }

    /** The summary line: {@code jqwik: N properties, M tries}, noting a Surefire test filter when one is set. */
    static String summary(int properties, long tries, String filter) {
        return "jqwik: " + properties + " properties, " + tries + " tries"
                + (filter != null && !filter.isBlank() ? " (test filter " + filter + ")" : "");
    }

    /**
     * Why this run must fail, or null: properties ran but no try executed; or, in a run that is a
     * module's whole suite ({@code required}), no property ran although the module's test classes
     * declare some and no test filter narrowed the run.
     */
    static String failure(int properties, long tries, String filter, boolean required, java.util.function.BooleanSupplier hasPropertyClasses) {
        if (properties > 0 && tries == 0) {
            return "jqwik: " + properties + " properties ran but executed 0 tries in total (is jqwik.tries.default 0?)";
        }
        if (properties == 0 && required && (filter == null || filter.isBlank()) && hasPropertyClasses.getAsBoolean()) {
            return "jqwik: 0 properties ran, but this module's test classes declare @Property methods"
                    + " (check the Surefire includes and the jqwik engine on the test classpath)";
        }
        return null;
    }

    /** Whether a {@code test-classes} directory on the class path holds a class using {@code @Property}. */
    static boolean hasPropertyClasses() {
        byte[] marker = "Lnet/jqwik/api/Property;".getBytes(StandardCharsets.US_ASCII);
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            Path dir = Path.of(entry);
            if (!entry.endsWith("test-classes") || !Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                if (files.filter(f -> f.toString().endsWith(".class")).anyMatch(f -> contains(f, marker))) {
                    return true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("jqwik summary: cannot scan " + dir, e);
            }
        }
        return false;
    }

    private static boolean contains(Path file, byte[] marker) {
        try {
            return Bytes.indexOf(Files.readAllBytes(file), marker) >= 0;
        } catch (IOException e) {
            throw new UncheckedIOException("jqwik summary: cannot read " + file, e);
        }
    }
}
