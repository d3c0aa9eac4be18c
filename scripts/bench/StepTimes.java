package dev.jgrad.examples.bench;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times every training step of one long run of {@code bench}'s model, to see what a figure of a few seconds hides: how
 * long the step rate keeps climbing after the warm-up, and bursts of slower steps from the host. It prints, for each
 * window of 50 steps, the fastest, median, 90th-percentile and slowest step and the JIT's compilation time in the
 * window; with {@code RAW} set in the environment, first every step's milliseconds on one line.
 *
 * <p>It reaches {@code bench}'s package-private model, so it is compiled into that package and run from the
 * repository after the examples' jar is built (JVM options as the launcher's):
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar -d /tmp/steptimes scripts/bench/StepTimes.java
 * java -XX:+UseSerialGC -Xmx360m -Xmn100m -Djgrad.workspace=220m -XX:+UseTransparentHugePages --add-modules jdk.incubator.vector \
 *     --enable-native-access=ALL-UNNAMED -cp examples/target/gru-examples.jar:/tmp/steptimes dev.jgrad.examples.bench.StepTimes \
 *     GRU_RESET_AFTER F64 d2l 1000 1
 * </pre>
 * Arguments: the cell ({@code CellKind}'s constant), the dtype, the configuration, the steps and the threads.
 */
public final class StepTimes {
    public static void main(String[] args) {
        CellKind cell = CellKind.valueOf(args[0]);
        DType dtype = DType.valueOf(args[1]);
        BenchConfig config = BenchConfig.named(args[2]);
        int n = Integer.parseInt(args[3]);
        Parallelism.setThreads(Integer.parseInt(args[4]));
        Rng rng = Rng.seeded(1);
        TrainingBench.Tokens tokens = TrainingBench.Tokens.random(config, rng);
        int[][] inputs = tokens.inputs();
        int[] targets = tokens.targets();
        NnLanguageModel model = new NnLanguageModel(cell, config, dtype, rng, TrainingBench.LR, 1);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long[] nanos = new long[n];
        long[] compiled = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            model.trainStep(inputs, targets, TrainingBench.MAX_NORM);
            nanos[i] = System.nanoTime() - start;
            compiled[i] = jit.getTotalCompilationTime();
        }
        if (System.getenv("RAW") != null) {
            StringBuilder line = new StringBuilder();
            for (long t : nanos) line.append(String.format("%.1f ", t / 1e6));
            System.out.println(line.toString().trim());
        }
        for (int w = 0; w + 50 <= n; w += 50) {
            long[] s = Arrays.copyOfRange(nanos, w, w + 50);
            Arrays.sort(s);
            System.out.printf("steps %4d-%4d  min %.2f  med %.2f  p90 %.2f  max %.2f ms  jit %d ms%n", w, w + 49, s[0] / 1e6,
                    s[25] / 1e6, s[45] / 1e6, s[49] / 1e6, compiled[w + 49] - (w > 0 ? compiled[w - 1] : 0));
        }
        model.close();
    }
}
