package dev.jgrad.examples.flow;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.LSTMCell;
import dev.jgrad.nn.cell.RNNCell;
import dev.jgrad.nn.cell.RecurrentCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.cell.TorchGRUCell;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A recurrent cell read out by a linear layer on its last hidden state:
 * {@code ŷ = h_T·wᵀ + b}, {@code [B, T, I] → [B, 1]}; the model the study trains on the adding problem.
 *
 * <p>The cell is stepped here rather than through {@code RecurrentStack} because the study needs
 * every intermediate state {@code s_t} as a recorded value to differentiate with respect to.
 */
public final class Regressor implements Module {

    /** The three cells compared, all in PyTorch's layout and initialisation U(−1/√H, 1/√H). */
    public enum Kind {
        /** {@code TorchGRUCell}, PyTorch's {@code nn.GRU} (RESET_AFTER); see Note [GRU reset gate] in {@code GRU}. */
        GRU,
        /** {@code LSTMCell}, state {@code (h, c)}. */
        LSTM,
        /** {@code RNNCell}, {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)}. */
        RNN;

        /** Lower-case name as the command line spells it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A forward pass: {@code states.get(t)} is {@code s_t} for {@code t = 0..T} ({@code s_0} the zero
     * state, made of leaves so that gradients with respect to it exist), and the prediction {@code [B, 1]}.
     */
    public record Unrolled(List<State> states, Variable prediction) {
        public Unrolled {
            states = List.copyOf(states);
        }

        /** The final hidden state {@code h_T [B, H]}. */
        public Variable finalHidden() {
            return states.get(states.size() - 1).h();
        }

        /** The state parts of every step, for {@link JacobianNorms}. */
        public List<List<Variable>> stateParts() {
            return states.stream().map(State::parts).toList();
        }
    }

    private final Kind kind;
    private final RecurrentCell cell;
    private final Linear readout;
    private final Map<String, Parameter> params;

    private Regressor(Kind kind, RecurrentCell cell, Linear readout) {
        this.kind = kind;
        this.cell = cell;
        this.readout = readout;
        Map<String, Module> children = new LinkedHashMap<>();
        children.put("cell", cell);
        children.put("readout", readout);
        this.params = Module.nested(children);
    }

    /** A fresh model: cell of the given kind with input size {@code in} and hidden size {@code hidden}, and a 1-output readout. */
    public static Regressor create(Kind kind, int in, int hidden, DType dtype, Rng rng) {
        RecurrentCell cell = switch (kind) {
            case GRU -> TorchGRUCell.create(in, hidden, true, dtype, rng);
            case LSTM -> LSTMCell.create(in, hidden, true, dtype, rng);
            case RNN -> RNNCell.create(in, hidden, true, dtype, rng);
        };
        return new Regressor(kind, cell, new Linear(hidden, 1, true, dtype, rng));
    }

    public Kind kind() {
        return kind;
    }

    public RecurrentCell cell() {
        return cell;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    /** Runs {@code x [B, T, I]} through the cell from the zero state and reads out {@code h_T}. */
    public Unrolled unroll(Variable x) {
        if (x.shape().rank() != 3 || x.shape().dim(2) != cell.inputSize()) {
            throw new IllegalArgumentException("Regressor.unroll: input " + x.shape() + " is not [B, T, " + cell.inputSize() + "]");
        }
        int b = x.shape().dim(0);
        int t = x.shape().dim(1);
        List<Variable> zeros = new ArrayList<>();
        for (Variable part : cell.initialState(b, x.dtype()).parts()) {
            zeros.add(Variable.leaf(Tensor.zeros(part.dtype(), part.shape())));
        }
        State s = new State(zeros);
        List<State> states = new ArrayList<>(t + 1);
        states.add(s);
        for (int i = 0; i < t; i++) {
            s = cell.step(x.slice(1, i, i + 1).reshape(b, cell.inputSize()), s);
            states.add(s);
        }
        return new Unrolled(states, readout.forward(s.h()));
    }
}
