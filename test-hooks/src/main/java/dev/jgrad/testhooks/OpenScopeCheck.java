package dev.jgrad.testhooks;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test or property that leaves a recording scope open on its thread: a {@code Tape} opened by
 * {@code Tape.record()} or an {@code Unrolled} scope that was never closed. Both are thread-local and tests
 * run one after another on one thread, so a scope left open would change what the next test records (its
 * ops would join a tape nobody walks, or be hoisted over steps that are not its own), and results would
 * depend on test order. The check closes what it finds first, so the next test starts clean, then fails
 * the one that left it open.
 *
 * <p>Registered for JUnit Jupiter ({@code META-INF/services/org.junit.jupiter.api.extension.Extension},
 * read where {@code junit.jupiter.extensions.autodetection.enabled} is true: the parent POM sets it for
 * Surefire and for the mutation profile) and for jqwik (its {@code LifecycleHook} service file). It reaches
 * the scopes by reflection, since this module cannot depend on autodiff-core, whose tests use it; where
 * autodiff-core is not on the class path it checks nothing.
 */
public final class OpenScopeCheck implements AfterEachCallback, AroundPropertyHook {
    /** The thread-local "current scope" fields, by what a test opens them with. */
    private static final List<Scope> SCOPES = scopes();

    private record Scope(String opener, ThreadLocal<?> current) {
    }

    @Override
    public void afterEach(ExtensionContext context) {
        String leak = closeLeaked();
        if (leak != null) {
            throw new AssertionError(leak);
        }
    }

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        String leak = closeLeaked();
        // A property that failed keeps its own failure (an exception may well be why its scope stayed open).
        return leak != null && result.status() == PropertyExecutionResult.Status.SUCCESSFUL ? result.mapToFailed(new AssertionError(leak)) : result;
    }

    /** Closes every scope open on this thread; says which were open, or null when none was. */
    static String closeLeaked() {
        List<String> open = new ArrayList<>();
        for (Scope s : SCOPES) {
            if (s.current().get() != null) {
                s.current().remove();
                open.add(s.opener());
            }
        }
        return open.isEmpty() ? null
                : "left open on its thread: " + String.join(", ", open) + " without close() (use try-with-resources); closed now, so the next test starts clean";
    }

    private static List<Scope> scopes() {
        List<Scope> found = new ArrayList<>();
        for (String[] s : new String[][] {{"dev.jgrad.autodiff.Tape", "Tape.record()"}, {"dev.jgrad.autodiff.Unrolled", "Unrolled.over(...)"}}) {
            Class<?> c;
            try {
                c = Class.forName(s[0], false, OpenScopeCheck.class.getClassLoader());
            } catch (ClassNotFoundException absent) {
                continue; // a module whose tests do not see autodiff-core
            }
            try {
                Field f = c.getDeclaredField("CURRENT");
                if (!Modifier.isStatic(f.getModifiers()) || f.getType() != ThreadLocal.class) {
                    throw new IllegalStateException(s[0] + ".CURRENT is no longer a static ThreadLocal");
                }
                f.setAccessible(true);
                found.add(new Scope(s[1], (ThreadLocal<?>) f.get(null)));
            } catch (ReflectiveOperationException e) {
                // loudly: a renamed field must not switch the check off unnoticed
                throw new IllegalStateException("jgrad-test-hooks cannot find the thread-local scope of " + s[0]
                        + " (OpenScopeCheck reads its static field CURRENT): " + e, e);
            }
        }
        return List.copyOf(found);
    }
}
