package dev.jgrad.examples.walkthrough;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.examples.data.Minibatch;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GRU walkthrough of the matrix tutorials, computed with the library: the text
 * {@value #TEXT}, the dictionary {@code {'h': 0, 'a': 1, 't': 2, 'M': 3}}, batches of
 * {@value #BATCH} sequences of {@value #STEPS} characters (d2l's sequential layout, offset 0, so the
 * state passes from batch to batch), one-hot inputs of size {@value #VOCAB}, hidden size
 * {@value #HIDDEN}, and a linear output layer of size {@value #VOCAB} followed by a softmax.
 *
 * <p>Every printed quantity is a value the library computed: the gate terms are the products of
 * the cell's own parameters, the activations come from {@link GRUCell#activations} and
 * {@link GRUCell#step}, the logits from {@link Linear#forward}, the probabilities from
 * {@link Variable#softmax}. The shown sums are checked against the cell's own results, so the
 * printout cannot drift from the computation.
 */
public final class GruWalkthrough {
    public static final String TEXT = "MathMathMathMath";
    /** The tutorials' dictionary, character by index. */
    public static final String DICTIONARY = "hatM";
    public static final int BATCH = 2;
    public static final int STEPS = 3;
    public static final int VOCAB = 4;
    public static final int HIDDEN = 2;

    /** The three terms of a pre-activation, their sum and the activation, each {@code [B, H]} (the bias {@code [H]}). */
    public record Terms(Tensor inputTerm, Tensor hiddenTerm, Tensor bias, Tensor sum, Tensor activation) {
    }

    /**
     * The output layer and the softmax with the max trick, for logits {@code [B, V]}.
     *
     * @param product  {@code H·W_qᵀ [B, V]}
     * @param bias     {@code b_q [V]}
     * @param logits   {@code H·W_qᵀ + b_q [B, V]}
     * @param max      the row maxima {@code [B, 1]}
     * @param shifted  {@code logits − max [B, V]}
     * @param exps     {@code exp(shifted) [B, V]}
     * @param sums     row sums of {@code exps}, {@code [B, 1]}
     * @param probs    the library's {@code softmax(logits)} {@code [B, V]}
     */
    public record Output(Tensor product, Tensor bias, Tensor logits, Tensor max, Tensor shifted, Tensor exps, Tensor sums,
            Tensor probs) {
    }

    /**
     * One time step for the whole batch.
     *
     * @param x          one-hot inputs {@code [B, V]}
     * @param hPrev      the incoming hidden state {@code [B, H]}
     * @param update     {@code z = σ(X·W_xz + H·W_hz + b_z)}
     * @param reset      {@code r = σ(X·W_xr + H·W_hr + b_r)}
     * @param resetState {@code r ⊙ H [B, H]}
     * @param candidate  {@code h̃ = tanh(X·W_xh + (r ⊙ H)·W_hh + b_h)} (its hidden term is {@code (r ⊙ H)·W_hh})
     * @param gap        {@code H − h̃}
     * @param pull       {@code z ⊙ (H − h̃)}
     * @param h          the new hidden state {@code h̃ + z ⊙ (H − h̃) = z ⊙ H + (1 − z) ⊙ h̃}
     */
    public record Step(int t, String inputs, String targets, Tensor x, Tensor hPrev, Terms update, Terms reset,
            Tensor resetState, Terms candidate, Tensor gap, Tensor pull, Tensor h, Output output) {
    }

    /** One minibatch: its sequences, their one-hot encoding {@code [B, T, V]}, and its steps. */
    public record Batch(int index, List<String> inputs, List<String> targets, Tensor oneHot, List<Step> steps) {
    }

    /** The whole walkthrough: the weights used (by the library's names) and every batch. */
    public record Result(long seed, Map<String, Tensor> weights, List<Batch> batches) {
    }

    private GruWalkthrough() {
    }

    /** Runs the walkthrough with weights initialised from {@code seed} (the cell's, then the output layer's). */
    public static Result run(long seed) {
        Rng rng = Rng.seeded(seed);
        GRUCell cell = GRUCell.create(VOCAB, HIDDEN, true, DType.F64, rng);
        Linear out = new Linear(HIDDEN, VOCAB, true, DType.F64, rng);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        cell.stateDict().forEach((k, v) -> weights.put(k, v));
        out.stateDict().forEach((k, v) -> weights.put("output." + k, v));

        int[] corpus = new int[TEXT.length()];
        for (int i = 0; i < corpus.length; i++) {
            corpus[i] = DICTIONARY.indexOf(TEXT.charAt(i));
        }
        List<Minibatch> minibatches = Partitioning.sequentialAt(corpus, BATCH, STEPS, 0);
        Variable h = cell.initialState(BATCH, DType.F64).h();
        List<Batch> batches = new ArrayList<>();
        for (int k = 0; k < minibatches.size(); k++) {
            Minibatch mb = minibatches.get(k);
            List<Step> steps = new ArrayList<>();
            for (int t = 0; t < STEPS; t++) {
                Step s = step(cell, out, mb, t, h);
                steps.add(s);
                h = Variable.constant(s.h());
            }
            int[] flat = new int[BATCH * STEPS];
            for (int b = 0; b < BATCH; b++) {
                System.arraycopy(mb.inputs()[b], 0, flat, b * STEPS, STEPS);
            }
            Tensor oneHot = Tensor.oneHot(DType.F64, flat, VOCAB, BATCH, STEPS);
            batches.add(new Batch(k + 1, rows(mb.inputs()), rows(mb.targets()), oneHot, steps));
        }
        return new Result(seed, weights, batches);
    }

    private static Step step(GRUCell cell, Linear out, Minibatch mb, int t, Variable h) {
        int[] idx = mb.inputsAt(t);
        Variable x = Variable.constant(Tensor.oneHot(DType.F64, idx, VOCAB, BATCH));
        Map<String, dev.jgrad.nn.Parameter> p = cell.parameters();
        GRU.Activations a = cell.activations(x, h);
        // Summed in the cell's own order, x·W + (h·W + b), so the shown sum is bit-identical to the cell's.
        Terms update = terms(x, h, p.get("W_xz").variable(), p.get("W_hz").variable(), p.get("b_z").variable(), a.z(), "update gate z");
        Terms reset = terms(x, h, p.get("W_xr").variable(), p.get("W_hr").variable(), p.get("b_r").variable(), a.r(), "reset gate r");
        Variable rh = a.r().times(h);
        Terms candidate = terms(x, rh, p.get("W_xh").variable(), p.get("W_hh").variable(), p.get("b_h").variable(), a.hTilde(), "candidate h~");
        // The cell computes h' as h~ + z * (h - h~) (lerp), so the shown terms are those, bit for bit.
        Variable gap = h.minus(a.hTilde());
        Variable pull = a.z().times(gap);
        State next = cell.step(x, State.of(h));
        Variable hNew = next.h();
        requireSame(a.hTilde().plus(pull).value(), hNew.value(), "new hidden state h");

        Variable logits = out.forward(hNew);
        Variable product = hNew.matmul(out.weight().variable(), false, true);
        Variable max = logits.max(true, 1);
        Variable shifted = logits.minus(max);
        Variable exps = shifted.exp();
        Variable sums = exps.sum(true, 1);
        Variable probs = logits.softmax(1);
        Output o = new Output(product.value(), out.bias().value(), logits.value(), max.value(), shifted.value(),
                exps.value(), sums.value(), probs.value());
        return new Step(t + 1, column(mb.inputs(), t), column(mb.targets(), t), x.value(), h.value(), update, reset,
                rh.value(), candidate, gap.value(), pull.value(), hNew.value(), o);
    }

    private static Terms terms(Variable x, Variable h, Variable wx, Variable wh, Variable b, Variable activation, String what) {
        Variable xw = x.matmul(wx);
        Variable hw = h.matmul(wh);
        Variable sum = xw.plus(hw.plus(b));
        Variable act = what.startsWith("candidate") ? sum.tanh() : sum.sigmoid();
        requireSame(act.value(), activation.value(), what);
        return new Terms(xw.value(), hw.value(), b.value(), sum.value(), activation.value());
    }

    // The printout must be the cell's computation: a mismatch means the walkthrough no longer mirrors the cell.
    private static void requireSame(Tensor shown, Tensor library, String what) {
        if (shown.maxAbsDiff(library) != 0) {
            throw new IllegalStateException("walkthrough: the shown " + what + " " + shown.shape()
                    + " differs from the library's by " + shown.maxAbsDiff(library));
        }
    }

    private static List<String> rows(int[][] indices) {
        List<String> out = new ArrayList<>();
        for (int[] row : indices) {
            StringBuilder sb = new StringBuilder();
            for (int i : row) {
                sb.append(DICTIONARY.charAt(i));
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static String column(int[][] indices, int t) {
        StringBuilder sb = new StringBuilder();
        for (int[] row : indices) {
            sb.append(DICTIONARY.charAt(row[t]));
        }
        return sb.toString();
    }
}
