package dev.jgrad.nn.cell;

import static dev.jgrad.nn.cell.GruReference.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.Jacobian;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.GRU.Variant;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The GRU's recurrence Jacobian {@code J[i, j] = ∂h_t[i]/∂h_{t−1}[j]} (column convention), computed
 * by the tape with {@link Jacobian} for batch 1, against hand-derived forms for both variants.
 *
 * <p><b>RESET_BEFORE (Cho / d2l)</b>, weights in the row-vector layout {@code x·W}, so a weight
 * enters the column-convention Jacobian transposed (GUIDE.md):
 * <pre>
 * ∂h'/∂h = diag(z) + diag(1 − z)·∂h̃/∂h + diag(h − h̃)·∂z/∂h
 * ∂z/∂h  = diag(z ⊙ (1 − z))·W_hzᵀ      ∂r/∂h = diag(r ⊙ (1 − r))·W_hrᵀ
 * ∂h̃/∂h  = diag(1 − h̃²)·W_hhᵀ·(diag(r) + diag(h)·∂r/∂h)
 * </pre>
 * <p><b>RESET_AFTER (PyTorch)</b>, weights {@code W_hr, W_hz, W_hn} the gate blocks of
 * {@code weight_hh} in the layout {@code W·h}, so they enter untransposed. With
 * {@code n = tanh(a)}, {@code a = W_in x + b_in + r ⊙ q}, {@code q = W_hn h + b_hn}: the product rule
 * on {@code r ⊙ q} gives {@code ∂a/∂h = diag(r)·W_hn + diag(q)·∂r/∂h}, and tanh's derivative
 * {@code 1 − n²} gives
 * <pre>
 * ∂r/∂h  = diag(r ⊙ (1 − r))·W_hr       ∂z/∂h = diag(z ⊙ (1 − z))·W_hz
 * ∂n/∂h  = diag(1 − n²)·(diag(r)·W_hn + diag(W_hn h + b_hn)·∂r/∂h)
 * ∂h'/∂h = diag(z) + diag(1 − z)·∂n/∂h + diag(h − n)·∂z/∂h
 * </pre>
 * (the last line is the product rule on {@code (1 − z) ⊙ n + z ⊙ h}: the {@code ∂z/∂h} terms are
 * {@code −n + h}).
 *
 * <p><b>Gates held fixed</b> (frozen at their values for the given {@code h}), the {@code ∂z/∂h} and
 * {@code ∂r/∂h} terms vanish, leaving the popular short form
 * {@code diag(z) + diag(1 − z)·∂h̃/∂h|_{r fixed}} with {@code ∂h̃/∂h|_{r} = diag(1 − h̃²)·W_hhᵀ·diag(r)}
 * (Cho) or {@code diag(1 − n²)·diag(r)·W_hn} (PyTorch). It is not the Jacobian of the live cell; a
 * property below shows they differ.
 *
 * <p><b>Limits</b>, reached with gate biases of ±50 ({@code σ(50) = 1} in float64):
 * {@code z → 1} gives the identity for both variants (the state is copied); {@code z → 0, r → 0}
 * gives 0 for both (Cho: the candidate sees {@code r ⊙ h = 0}; PyTorch: it sees {@code r ⊙ q = 0};
 * and {@code ∂r/∂h, ∂z/∂h → 0} because the sigmoids saturate); {@code z → 0, r → 1} gives
 * {@code diag(1 − h̃²)·W_hhᵀ} (Cho) and {@code diag(1 − n²)·W_hn} (PyTorch), a plain tanh RNN.
 */
class GruRecurrenceJacobianProperties {
    private static final int I = 3;

    /** A cell with weights N(0, 0.7²), larger than the default init so every term of the Jacobian matters. */
    private static GRU cell(Variant v, int hidden, Rng rng) {
        GRU c = v.create(I, hidden, true, DType.F64, rng);
        for (Parameter p : c.parameters().values()) {
            p.set(Tensor.randn(rng, DType.F64, 0.7, p.value().shape().dims()));
        }
        return c;
    }

    private static Tensor tapeJacobian(GRU cell, Tensor x, Tensor h, boolean gatesFixed) {
        int hs = h.size();
        Variable xv = Variable.constant(x);
        GRU stepped = gatesFixed ? gatesFrozenAt(cell, h) : cell;
        Tensor j = Jacobian.of(hv -> stepped.step(xv, State.of(hv)).h(), h);
        return j.reshape(hs, hs);
    }

