package dev.jgrad.examples.rungru;

import dev.jgrad.examples.cli.EnumByName;
import dev.jgrad.examples.cli.FileProblem;
import dev.jgrad.examples.cli.OutputFiles;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.io.Safetensors;
import dev.jgrad.nn.io.SafetensorsFile;
import dev.jgrad.tensor.Tensor;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code run-gru}: runs PyTorch {@code nn.GRU} weights on given inputs; see {@link GruRun} and {@link TorchGru}. */
@Command(name = "run-gru", mixinStandardHelpOptions = true,
        description = {
            "Runs an nn.GRU state_dict (weight_ih_l{k}, weight_hh_l{k}, optional bias_ih_l{k}, bias_hh_l{k}; layers read from"
                    + " the names) on x [B, T, I] (batch first) and optional h0 [L, B, H] from --input.",
            "Writes y [B, T, H] and h_n [L, B, H] to --output; when --input also holds the cotangents dy [B, T, H] and/or"
                    + " dh_n [L, B, H], also the vector-Jacobian product: grad.x, grad.h0 (when h0 was given) and"
                    + " grad.<name> for every weight. F64 or F32, kept as given.",
            "--variant reset-before uses the same r, z, n blocks in Cho et al.'s equations:"
                    + " h~ = tanh(x W_in^T + (r*h) W_hn^T + b_in + b_hn) instead of PyTorch's"
                    + " n = tanh(x W_in^T + b_in + r*(h W_hn^T + b_hn))."})
public final class RunGruCommand implements Callable<Integer> {
    /** The two variants by their command-line names. */
    enum VariantName {
        RESET_AFTER("reset-after", GRU.Variant.RESET_AFTER),
        RESET_BEFORE("reset-before", GRU.Variant.RESET_BEFORE);

        final String label;
        final GRU.Variant variant;

        VariantName(String label, GRU.Variant variant) {
            this.label = label;
            this.variant = variant;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "The nn.GRU state_dict, and nothing else.")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "X.safetensors", description = "x, and optionally h0, dy, dh_n, and nothing else.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "OUT.safetensors", description = "Where to write the results (atomically).")
    Path output;

    @Option(names = "--variant", paramLabel = "reset-after|reset-before", converter = VariantConverter.class,
            description = "GRU equations (default: reset-after, PyTorch's).")
    VariantName variant = VariantName.RESET_AFTER;

    /** Accepts the variant's command-line spelling. */
    static final class VariantConverter extends EnumByName<VariantName> {
        VariantConverter() {
            super(VariantName.class);
        }
    }

    @Override
    public Integer call() {
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("--weights", weights);
        inputs.put("--input", input);
        OutputFiles.refuseOverwritingInputs(spec, "--output", output, inputs);
        OutputFiles.requireWritableFolderOf("--output", output);
        SafetensorsFile w = read(weights, "weights");
        SafetensorsFile x = read(input, "input");
        TorchGru gru;
        Map<String, Tensor> result;
        try {
            gru = TorchGru.fromStateDict(w.tensors(), variant.variant);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage(), e);
        }
        try {
            result = GruRun.run(gru, x.tensors());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(input + ": " + e.getMessage(), e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("producer", "gru-examples run-gru");
        meta.put("variant", variant.label);
        meta.put("weights", weights.getFileName().toString());
        meta.put("input", input.getFileName().toString());
        Safetensors.write(output, new SafetensorsFile(result, meta));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("GRU %s: %d layer%s, input %d, hidden %d, %s%s; x %s -> y %s, h_n %s%n", variant.label, gru.layers(),
                gru.layers() == 1 ? "" : "s", gru.inputSize(), gru.hiddenSize(), gru.dtype(), gru.hasBias() ? "" : ", no biases",
                x.tensors().get("x").shape(), result.get("y").shape(), result.get("h_n").shape());
        out.printf("wrote %d tensors to %s%s%n", result.size(), output, result.containsKey("grad.x") ? " (with gradients)" : "");
        out.flush();
        return 0;
    }

    private static SafetensorsFile read(Path path, String role) {
        try {
            return Safetensors.read(path);
        } catch (UncheckedIOException e) {
            String why = e.getCause() == null ? e.getMessage() : FileProblem.describe(e, path);
            throw new IllegalArgumentException("cannot read " + role + " file " + path + ": " + why, e);
        }
    }
}
