package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import java.util.List;

/**
 * The recurrent state carried between time steps: {@code parts.get(0)} is the hidden state
 * {@code h [B, H]}; cells with more state add parts (the LSTM's cell state {@code c}).
 *
 * @param parts the state's parts, {@code h} first
 */
public record State(List<Variable> parts) {
    /** Copies the parts; {@code h} is required. */
    public State {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("State: needs at least the hidden state h");
        }
        parts = List.copyOf(parts);
    }

    /**
     * A state of these parts, {@code h} first.
     *
     * @param parts the parts
     * @return the state
     */
    public static State of(Variable... parts) {
        return new State(List.of(parts));
    }

    /**
     * The hidden state {@code h [B, H]}.
     *
     * @return {@code parts.get(0)}
     */
    public Variable h() {
        return parts.get(0);
    }

    /**
     * Part {@code i} ({@code 0} is {@code h}; the LSTM's {@code c} is {@code 1}).
     *
     * @param i the part's position
     * @return the part
     */
    public Variable part(int i) {
        return parts.get(i);
    }

    /**
     * The same values cut off from the graph, for truncated backpropagation through time.
     *
     * @return the detached state
     */
    public State detach() {
        return new State(parts.stream().map(Variable::detach).toList());
    }
}
