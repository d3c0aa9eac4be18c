package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.Projection.block;

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
 * in the order r, z, n, drawn U(−1/√H, 1/√H) in that order as PyTorch does. The input and the hidden
 * projection of all three blocks are one matmul each.
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
        Variable gi = w.input(x);   // W_i· x + b_i·, [B, 3H] with blocks r, z, n
        Variable gh = w.hidden(h);  // W_h· h + b_h·, [B, 3H] with blocks r, z, n
        Variable r = block(gi, 0, hidden).plus(block(gh, 0, hidden)).sigmoid();
        Variable z = block(gi, 1, hidden).plus(block(gh, 1, hidden)).sigmoid();
        Variable n = block(gi, 2, hidden).plus(r.times(block(gh, 2, hidden))).tanh();
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
