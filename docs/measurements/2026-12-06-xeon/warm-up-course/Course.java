package dev.jgrad.examples.bench;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;

/** A configuration's training step rate every quarter second from the first step, with the JIT's and GC's time in each window. */
public class Course {
    public static void main(String[] args) {
        BenchConfig config = BenchConfig.named(args[0]);
        double seconds = Double.parseDouble(args[1]);
        DType dtype = args.length > 2 ? DType.valueOf(args[2].toUpperCase()) : DType.F64;
        Parallelism.setThreads(1);
        Rng rng = Rng.seeded(1);
        TrainingBench.Tokens tokens = TrainingBench.Tokens.random(config, rng);
        NnLanguageModel model = new NnLanguageModel(CellKind.GRU, config, dtype, rng, 1.0, 1);
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1e9) {
            long start = System.nanoTime();
            long jit = MachineFacts.compilationMillis();
            long gc = MachineFacts.gcMillis();
            long steps = 0;
            while (System.nanoTime() - start < 250_000_000L) {
                model.trainStep(tokens.inputs(), tokens.targets(), 1.0);
                steps++;
            }
            long el = System.nanoTime() - start;
            System.out.printf("%6.2f s  %9.0f tokens/s  jit %4d ms  gc %3d ms%n", (start - t0) / 1e9,
                    steps * config.tokensPerStep() / (el / 1e9), MachineFacts.compilationMillis() - jit, MachineFacts.gcMillis() - gc);
        }
    }
}
