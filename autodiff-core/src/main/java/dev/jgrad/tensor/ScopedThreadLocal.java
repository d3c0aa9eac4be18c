package dev.jgrad.tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A value per thread that is set only inside scopes ({@link #enter} … {@link #exit}), with a count of
 * the scopes open in the whole process: while none is, {@link #get} answers null from the count alone,
 * without the thread-local look-up that kernels would otherwise pay on every call.
 *
 * @param <T> the value's type
 */
final class ScopedThreadLocal<T> {
    private final ThreadLocal<T> value = new ThreadLocal<>();
    private final AtomicInteger open = new AtomicInteger();

    /** This thread's value, or null outside every scope. */
    T get() {
        return open.get() == 0 ? null : value.get();
    }

    /** Makes {@code v} (null: none) this thread's value until {@link #exit}; returns the value it replaces, for exit. */
    T enter(T v) {
        T previous = value.get();
        value.set(v);
        open.incrementAndGet();
        return previous;
    }

    /** Ends the scope {@link #enter} began, giving this thread back {@code previous}. */
    void exit(T previous) {
        open.decrementAndGet();
        if (previous == null) {
            value.remove();
        } else {
            value.set(previous);
        }
    }
}
