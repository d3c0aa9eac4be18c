package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * No leakage between tests: jgrad-test-hooks' {@code OpenScopeCheck} fails a test or property that
 * leaves a tape or an unrolled scope open on its thread, and closes it, so the next test starts with
 * none open and results do not depend on test order. Without the check (its service registration
 * removed, or {@code junit.jupiter.extensions.autodetection.enabled} unset) both tests here fail.
 */
class OpenScopeTest {
    private static final String TAPE_LEFT_OPEN = "left open on its thread: Tape.record() without close() (use try-with-resources); "
            + "closed now, so the next test starts clean";

    /** Whether {@link #aTestThatLeavesAScopeOpenFailsAndTheNextStartsClean} is running the samples. */
    private static volatile boolean launching;

    static boolean launching() {
        return launching;
    }

    /** JUnit Jupiter tests, run through a launcher of this test's own on this thread. */
    @Test
    void aTestThatLeavesAScopeOpenFailsAndTheNextStartsClean() {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launching = true;
        try {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Samples.class))
                    .filters(EngineFilter.includeEngines("junit-jupiter")).build(), listener);
        } finally {
            launching = false;
        }
        TestExecutionSummary summary = listener.getSummary();
        Map<String, String> failures = new TreeMap<>();
        summary.getFailures().forEach(f -> failures.put(f.getTestIdentifier().getDisplayName(), f.getException().getMessage()));
        assertEquals(Map.of("leavesATapeOpen()", TAPE_LEFT_OPEN,
                "leavesAnUnrolledScopeOpen()", TAPE_LEFT_OPEN.replace("Tape.record()", "Unrolled.over(...)")), failures);
        assertEquals(4, summary.getTestsStartedCount(), "every sample ran");
        assertNull(Tape.current(), "the check closed the leaked tape");
        assertNull(Unrolled.current(), "the check closed the leaked unrolled scope");
    }

    /** Leaks, each followed by a test that must find nothing open; run any other way (PIT runs every class it finds), they skip. */
    @EnabledIf("dev.jgrad.autodiff.OpenScopeTest#launching")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Samples {
        @Test
        @Order(1)
        void leavesATapeOpen() {
            Tape.record();
        }

        @Test
        @Order(2)
        void startsWithNoTape() {
            assertFalse(Tape.isRecording(), "the previous test's tape is still recording");
        }

        @Test
        @Order(3)
        void leavesAnUnrolledScopeOpen() {
            Unrolled.over(Variable.constant(Tensor.zeros(DType.F64, 4, 2)), 2);
        }

        @Test
        @Order(4)
        void startsWithNoUnrolledScope() {
            assertNull(Unrolled.current(), "the previous test's unrolled scope is still open");
        }
    }

    /** A jqwik property that leaves a tape open (sometimes two) must fail; {@link ExpectTheCheckToFailIt} turns that into a pass. */
    @Property
    @AddLifecycleHook(ExpectTheCheckToFailIt.class)
    void aPropertyThatLeavesATapeOpenFails(@ForAll boolean twice) {
        Tape.record();
        if (twice) {
            Tape.record();
        }
    }

    /** Around the global hooks: the property must come back failed with the check's message and no tape open. */
    static class ExpectTheCheckToFailIt implements AroundPropertyHook {
        @Override
        public int aroundPropertyProximity() {
            return -100; // further from the property than OpenScopeCheck (0)
        }

        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            PropertyExecutionResult result = property.execute();
            boolean stillOpen = Tape.current() != null;
            while (Tape.current() != null) {
                Tape.current().close(); // so that this test leaks nothing whatever happened
            }
            String message = result.throwable().map(Throwable::getMessage).orElse(null);
            if (stillOpen || result.status() != PropertyExecutionResult.Status.FAILED || !TAPE_LEFT_OPEN.equals(message)) {
                return result.mapToFailed(new AssertionError("the open-scope check should have failed the property with \"" + TAPE_LEFT_OPEN
                        + "\" and closed its tapes; it ended " + result.status() + " (" + message + ")" + (stillOpen ? " with a tape open" : "")));
            }
            return result.mapToSuccessful();
        }
    }
}
