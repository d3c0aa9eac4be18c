package dev.jgrad.examples.walkthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Batch;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Result;
import dev.jgrad.examples.walkthrough.GruWalkthrough.Step;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Recomputes every quantity the walkthrough prints with plain double loops from the same weights
 * (no library op involved), and pins the shapes and the batch layout.
 */
class GruWalkthroughTest {
    private static final double TOL = 1e-12;

    @Test
    void layoutMatchesTheTutorial() {
        Result r = GruWalkthrough.run(42);
        assertEquals(2, r.batches().size(), "16 characters, batch 2, steps 3: two minibatches");
        Batch first = r.batches().get(0);
        assertEquals(List.of("Mat", "hMa"), first.inputs());
        assertEquals(List.of("ath", "Mat"), first.targets());
        assertEquals(List.of("hMa", "thM"), r.batches().get(1).inputs(), "each row continues the previous batch's row");
        assertEquals(Shape.of(2, 3, 4), first.oneHot().shape());
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 3; t++) {
                int idx = GruWalkthrough.DICTIONARY.indexOf(first.inputs().get(b).charAt(t));
                for (int c = 0; c < 4; c++) {
                    assertEquals(c == idx ? 1.0 : 0.0, first.oneHot().get(b, t, c), "one-hot of sequence " + b + " step " + t);
                    assertEquals(first.oneHot().get(b, t, c), first.steps().get(t).x().get(b, c), "X_t is the batch's step-t slice");
                }
            }
        }
        Step s = first.steps().get(0);
        assertEquals(Shape.of(2, 4), s.x().shape());
        assertEquals(Shape.of(2, 2), s.hPrev().shape());
        assertEquals(Shape.of(2, 2), s.update().inputTerm().shape());
        assertEquals(Shape.of(2, 2), s.update().hiddenTerm().shape());
        assertEquals(Shape.of(2), s.update().bias().shape());
        assertEquals(Shape.of(2, 4), s.output().logits().shape());
        assertEquals(Shape.of(2, 1), s.output().max().shape());
        assertEquals(Shape.of(2, 1), s.output().sums().shape());
        assertEquals(Shape.of(4, 2), r.weights().get("W_xz").shape());
        assertEquals(Shape.of(4, 2), r.weights().get("output.weight").shape());
        // One-hot of 'M' (3) and 'h' (0).
        assertEquals(1.0, s.x().get(0, 3));
        assertEquals(1.0, s.x().get(1, 0));
        assertEquals(2.0, sum(s.x()));
    }

    @Property(tries = 10)
    void everyPrintedQuantityMatchesPlainArithmetic(@ForAll long seed) {
        Result r = GruWalkthrough.run(seed);
        Map<String, Tensor> w = r.weights();
        double[][] h = new double[2][2];
        for (Batch b : r.batches()) {
            for (Step s : b.steps()) {
                double[][] x = rows(s.x());
                check(h, s.hPrev(), "incoming state, batch " + b.index() + " step " + s.t());
                double[][] xz = mm(x, rows(w.get("W_xz")));
                double[][] hz = mm(h, rows(w.get("W_hz")));
                double[][] z = apply(add(xz, hz, w.get("b_z")), v -> 1 / (1 + Math.exp(-v)));
                check(xz, s.update().inputTerm(), "X W_xz");
                check(hz, s.update().hiddenTerm(), "H W_hz");
                check(add(xz, hz, w.get("b_z")), s.update().sum(), "z sum");
                check(z, s.update().activation(), "z");
                double[][] xr = mm(x, rows(w.get("W_xr")));
                double[][] hr = mm(h, rows(w.get("W_hr")));
                double[][] rg = apply(add(xr, hr, w.get("b_r")), v -> 1 / (1 + Math.exp(-v)));
                check(xr, s.reset().inputTerm(), "X W_xr");
                check(hr, s.reset().hiddenTerm(), "H W_hr");
                check(rg, s.reset().activation(), "r");
                double[][] rh = new double[2][2];
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        rh[i][j] = rg[i][j] * h[i][j];
                    }
                }
                check(rh, s.resetState(), "R * H");
                double[][] xh = mm(x, rows(w.get("W_xh")));
                double[][] rhh = mm(rh, rows(w.get("W_hh")));
                double[][] ht = apply(add(xh, rhh, w.get("b_h")), Math::tanh);
                check(xh, s.candidate().inputTerm(), "X W_xh");
                check(rhh, s.candidate().hiddenTerm(), "(R * H) W_hh");
                check(ht, s.candidate().activation(), "h~");
                double[][] hn = new double[2][2];
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        hn[i][j] = z[i][j] * h[i][j] + (1 - z[i][j]) * ht[i][j];
                    }
                }
                check(hn, s.h(), "new H");
                // Output layer y = H W_qᵀ + b_q and the softmax, step by step.
                double[][] wq = rows(w.get("output.weight"));
                double[] bq = w.get("output.bias").toDoubleArray();
                for (int i = 0; i < 2; i++) {
                    double[] logits = new double[4];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = 0; k < 4; k++) {
                        logits[k] = hn[i][0] * wq[k][0] + hn[i][1] * wq[k][1] + bq[k];
                        max = Math.max(max, logits[k]);
                    }
                    double total = 0;
                    for (int k = 0; k < 4; k++) {
                        total += Math.exp(logits[k] - max);
                    }
                    assertEquals(max, s.output().max().get(i, 0), TOL, "row max");
                    assertEquals(total, s.output().sums().get(i, 0), TOL, "sum of exps");
                    for (int k = 0; k < 4; k++) {
                        assertEquals(logits[k], s.output().logits().get(i, k), TOL, "logit");
                        assertEquals(logits[k] - bq[k], s.output().product().get(i, k), TOL, "H W_q^T");
                        assertEquals(logits[k] - max, s.output().shifted().get(i, k), TOL, "shifted");
                        assertEquals(Math.exp(logits[k] - max), s.output().exps().get(i, k), TOL, "exp");
                        assertEquals(Math.exp(logits[k] - max) / total, s.output().probs().get(i, k), TOL, "probability");
                    }
                }
                h = hn;
            }
        }
    }

    @Test
    void commandPrintsTheSameNumbersForTheSameSeedAndOthersForAnother() {
        String a = run("walkthrough", "--seed", "7");
        assertEquals(a, run("walkthrough", "--seed", "7"));
        assertNotEquals(a, run("walkthrough", "--seed", "8"));
        for (String expected : List.of("Update gate z:", "Reset gate r:", "Candidate state:", "New hidden state:",
                "O - max", "exp(O - max)", "X_1 (one-hot)  [2, 4]", "One-hot batch X  [2, 3, 4]", "H_3 is this batch's final state", "=== Batch 2")) {
            assertTrue(a.contains(expected), "output has " + expected);
        }
    }

    private static String run(String... args) {
        return Cli.run(args).expect(0).out();
    }

    private static void check(double[][] expected, Tensor actual, String what) {
        int cols = actual.shape().dim(actual.rank() - 1);
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], actual.at(i * cols + j), TOL, what + " [" + i + ", " + j + "]");
            }
        }
    }

    private static double[][] rows(Tensor t) {
        int r = t.shape().dim(0);
        int c = t.shape().dim(1);
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                out[i][j] = t.get(i, j);
            }
        }
        return out;
    }

    private static double[][] mm(double[][] a, double[][] b) {
        double[][] out = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                for (int k = 0; k < b.length; k++) {
                    out[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return out;
    }

    private static double[][] add(double[][] a, double[][] b, Tensor bias) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] + b[i][j] + bias.at(j);
            }
        }
        return out;
    }

    private static double[][] apply(double[][] a, java.util.function.DoubleUnaryOperator f) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = f.applyAsDouble(a[i][j]);
            }
        }
        return out;
    }

    private static double sum(Tensor t) {
        double s = 0;
        for (int i = 0; i < t.size(); i++) {
            s += t.at(i);
        }
        return s;
    }
}
