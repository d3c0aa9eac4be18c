package dev.jgrad.examples.flow;

import dev.jgrad.examples.chart.LineChart;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code gradient-flow}: a GRU, an LSTM and a plain RNN of the same hidden size, compared on how
 * their error signal travels back in time, at initialisation and after training on the adding
 * problem. See the package documentation for what is measured.
 */
@Command(name = "gradient-flow", mixinStandardHelpOptions = true,
        description = {
            "Why the GRU was invented: compares a GRU (PyTorch's reset-after variant), an LSTM and a plain tanh RNN.",
            "Trains each on the adding problem at every --lengths with Adam and gradient clipping and prints the test MSE"
                    + " next to the baseline of always predicting 1 (MSE 1/6).",
            "Then, on the same --length sequences for every model, at initialisation and after training (the models"
                    + " trained at the longest of --lengths): ||dh_T/ds_t|| and ||dL/ds_t|| for every step t,"
                    + " the singular values of the one-step Jacobian ds_t/ds_(t-1), and the share of saturated gates.",
            "Writes jacobian-norms.png, loss-gradient-norms.png and adding-training.png to --output-dir."})
public final class GradientFlowCommand implements Callable<Integer> {
    /** Steps at which the one-step Jacobian's singular values are taken: enough for a stable mean, few enough to stay cheap. */
    private static final int JACOBIAN_STEPS = 16;
    /** Sequences in the probe batch of the Jacobian study (each costs H backward passes). */
    private static final int PROBE_SEQUENCES = 8;

    @Spec
    CommandSpec spec;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Folder for the PNG charts (default: ${DEFAULT-VALUE}).")
    Path outputDir = Path.of("gradient-flow");

    @Option(names = "--seed", description = "Seed of every random draw: weights, sequences (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--hidden", description = "Hidden size of every model (default: ${DEFAULT-VALUE}).")
    int hidden = 16;

    @Option(names = "--length", description = "Sequence length of the Jacobian study (default: ${DEFAULT-VALUE}).")
    int length = 100;

    @Option(names = "--lengths", split = ",", paramLabel = "T",
            description = "Adding-problem sequence lengths to train at, comma-separated (default: 50,200).")
    List<Integer> lengths = List.of(50, 200);

    @Option(names = "--steps", description = "Training steps per model and length (default: ${DEFAULT-VALUE}).")
    int steps = 600;

    @Option(names = "--batch", description = "Sequences per training step (default: ${DEFAULT-VALUE}).")
    int batch = 32;

