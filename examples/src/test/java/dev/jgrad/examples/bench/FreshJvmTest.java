package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

    /**
     * The yardstick of a reference's BLAS is OpenBLAS alone, at every shape the reference is timed
     * at: a child that still ran the Vector API kernel would be refused, since its own machine line
     * names the kernel.
     */
    @Test
    void openBlasRatesCoverEveryCaseWithTheVectorKernelOff() {
        assumeTrue(Blas.nativeAvailable(), "OpenBLAS does not load here");
        Map<String, Double> rates = FreshJvm.openBlasMatmul(DType.F32, 1, new TrainingBench.Budget(0, 0.05, 1), 1);
        assertEquals(MatmulBench.CASES.stream().map(MatmulBench.Case::name).collect(Collectors.toSet()), rates.keySet());
        rates.forEach((shape, gflops) -> assertTrue(gflops > 0, shape + ": " + gflops));
    }

    /** The JVM's restricted-method warnings end with a blank line, which once stood in for the reason. */
    @Test
    void aFailedChildsReasonIsItsFirstLineThatSaysSomething() {
        String err = """
                WARNING: Using incubator modules: jdk.incubator.vector
                WARNING: A restricted method in java.lang.foreign.Linker has been called
                WARNING: Restricted methods will be blocked in a future release unless native access is enabled

                bench: DataParallel.backward: 2 rows cannot be split into 3 shards
                """;
        assertEquals("bench: DataParallel.backward: 2 rows cannot be split into 3 shards", FreshJvm.reason(err));
        assertEquals("no message", FreshJvm.reason("WARNING: Using incubator modules: jdk.incubator.vector\n\n  \n"));
    }
}
