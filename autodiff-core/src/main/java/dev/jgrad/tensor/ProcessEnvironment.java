package dev.jgrad.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The C library's process environment ({@code getenv}, {@code setenv}, {@code unsetenv}), the one
 * native libraries read when they are opened. {@link System#getenv} is a copy the JVM took at start
 * and does not see changes made here.
 */
final class ProcessEnvironment {
    private static final MethodHandle GETENV;
    private static final MethodHandle SETENV;
    private static final MethodHandle UNSETENV;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        ValueLayout a = ValueLayout.ADDRESS;
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        GETENV = linker.downcallHandle(libc.find("getenv").orElseThrow(), FunctionDescriptor.of(a, a));
        SETENV = linker.downcallHandle(libc.find("setenv").orElseThrow(), FunctionDescriptor.of(i, a, a, i));
        UNSETENV = linker.downcallHandle(libc.find("unsetenv").orElseThrow(), FunctionDescriptor.of(i, a));
    }

    private ProcessEnvironment() {
    }

    /** The variable's value in the process environment now, or null when it is not set. */
    static String get(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) GETENV.invokeExact(arena.allocateFrom(name));
            return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Integer.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("getenv(" + name + ") failed", t);
        }
    }

    /**
     * Runs {@code body} with the variables set to the given values (null removes one), then puts back
     * what each was. The C library does not guard readers on other threads against these changes, so
     * this is for the moment a native library is opened, once per process.
     *
     * @return what {@code body} returned
     */
    static synchronized <T> T with(Map<String, String> values, Supplier<T> body) {
        Map<String, String> before = new LinkedHashMap<>();
        values.keySet().forEach(name -> before.put(name, get(name)));
        try {
            values.forEach(ProcessEnvironment::set);
            return body.get();
        } finally {
            before.forEach(ProcessEnvironment::set);
        }
    }

    private static void set(String name, String value) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = value == null ? (int) UNSETENV.invokeExact(arena.allocateFrom(name))
                    : (int) SETENV.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 1);
            if (rc != 0) {
                throw new IllegalStateException((value == null ? "unsetenv(" : "setenv(") + name + ") failed");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("changing " + name + " in the process environment failed", t);
        }
    }
}
