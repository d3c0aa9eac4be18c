package dev.jgrad.examples.bench;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A character-level language model whose recurrent cell is written from its forward equations on
 * {@link Variable}, so the benchmark measures the core (kernels, tape, backward) and nothing else:
 * one-hot inputs (read as rows of the input weights, the same product as {@code onehot(x)·W_x}),
 * one recurrent layer, an output projection {@code H·W_q + b_q} over all time steps, mean softmax
 * cross-entropy, backward through time, global-norm gradient clipping and plain SGD — the d2l
 * training step. The tape does the whole backward; no cell has a hand-written derivative.
 */
final class EquationLanguageModel {
    /** The recurrent cells, each defined by its published equations (row-vector convention {@code x·W}). */
    enum Cell {
        /** Cho / d2l: reset before the hidden matmul, {@code h̃ = tanh(x·W_xh + (r⊙h)·W_hh + b_h)}. */
        GRU("gru", "z", "r", "h"),
        /** PyTorch nn.GRU: reset after it, {@code n = tanh(x·W_in + b_in + r⊙(h·W_hn + b_hn))}. */
        GRU_RESET_AFTER("gru-reset-after", "r", "z", "n"),
        /** {@code c' = f⊙c + i⊙tanh(·)}, {@code h' = o⊙tanh(c')}. */
        LSTM("lstm", "i", "f", "o", "c"),
        /** Elman: {@code h' = tanh(x·W_xh + h·W_hh + b_h)}. */
        RNN("rnn", "h");

        final String label;
        final List<String> gates;

        Cell(String label, String... gates) {
            this.label = label;
            this.gates = List.of(gates);
        }

        static Cell named(String label) {
            for (Cell c : values()) {
                if (c.label.equals(label)) return c;
            }
            throw new IllegalArgumentException("bench: unknown cell '" + label + "'; known: gru, gru-reset-after, lstm, rnn");
        }
    }

    private final Cell cell;
    private final BenchConfig config;
    /** Current parameter values by name; replaced (never mutated) by each SGD step. */
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    /** Ops the last step recorded on its tape (the forward pass), for per-op cost figures. */
    private int recordedOps;

    EquationLanguageModel(Cell cell, BenchConfig config, DType dtype, Rng rng) {
        this.cell = cell;
        this.config = config;
        int v = config.vocab();
        int h = config.hidden();
        double bound = 1 / Math.sqrt(h);
        for (String g : cell.gates) {
            params.put("x_" + g, Tensor.uniform(rng, dtype, -bound, bound, v, h));
            params.put("h_" + g, Tensor.uniform(rng, dtype, -bound, bound, h, h));
            params.put("b_" + g, Tensor.zeros(dtype, h));
            if (cell == Cell.GRU_RESET_AFTER) params.put("bh_" + g, Tensor.zeros(dtype, h));
        }
        params.put("w_q", Tensor.uniform(rng, dtype, -bound, bound, h, v));
        params.put("b_q", Tensor.zeros(dtype, v));
    }

    int recordedOps() {
        return recordedOps;
    }

    Map<String, Tensor> parameters() {
        return params;
    }

    /**
     * One full training step on {@code inputs[t][b]} (the token of sequence b at time t) predicting
     * {@code targets[t·B + b]}; returns the loss before the update.
     */
    double trainStep(int[][] inputs, int[] targets, double lr, double maxNorm) {
        Map<String, Variable> p = new LinkedHashMap<>();
        params.forEach((k, t) -> p.put(k, Variable.leaf(k, t)));
        double loss;
        try (Tape tape = Tape.record()) {
            DType dtype = params.get("w_q").dtype();
            Variable h = Variable.constant(Tensor.zeros(dtype, config.batch(), config.hidden()));
            Variable c = h;
            List<Variable> outs = new ArrayList<>(inputs.length);
            for (int[] tokens : inputs) {
                switch (cell) {
                    case GRU -> {
                        Variable z = gate(p, "z", tokens, h).sigmoid();
                        Variable r = gate(p, "r", tokens, h).sigmoid();
                        Variable hTilde = gate(p, "h", tokens, r.times(h)).tanh();
                        h = z.times(h).plus(z.oneMinus().times(hTilde));
                    }
                    case GRU_RESET_AFTER -> {
                        Variable r = gate(p, "r", tokens, h).plus(p.get("bh_r")).sigmoid();
                        Variable z = gate(p, "z", tokens, h).plus(p.get("bh_z")).sigmoid();
                        Variable hn = h.matmul(p.get("h_n")).plus(p.get("bh_n"));
                        Variable n = input(p, "n", tokens).plus(p.get("b_n")).plus(r.times(hn)).tanh();
                        h = z.oneMinus().times(n).plus(z.times(h));
                    }
                    case LSTM -> {
                        Variable i = gate(p, "i", tokens, h).sigmoid();
                        Variable f = gate(p, "f", tokens, h).sigmoid();
                        Variable o = gate(p, "o", tokens, h).sigmoid();
                        c = f.times(c).plus(i.times(gate(p, "c", tokens, h).tanh()));
                        h = o.times(c.tanh());
                    }
                    case RNN -> h = gate(p, "h", tokens, h).tanh();
                }
                outs.add(h);
            }
            Variable logits = Variable.concat(0, outs).matmul(p.get("w_q")).plus(p.get("b_q"));
            Variable l = logits.crossEntropy(targets);
            loss = l.value().item();
            recordedOps = tape.size();
            l.backward();
        }
        update(p, lr, maxNorm);
        return loss;
    }

    /** {@code onehot(tokens)·W_x + hIn·W_h + b} for gate {@code g}. */
    private static Variable gate(Map<String, Variable> p, String g, int[] tokens, Variable hIn) {
        return input(p, g, tokens).plus(hIn.matmul(p.get("h_" + g))).plus(p.get("b_" + g));
    }

    /** {@code onehot(tokens)·W_x}, computed as the rows of {@code W_x} the one-hot rows select. */
    private static Variable input(Map<String, Variable> p, String g, int[] tokens) {
        return p.get("x_" + g).gather(0, tokens);
    }

    /** Clips all gradients to global norm {@code maxNorm}, then {@code w ← w − lr·g}. */
    private void update(Map<String, Variable> p, double lr, double maxNorm) {
        double sq = 0;
        for (Variable v : p.values()) {
            if (v.grad() == null) continue;
            Tensor g = v.grad();
            sq += Kernels.sum(Kernels.binary(Kernels.Binary.MUL, g, g), allAxes(g), false).item();
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("bench: gradient norm is " + norm + "; refusing to write it into the weights");
        }
        double scale = norm > maxNorm ? maxNorm / norm : 1.0;
        p.forEach((k, v) -> {
            if (v.grad() != null) {
                params.put(k, Kernels.binary(Kernels.Binary.SUB, v.value(), Kernels.affine(v.grad(), lr * scale, 0)));
            }
        });
    }

    private static int[] allAxes(Tensor t) {
        int[] a = new int[t.rank()];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }
}
