package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** {@link ScopedThreadLocal}: a thread's value lives exactly as long as its scope, whatever other threads' scopes do. */
class ScopedThreadLocalTest {

    @Test
    void aScopeGivesBackTheValueItReplaced() {
        ScopedThreadLocal<String> local = new ScopedThreadLocal<>();
        assertNull(local.get());
        String outer = local.enter("outer");
        String inner = local.enter("inner");
        assertEquals("inner", local.get());
        local.exit(inner);
        assertEquals("outer", local.get());
        local.exit(outer);
        assertNull(local.get());
    }

    /** While another thread holds a scope open, a thread whose own scope has ended sees no value, not the one it had. */
    @Test
    void aThreadsEndedScopeLeavesNoValueWhileAnotherThreadsScopeIsOpen() throws InterruptedException {
        ScopedThreadLocal<String> local = new ScopedThreadLocal<>();
        String[] seen = {"not run"};
        String held = local.enter("held");
        try {
            Thread ended = new Thread(() -> {
                local.exit(local.enter("ended"));
                seen[0] = local.get();
            });
            ended.start();
            ended.join();
            assertEquals("held", local.get());
        } finally {
            local.exit(held);
        }
        assertNull(seen[0], "a value after its scope ended");
    }
}