    @Option(names = "--lr", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-2;

    @Option(names = "--clip", description = "Global gradient-norm clipping threshold (default: ${DEFAULT-VALUE}).")
    double clip = 1.0;

    @Option(names = "--test-size", description = "Sequences in the adding-problem test set (default: ${DEFAULT-VALUE}).")
    int testSize = 500;

    @Option(names = "--models", split = ",", paramLabel = "M",
            description = "Models to compare, from gru, lstm, rnn (default: gru,lstm,rnn).")
    List<String> models = List.of("gru", "lstm", "rnn");

    @Option(names = "--quick", description = "A tiny run for tests: hidden 8, length 12, lengths 8,16, 15 steps, batch 8, test 64 "
            + "(options given explicitly keep their values).")
    boolean quick;

    @Override
    public Integer call() {
        if (quick) {
            // --quick only changes what the command line left at its default, so no explicit option is silently overridden.
            var given = spec.commandLine().getParseResult();
            hidden = given.hasMatchedOption("--hidden") ? hidden : 8;
            length = given.hasMatchedOption("--length") ? length : 12;
            lengths = given.hasMatchedOption("--lengths") ? lengths : List.of(8, 16);
            steps = given.hasMatchedOption("--steps") ? steps : 15;
            batch = given.hasMatchedOption("--batch") ? batch : 8;
            testSize = given.hasMatchedOption("--test-size") ? testSize : 64;
        }
        List<Regressor.Kind> kinds = parseModels();
        validate();
        PrintWriter out = spec.commandLine().getOut();
        Rng root = Rng.seeded(seed);
        AddingProblem.Batch probe = AddingProblem.sample(root.split(), Math.min(batch, PROBE_SEQUENCES), length, DType.F64);

        // Fresh models from one seed per kind: the profile at initialisation uses the very weights training starts from.
        Map<Regressor.Kind, Long> modelSeeds = new EnumMap<>(Regressor.Kind.class);
        for (Regressor.Kind k : Regressor.Kind.values()) {
            modelSeeds.put(k, root.nextLong());
        }
        Map<Regressor.Kind, FlowProfile> atInit = new EnumMap<>(Regressor.Kind.class);
        for (Regressor.Kind k : kinds) {
            atInit.put(k, FlowProfile.measure(fresh(k, modelSeeds), probe, JACOBIAN_STEPS));
        }

        out.printf(Locale.ROOT, "Adding problem: %d training steps of %d sequences, Adam lr %s, clip %s, hidden %d; test MSE on %d"
                + " sequences (baseline: always predict 1, MSE %.3f)%n", steps, batch, lr, clip, hidden, testSize, AddingProblem.BASELINE_MSE);
        out.printf(Locale.ROOT, "%-8s %-6s %10s %10s %12s %8s%n", "length", "model", "test MSE", "baseline", "MSE/baseline", "seconds");
        out.flush();
        LineChart.Builder training = LineChart.builder().title("Adding problem: training MSE").xLabel("training step")
                .yLabel("batch MSE (running mean of " + window() + " steps)").logY();
        Map<Regressor.Kind, Regressor> trained = new EnumMap<>(Regressor.Kind.class);
        int longest = lengths.stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (int len : lengths) {
            Rng lengthRng = Rng.seeded(seed ^ (0x9E3779B97F4A7C15L * len));
            AddingProblem.Batch test = AddingProblem.sample(lengthRng.split(), testSize, len, DType.F64);
            for (Regressor.Kind k : kinds) {
                Regressor model = fresh(k, modelSeeds);
                long start = System.nanoTime();
                AddingTraining.Result r = new AddingTraining(steps, batch, lr, clip).run(model, len, lengthRng.split(), test);
                double seconds = (System.nanoTime() - start) / 1e9;
                out.printf(Locale.ROOT, "%-8d %-6s %10.4f %10.4f %12.3f %8.1f%n", len, k.label(), r.testMse(), AddingProblem.BASELINE_MSE,
                        r.testMse() / AddingProblem.BASELINE_MSE, seconds);
                out.flush();
                if (steps > 0) {
                    training.series(k.label() + ", T=" + len, positive(runningMean(r.trainLoss(), window())),
                            new LineChart.Style(k.ordinal(), DASHES.get(Math.min(lengths.indexOf(len), DASHES.size() - 1))));
                }
                if (len == longest) {
                    trained.put(k, model);
                }
            }
        }

        Map<Regressor.Kind, FlowProfile> afterTraining = new EnumMap<>(Regressor.Kind.class);
        for (Regressor.Kind k : kinds) {
            afterTraining.put(k, FlowProfile.measure(trained.get(k), probe, JACOBIAN_STEPS));
        }
        out.println();
        out.printf(Locale.ROOT, "Gradient flow on %d adding-problem sequences of length T=%d (s_t: the state, (h_t, c_t) for the LSTM;"
                + " trained = after training at T=%d)%n", probe.x().shape().dim(0), length, longest);
        out.printf(Locale.ROOT, "%-6s %-8s %13s %13s %13s %12s %12s %9s %9s %10s%n", "model", "when", "|dhT/ds_0|", "|dhT/ds_T/2|",
                "|dhT/ds_T|", "|dL/ds_0|", "|dL/ds_T|", "sig_max", "sig_min", "saturated");
        for (Regressor.Kind k : kinds) {
            row(out, k, "init", atInit.get(k));
            row(out, k, "trained", afterTraining.get(k));
        }
        out.flush();

        double[] steps0 = new double[length + 1];
        for (int t = 0; t <= length; t++) {
            steps0[t] = t;
        }
        LineChart.Builder jac = LineChart.builder().title("||dh_T/ds_t||, T = " + length + " (Frobenius, mean over "
                + probe.x().shape().dim(0) + " sequences)").xLabel("step t").yLabel("||dh_T/ds_t||").logY();
        LineChart.Builder grad = LineChart.builder().title("||dL/ds_t||, T = " + length + " (adding-problem MSE)")
                .xLabel("step t").yLabel("||dL/ds_t||").logY();
        // One colour per model, the same in every chart: solid once trained, dashed at initialisation.
        for (Regressor.Kind k : kinds) {
            LineChart.Style trainedStyle = new LineChart.Style(k.ordinal(), LineChart.Dash.SOLID);
            jac.series(k.label() + " trained", steps0, positive(afterTraining.get(k).finalWrtState()), trainedStyle);
            grad.series(k.label() + " trained", steps0, positive(afterTraining.get(k).lossWrtState()), trainedStyle);
        }
        for (Regressor.Kind k : kinds) {
            LineChart.Style initStyle = new LineChart.Style(k.ordinal(), LineChart.Dash.DASHED);
            jac.series(k.label() + " at init", steps0, positive(atInit.get(k).finalWrtState()), initStyle);
            grad.series(k.label() + " at init", steps0, positive(atInit.get(k).lossWrtState()), initStyle);
        }
        if (steps > 0) {
            double[] flat = new double[steps];
            java.util.Arrays.fill(flat, AddingProblem.BASELINE_MSE);
            training.series("baseline: predict 1", flat, new LineChart.Style(BLACK, LineChart.Dash.DOTTED));
        }
        List<Path> written = new ArrayList<>();
        written.add(jac.writePng(outputDir.resolve("jacobian-norms.png")));
        written.add(grad.writePng(outputDir.resolve("loss-gradient-norms.png")));
        if (steps > 0) {
            written.add(training.writePng(outputDir.resolve("adding-training.png")));
        }
        out.println();
        for (Path p : written) {
            out.println("wrote " + p);
        }
        out.flush();
        return 0;
    }

    /** Line patterns of the adding-problem curves, by the position of their length in --lengths. */
    private static final List<LineChart.Dash> DASHES = List.of(LineChart.Dash.SOLID, LineChart.Dash.DASHED, LineChart.Dash.DOTTED);
    /** The palette's black, for the baseline. */
    private static final int BLACK = 6;

    private Regressor fresh(Regressor.Kind k, Map<Regressor.Kind, Long> seeds) {
        return Regressor.create(k, 2, hidden, DType.F64, Rng.seeded(seeds.get(k)));
    }

    private static void row(PrintWriter out, Regressor.Kind k, String when, FlowProfile p) {
        double[] f = p.finalWrtState();
        double[] l = p.lossWrtState();
        out.printf(Locale.ROOT, "%-6s %-8s %13.3e %13.3e %13.3e %12.3e %12.3e %9.3f %9.3f %9.1f%%%n", k.label(), when, f[0],
                f[f.length / 2], f[f.length - 1], l[0], l[l.length - 1], p.sigmaMax(), p.sigmaMin(), 100 * p.saturated());
    }

    private int window() {
        return Math.max(1, steps / 40);
    }

    /** The running mean over the last {@code w} values (fewer at the start). */
    static double[] runningMean(double[] v, int w) {
        double[] r = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= w) {
                sum -= v[i - w];
            }
            r[i] = sum / Math.min(i + 1, w);
        }
        return r;
    }

    /** Values for a log axis: an exact zero (a gradient that underflowed) is drawn at the smallest normal double. */
    static double[] positive(double[] v) {
        double[] r = v.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.max(r[i], Double.MIN_NORMAL);
        }
        return r;
    }

    private List<Regressor.Kind> parseModels() {
        List<Regressor.Kind> kinds = new ArrayList<>();
        for (String m : models) {
            Regressor.Kind k = switch (m.trim().toLowerCase(Locale.ROOT)) {
                case "gru" -> Regressor.Kind.GRU;
                case "lstm" -> Regressor.Kind.LSTM;
                case "rnn" -> Regressor.Kind.RNN;
                default -> throw new ParameterException(spec.commandLine(), "--models: unknown model '" + m + "' (expected gru, lstm, rnn)");
            };
            if (!kinds.contains(k)) {
                kinds.add(k);
            }
        }
        if (kinds.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--models: no model given");
        }
        return kinds;
    }

    private void validate() {
        require(hidden >= 1, "--hidden must be at least 1, got " + hidden);
        require(length >= 2, "--length must be at least 2, got " + length);
        require(!lengths.isEmpty(), "--lengths: no length given");
        for (int l : lengths) {
            require(l >= 2, "--lengths: every length must be at least 2, got " + l);
        }
        require(steps >= 0, "--steps must not be negative, got " + steps);
        require(batch >= 1, "--batch must be at least 1, got " + batch);
        require(testSize >= 1, "--test-size must be at least 1, got " + testSize);
        require(lr > 0 && Double.isFinite(lr), "--lr must be positive, got " + lr);
        require(clip > 0 && Double.isFinite(clip), "--clip must be positive, got " + clip);
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }
}
