package dev.jgrad.examples.walkthrough;

import dev.jgrad.examples.walkthrough.GruWalkthrough.Batch;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Result;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Step;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Terms;
import dev.jgrad.tensor.Tensor;
import java.io.PrintWriter;
import java.util.Locale;

/** Prints a {@link GruWalkthrough.Result} as matrices with their shapes. */
final class WalkthroughPrinter {
    private final PrintWriter out;

    WalkthroughPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(Result r) {
        out.println("GRU walkthrough (Cho / d2l variant RESET_BEFORE), seed " + r.seed());
        out.println("text \"" + GruWalkthrough.TEXT + "\", dictionary {'h': 0, 'a': 1, 't': 2, 'M': 3}");
        out.println("batch size " + GruWalkthrough.BATCH + ", sequence length " + GruWalkthrough.STEPS + ", vocabulary "
                + GruWalkthrough.VOCAB + ", hidden size " + GruWalkthrough.HIDDEN + ", output size " + GruWalkthrough.VOCAB);
        out.println();
        out.println("Equations (row-vector convention, one row per sequence of the batch):");
        out.println("  Z_t  = sigmoid(X_t W_xz + H_{t-1} W_hz + b_z)            update gate");
        out.println("  R_t  = sigmoid(X_t W_xr + H_{t-1} W_hr + b_r)            reset gate");
        out.println("  H~_t = tanh(X_t W_xh + (R_t * H_{t-1}) W_hh + b_h)       candidate state");
        out.println("  H_t  = Z_t * H_{t-1} + (1 - Z_t) * H~_t                  new hidden state");
        out.println("  O_t  = H_t W_q^T + b_q,  P_t = softmax(O_t)              output layer");
        out.println();
        out.println("Weights (initialised U(-1/sqrt(H), 1/sqrt(H)) from the seed):");
        r.weights().forEach((name, w) -> matrix(name, w));
        for (Batch b : r.batches()) {
            out.println();
            out.println("=== Batch " + b.index() + ": inputs " + b.inputs() + ", targets " + b.targets()
                    + " (row b of this batch continues row b of the previous one)");
            out.println("One-hot batch X  " + b.oneHot().shape() + "  [batch, time step, vocabulary]; X_t below is its slice at step t:");
            int t = GruWalkthrough.STEPS;
            int v = GruWalkthrough.VOCAB;
            for (int seq = 0; seq < GruWalkthrough.BATCH; seq++) {
                out.println("  sequence " + (seq + 1) + " \"" + b.inputs().get(seq) + "\"  [" + t + ", " + v + "]");
                for (int step = 0; step < t; step++) {
                    StringBuilder sb = new StringBuilder("      [");
                    for (int c = 0; c < v; c++) {
                        sb.append(String.format(Locale.ROOT, " %9.5f", b.oneHot().get(seq, step, c)));
                    }
                    out.println(sb.append(" ]  '").append(b.inputs().get(seq).charAt(step)).append('\''));
                }
            }
            for (Step s : b.steps()) {
                out.println();
                out.println("--- Batch " + b.index() + ", time step " + s.t() + ": input characters " + chars(s.inputs())
                        + " -> targets " + chars(s.targets()));
                matrix("X_" + s.t() + " (one-hot)", s.x());
                matrix("H_" + (s.t() - 1) + (s.t() == 1 ? (b.index() == 1 ? " (zeros: the first batch starts from nothing)"
                        : " (the last hidden state of batch " + (b.index() - 1) + ", carried over, detached)")
                        : " (the previous step's hidden state)"), s.hPrev());
                gate("Update gate", "z", s.update(), "X W_xz", "H W_hz", "sigmoid");
                gate("Reset gate", "r", s.reset(), "X W_xr", "H W_hr", "sigmoid");
                out.println("Candidate state:");
                matrix("  R * H (reset applied before the hidden matmul)", s.resetState());
                gate(null, "h~", s.candidate(), "X W_xh", "(R * H) W_hh", "tanh");
                out.println("New hidden state:");
                matrix("  H - H~", s.gap());
                matrix("  Z * (H - H~)", s.pull());
                matrix("  H_" + s.t() + " = H~ + Z * (H - H~), which is Z * H + (1 - Z) * H~", s.h());
                out.println("Output layer and softmax (max trick: subtract each row's max before exp, so exp never overflows):");
                GruWalkthrough.Output o = s.output();
                matrix("  H W_q^T", o.product());
                matrix("  b_q", o.bias());
                matrix("  O = H W_q^T + b_q (logits)", o.logits());
                matrix("  max of each row", o.max());
                matrix("  O - max", o.shifted());
                matrix("  exp(O - max)", o.exps());
                matrix("  sum of each row", o.sums());
                matrix("  P = exp(O - max) / sum (probabilities over h, a, t, M)", o.probs());
                out.println("  predicted: " + chars(argmax(o.probs())) + ", target: " + chars(s.targets()));
                if (s.t() < GruWalkthrough.STEPS) {
                    out.println("H_" + s.t() + " becomes the incoming state of time step " + (s.t() + 1) + ".");
                } else {
                    out.println("H_" + s.t() + " is this batch's final state; it is the initial state of the next batch"
                            + " (detached: no gradient flows back across batches).");
                }
            }
        }
        out.flush();
    }

    private void gate(String title, String name, Terms g, String xTerm, String hTerm, String act) {
        if (title != null) {
            out.println(title + " " + name + ":");
        }
        String suffix = name.equals("h~") ? "h" : name;
        matrix("  " + xTerm, g.inputTerm());
        matrix("  " + hTerm, g.hiddenTerm());
        matrix("  b_" + suffix, g.bias());
        matrix("  sum", g.sum());
        matrix("  " + name + " = " + act + "(sum)", g.activation());
    }

    private void matrix(String label, Tensor t) {
        out.println(label + "  " + t.shape());
        int cols = t.rank() == 0 ? 1 : t.shape().dim(t.rank() - 1);
        int rows = t.size() / Math.max(cols, 1);
        for (int i = 0; i < rows; i++) {
            StringBuilder sb = new StringBuilder("      [");
            for (int j = 0; j < cols; j++) {
                sb.append(String.format(Locale.ROOT, " %9.5f", t.at(i * cols + j)));
            }
            out.println(sb.append(" ]"));
        }
    }

    private static String argmax(Tensor p) {
        int cols = p.shape().dim(1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.shape().dim(0); i++) {
            int best = 0;
            for (int j = 1; j < cols; j++) {
                if (p.get(i, j) > p.get(i, best)) {
                    best = j;
                }
            }
            sb.append(GruWalkthrough.DICTIONARY.charAt(best));
        }
        return sb.toString();
    }

    private static String chars(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            sb.append(i == 0 ? "" : ", ").append('\'').append(s.charAt(i)).append('\'');
        }
        return sb.toString();
    }
}
