package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class FreshJvmTest {
    /** A child that fills its error pipe (64 KiB on Linux) before printing its result must not block: the timeout guards a hang, it times nothing. */
    @Test
    @EnabledOnOs(OS.LINUX)
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aChildFillingItsErrorPipeBeforeItsOutputFinishes() throws Exception {
        FreshJvm.Finished run = FreshJvm.run(List.of("sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x >&2; echo figure; exit 3"));
        assertEquals(3, run.code());
        assertEquals("figure\n", run.out());
        assertEquals(300_000, run.err().length());
        assertEquals("x".repeat(300_000), run.err());
    }
}
