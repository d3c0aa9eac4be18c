package dev.jgrad.examples.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.Cli;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.tensor.Blas;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Parallelism;
import dev.jgrad.tensor.Rng;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The bench command's output contract (fields, machine facts, reference ratios, errors); never its speed. */
class BenchCommandTest {
    private static final String[] QUICK = {"--seconds", "0.02", "--warmup", "0", "--repetitions", "2", "--in-process"};

    private static String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("bench"));
        a.addAll(List.of(QUICK));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void jsonLinesCarryTheSchemaForEveryCellAndDtype() throws Exception {
        int threadsBefore = Parallelism.threads();
        Cli.Result r = Cli.run(args("--config", "tiny", "--cell", "gru,gru-reset-after,lstm,rnn", "--dtype", "f32,f64", "--threads", "1,2", "--json"));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = jsonLines(r.out());
        assertEquals("machine", lines.get(0).path("kind").asText());
        assertTrue(lines.get(0).path("cores").asInt() >= 1);
        assertTrue(lines.get(0).path("isa").isArray() && lines.get(0).has("runtime") && lines.get(0).has("caches"), lines.get(0).toString());
        assertTrue(lines.get(0).path("blas").asText().matches("(native OpenBLAS|java \\(pure-Java kernel).*"), lines.get(0).toString());
        assertTrue(lines.get(0).path("elementwise").asText().matches("(Vector API|scalar).*"), lines.get(0).toString());
        // Each figure on two threads is followed by its comparison with the same model's steps on one thread.
        assertEquals(1 + 4 * 2 * 2 + 4 * 2, lines.size(), r.out());
        for (int i = 1; i < lines.size(); i++) {
            JsonNode n = lines.get(i);
            boolean twoThreads = "train".equals(n.path("kind").asText()) && n.path("threads").asInt() == 2;
            assertEquals(twoThreads, i + 1 < lines.size() && "paired".equals(lines.get(i + 1).path("kind").asText()), r.out());
        }
        for (JsonNode n : lines.stream().filter(n -> "paired".equals(n.path("kind").asText())).toList()) {
            assertEquals(TrainingBench.ONE_THREAD, n.path("impl").asText(), n.toString());
            assertTrue(n.path("value").asDouble() > 0, n.toString());
            List<Double> rounds = new ArrayList<>();
            n.path("rounds").forEach(x -> rounds.add(x.asDouble()));
            assertEquals(2, rounds.size(), n.toString());
            assertEquals((rounds.get(0) + rounds.get(1)) / 2, n.path("ratio").asDouble(), 1e-12, "the median round: " + n);
        }
        for (JsonNode n : trainingFigures(r.out())) {
            assertEquals("train", n.path("kind").asText());
            assertEquals("tiny", n.path("config").asText());
            assertEquals("jgrad", n.path("impl").asText(), n.toString());
            assertTrue(List.of("f32", "f64").contains(n.path("dtype").asText()), n.toString());
            assertTrue(List.of(1, 2).contains(n.path("threads").asInt()), n.toString());
            assertEquals(1, n.path("shards").asInt(), n.toString());
            assertTrue(n.path("tokens_per_second").asDouble() > 0, n.toString());
            assertTrue(n.path("min_tokens_per_second").asDouble() <= n.path("tokens_per_second").asDouble());
            assertTrue(n.path("tokens_per_second").asDouble() <= n.path("max_tokens_per_second").asDouble());
            assertTrue(Double.isFinite(n.path("loss").asDouble()), n.toString());
            assertTrue(n.path("peak_rss_mib").asDouble() > 0, n.toString());
            assertTrue(n.path("ops_per_step").asInt() > 0 && n.path("ns_per_op").asDouble() > 0, n.toString());
            // tiny's products are all small: a few thousand flops a step, and a roofline share between 0 and (noise aside) 1
            assertTrue(n.path("matmul_gflop_per_step").asDouble() > 0 && n.path("gemm_roofline").asDouble() > 0, n.toString());
            // a share of the timed wall time, and what the steps allocated: tiny's tensors are all below what a workspace lends
            double gc = n.path("gc_fraction").asDouble(Double.NaN);
            assertTrue(gc >= 0 && gc <= 1, n.toString());
            assertTrue(n.path("alloc_mib_per_step").asDouble() > 0, n.toString());
            // the timed steps' share inside their products: some, and never more than the steps took (one shard)
            double inGemm = n.path("product_fraction").asDouble(Double.NaN);
            assertTrue(inGemm > 0 && inGemm < 1, n.toString());
            // no fixed warm-up here, so at most the one step run before the timed ones
            double warm = n.path("warmup_seconds").asDouble(Double.NaN);
            assertTrue(warm >= 0 && warm < 5, n.toString());
            // each distinct product of a step, timed inside the steps and alone; tiny's step makes several
            JsonNode products = n.path("products");
            assertTrue(products.isArray() && products.size() >= 2, n.toString());
            double previous = Double.POSITIVE_INFINITY;
            for (JsonNode p : products) {
                assertTrue(p.path("m").asInt() > 0 && p.path("n").asInt() > 0 && p.path("k").asInt() > 0, p.toString());
                assertTrue(p.path("calls_per_step").asDouble() >= 1, p.toString());
                assertTrue(p.path("us_in_step").asDouble() > 0 && p.path("us_alone").asDouble() > 0, p.toString());
                double total = p.path("calls_per_step").asDouble() * p.path("us_in_step").asDouble();
                assertTrue(total <= previous * (1 + 1e-9), "longest in the step first: " + products);
                previous = total;
            }
        }
        assertEquals(threadsBefore, Parallelism.threads(), "bench must restore the thread setting");
    }

    @Test
    void tableShowsMachineFactsAndRatiosAgainstAReferenceAtFullSpeed(@TempDir Path dir) throws Exception {
        Path ref = dir.resolve("torch.jsonl");
        Files.writeString(ref, """
                {"kind": "machine", "cores": 2, "cpu": "Some CPU", "runtime": "PyTorch 1.13", "blas": "OpenBLAS 0.3.21 (core Zen)"}
                {"kind": "train", "impl": "torch-nn.GRU", "config": "tiny", "cell": "gru-reset-after", "dtype": "f32", "threads": 1, "tokens_per_second": 1.0e-3}
                {"kind": "train", "impl": "torch-other", "config": "d2l", "cell": "gru", "dtype": "f32", "threads": 1, "tokens_per_second": 5}
                {"kind": "matmul", "impl": "torch", "m": 32, "k": 256, "n": 768, "trans_a": false, "trans_b": true, "dtype": "f32", "threads": 1, "gflops": 1.0e6}

                """);
        Cli.Result r = Cli.run(args("--config", "tiny", "--reference", ref.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("machine: "), r.out());
        assertTrue(r.out().contains("JDK") && r.out().contains("\nmatmul: ") && r.out().contains("\nexp/tanh/sigmoid: "), r.out());
        assertTrue(r.out().contains("reference machine: Some CPU, PyTorch 1.13, BLAS OpenBLAS 0.3.21 (core Zen)"), r.out());
        assertTrue(r.out().contains("torch-nn.GRU (gru-reset-after) 0.001000 ("), r.out());
        assertFalse(r.out().contains("torch-other"), "a d2l figure must not be compared with tiny: " + r.out());
    }

    @Test
    void noRatioAgainstAReferenceWhoseMatmulIsUnderHalfOurs(@TempDir Path dir) throws Exception {
        Path slow = dir.resolve("slow.jsonl");
        Files.writeString(slow, """
                {"kind": "train", "impl": "torch-nn.GRU", "config": "tiny", "cell": "gru-reset-after", "dtype": "f32", "threads": 1, "tokens_per_second": 1.0e-3}
                {"kind": "matmul", "impl": "torch", "m": 32, "k": 256, "n": 768, "trans_a": false, "trans_b": true, "dtype": "f32", "threads": 1, "gflops": 1.0e-6}
                """);
        Cli.Result r = Cli.run(args("--config", "tiny", "--reference", slow.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no ratio for f32, 1 thread: the reference's matmul ran at 0.0 GFLOP/s at d2l h·Wᵀ 32x256·(768x256)ᵀ, "
                + "under half of " + (Blas.backend() == Blas.Backend.NATIVE ? "OpenBLAS's" : "our Java kernel's")), r.out());
        assertFalse(r.out().contains("torch-nn.GRU (gru-reset-after)"), r.out());

        Path blind = dir.resolve("blind.jsonl");
        Files.writeString(blind, """
                {"kind": "train", "impl": "torch-nn.GRU", "config": "tiny", "cell": "gru-reset-after", "dtype": "f32", "threads": 1, "tokens_per_second": 1.0e-3}
                """);
        Cli.Result b = Cli.run(args("--config", "tiny", "--reference", blind.toString()));
        assertTrue(b.out().contains("no ratio for f32, 1 thread: the reference has no matmul figure"), b.out());
        assertFalse(b.out().contains("torch-nn.GRU (gru-reset-after)"), b.out());
    }

    @Test
    void eachTrainingFigureIsMeasuredInAFreshJvm() throws Exception {
        Cli.Result r = Cli.run("bench", "--seconds", "0.02", "--warmup", "0", "--repetitions", "2", "--config", "tiny", "--dtype", "f32,f64", "--json");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> figures = trainingFigures(r.out());
        assertEquals(2, figures.size(), r.out());
        for (JsonNode n : figures) {
            assertEquals("tiny", n.path("config").asText());
            assertTrue(n.path("tokens_per_second").asDouble() > 0 && n.path("peak_rss_mib").asDouble() > 0, n.toString());
        }
        assertEquals(List.of("f32", "f64"), figures.stream().map(n -> n.path("dtype").asText()).toList());
    }

    /** {@code --products} lists each figure's products under it, read back from the fresh JVM that measured it. */
    @Test
    void theProductsOfAStepAreListedUnderItsFigure() {
        Cli.Result r = Cli.run("bench", "--seconds", "0.02", "--warmup", "0", "--repetitions", "2", "--config", "tiny", "--products");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        int figure = -1;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("jgrad ")) figure = i;
        }
        assertTrue(figure > 0 && figure + 1 < lines.length, r.out());
        assertTrue(lines[figure + 1].matches("  product \\S+ +[0-9.]+ calls/step +[0-9.]+ µs in a step +[0-9.]+ µs alone \\([0-9.]+x\\) +[0-9.]+ ms/step in it"),
                lines[figure + 1]);
        Cli.Result plain = Cli.run(args("--config", "tiny"));
        assertFalse(plain.out().contains("  product "), "only with --products: " + plain.out());
    }

    @Test
    void theBackendIsChosenByOptionAndNamedInTheTable() {
        Blas.Backend before = Blas.backend();
        Cli.Result r = Cli.run(args("--config", "tiny", "--blas", "java"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nmatmul: java (pure-Java kernel"), r.out());
        assertEquals(before, Blas.backend(), "bench must restore the backend");
        Cli.Result bad = Cli.run(args("--config", "tiny", "--blas", "mkl"));
        assertEquals(2, bad.code());
        assertEquals("bench: --blas: unknown BLAS backend 'mkl'; use auto, native or java (try --help)", bad.err().strip());
    }

    @Test
    void matmulFiguresArePositive() {
        Figure.Matmul f = MatmulBench.run(new MatmulBench.Case("small", 5, 7, 3, true, true), DType.F64, 2,
                new TrainingBench.Budget(0, 0.01, 2), 3);
        assertTrue(f.gflops() > 0 && Double.isFinite(f.gflops()), f.toString());
        assertEquals("f64", f.dtype());
        assertEquals(2, f.threads());
    }

    @Test
    void badOptionsAndReferencesFailWithOneLine(@TempDir Path dir) throws Exception {
        // A value an option refuses is a usage error: exit 2, one line, naming the option once and the command once.
        Cli.Result unknown = Cli.run(args("--config", "huge"));
        assertEquals(2, unknown.code());
        assertEquals("bench: --config: unknown config 'huge'; known: [tiny, d2l, large] (try --help)", unknown.err().strip());
        Cli.Result cell = Cli.run(args("--cell", "transformer"));
        assertEquals(2, cell.code());
        assertEquals("bench: --cell: unknown cell 'transformer' (expected gru, gru-reset-after, lstm, rnn, mgu) (try --help)", cell.err().strip());
        Cli.Result dtype = Cli.run(args("--dtype", "f16"));
        assertEquals(2, dtype.code());
        assertEquals("bench: --dtype: unknown dtype 'f16'; known: f32, f64 (try --help)", dtype.err().strip());
        Cli.Result threads = Cli.run(args("--threads", "0"));
        assertEquals(2, threads.code());
        assertEquals("bench: --threads must be at least 1, got 0 (try --help)", threads.err().strip());
        Cli.Result shards = Cli.run(args("--config", "tiny,d2l", "--threads", "1,3", "--data-parallel"));
        assertEquals(2, shards.code());
        assertEquals("bench: --data-parallel: tiny's batch of 2 rows cannot be split into 3 shards (--threads 3) (try --help)",
                shards.err().strip());
        assertEquals("", shards.out(), "refused before anything is measured");
        Cli.Result time = Cli.run("bench", "--seconds", "0");
        assertEquals(2, time.code());
        assertTrue(time.err().startsWith("bench: --seconds, --warmup, --repetitions: need warm-up ≥ 0 s, time > 0 s"), time.err());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"kind\": \"train\"}\nnot json\n");
        Cli.Result ref = Cli.run(args("--config", "tiny", "--reference", bad.toString()));
        assertEquals(1, ref.code());
        assertTrue(ref.err().contains("line 2"), ref.err());
        assertEquals("", ref.out(), "nothing is measured when the reference is unreadable");
    }

    /** A peer that serves products: its machine line, then one figure per request, as bench_gru.py --serve. */
    @Test
    void aPairedReferenceIsAskedForEveryRowAndNamedInTheTable(@TempDir Path dir) throws Exception {
        Path serve = dir.resolve("serve.sh");
        Files.writeString(serve, """
                printf '%s\n' '{"kind": "machine", "cpu": "Fake CPU", "runtime": "fake 1"}'
                while read -r request; do printf '%s\n' '{"kind": "matmul", "impl": "fake", "gflops": 0.5}'; done
                """);
        Cli.Result r = Cli.run(args("--matmul", "--dtype", "f64", "--threads", "1", "--paired-reference", "sh " + serve));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nreference machine: Fake CPU, fake 1\n"), r.out());
        assertTrue(r.out().contains("(ours/theirs: the median of 2 alternating rounds' ratios)"), r.out());
        long rows = r.out().lines().filter(l -> l.contains(" f64 ") && l.contains("   fake 0.5000, rounds ")).count();
        assertEquals(MatmulBench.CASES.size(), rows, r.out());
    }

    @Test
    void aPairedReferenceThatCannotServeIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        Path dies = dir.resolve("dies.sh");
        Files.writeString(dies, "exit 3\n");
        Cli.Result dead = Cli.run(args("--matmul", "--paired-reference", "sh " + dies));
        assertEquals(1, dead.code());
        assertEquals("bench: the paired reference 'sh " + dies + "' ended before its machine line (exit code 3)", dead.err().strip());
        assertEquals("", dead.out(), "nothing is measured when the peer cannot serve");
        Path babbles = dir.resolve("babbles.sh");
        Files.writeString(babbles, """
                printf '%s\n' '{"kind": "machine", "cpu": "Fake CPU"}'
                read -r request; printf '%s\n' 'Traceback (most recent call last):'
                """);
        Cli.Result bad = Cli.run(args("--matmul", "--dtype", "f32", "--threads", "1", "--paired-reference", "sh " + babbles));
        assertEquals(1, bad.code());
        assertEquals("bench: the paired reference 'sh " + babbles + "' printed 'Traceback (most recent call last):' where a figure of "
                + "square 1024 was expected, as a JSON object", bad.err().strip());
        Cli.Result missing = Cli.run(args("--matmul", "--paired-reference", dir.resolve("no-such-command").toString()));
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("bench: cannot start the paired reference '" + dir.resolve("no-such-command") + "': "),
                missing.err());
        Cli.Result lstm = Cli.run(args("--config", "tiny", "--cell", "gru,lstm", "--paired-reference", "sh " + dies));
        assertEquals(2, lstm.code());
        assertEquals("bench: --paired-reference pairs GRU cells with nn.GRU; --cell lstm has no peer (try --help)", lstm.err().strip());
        Cli.Result both = Cli.run(args("--config", "tiny", "--reference", dies.toString(), "--paired-reference", "sh " + dies));
        assertEquals(2, both.code());
        assertEquals("bench: --paired-reference needs a command, and not --reference beside it (try --help)", both.err().strip());
    }

    /**
     * A peer that serves training windows at {@code tokens} tokens/s and products at {@code gflops}, as bench_gru.py --serve,
     * writing each request it reads into {@code requests}.
     */
    private static Path trainingPeer(Path dir, double tokens, double gflops) throws Exception {
        Path serve = dir.resolve("serve-train.sh");
        Path log = dir.resolve("requests.jsonl");
        Files.writeString(serve, """
                printf '%%s\n' '{"kind": "machine", "cpu": "Fake CPU", "runtime": "fake 1"}'
                while read -r request; do
                  printf '%%s\n' "$request" >> '%s'
                  case "$request" in
                    *'"kind":"train"'*) printf '%%s\n' '{"kind": "train", "impl": "fake-nn.GRU", "cell": "gru-reset-after", "tokens_per_second": %s, "peak_rss_mib": 300}' ;;
                    *) printf '%%s\n' '{"kind": "matmul", "impl": "fake", "gflops": %s}' ;;
                  esac
                done
                """.formatted(log, tokens, gflops));
        return serve;
    }

    /** --paired-reference without --matmul: after its warm-up, the peer's training windows alternate with ours, one a round. */
    @Test
    void aPairedTrainingFigureAlternatesWithThePeersWindows(@TempDir Path dir) throws Exception {
        Path serve = trainingPeer(dir, 1000, 1);
        Cli.Result r = Cli.run(args("--config", "tiny", "--cell", "gru", "--dtype", "f64", "--json",
                "--paired-reference", "sh " + serve));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = jsonLines(r.out());
        assertEquals(List.of("machine", "train", "paired"), lines.stream().map(n -> n.path("kind").asText()).toList(), r.out());
        JsonNode ours = lines.get(1);
        JsonNode paired = lines.get(2);
        assertEquals("fake-nn.GRU (gru-reset-after)", paired.path("impl").asText());
        assertEquals(1000, paired.path("value").asDouble());
        assertEquals(300, paired.path("peak_rss_mib").asDouble());
        // Each round's ratio is our window's rate over the peer's; the figure is the median window (of two, their mean), the ratio
        // the median round.
        List<Double> rounds = new ArrayList<>();
        paired.path("rounds").forEach(x -> rounds.add(x.asDouble()));
        assertEquals(2, rounds.size(), paired.toString());
        assertEquals(ours.path("min_tokens_per_second").asDouble() / 1000, rounds.stream().mapToDouble(x -> x).min().orElseThrow(), 1e-12);
        assertEquals(ours.path("max_tokens_per_second").asDouble() / 1000, rounds.stream().mapToDouble(x -> x).max().orElseThrow(), 1e-12);
        assertEquals(ours.path("tokens_per_second").asDouble() / 1000, paired.path("ratio").asDouble(), 1e-12);
        List<JsonNode> requests = jsonLines(Files.readString(dir.resolve("requests.jsonl")));
        assertEquals(3, requests.size(), "its warm-up and a window a round: " + requests);
        for (JsonNode q : requests) {
            assertEquals("train", q.path("kind").asText(), q.toString());
            assertEquals("torch-nn.GRU", q.path("impl").asText(), q.toString());
            assertEquals("tiny", q.path("config").asText(), q.toString());
            assertEquals("f64", q.path("dtype").asText(), q.toString());
            assertEquals(1, q.path("threads").asInt(), q.toString());
            assertEquals(0.02 / 2, q.path("seconds").asDouble(), 1e-12, q.toString());
        }
    }

    /**
     * With the kernels on two threads, the same model's steps on one thread take a window each round too, between ours and
     * the peer's: our one-thread figure comes first, and stays where the gate withholds the peer's ratio. Shards are not
     * paired with one thread.
     */
    @Test
    void aFigureOnTwoThreadsIsPairedWithItsOwnStepsOnOneThread(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run(args("--config", "tiny", "--cell", "gru", "--dtype", "f64", "--threads", "2", "--json",
                "--paired-reference", "sh " + trainingPeer(dir, 1000, 1)));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = jsonLines(r.out());
        assertEquals(List.of("machine", "train", "paired", "paired"), lines.stream().map(n -> n.path("kind").asText()).toList(), r.out());
        JsonNode ours = lines.get(1);
        assertEquals(TrainingBench.ONE_THREAD, lines.get(2).path("impl").asText());
        assertEquals("fake-nn.GRU (gru-reset-after)", lines.get(3).path("impl").asText());
        // Both comparisons divide the same windows of ours, one by one, so each round's ratios to the peer's fixed
        // 1000 tokens/s and to one thread share their numerator.
        List<Double> toPeer = new ArrayList<>();
        List<Double> toOne = new ArrayList<>();
        lines.get(3).path("rounds").forEach(x -> toPeer.add(x.asDouble()));
        lines.get(2).path("rounds").forEach(x -> toOne.add(x.asDouble()));
        assertEquals(ours.path("tokens_per_second").asDouble() / 1000, lines.get(3).path("ratio").asDouble(), 1e-12);
        // Round i's window of ours ran at toPeer[i]·1000 tokens/s, so its one-thread window at that over toOne[i]; the
        // one-thread figure is their median (of two, the mean).
        double oneA = toPeer.get(0) * 1000 / toOne.get(0);
        double oneB = toPeer.get(1) * 1000 / toOne.get(1);
        assertTrue(oneA > 0 && oneB > 0 && Double.isFinite(oneA + oneB), lines.get(2).toString());
        assertEquals((oneA + oneB) / 2, lines.get(2).path("value").asDouble(), 1e-9 * oneA);
        List<JsonNode> requests = jsonLines(Files.readString(dir.resolve("requests.jsonl")));
        assertEquals(3, requests.size(), "its warm-up and a window a round: " + requests);
        requests.forEach(q -> assertEquals(2, q.path("threads").asInt(), q.toString()));

        Cli.Result slow = Cli.run(args("--config", "tiny", "--cell", "gru", "--threads", "2", "--blas", "java", "--paired-reference",
                "sh " + trainingPeer(dir, 1000, 1e-6)));
        assertEquals(0, slow.code(), slow.err());
        List<String> rows = slow.out().lines().filter(l -> l.startsWith("jgrad ")).toList();
        assertEquals(1, rows.size(), slow.out());
        assertTrue(rows.get(0).matches(".*   jgrad-1-thread [0-9.]+, rounds [0-9.]+\\.\\.[0-9.]+x \\([0-9.]+x\\)$"), slow.out());

        Cli.Result shards = Cli.run(args("--config", "tiny", "--cell", "gru", "--threads", "2", "--split", "shards", "--json"));
        assertEquals(0, shards.code(), shards.err());
        assertEquals(List.of("machine", "train"), jsonLines(shards.out()).stream().map(n -> n.path("kind").asText()).toList(), shards.out());
    }

    /** A table of paired training figures gives the rounds' range; a peer whose products are slow gets no ratio, as with a file. */
    @Test
    void aPairedTrainingTableGivesTheRoundsAndGatesASlowPeer(@TempDir Path dir) throws Exception {
        Cli.Result fast = Cli.run(args("--config", "tiny", "--cell", "gru", "--blas", "java", "--paired-reference",
                "sh " + trainingPeer(dir, 20000, 1e9)));
        assertEquals(0, fast.code(), fast.err());
        assertTrue(fast.out().contains("reference tokens/s, the rounds' ratios (ours/theirs: their median)"), fast.out());
        assertTrue(fast.out().contains("\n  (reference matmul, f32, 1 thread, GFLOP/s, the best of 3 windows: square 1024 1000000000.0; d2l h·Wᵀ"), fast.out());
        assertTrue(fast.out().lines().anyMatch(l -> l.startsWith("jgrad ") && l.matches(
                ".*   fake-nn\\.GRU \\(gru-reset-after\\) 20000 \\(peak 300 MiB\\), rounds [0-9.]+\\.\\.[0-9.]+x \\([0-9.]+x\\)$")), fast.out());
        Cli.Result slow = Cli.run(args("--config", "tiny", "--cell", "gru", "--blas", "java", "--paired-reference",
                "sh " + trainingPeer(dir, 1000, 1e-6)));
        assertEquals(0, slow.code(), slow.err());
        assertTrue(slow.out().contains("(no ratio for f32, 1 thread: the reference's matmul ran at 0.0 GFLOP/s at square 1024, "
                + "under half of our Java kernel's"), slow.out());
        assertTrue(slow.out().lines().filter(l -> l.startsWith("jgrad ")).noneMatch(l -> l.contains("fake")), slow.out());
    }

    @Test
    void everyCellLearnsARepeatedBatch() {
        BenchConfig cfg = new BenchConfig("t", 5, 8, 3, 4);
        for (CellKind cell : CellKind.values()) {
            Rng rng = Rng.seeded(11);
            NnLanguageModel model = new NnLanguageModel(cell, cfg, DType.F64, rng, 0.5, 1);
            int[][] in = new int[cfg.batch()][cfg.steps()];
            int[] targets = new int[cfg.steps() * cfg.batch()];
            for (int b = 0; b < cfg.batch(); b++) {
                for (int t = 0; t < cfg.steps(); t++) {
                    in[b][t] = rng.nextInt(cfg.vocab());
                    targets[b * cfg.steps() + t] = in[b][t];   // learnable: predict the current token
                }
            }
            double first = model.trainStep(in, targets, 1.0);
            // Weights within ±1/√fan-in give nearly uniform predictions: the first loss is near log(vocab).
            assertEquals(Math.log(cfg.vocab()), first, 0.5, cell + " initial loss");
            double last = first;
            for (int i = 0; i < 200; i++) last = model.trainStep(in, targets, 1.0);
            assertTrue(last < 0.5 * first, cell + ": loss " + first + " -> " + last);
        }
    }

    /** --data-parallel: a figure per thread count whose minibatches are split into that many shards. */
    @Test
    void dataParallelFiguresSayHowManyShards() throws Exception {
        int threadsBefore = Parallelism.threads();
        Cli.Result r = Cli.run(args("--config", "tiny", "--threads", "1,2", "--data-parallel", "--json"));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> figures = trainingFigures(r.out());
        assertEquals(2, figures.size(), r.out());
        for (JsonNode n : figures) {
            assertEquals(n.path("threads").asInt(), n.path("shards").asInt(), n.toString());
            assertTrue(n.path("tokens_per_second").asDouble() > 0 && n.path("ops_per_step").asInt() > 0, n.toString());
            assertTrue(n.path("gemm_roofline").asDouble() > 0 && Double.isFinite(n.path("loss").asDouble()), n.toString());
        }
        // Splitting the minibatch changes neither the products' FLOPs nor the ops a whole minibatch's forward records;
        // counting the ops once ran a forward inside the traced step, and its products inflated the roofline.
        assertEquals(figures.get(0).path("matmul_gflop_per_step").asDouble(), figures.get(1).path("matmul_gflop_per_step").asDouble(), r.out());
        assertEquals(figures.get(0).path("ops_per_step").asInt(), figures.get(1).path("ops_per_step").asInt(), r.out());
        assertEquals(threadsBefore, Parallelism.threads(), "bench must restore the thread setting");
    }

    /** --split kernels,shards: after the one-thread figure, each way of using two threads, one right after the other. */
    @Test
    void bothSplitsFollowTheOneThreadFigure() throws Exception {
        List<String> order = new ArrayList<>();
        BenchCommand bench = new BenchCommand();
        bench.measure = (cfg, cell, dt, t, sharded) -> {
            order.add(cfg.name() + " " + dt + " " + t + (sharded ? " shards" : " kernels"));
            return TrainingBench.run(cfg, cell, dt, t, sharded, new TrainingBench.Budget(0, 0.02, 2), 1, null);
        };
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(bench);
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("--config", "tiny", "--dtype", "f32,f64", "--threads", "1,2", "--split", "kernels,shards", "--json");
        assertEquals(0, code, out.toString());
        assertEquals(List.of("tiny F32 1 kernels", "tiny F32 2 kernels", "tiny F32 2 shards",
                "tiny F64 1 kernels", "tiny F64 2 kernels", "tiny F64 2 shards"), order);
        List<JsonNode> figures = trainingFigures(out.toString());
        assertEquals(List.of("1/1", "2/1", "2/2", "1/1", "2/1", "2/2"),
                figures.stream().map(n -> n.path("threads").asInt() + "/" + n.path("shards").asInt()).toList(), out.toString());
    }

    @Test
    void splitIsRefusedWhenUnknownOrGivenTwice() {
        Cli.Result unknown = Cli.run(args("--split", "rows"));
        assertEquals(2, unknown.code());
        assertEquals("bench: --split: unknown way 'rows'; known: kernels, shards (try --help)", unknown.err().strip());
        Cli.Result twice = Cli.run(args("--split", "shards", "--data-parallel"));
        assertEquals(2, twice.code());
        assertEquals("bench: --data-parallel is --split shards: give one of them (try --help)", twice.err().strip());
        Cli.Result tooMany = Cli.run(args("--config", "tiny", "--threads", "3", "--split", "kernels,shards"));
        assertEquals(2, tooMany.code());
        assertEquals("bench: --split shards: tiny's batch of 2 rows cannot be split into 3 shards (--threads 3) (try --help)",
                tooMany.err().strip());
        assertEquals("", tooMany.out(), "refused before anything is measured");
    }

    /** Two shards train bench's model as one minibatch does, to rounding (Note [Shard gradient] on DataParallel). */
    @Test
    void twoShardsTrainAsTheWholeMinibatch() {
        BenchConfig cfg = new BenchConfig("t", 5, 8, 4, 3);
        int[][] in = new int[cfg.batch()][cfg.steps()];
        int[] targets = new int[cfg.steps() * cfg.batch()];
        Rng data = Rng.seeded(12);
        for (int b = 0; b < cfg.batch(); b++) {
            for (int t = 0; t < cfg.steps(); t++) {
                in[b][t] = data.nextInt(cfg.vocab());
                targets[b * cfg.steps() + t] = data.nextInt(cfg.vocab());
            }
        }
        try (NnLanguageModel whole = new NnLanguageModel(CellKind.GRU, cfg, DType.F64, Rng.seeded(13), 0.5, 1);
             NnLanguageModel split = new NnLanguageModel(CellKind.GRU, cfg, DType.F64, Rng.seeded(13), 0.5, 2)) {
            for (int i = 0; i < 5; i++) {
                double a = whole.trainStep(in, targets, 1.0);
                double b = split.trainStep(in, targets, 1.0);
                assertEquals(a, b, 1e-12 * Math.abs(a), "step " + i);
            }
        }
    }

    /** Each line of {@code out}, read as JSON. */
    private static List<JsonNode> jsonLines(String out) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : out.strip().split("\n")) lines.add(json.readTree(l));
        return lines;
    }

    /** The training figures among bench's JSON lines. */
    private static List<JsonNode> trainingFigures(String out) throws Exception {
        return jsonLines(out).stream().filter(n -> "train".equals(n.path("kind").asText())).toList();
    }

    /** A bench whose float64 figures' JVMs fail; the float32 ones are measured in this JVM. */
    private static Cli.Result benchWithFailingF64(String cells, String... extra) {
        BenchCommand bench = new BenchCommand();
        bench.measure = (cfg, cell, dt, t, sharded) -> {
            if (dt == DType.F64) {
                throw new FreshJvm.Failed("the JVM measuring " + cfg.name() + " " + cell + " " + dt + " failed (exit 1): out of memory");
            }
            return TrainingBench.run(cfg, cell, dt, t, sharded, new TrainingBench.Budget(0, 0.02, 2), 1, null);
        };
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(bench);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> a = new ArrayList<>(List.of("--config", "tiny", "--cell", cells, "--dtype", "f64,f32"));
        a.addAll(List.of(extra));
        int code = cl.execute(a.toArray(String[]::new));
        return new Cli.Result(code, out.toString(), err.toString());
    }

    /** A figure whose JVM fails takes its own row, not the figures after it; the bench says so on stderr and exits 1. */
    @Test
    void aFigureWhoseJvmFailsIsReportedAndTheRestAreMeasured() {
        Cli.Result r = benchWithFailingF64("gru,rnn");
        assertEquals(1, r.code(), r.err());
        List<String> rows = r.out().lines().filter(l -> l.startsWith("jgrad ")).toList();
        assertEquals(4, rows.size(), r.out());
        for (String cell : List.of("gru", "rnn")) {
            String failed = rows.stream().filter(l -> l.matches("jgrad\\s+tiny\\s+" + cell + "\\s+f64\\s+1\\s+1\\s+failed\\s+.*")).findFirst()
                    .orElseThrow(() -> new AssertionError("no failed f64 row for " + cell + " in\n" + r.out()));
            assertTrue(failed.endsWith("failed (exit 1): out of memory"), failed);
            String measured = rows.stream().filter(l -> l.matches("jgrad\\s+tiny\\s+" + cell + "\\s+f32\\s+1\\s+1\\s+[0-9.]+\\s.*")).findFirst()
                    .orElseThrow(() -> new AssertionError("no measured f32 row for " + cell + " in\n" + r.out()));
            assertTrue(Double.parseDouble(measured.split("\\s+")[6]) > 0, measured);
        }
        List<String> err = r.err().lines().toList();
        assertEquals("bench: 2 of 4 figures were not measured:", err.get(0), r.err());
        assertEquals(3, err.size(), r.err());
        assertTrue(err.get(1).contains("tiny gru F64 failed (exit 1): out of memory"), r.err());
        assertTrue(err.get(2).contains("tiny rnn F64 failed (exit 1): out of memory"), r.err());
    }

    @Test
    void aFailedFigureIsAJsonLineOfItsOwn() throws Exception {
        Cli.Result r = benchWithFailingF64("gru", "--json");
        assertEquals(1, r.code(), r.err());
        List<JsonNode> lines = jsonLines(r.out());
        assertEquals(List.of("machine", "failed", "train"), lines.stream().map(n -> n.path("kind").asText()).toList(), r.out());
        JsonNode failed = lines.get(1);
        assertEquals("tiny", failed.path("config").asText());
        assertEquals("gru", failed.path("cell").asText());
        assertEquals("f64", failed.path("dtype").asText());
        assertEquals(1, failed.path("threads").asInt());
        assertEquals(1, failed.path("shards").asInt());
        assertTrue(failed.path("reason").asText().endsWith("failed (exit 1): out of memory"), failed.toString());
        assertEquals("f32", lines.get(2).path("dtype").asText());
    }
}
