package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.layer.Embedding;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * d2l's {@code RNNModel}: one-hot inputs {@code [B, T, V]} (d2l's default encoding) or, with an
 * embedding size {@code E > 0}, learned embedding rows {@code [B, T, E]}; a stack of recurrent cells;
 * and a linear layer from the last hidden state to logits over the vocabulary:
 * {@code logits[b, t] = h_t[b]·W_outᵀ + b_out}, {@code [B, T, V]}. Parameters are named
 * {@code embedding.weight} (when used), {@code rnn.layers.{k}.{cell parameter}}, {@code output.weight},
 * {@code output.bias}; {@code TorchStateDict} gives them the names of the PyTorch module with
 * attributes {@code embedding} ({@code nn.Embedding}), {@code rnn} ({@code nn.GRU}, {@code nn.LSTM}
 * or {@code nn.RNN}, batch-first) and {@code output} ({@code nn.Linear}).
 */
public final class CharModel implements Module {
    private final int vocab;
    private final Embedding embedding;
    private final RecurrentStack rnn;
    private final Linear output;
    private final Map<String, Module> children;
    private final Map<String, Parameter> params;

    /** The model's logits {@code [B, T, V]} and each layer's final state. */
    public record Output(Variable logits, List<State> finalStates) {
    }

    private CharModel(CellKind cell, int vocab, int embed, int hidden, int layers, DType dtype, Rng rng) {
        if (vocab < 2) {
            throw new IllegalArgumentException("CharModel: vocabulary of " + vocab + " tokens is too small (need ≥ 2)");
        }
        if (embed < 0) {
            throw new IllegalArgumentException("CharModel: embedding size must be ≥ 0 (0: one-hot), got " + embed);
        }
        this.vocab = vocab;
        this.embedding = embed > 0 ? new Embedding(vocab, embed, dtype, rng) : null;
        this.rnn = RecurrentStack.of(cell, embed > 0 ? embed : vocab, hidden, layers, true, dtype, rng);
        this.output = new Linear(hidden, vocab, true, dtype, rng);
        Map<String, Module> children = new LinkedHashMap<>();
        if (embedding != null) {
            children.put("embedding", embedding);
        }
        children.put("rnn", rnn);
        children.put("output", output);
        this.children = Collections.unmodifiableMap(children);
        this.params = Module.nested(children);
    }

    /** A one-hot model of {@code layers} cells of {@code cell} with hidden size {@code hidden}, initialised from {@code rng}. */
    public static CharModel create(CellKind cell, int vocab, int hidden, int layers, DType dtype, Rng rng) {
        return new CharModel(cell, vocab, 0, hidden, layers, dtype, rng);
    }

    /** As {@link #create(CellKind, int, int, int, DType, Rng)}, reading embeddings of size {@code embed} (0: one-hot). */
    public static CharModel create(CellKind cell, int vocab, int embed, int hidden, int layers, DType dtype, Rng rng) {
        return new CharModel(cell, vocab, embed, hidden, layers, dtype, rng);
    }

    /** The model a training configuration describes, for a vocabulary of {@code vocab} tokens. */
    public static CharModel of(TrainConfig c, int vocab) {
        Rng rng = Rng.seeded(c.seed());
        CharModel model = create(c.cell(), vocab, c.embedding(), c.hidden(), c.layers(), c.dtype(), rng);
        if (c.d2lInit()) {
            model.initializeAsD2l(rng);
        }
        return model;
    }

    /**
     * Re-initialises every parameter as d2l's from-scratch code does: matrices N(0, 0.01²), vectors
     * (biases) zero. Used to compare training curves with the book's.
     */
    void initializeAsD2l(Rng rng) {
        for (Parameter p : params.values()) {
            int[] dims = p.value().shape().dims();
            p.set(dims.length >= 2 ? Tensor.randn(rng, dtype(), 0.01, dims) : Tensor.zeros(dtype(), dims));
        }
    }

    public int vocabSize() {
        return vocab;
    }

    /** The parameters' dtype (it follows {@link #toDType}). */
    public DType dtype() {
        return output.weight().value().dtype();
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /** {@code embedding} (when used), {@code rnn} and {@code output}. */
    @Override
    public Map<String, Module> children() {
        return children;
    }

    /** Every layer's zero state for a batch of {@code batch}. */
    public List<State> initialStates(int batch) {
        return rnn.initialStates(batch, dtype());
    }

    /**
     * Runs token indices {@code inputs [B][T]} from the given states (null: zeros).
     *
     * @throws IllegalArgumentException when the rows differ in length or an index is outside [0, V)
     */
    public Output forward(int[][] inputs, List<State> initial) {
        int b = inputs.length;
        int t = b == 0 ? 0 : inputs[0].length;
        if (b == 0 || t == 0) {
            throw new IllegalArgumentException("CharModel.forward: inputs [" + b + ", " + t + "] are empty");
        }
        // Time-major tokens, flat[s·B + i] = inputs[i][s]: the recurrent stack runs on time-major rows, and only the
        // logits, V wide rather than H, are transposed back to [B, T, V].
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) {
            if (inputs[i].length != t) {
                throw new IllegalArgumentException("CharModel.forward: row " + i + " has " + inputs[i].length + " tokens, row 0 has " + t);
            }
            for (int s = 0; s < t; s++) {
                flat[s * b + i] = inputs[i][s];
            }
        }
        for (int i : flat) {
            if (i < 0 || i >= vocab) {
                throw new IllegalArgumentException("CharModel.forward: token " + i + " is outside [0, " + vocab + ")");
            }
        }
        Variable x = embedding != null ? embedding.forward(flat, t, b) : Variable.constant(Kernels.oneHot(dtype(), flat, vocab, t, b));
        RecurrentStack.Output out = rnn.forwardTimeMajor(x, initial);
        Variable timeMajor = output.forward(out.outputs());
        Variable logits = timeMajor.permute(1, 0, 2);
        // Only the output layer's product reads the GRU's outputs again, through its hold on them; the
        // time-major logits were only the permute's input.
        Workspace.drop(out.outputs().value());
        Workspace.drop(timeMajor.value());
        return new Output(logits, out.finalStates());
    }
}