    /**
     * A copy of the cell whose gates do not see the state: each gate's hidden weights are zero and
     * their term at {@code h0 [1, H]} is folded into the gate's bias, so z and r keep their values at
     * {@code h0} while the candidate still depends on h. Its tape Jacobian at {@code h0} is the
     * original's with the gates held fixed.
     */
    private static GRU gatesFrozenAt(GRU cell, Tensor h0) {
        int hs = cell.hiddenSize();
        Variable h = Variable.constant(h0);
        Map<String, Tensor> w = new LinkedHashMap<>(cell.stateDict());
        if (cell.variant() == Variant.RESET_BEFORE) {
            for (String g : List.of("z", "r")) {
                Variable bias = h.matmul(Variable.constant(w.get("W_h" + g))).reshape(hs).plus(Variable.constant(w.get("b_" + g)));
                w.put("b_" + g, bias.value());
                w.put("W_h" + g, Tensor.zeros(DType.F64, hs, hs));
            }
        } else {
            // The r and z blocks are rows [0, 2H) of weight_hh and entries [0, 2H) of bias_hh.
            Tensor gh = h.matmul(Variable.constant(w.get("weight_hh")), false, true).reshape(3 * hs)
                    .plus(Variable.constant(w.get("bias_hh"))).value();
            double[] bias = w.get("bias_hh").toDoubleArray();
            double[] weight = w.get("weight_hh").toDoubleArray();
            for (int i = 0; i < 2 * hs; i++) {
                bias[i] = gh.at(i);
            }
            Arrays.fill(weight, 0, 2 * hs * hs, 0.0);
            w.put("bias_hh", Tensor.of(bias, 3 * hs));
            w.put("weight_hh", Tensor.of(weight, 3 * hs, hs));
        }
        GRU frozen = cell.variant().create(cell.inputSize(), hs, true, DType.F64, Rng.seeded(0));
        frozen.loadStateDict(w);
        return frozen;
    }

    private static Map<String, Tensor> weights(GRU c) {
        return c.stateDict();
    }

    /** The full hand-derived Jacobian (class Javadoc). */
    private static double[][] liveForm(GRU cell, double[] x, double[] h) {
        Step s = GruReference.step(cell.variant(), weights(cell), x, h);
        int hs = h.length;
        double[] zz = map(s.z(), s.z(), (z, u) -> z * (1 - z));
        double[] rr = map(s.r(), s.r(), (r, u) -> r * (1 - r));
        double[] oneMinusC2 = map(s.candidate(), s.candidate(), (c, u) -> 1 - c * c);
        double[] oneMinusZ = map(s.z(), s.z(), (z, u) -> 1 - z);
        double[] hMinusC = map(h, s.candidate(), (a, b) -> a - b);
        double[][] dz;
        double[][] dc;
        if (cell.variant() == Variant.RESET_BEFORE) {
            dz = diagMul(zz, transpose(matrix(weights(cell).get("W_hz"))));
            double[][] dr = diagMul(rr, transpose(matrix(weights(cell).get("W_hr"))));
            dc = diagMul(oneMinusC2, mul(transpose(matrix(weights(cell).get("W_hh"))), add(diag(s.r()), diagMul(h, dr))));
        } else {
            double[][] whh = matrix(weights(cell).get("weight_hh"));
            double[][] dr = diagMul(rr, rows(whh, 0, hs));
            dz = diagMul(zz, rows(whh, hs, 2 * hs));
            double[][] wn = rows(whh, 2 * hs, 3 * hs);
            dc = diagMul(oneMinusC2, add(diagMul(s.r(), wn), diagMul(s.hiddenProj(), dr)));
        }
        return add(diag(s.z()), diagMul(oneMinusZ, dc), diagMul(hMinusC, dz));
    }

    /** The short form with the gates held fixed (class Javadoc). */
    private static double[][] fixedGateForm(GRU cell, double[] x, double[] h) {
        Step s = GruReference.step(cell.variant(), weights(cell), x, h);
        int hs = h.length;
        double[] oneMinusC2 = map(s.candidate(), s.candidate(), (c, u) -> 1 - c * c);
        double[] oneMinusZ = map(s.z(), s.z(), (z, u) -> 1 - z);
        double[][] dc = cell.variant() == Variant.RESET_BEFORE
                ? diagMul(oneMinusC2, mul(transpose(matrix(weights(cell).get("W_hh"))), diag(s.r())))
                : diagMul(oneMinusC2, diagMul(s.r(), rows(matrix(weights(cell).get("weight_hh")), 2 * hs, 3 * hs)));
        return add(diag(s.z()), diagMul(oneMinusZ, dc));
    }

    private record Point(GRU cell, Tensor x, Tensor h) {
        double[] xs() {
            return x.toDoubleArray();
        }

        double[] hs() {
            return h.toDoubleArray();
        }
    }

    private static Point point(Variant v, int hidden, long seed) {
        Rng rng = Rng.seeded(seed);
        GRU c = cell(v, hidden, rng);
        return new Point(c, Tensor.randn(rng, DType.F64, 1.0, 1, I), Tensor.uniform(rng, DType.F64, -0.9, 0.9, 1, hidden));
    }

    @Property(tries = 30)
    void stepMatchesTheEquationsWrittenWithLoops(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden, @ForAll long seed) {
        Point p = point(v, hidden, seed);
        Tensor tape = p.cell().step(Variable.constant(p.x()), State.of(Variable.constant(p.h()))).h().value();
        double[] ref = GruReference.step(v, weights(p.cell()), p.xs(), p.hs()).hNext();
        for (int i = 0; i < hidden; i++) {
            assertEquals(ref[i], tape.at(i), 1e-14);
        }
    }

