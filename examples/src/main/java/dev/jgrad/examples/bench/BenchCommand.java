package dev.jgrad.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: training throughput in tokens per second of full training steps (forward over all
 * time steps, softmax cross-entropy, backward, gradient clipping, SGD) for named configurations,
 * cells, dtypes and thread counts; or, with {@code --matmul}, matmul GFLOP/s. Every table starts
 * with the machine facts; {@code --json} prints one JSON object per line instead (the first one the
 * machine); {@code --reference} adds PyTorch's figures and our ratio to them, and
 * {@code --paired-reference} takes PyTorch's products or training steps in windows alternating with
 * ours ({@link MatmulBench#alternate}), the ratio being the median of the rounds'. A training figure whose
 * own JVM fails gets a {@code failed} row (a {@code "kind": "failed"} line) with the reason, the
 * bench goes on with the next, and it exits 1 after listing the reasons on standard error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Training throughput (tokens/s of full training steps) or, with --matmul, matmul GFLOP/s.",
                "Configs: tiny (vocab 4, hidden 2, batch 2, steps 3), d2l (28, 256, 32, 35), large (96, 512, 64, 64)."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", split = ",", defaultValue = "tiny,d2l", description = "tiny, d2l, large (comma-separated; default ${DEFAULT-VALUE})")
    List<String> configs;

    @Option(names = "--cell", split = ",", defaultValue = "gru", description = "gru, gru-reset-after, lstm, rnn, mgu (default ${DEFAULT-VALUE})")
    List<String> cells;

    @Option(names = "--dtype", split = ",", defaultValue = "f32", description = "f32, f64 (default ${DEFAULT-VALUE})")
    List<String> dtypes;

    @Option(names = "--threads", split = ",", description = "kernel threads (default 1 for training, 1,2 for --matmul)")
    List<Integer> threads;

    @Option(names = "--seconds", defaultValue = "3", description = "timed seconds per figure, split over the repetitions (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warmup", defaultValue = "1", description = "warm-up seconds per figure (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--repetitions", defaultValue = "5", description = "timed repetitions; the median is reported (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--matmul", description = "measure matmul GFLOP/s at the square and GRU shapes instead of training")
    boolean matmul;

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--reference", paramLabel = "FILE", description = "JSON lines from scripts/torch/bench_gru.py to compare with; "
            + "no ratio is printed where its products ran at under half of OpenBLAS's rate on this machine at some shape")
    Path reference;

    @Option(names = "--paired-reference", paramLabel = "COMMAND", description = "a command that times the reference's products or "
            + "nn.GRU's training steps on request (/usr/bin/python3 scripts/torch/bench_gru.py --serve; words split at spaces); its windows "
            + "alternate with ours, and each ratio is the median of the rounds' ratios (GRU cells only)")
    String pairedReference;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the weights and tokens (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--split", split = ",", paramLabel = "WAY", description = "how N > 1 threads share a training step: kernels (each "
            + "large product and op split over the N threads), shards (each minibatch split into N shards trained on one thread each, "
            + "DataParallel), or kernels,shards: a figure each, measured one after the other after the one-thread figure (default kernels)")
    List<String> splits;

    @Option(names = "--data-parallel", description = "the same as --split shards")
    boolean dataParallel;

    @Option(names = "--products", description = "under each training figure, each distinct matrix product of a step: calls per "
            + "step, its time per call inside the steps and run alone, and their ratio (where the roofline and the in-GEMM share part); "
            + "a product run beside another, on a second thread or in a shard, counts in full")
    private boolean products;

    @Option(names = "--in-process", description = "measure training in this JVM rather than a fresh JVM per figure")
    boolean inProcess;

    @Option(names = "--blas", paramLabel = "BACKEND",
            description = "matrix products on native (OpenBLAS), java, or auto: native when it loads (default: the system property "
                    + "jgrad.blas, else auto)")
    String blas;

    private final ObjectMapper mapper = new ObjectMapper();
    /** The training figures' measurement when a test sets it; otherwise chosen by {@code --in-process}. */
    Measure measure;

    @Override
    public Integer call() {
        // Validate every option before spending time measuring.
        TrainingBench.Budget budget = option("--seconds, --warmup, --repetitions", () -> new TrainingBench.Budget(warmup, seconds, repetitions));
        List<BenchConfig> cfgs = each("--config", configs, BenchConfig::named);
        List<CellKind> cellList = each("--cell", cells, CellKind::parse);
        List<DType> dts = each("--dtype", dtypes, BenchCommand::dtype);
        List<Integer> ths = threads != null ? threads : matmul ? List.of(1, 2) : List.of(1);
        if (dataParallel && splits != null) {
            throw new ParameterException(spec.commandLine(), "--data-parallel is --split shards: give one of them");
        }
        String shardsOption = dataParallel ? "--data-parallel" : "--split shards";
        List<Boolean> ways = dataParallel ? List.of(true)
                : each("--split", splits != null ? splits : List.of("kernels"), BenchCommand::sharded).stream().distinct().toList();
        // A thread count's ways of splitting one right after the other, so that a ratio between them
        // compares figures taken seconds apart: a shared machine's speed drifts over minutes.
        List<Split> splitList = new ArrayList<>();
        for (int t : ths) {
            for (boolean sharded : t == 1 ? List.of(false) : ways) {
                splitList.add(new Split(t, sharded));
            }
        }
        for (int t : ths) {
            if (t < 1) throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + t);
            for (BenchConfig cfg : cfgs) {
                if (ways.contains(true) && !matmul && t > cfg.batch()) {
                    throw new ParameterException(spec.commandLine(), shardsOption + ": " + cfg.name() + "'s batch of " + cfg.batch()
                            + " rows cannot be split into " + t + " shards (--threads " + t + ")");
                }
            }
        }
        if (blas != null) {
            option("--blas", () -> Blas.Backend.parse(blas));   // refused before anything is measured
        }
        if (pairedReference != null && (reference != null || pairedReference.isBlank())) {
            throw new ParameterException(spec.commandLine(), "--paired-reference needs a command, and not --reference beside it");
        }
        if (pairedReference != null && !matmul) {
            for (CellKind cell : cellList) {
                if (!cell.cliName().startsWith("gru")) {
                    throw new ParameterException(spec.commandLine(), "--paired-reference pairs GRU cells with nn.GRU; --cell "
                            + cell.cliName() + " has no peer");
                }
            }
        }
        ReferenceFigures ref = reference != null ? ReferenceFigures.read(reference) : ReferenceFigures.none();
        // Started before anything is measured, so that a command that cannot serve is refused first. A training figure
        // measured in a fresh JVM pairs with a process that JVM starts; this one gives the machine line and the gate's products.
        PairedReference peer = pairedReference != null ? PairedReference.start(pairedReference) : null;
        PrintWriter out = spec.commandLine().getOut();
        int savedThreads = Parallelism.threads();
        Blas.Backend savedBackend = Blas.backend();
        // Why each figure whose JVM failed is missing: the bench goes on with the rest and exits 1 at the end.
        List<String> failures = new ArrayList<>();
        try {
            if (blas != null) {
                Blas.use(blas);
            }
            MachineFacts facts = MachineFacts.detect();
            if (json) {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("kind", "machine");
                m.putAll(facts.fields());
                out.println(line(m));
            } else {
                out.println(facts.describe());
                String refMachine = peer != null ? peer.machine() : ref.machine();
                if (refMachine != null) {
                    out.println(refMachine);
                }
            }
            if (matmul) {
                if (!json) out.printf(Locale.ROOT, "%-34s %-5s %7s %9s%s%n", "matmul", "dtype", "threads", "GFLOP/s",
                        peer != null ? "   reference GFLOP/s (ours/theirs: the median of " + repetitions + " alternating rounds' ratios)"
                                : reference != null ? "   reference GFLOP/s (ours/theirs)" : "");
                for (MatmulBench.Case c : MatmulBench.CASES) {
                    for (DType dt : dts) {
                        for (int t : ths) {
                            Figure.Matmul f;
                            List<ReferenceFigures.Comparison> refs;
                            if (peer != null) {
                                MatmulBench.Paired p = MatmulBench.runPaired(c, dt, t, budget, seed, peer);
                                f = p.ours();
                                refs = List.of(new ReferenceFigures.Comparison(peer.impl(), p.theirs(), p.ratio(), Double.NaN, p.rounds()));
                            } else {
                                f = MatmulBench.run(c, dt, t, budget, seed);
                                refs = ref.forMatmul(f);
                            }
                            if (!refs.isEmpty() && refs.get(0).ratio() > 2) {
                                out.printf(Locale.ROOT, "  (%s: the reference ran under half our rate here, which may mean its BLAS was not at full speed)%n", c.name());
                            }
                            print(out, f, refs);
                        }
                    }
                }
            } else {
                if (!json) out.printf(Locale.ROOT, "%-15s %-6s %-16s %-5s %7s %6s %12s %21s %6s %8s %9s %13s %10s %8s %8s %5s %10s %7s%s%n", "model", "config", "cell", "dtype",
                        "threads", "shards", "tokens/s", "(min..max)", "ops", "ns/op", "peak MiB", "kept MiB", "GFLOP/step", "roofline", "in GEMM", "GC",
                        "alloc MiB", "warm s",
                        peer != null ? "   reference tokens/s, the rounds' ratios (ours/theirs: their median)"
                                : reference != null ? "   reference tokens/s (ours/theirs)" : "");
                Map<String, Optional<String>> peerProblems = new HashMap<>();
                Measure figure = measure != null ? measure
                        : inProcess ? (cfg, cell, dt, t, sharded) -> TrainingBench.run(cfg, cell, dt, t, sharded, budget, seed, peer)
                        : (cfg, cell, dt, t, sharded) -> FreshJvm.train(cfg, cell, dt, t, sharded, budget, seed, Blas.backend(), pairedReference);
                for (BenchConfig cfg : cfgs) {
                    for (CellKind cell : cellList) {
                        for (DType dt : dts) {
                            for (Split split : splitList) {
                                int t = split.threads();
                                TrainingBench.Measured m;
                                try {
                                    m = figure.train(cfg, cell, dt, t, split.sharded());
                                } catch (FreshJvm.Failed e) {
                                    failures.add(e.getMessage());
                                    printFailed(out, cfg, cell, dt, t, split.sharded() ? t : 1, e.getMessage());
                                    continue;
                                }
                                Figure.Train f = m.figure();
                                // Our own one-thread figure beside a figure on more threads is no peer's, and passes no gate.
                                Map<Boolean, List<ReferenceFigures.Comparison>> byOwn = m.paired().stream()
                                        .collect(Collectors.partitioningBy(c -> c.impl().equals(TrainingBench.ONE_THREAD)));
                                List<ReferenceFigures.Comparison> own = byOwn.get(true);
                                List<ReferenceFigures.Comparison> refs = peer != null ? byOwn.get(false) : ref.forTrain(f);
                                // A JSON run leaves the gate to whoever reads its lines (a fresh JVM's to its parent).
                                if (!refs.isEmpty() && !json) {
                                    String key = f.dtype() + "/" + t;
                                    boolean first = !peerProblems.containsKey(key);
                                    Optional<String> problem = peerProblems.computeIfAbsent(key, k -> {
                                        if (peer == null) {
                                            return Optional.ofNullable(peerProblem(ref.matmulRates(f.dtype(), t), dt, t));
                                        }
                                        Map<MatmulBench.Case, Double> theirs = peerRates(peer, dt, t);
                                        out.println("  (" + describeRates(f.dtype(), t, theirs) + ")");
                                        return Optional.ofNullable(peerProblem(theirs, dt, t));
                                    });
                                    if (problem.isPresent()) {
                                        if (first) out.println("  (" + problem.get() + ")");
                                        refs = List.of();
                                    }
                                }
                                print(out, f, Stream.concat(own.stream(), refs.stream()).toList());
                            }
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(savedThreads);
            Blas.use(savedBackend);
            if (peer != null) {
                peer.close();
            }
        }
        out.flush();
        if (failures.isEmpty()) {
            return 0;
        }
        PrintWriter err = spec.commandLine().getErr();
        int figures = cfgs.size() * cellList.size() * dts.size() * splitList.size();
        err.printf(Locale.ROOT, "bench: %d of %d figures were not measured:%n", failures.size(), figures);
        failures.forEach(why -> err.println("  " + why));
        err.flush();
        return 1;
    }

    /** The budget of each product the gate times, on either side. */
    private static final TrainingBench.Budget GATE = new TrainingBench.Budget(0.2, 0.5, 3);

    /**
     * {@link ReferenceFigures#peerProblem} of the reference's matmul rates, {@code theirs}, against OpenBLAS's
     * rate at each shape when the native backend is in use, measured in a JVM of its own, and against our
     * Java kernel's otherwise.
     */
    private String peerProblem(Map<MatmulBench.Case, Double> theirs, DType dt, int threads) {
        String dtype = dt.name().toLowerCase(Locale.ROOT);
        if (Blas.backend() == Blas.Backend.JAVA) {
            return ReferenceFigures.peerProblem(dtype, threads, theirs, "our Java kernel's",
                    c -> MatmulBench.run(c, dt, threads, GATE, seed).gflops());
        }
        Map<String, Double> openBlas;
        try {
            openBlas = FreshJvm.openBlasMatmul(dt, threads, GATE, seed);
        } catch (FreshJvm.Failed e) {
            return ReferenceFigures.noRatio(dtype, threads, "OpenBLAS's own rate, the yardstick of the reference's, was not measured: "
                    + e.getMessage());
        }
        return ReferenceFigures.peerProblem(dtype, threads, theirs, "OpenBLAS's", c -> openBlas.getOrDefault(c.name(), 0.0));
    }

    /** A line of the reference's matmul rates, so that a table of paired figures shows the peer's GEMM speed beside them. */
    static String describeRates(String dtype, int threads, Map<MatmulBench.Case, Double> rates) {
        StringBuilder sb = new StringBuilder("reference matmul, " + dtype + ", " + threads + " thread" + (threads == 1 ? "" : "s")
                + ", GFLOP/s, the best of " + GATE.repetitions() + " windows:");
        rates.forEach((c, g) -> sb.append(String.format(Locale.ROOT, " %s %.1f;", c.name(), g)));
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    /**
     * The paired reference's matmul GFLOP/s at every {@link MatmulBench#CASES case}, for the gate: the best of
     * {@code GATE.repetitions()} windows after a warm-up, since a crippled BLAS is slow in every window and a busy
     * moment of a shared machine in one.
     */
    private static Map<MatmulBench.Case, Double> peerRates(PairedReference peer, DType dt, int threads) {
        Map<MatmulBench.Case, Double> rates = new java.util.LinkedHashMap<>();
        double window = GATE.seconds() / GATE.repetitions();
        for (MatmulBench.Case c : MatmulBench.CASES) {
            double best = peer.gflops(c, dt, threads, GATE.warmupSeconds(), window);
            for (int r = 1; r < GATE.repetitions(); r++) {
                best = Math.max(best, peer.gflops(c, dt, threads, 0, window));
            }
            rates.put(c, best);
        }
        return rates;
    }

    /** A thread count, and whether its threads train shards of the minibatch rather than share the kernels. */
    private record Split(int threads, boolean sharded) {
    }

    /** One training figure, and the peer's paired with it: measured in this JVM or in a fresh one, or (in tests) as the test says. */
    @FunctionalInterface
    interface Measure {
        TrainingBench.Measured train(BenchConfig cfg, CellKind cell, DType dtype, int threads, boolean sharded);
    }

    /** The row of a figure whose JVM failed, where its figures would have been. */
    private void printFailed(PrintWriter out, BenchConfig cfg, CellKind cell, DType dt, int threads, int shards, String why) {
        String dtype = dt.name().toLowerCase(Locale.ROOT);
        if (json) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("kind", "failed");
            m.put("config", cfg.name());
            m.put("cell", cell.cliName());
            m.put("dtype", dtype);
            m.put("threads", threads);
            m.put("shards", shards);
            m.put("reason", why);
            out.println(line(m));
        } else {
            out.printf(Locale.ROOT, "%-15s %-6s %-16s %-5s %7d %6d %12s   %s%n", "jgrad", cfg.name(), cell.cliName(), dtype, threads, shards, "failed", why);
        }
        out.flush();
    }

    private void print(PrintWriter out, Figure f, List<ReferenceFigures.Comparison> refs) {
        if (json) {
            out.println(line(f.fields()));
            // A comparison from a file is in the file already; a paired one exists only here.
            refs.stream().filter(c -> !c.rounds().isEmpty()).forEach(c -> out.println(line(c.fields())));
            out.flush();
            return;
        }
        StringBuilder extra = new StringBuilder();
        for (ReferenceFigures.Comparison c : refs) {
            String peak = Double.isFinite(c.peakRssMib()) && !c.rounds().isEmpty()
                    ? String.format(Locale.ROOT, " (peak %.0f MiB)", c.peakRssMib()) : "";
            String rounds = c.rounds().isEmpty() ? "" : String.format(Locale.ROOT, ", rounds %.2f..%.2fx",
                    c.rounds().stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    c.rounds().stream().mapToDouble(Double::doubleValue).max().orElseThrow());
            // Four digits at least, without an exponent: 0.5000 GFLOP/s, 113.6, 22890 tokens/s.
            String value = String.format(Locale.ROOT, Math.abs(c.value()) >= 1e4 ? "%.0f" : "%.4g", c.value());
            extra.append(String.format(Locale.ROOT, "   %s %s%s%s (%.2fx)", c.impl(), value, peak, rounds, c.ratio()));
        }
        switch (f) {
            case Figure.Train t -> out.printf(Locale.ROOT, "%-15s %-6s %-16s %-5s %7d %6d %12.1f %21s %6d %8.0f %9.0f %13s %10.3f %7.0f%% %7.0f%% %4.0f%% %10.1f %7.1f%s%n",
                    t.impl(), t.config(), t.cell(), t.dtype(), t.threads(), t.shards(), t.tokensPerSecond(), String.format(Locale.ROOT, "(%.1f..%.1f)",
                            t.minTokensPerSecond(), t.maxTokensPerSecond()), t.opsPerStep(), t.nsPerOp(), t.peakRssMib(),
                    String.format(Locale.ROOT, "%.1f->%.1f", t.keptMibStart(), t.keptMibEnd()), t.matmulGflop(), 100 * t.gemmRoofline(),
                    100 * t.productFraction(), 100 * t.gcFraction(), t.allocMibPerStep(), t.warmupSeconds(), extra);
            case Figure.Matmul m -> out.printf(Locale.ROOT, "%-34s %-5s %7d %9.2f%s%n", m.shape(), m.dtype(), m.threads(),
                    m.gflops(), extra);
        }
        if (products && f instanceof Figure.Train t) {
            for (Figure.StepProduct p : t.products()) {
                out.printf(Locale.ROOT, "  product %-26s %8.1f calls/step %9.1f µs in a step %9.1f µs alone (%.2fx) %8.2f ms/step in it%n",
                        p.shape(), p.callsPerStep(), p.microsInStep(), p.microsAlone(), p.microsInStep() / p.microsAlone(),
                        p.callsPerStep() * p.microsInStep() / 1e3);
            }
        }
        out.flush();
    }

    private String line(Map<String, Object> fields) {
        try {
            return mapper.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bench: cannot write JSON: " + e.getMessage(), e);
        }
    }

    /** Whether a {@code --split} way splits the minibatch (shards) rather than the kernels. */
    private static boolean sharded(String s) {
        return switch (s) {
            case "kernels" -> false;
            case "shards" -> true;
            default -> throw new IllegalArgumentException("unknown way '" + s + "'; known: kernels, shards");
        };
    }

    private static DType dtype(String s) {
        return switch (s) {
            case "f32" -> DType.F32;
            case "f64" -> DType.F64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "'; known: f32, f64");
        };
    }

    /** {@code parse} applied to each value of {@code option}; a value it refuses is a usage error naming the option (exit 2). */
    private <T> List<T> each(String option, List<String> values, Function<String, T> parse) {
        return values.stream().map(v -> option(option, () -> parse.apply(v))).toList();
    }

    private <T> T option(String option, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }
}
