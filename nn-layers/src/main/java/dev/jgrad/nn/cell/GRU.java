package dev.jgrad.nn.cell;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import java.util.Objects;

/**
 * The gated recurrent unit (Cho et al., 2014). Its two published variants are two classes,
 * {@link GRUCell} and {@link TorchGRUCell}, each of which writes its step as its four equations;
 * {@link Variant} names them and builds either.
 *
 * <p><b>Note [GRU reset gate].</b> Both variants compute an update gate {@code z}, a reset gate
 * {@code r}, a candidate {@code h̃} and the same interpolation {@code h' = z ⊙ h + (1 − z) ⊙ h̃}. They
 * differ in where the reset gate acts:
 * <ul>
 *   <li>{@link Variant#RESET_BEFORE}, {@link GRUCell} (Cho et al.; d2l; the default) resets the state
 *       <i>before</i> the hidden projection: {@code h̃ = tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)}.</li>
 *   <li>{@link Variant#RESET_AFTER}, {@link TorchGRUCell} (PyTorch {@code nn.GRU}, cuDNN, Keras
 *       {@code reset_after=True}) resets <i>after</i> it:
 *       {@code n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))}. Because the hidden projection no longer
 *       depends on {@code r}, it is computed for all three gates in one matmul per step;
 *       {@code b_hn} sits inside the reset, so it cannot be merged into {@code b_in}.</li>
 * </ul>
 * Both are "the GRU", and they give different numbers for the same weights, so the variant is
 * always named. Their recurrence Jacobians {@code ∂h'/∂h} differ too; both are derived and checked
 * in the tests ({@code GruRecurrenceJacobianProperties}).
 */
public sealed interface GRU extends RecurrentCell permits GRUCell, TorchGRUCell {

    /** Where the reset gate is applied; see Note [GRU reset gate]. */
    enum Variant {
        /** Cho et al. / d2l, {@link GRUCell}: {@code h̃ = tanh(x·W_xh + (r ⊙ h)·W_hh + b_h)}. */
        RESET_BEFORE,
        /** PyTorch / cuDNN / Keras reset_after, {@link TorchGRUCell}: {@code n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))}. */
        RESET_AFTER;

        /**
         * A cell of this variant, input size {@code in}, hidden size {@code hidden}, with or without biases.
         *
         * @param in     the input size
         * @param hidden the hidden size
         * @param bias   whether the cell has biases
         * @param dtype  the parameters' dtype
         * @param rng    the generator the weights are drawn from
         * @return the cell
         */
        public GRU create(int in, int hidden, boolean bias, DType dtype, Rng rng) {
            return switch (this) {   // each cell's create refuses a null dtype or rng by name
                case RESET_BEFORE -> GRUCell.create(in, hidden, bias, dtype, rng);
                case RESET_AFTER -> TorchGRUCell.create(in, hidden, bias, dtype, rng);
            };
        }
    }

    /**
     * The values of one step's four equations, each {@code [B, H]}: the update gate {@code z}, the
     * reset gate {@code r}, the candidate {@code h̃} (PyTorch's {@code n}) and the next state {@code h'}.
     *
     * @param z      the update gate
     * @param r      the reset gate
     * @param hTilde the candidate state
     * @param hNext  the next state
     */
    record Activations(Variable z, Variable r, Variable hTilde, Variable hNext) {
        /** Refuses null values. */
        public Activations {
            Objects.requireNonNull(z, "z");
            Objects.requireNonNull(r, "r");
            Objects.requireNonNull(hTilde, "hTilde");
            Objects.requireNonNull(hNext, "hNext");
        }
    }

    /**
     * Which of the two variants this cell computes.
     *
     * @return the variant
     */
    Variant variant();

    /**
     * The four equations of one step for input {@code x [B, I]} and state {@code h [B, H]}, as the variant writes them.
     *
     * @param x the step's input {@code [B, I]}
     * @param h the previous state {@code [B, H]}
     * @return the step's four values
     */
    Activations activations(Variable x, Variable h);

    /** {@code h'} of {@link #activations}. */
    @Override
    default State step(Variable x, State s) {
        checkStep(x, s);
        return State.of(activations(x, s.h()).hNext());
    }
}
