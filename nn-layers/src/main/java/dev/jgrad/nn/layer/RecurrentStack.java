package dev.jgrad.nn.layer;

import com.google.common.collect.ImmutableMap;
import dev.jgrad.autodiff.Unrolled;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * A stack of recurrent cells run over a sequence, batch-first {@code x [B, T, I]} ({@link #forward})
 * or time-major {@code x [T, B, I]} ({@link #forwardTimeMajor}): layer 0 reads {@code x}, layer k
 * reads layer k−1's hidden states, and each layer's step at time t is exactly its
 * cell's {@link RecurrentCell#step}. Parameters are named {@code layers.{k}.{cell parameter}}.
 */
public final class RecurrentStack implements Module {

    /**
     * The result of a forward pass: {@code outputs} (the last layer's hidden state at every step, in
     * the input's layout) and the final state of every layer.
     *
     * @param outputs     the last layer's hidden states, {@code [B, T, H]} from {@link #forward} and
     *                    {@code [T, B, H]} from {@link #forwardTimeMajor}
     * @param finalStates every layer's final state, bottom first
     */
    public record Output(Variable outputs, List<State> finalStates) {
        /** Copies the list of final states; nothing may be null. */
        public Output {
            Objects.requireNonNull(outputs, "outputs");
            finalStates = List.copyOf(Objects.requireNonNull(finalStates, "finalStates"));
        }

        /**
         * The final hidden states of all layers stacked, {@code [L, B, H]} (PyTorch's {@code h_n}).
         *
         * @return {@code h_n [L, B, H]}
         */
        public Variable hN() {
            return Variable.stack(0, finalStates.stream().map(State::h).toList());
        }

        /**
         * The final LSTM cell states stacked, {@code [L, B, H]} (PyTorch's {@code c_n}).
         *
         * @return {@code c_n [L, B, H]}
         */
        public Variable cN() {
            if (finalStates.get(0).parts().size() < 2) {
                throw new IllegalStateException("cN: the cells carry no cell state (only h)");
            }
            return Variable.stack(0, finalStates.stream().map(s -> s.part(1)).toList());
        }

        /**
         * The final states cut off from the graph: the initial states of the next truncated-BPTT batch.
         *
         * @return the detached final states, bottom first
         */
        public List<State> detachedStates() {
            return detach(finalStates);
        }
    }

    private final List<RecurrentCell> cells;
    private final Map<String, Module> children;
    private final Map<String, Parameter> params;

    private RecurrentStack(List<RecurrentCell> cells) {
        if (cells.isEmpty()) {
            throw new IllegalArgumentException("RecurrentStack: needs at least one cell");
        }
        for (int k = 1; k < cells.size(); k++) {
            if (cells.get(k).inputSize() != cells.get(k - 1).hiddenSize()) {
                throw new IllegalArgumentException("RecurrentStack: layer " + k + " takes input size " + cells.get(k).inputSize()
                        + " but layer " + (k - 1) + " produces hidden size " + cells.get(k - 1).hiddenSize());
            }
        }
        this.cells = List.copyOf(cells);
        ImmutableMap.Builder<String, Module> children = ImmutableMap.builder();
        for (int k = 0; k < cells.size(); k++) {
            children.put("layers." + k, cells.get(k));
        }
        this.children = children.buildOrThrow();
        this.params = Module.nested(this.children);
    }

    /**
     * A stack of the given cells, bottom first; layer k's input size must equal layer k−1's hidden size.
     *
     * @param cells the cells, bottom first
     * @return the stack
     */
    public static RecurrentStack of(List<? extends RecurrentCell> cells) {
        Objects.requireNonNull(cells, "cells");
        return new RecurrentStack(List.copyOf(cells));
    }

    /**
     * {@code layers} cells of one kind, the first reading {@code in} features, drawn from {@code rng} bottom first.
     *
     * @param kind   the kind of every cell
     * @param in     the input size
     * @param hidden the hidden size of every layer
     * @param layers the number of layers
     * @param bias   whether the cells have biases (the MGU has none either way)
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the stack
     */
    public static RecurrentStack of(CellKind kind, int in, int hidden, int layers, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return build(layers, k -> kind.create(k == 0 ? in : hidden, hidden, bias, dtype, rng));
    }

    /**
     * {@code layers} GRU cells of the given variant (see Note [GRU reset gate] in {@link GRU}).
     *
     * @param variant the GRU variant
     * @param in      the input size
     * @param hidden  the hidden size of every layer
     * @param layers  the number of layers
     * @param bias    whether the cells have biases
     * @param dtype   the parameters' dtype
     * @param rng     the generator the weights are drawn from
     * @return the stack
     */
    public static RecurrentStack gru(GRU.Variant variant, int in, int hidden, int layers, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return build(layers, k -> variant.create(k == 0 ? in : hidden, hidden, bias, dtype, rng));
    }

    /**
     * {@code layers} LSTM cells.
     *
     * @param in     the input size
     * @param hidden the hidden size of every layer
     * @param layers the number of layers
     * @param bias   whether the cells have biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the stack
     */
    public static RecurrentStack lstm(int in, int hidden, int layers, boolean bias, DType dtype, Rng rng) {
        return of(CellKind.LSTM, in, hidden, layers, bias, dtype, rng);
    }

    /**
     * {@code layers} tanh RNN cells.
     *
     * @param in     the input size
     * @param hidden the hidden size of every layer
     * @param layers the number of layers
     * @param bias   whether the cells have biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the stack
     */
    public static RecurrentStack rnn(int in, int hidden, int layers, boolean bias, DType dtype, Rng rng) {
        return of(CellKind.RNN, in, hidden, layers, bias, dtype, rng);
    }

    private static RecurrentStack build(int layers, IntFunction<RecurrentCell> cell) {
        if (layers <= 0) {
            throw new IllegalArgumentException("RecurrentStack: number of layers must be positive, got " + layers);
        }
        List<RecurrentCell> cs = new ArrayList<>();
        for (int k = 0; k < layers; k++) {
            cs.add(cell.apply(k));
        }
        return new RecurrentStack(cs);
    }

    /**
     * The cells, bottom first.
     *
     * @return the cells
     */
    public List<RecurrentCell> cells() {
        return cells;
    }

    /**
     * The number of layers.
     *
     * @return the number of cells
     */
    public int numLayers() {
        return cells.size();
    }

    /**
     * The first layer's input size.
     *
     * @return the input size
     */
    public int inputSize() {
        return cells.get(0).inputSize();
    }

    /**
     * The last layer's hidden size.
     *
     * @return the hidden size
     */
    public int hiddenSize() {
        return cells.get(cells.size() - 1).hiddenSize();
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /** The cells by their prefix, {@code layers.{k}}. */
    @Override
    public Map<String, Module> children() {
        return children;
    }

    /**
     * Every layer's zero state for a batch of {@code batch}.
     *
     * @param batch the batch size
     * @param dtype the states' dtype
     * @return one zero state per layer, bottom first
     */
    public List<State> initialStates(int batch, DType dtype) {
        return cells.stream().map(c -> c.initialState(batch, dtype)).toList();
    }

    /**
     * Runs the batch-first sequence {@code x [B, T, I]} through every layer.
     *
     * @param x the input sequence {@code [B, T, I]}
     * @return the outputs {@code [B, T, H]} and final states
     * @param initial one state per layer, or null for zeros
     * @throws IllegalArgumentException when {@code x} is not {@code [B, T, I]} with T ≥ 1, or the
     *                                  number of initial states differs from the number of layers
     */
    public Output forward(Variable x, List<State> initial) {
        Objects.requireNonNull(x, "x");
        checkInput("forward", x, 1, "[B, T, ");
        int b = x.shape().dim(0);
        int t = x.shape().dim(1);
        // Time-major rows [T·B, I], so each layer's input projections run once for all steps (Note [Hoisting over time steps]).
        Variable input = x.permute(1, 0, 2).reshape(t * b, inputSize());
        Output rows = run("forward", input, t, b, initial);
        Variable outputs = rows.outputs().reshape(t, b, hiddenSize()).permute(1, 0, 2);
        // The permuted input is read again only through the holds of the products that saved it, and the
        // stacked rows were only the output permute's input: their storage can serve the backward walk.
        Workspace.drop(input.value());
        Workspace.drop(rows.outputs().value());
        return new Output(outputs, rows.finalStates());
    }

    /**
     * Runs the time-major sequence {@code x [T, B, I]} (PyTorch's {@code batch_first=False}) through
     * every layer. The same steps as {@link #forward}, without its two transposes: a time-major
     * sequence is already the rows each layer runs on, and so are its outputs.
     *
     * @param x the input sequence {@code [T, B, I]}
     * @param initial one state per layer, or null for zeros
     * @return the outputs {@code [T, B, H]} and final states
     * @throws IllegalArgumentException when {@code x} is not {@code [T, B, I]} with T ≥ 1, or the
     *                                  number of initial states differs from the number of layers
     */
    public Output forwardTimeMajor(Variable x, List<State> initial) {
        Objects.requireNonNull(x, "x");
        checkInput("forwardTimeMajor", x, 0, "[T, B, ");
        int t = x.shape().dim(0);
        int b = x.shape().dim(1);
        Output rows = run("forwardTimeMajor", x.reshape(t * b, inputSize()), t, b, initial);
        return new Output(rows.outputs().reshape(t, b, hiddenSize()), rows.finalStates());
    }

    private void checkInput(String method, Variable x, int timeAxis, String layout) {
        if (x.shape().rank() != 3 || x.shape().dim(2) != inputSize() || x.shape().dim(timeAxis) == 0) {
            throw new IllegalArgumentException("RecurrentStack." + method + ": input " + x.shape() + " is not " + layout + inputSize()
                    + "] with T ≥ 1");
        }
    }

    /**
     * Every layer over the time-major rows {@code [T·B, I]}; the outputs are the last layer's rows
     * {@code [T·B, H]}. The rows passed in are the caller's to drop: they may be a user's tensor.
     */
    private Output run(String method, Variable rows, int t, int b, List<State> initial) {
        List<State> states = initial != null ? initial : initialStates(b, rows.dtype());
        if (states.size() != cells.size()) {
            throw new IllegalArgumentException("RecurrentStack." + method + ": " + states.size() + " initial states for "
                    + cells.size() + " layers");
        }
        List<State> finals = new ArrayList<>(cells.size());
        for (int k = 0; k < cells.size(); k++) {
            RecurrentCell cell = cells.get(k);
            State s = states.get(k);
            List<Variable> hs = new ArrayList<>(t);
            try (Unrolled steps = Unrolled.over(rows, t)) {
                for (int i = 0; i < t; i++) {
                    try (Unrolled.Step step = steps.step(i)) {
                        s = cell.step(step.input(), s);
                        step.carry(s.parts());
                    }
                    hs.add(s.h());
                }
            }
            finals.add(s);
            Variable input = rows;
            rows = Variable.concat(0, hs);
            // A higher layer's input rows are read again only through the holds of the products that saved them.
            if (k > 0) {
                Workspace.drop(input.value());
            }
        }
        return new Output(rows, finals);
    }

    /**
     * States cut off from the graph, for truncated backpropagation through time between batches.
     *
     * @param states the states
     * @return the same values, detached
     */
    public static List<State> detach(List<State> states) {
        Objects.requireNonNull(states, "states");
        return states.stream().map(State::detach).toList();
    }
}