    @Property(tries = 30)
    void withGatesHeldFixedTheTapeJacobianIsTheShortForm(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden,
            @ForAll long seed) {
        Point p = point(v, hidden, seed);
        Tensor j = tapeJacobian(p.cell(), p.x(), p.h(), true);
        assertTrue(maxAbsDiff(fixedGateForm(p.cell(), p.xs(), p.hs()), j) <= 1e-10, j.toString());
    }

    @Property(tries = 30)
    void withLiveGatesTheTapeJacobianIsTheFullForm(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden,
            @ForAll long seed) {
        Point p = point(v, hidden, seed);
        Tensor j = tapeJacobian(p.cell(), p.x(), p.h(), false);
        assertTrue(maxAbsDiff(liveForm(p.cell(), p.xs(), p.hs()), j) <= 1e-10, j.toString());
        // The tape's own Jacobian agrees with finite differences too, so the hand form is not checked against itself.
        Tensor numeric = Jacobian.numeric(hv -> p.cell().step(Variable.constant(p.x()), State.of(hv)).h(), p.h(), 1e-6)
                .reshape(hidden, hidden);
        assertTrue(j.allClose(numeric, 1e-6, 1e-8), numeric + " vs " + j);
    }

    /** The short form is a different matrix: loosening a tolerance to make it "pass" against the live Jacobian would hide this. */
    @Property(tries = 30)
    void theShortFormIsNotTheLiveJacobian(@ForAll Variant v, @ForAll @IntRange(min = 2, max = 6) int hidden, @ForAll long seed) {
        Point p = point(v, hidden, seed);
        Tensor live = tapeJacobian(p.cell(), p.x(), p.h(), false);
        double gap = maxAbsDiff(fixedGateForm(p.cell(), p.xs(), p.hs()), live);
        assertTrue(gap > 1e-6, "short form equals the live Jacobian to " + gap);
    }

    /** Sets the gate biases: Cho {@code b_z, b_r}; PyTorch the z and r blocks of {@code bias_ih} (and zeros them in {@code bias_hh}). */
    private static void setGateBiases(GRU c, double bz, double br) {
        int hs = c.hiddenSize();
        Map<String, Parameter> ps = c.parameters();
        if (c.variant() == Variant.RESET_BEFORE) {
            ps.get("b_z").set(Tensor.full(DType.F64, bz, hs));
            ps.get("b_r").set(Tensor.full(DType.F64, br, hs));
            return;
        }
        double[] bih = ps.get("bias_ih").value().toDoubleArray();
        double[] bhh = ps.get("bias_hh").value().toDoubleArray();
        for (int i = 0; i < hs; i++) {
            bih[i] = br;
            bih[hs + i] = bz;
            bhh[i] = 0;
            bhh[hs + i] = 0;
        }
        ps.get("bias_ih").set(Tensor.of(bih, 3 * hs));
        ps.get("bias_hh").set(Tensor.of(bhh, 3 * hs));
    }

    @Property(tries = 20)
    void updateGateSaturatedOpenGivesTheIdentity(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden,
            @ForAll long seed) {
        Point p = point(v, hidden, seed);
        setGateBiases(p.cell(), 50, 0);
        Tensor j = tapeJacobian(p.cell(), p.x(), p.h(), false);
        assertTrue(maxAbsDiff(diag(Tensor.ones(DType.F64, hidden).toDoubleArray()), j) <= 1e-12, j.toString());
    }

    @Property(tries = 20)
    void updateGateClosedAndResetClosedCutsTheRecurrence(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden,
            @ForAll long seed) {
        Point p = point(v, hidden, seed);
        setGateBiases(p.cell(), -50, -50);
        Tensor j = tapeJacobian(p.cell(), p.x(), p.h(), false);
        assertTrue(maxAbsDiff(new double[hidden][hidden], j) <= 1e-12, j.toString());
    }

    @Property(tries = 20)
    void updateGateClosedAndResetOpenLeavesAPlainTanhRecurrence(@ForAll Variant v, @ForAll @IntRange(min = 1, max = 6) int hidden,
            @ForAll long seed) {
        Point p = point(v, hidden, seed);
        setGateBiases(p.cell(), -50, 50);
        Step s = GruReference.step(v, weights(p.cell()), p.xs(), p.hs());
        double[] oneMinusC2 = map(s.candidate(), s.candidate(), (c, u) -> 1 - c * c);
        double[][] expected = v == Variant.RESET_BEFORE
                ? diagMul(oneMinusC2, transpose(matrix(weights(p.cell()).get("W_hh"))))
                : diagMul(oneMinusC2, rows(matrix(weights(p.cell()).get("weight_hh")), 2 * hidden, 3 * hidden));
        Tensor j = tapeJacobian(p.cell(), p.x(), p.h(), false);
        assertTrue(maxAbsDiff(expected, j) <= 1e-12, j.toString());
    }
}
