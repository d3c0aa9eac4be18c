package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Map;
import java.util.Objects;

/**
 * The GRU as PyTorch's {@code nn.GRU} computes it (and cuDNN, and Keras with {@code reset_after=True}),
 * the reset gate applied <i>after</i> the hidden projection ({@link GRU.Variant#RESET_AFTER}; see
 * Note [GRU reset gate] in {@link GRU}):
 * <pre>
 * r  = σ(W_ir x + b_ir + W_hr h + b_hr)
 * z  = σ(W_iz x + b_iz + W_hz h + b_hz)
 * n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 * h' = (1 − z) ⊙ n + z ⊙ h  = n + z ⊙ (h − n)
 * </pre>
 * The last line is computed in its second form, as PyTorch computes it: {@code n.lerp(h, z)}, one op
 * that keeps for backward only values the other rules keep anyway.
 * Parameters in PyTorch's names and layout: {@code weight_ih [3H, I]}, {@code weight_hh [3H, H]},
 * {@code bias_ih [3H]}, {@code bias_hh [3H]} (biases left out when built without them), gate blocks
 * in the order r, z, n, drawn U(−1/√H, 1/√H) in that order as PyTorch does. Each gate's projections
 * are products with its own rows of the packed weights, {@code W_ir = weight_ih[0:H]} and so on, as
 * the equations read. In an unrolled loop those rows are sliced once for all steps (Note [Loop
 * invariants] on {@link dev.jgrad.autodiff.Unrolled}), so no step copies a gate block out of a packed
 * product or places its gradient back into one.
 */
public final class TorchGRUCell implements GRU {
    private final int in;
    private final int hidden;
    private final PackedWeights w;
    private final Map<String, Parameter> params;

    private TorchGRUCell(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        this.w = PackedWeights.create("TorchGRUCell", 3, in, hidden, bias, dtype, rng);
        this.in = in;
        this.hidden = hidden;
        this.params = w.named();
    }

    /**
     * A PyTorch-layout GRU cell with input size {@code in} and hidden size {@code hidden}, with or without biases.
     *
     * @param in     the input size
     * @param hidden the hidden size
     * @param bias   whether the cell has biases
     * @param dtype  the parameters' dtype
     * @param rng    the generator the weights are drawn from
     * @return the cell
     */
    public static TorchGRUCell create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(rng, "rng");
        return new TorchGRUCell(in, hidden, bias, dtype, rng);
    }

    @Override
    public Activations activations(Variable x, Variable h) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(h, "h");
        Variable r = w.input(x, 0).plus(w.hidden(h, 0)).sigmoid();
        Variable z = w.input(x, 1).plus(w.hidden(h, 1)).sigmoid();
        Variable n = w.input(x, 2).plus(r.times(w.hidden(h, 2))).tanh();
        Variable hNext = n.lerp(h, z);
        return new Activations(z, r, n, hNext);
    }

    @Override
    public Variant variant() {
        return Variant.RESET_AFTER;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return params;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }
}
