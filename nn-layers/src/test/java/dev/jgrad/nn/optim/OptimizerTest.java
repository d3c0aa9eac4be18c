package dev.jgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/** Expected numbers are derived here from the published update rules, not read back from the code. */
class OptimizerTest {

    private static Map<String, Parameter> params(Parameter... ps) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        for (Parameter p : ps) {
            m.put(p.name(), p);
        }
        return m;
    }

    @Test
    void sgdIsParameterMinusLearningRateTimesGradient() {
        Parameter w = new Parameter("w", Tensor.vector(1.0, -2.0));
        Parameter untouched = new Parameter("u", Tensor.vector(3.0));
        Sgd sgd = new Sgd(params(w, untouched), 0.1);
        w.setGrad(Tensor.vector(0.5, 0.25));
        sgd.step();
        assertEquals(1.0 - 0.1 * 0.5, w.value().at(0), 1e-15);
        assertEquals(-2.0 - 0.1 * 0.25, w.value().at(1), 1e-15);
        assertNull(w.grad(), "a step replaces the value with a fresh leaf");
        assertEquals(3.0, untouched.value().at(0), "no gradient, no update");
    }

    @Test
    void sgdMomentumAccumulatesTheVelocity() {
        Parameter w = new Parameter("w", Tensor.vector(1.0));
        Sgd sgd = new Sgd(params(w), 0.1, 0.9);
        w.setGrad(Tensor.vector(0.5));
        sgd.step();
        // First step: b = g = 0.5.
        assertEquals(1.0 - 0.1 * 0.5, w.value().at(0), 1e-15);
        w.setGrad(Tensor.vector(-0.2));
        sgd.step();
        // Second: b = 0.9·0.5 + (−0.2) = 0.25.
        assertEquals(1.0 - 0.05 - 0.1 * 0.25, w.value().at(0), 1e-15);
        assertEquals(0.25, sgd.state().get("momentum_buffer.w").at(0), 1e-15);
    }

    @Test
    void adamTwoStepsByHand() {
        Parameter w = new Parameter("w", Tensor.vector(1.0, -1.0));
        Adam adam = new Adam(params(w), 0.1);
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[] g1 = {0.5, -3.0};
        double[] g2 = {0.1, 2.0};
        w.setGrad(Tensor.vector(g1));
        adam.step();
        w.setGrad(Tensor.vector(g2));
        adam.step();
        for (int i = 0; i < 2; i++) {
            double p = i == 0 ? 1.0 : -1.0;
            double m = (1 - b1) * g1[i];
            double v = (1 - b2) * g1[i] * g1[i];
            p -= 0.1 * (m / (1 - b1)) / (Math.sqrt(v / (1 - b2)) + eps);
            m = b1 * m + (1 - b1) * g2[i];
            v = b2 * v + (1 - b2) * g2[i] * g2[i];
            p -= 0.1 * (m / (1 - b1 * b1)) / (Math.sqrt(v / (1 - b2 * b2)) + eps);
            assertEquals(p, w.value().at(i), 1e-14, "element " + i);
        }
        assertEquals(2.0, adam.state().get("step").item());
        assertEquals(2, adam.steps());
    }

    /** Adam's first step moves every coordinate by almost exactly lr against the gradient's sign, whatever its scale. */
    @Property(tries = 40)
    void adamFirstStepIsLearningRateTimesSign(@ForAll @DoubleRange(min = -1e3, max = 1e3) double g) {
        if (Math.abs(g) < 1e-3) {
            return;
        }
        Parameter w = new Parameter("w", Tensor.vector(0.0));
        Adam adam = new Adam(params(w), 0.01);
        w.setGrad(Tensor.vector(g));
        adam.step();
        assertEquals(-0.01 * Math.signum(g), w.value().at(0), 1e-7);
    }

    /**
     * A parameter larger than the chunks the update works in (a weight of 3·1000 elements), over three
     * steps, in both dtypes: every element, and every buffer element, bit for bit what the published
     * rule gives computed in double one element at a time and rounded once to the parameter's dtype.
     */
    @Property(tries = 12)
    void largeParametersGetTheRuleBitForBitInEveryChunk(@ForAll long seed, @ForAll boolean f32, @ForAll boolean adam) {
        Rng rng = Rng.seeded(seed);
        DType dt = f32 ? DType.F32 : DType.F64;
        int n = 3000;
        Parameter w = new Parameter("w", Tensor.randn(rng, dt, 1, 3, 1000));
        double lr = 0.05;
        double momentum = 0.9;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double decay = 0.01;
        Optimizer opt = adam ? new Adam(params(w), lr, b1, b2, eps, decay) : new Sgd(params(w), lr, momentum);
        double[] p = w.value().toDoubleArray();
        double[] m = new double[n];
        double[] v = new double[n];
        for (int step = 1; step <= 3; step++) {
            Tensor g = Tensor.randn(rng, dt, 1, 3, 1000);
            w.setGrad(g);
            opt.step();
            double[] gd = g.toDoubleArray();
            for (int i = 0; i < n; i++) {
                if (adam) {
                    double gi = gd[i] + decay * p[i];
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    double stepSize = lr / (1 - Math.pow(b1, step));
                    p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, step)) + eps);
                } else {
                    m[i] = step == 1 ? gd[i] : momentum * m[i] + gd[i];
                    p[i] -= lr * m[i];
                }
                p[i] = f32 ? (float) p[i] : p[i];
            }
            double[] got = w.value().toDoubleArray();
            double[] buffer = opt.state().get(adam ? "exp_avg.w" : "momentum_buffer.w").toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(p[i]), Double.doubleToLongBits(got[i]), "step " + step + ", element " + i);
                assertEquals(Double.doubleToLongBits(m[i]), Double.doubleToLongBits(buffer[i]), "step " + step + ", buffer element " + i);
            }
        }
    }

    @Test
    void adamWeightDecayAddsLambdaTimesParameterToTheGradient() {
        Parameter w = new Parameter("w", Tensor.vector(2.0));
        Parameter ref = new Parameter("w", Tensor.vector(2.0));
        Adam withDecay = new Adam(params(w), 0.1, 0.9, 0.999, 1e-8, 0.5);
        Adam plain = new Adam(params(ref), 0.1);
        w.setGrad(Tensor.vector(0.3));
        ref.setGrad(Tensor.vector(0.3 + 0.5 * 2.0));
        withDecay.step();
        plain.step();
        assertEquals(ref.value().at(0), w.value().at(0), 0.0);
    }

    @Test
    void nonFiniteGradientsThrowAndChangeNothing() {
        for (Function<Map<String, Parameter>, Optimizer> make : java.util.List.<Function<Map<String, Parameter>, Optimizer>>of(
                p -> new Sgd(p, 0.1, 0.9), p -> new Adam(p, 0.1))) {
            Parameter a = new Parameter("a", Tensor.vector(1.0));
            Parameter b = new Parameter("b", Tensor.vector(1.0, 2.0));
            Optimizer opt = make.apply(params(a, b));
            a.setGrad(Tensor.vector(1.0));
            b.setGrad(Tensor.vector(1.0, Double.NaN));
            IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
            // the gradient is named before any update is computed, not the NaN the update would make
            assertTrue(e.getMessage().endsWith(".step: gradient of b F64[2] contains NaN or infinity; no parameter was updated"),
                    e.getMessage());
            assertEquals(1.0, a.value().at(0));
            assertEquals(2.0, b.value().at(1));
        }
    }

    /** zeroGrad clears every parameter's gradient, so the next backward pass starts from nothing. */
    @Test
    void zeroGradClearsEveryGradient() {
        for (Function<Map<String, Parameter>, Optimizer> make : java.util.List.<Function<Map<String, Parameter>, Optimizer>>of(
                p -> new Sgd(p, 0.1), p -> new Adam(p, 0.1))) {
            Parameter a = new Parameter("a", Tensor.vector(1.0));
            Parameter b = new Parameter("b", Tensor.vector(1.0, 2.0));
            Optimizer opt = make.apply(params(a, b));
            a.setGrad(Tensor.vector(1.0));
            b.setGrad(Tensor.vector(1.0, 3.0));
            opt.zeroGrad();
            assertNull(a.grad());
            assertNull(b.grad());
        }
    }

    @Test
    void anUpdateThatOverflowsThrowsAndChangesNothing() {
        Parameter a = new Parameter("a", Tensor.vector(1.0));
        Parameter b = new Parameter("b", Tensor.vector(-1e308));
        Sgd sgd = new Sgd(params(a, b), 10.0, 0.5);
        a.setGrad(Tensor.vector(1.0));
        b.setGrad(Tensor.vector(1e308));
        IllegalStateException e = assertThrows(IllegalStateException.class, sgd::step);
        assertTrue(e.getMessage().contains("b") && e.getMessage().contains("overflows"), e.getMessage());
        assertEquals(1.0, a.value().at(0));
        assertEquals(-1e308, b.value().at(0));
        assertTrue(sgd.state().isEmpty(), "no momentum buffer written: " + sgd.state());
        // float32 parameters overflow at 3.4e38, where the float64 arithmetic alone would not.
        Parameter f = new Parameter("f", Tensor.vector(3e38).cast(DType.F32));
        Sgd sgd32 = new Sgd(params(f), 1.0);
        f.setGrad(Tensor.vector(-3e38).cast(DType.F32));
        assertThrows(IllegalStateException.class, sgd32::step);
        assertEquals(3e38, f.value().at(0), 1e32);
    }

    /** Two steps after a state export and import equal two steps without the interruption, bit for bit. */
    @Test
    void stateRoundTripResumesBitExactly() {
        for (String kind : new String[] {"sgd", "adam"}) {
            Linear a = new Linear(3, 2, true, DType.F32, Rng.seeded(11));
            Optimizer optA = optimizer(kind, a);
            Tensor x = Tensor.randn(Rng.seeded(12), DType.F32, 1.0, 4, 3);
            for (int i = 0; i < 3; i++) {
                trainStep(a, optA, x);
            }
            Map<String, Tensor> weights = a.stateDict();
            Map<String, Tensor> state = optA.state();
            trainStep(a, optA, x);
            trainStep(a, optA, x);

            Linear b = new Linear(3, 2, true, DType.F32, Rng.seeded(99));
            b.loadStateDict(weights);
            Optimizer optB = optimizer(kind, b);
            optB.loadState(state);
            trainStep(b, optB, x);
            trainStep(b, optB, x);
            a.stateDict().forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(b.stateDict().get(k)), kind + " " + k));
            optA.state().forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(optB.state().get(k)), kind + " " + k));
        }
    }

    /**
     * A loaded state replaces the whole state: an optimizer that has taken steps, given the state of one that has taken
     * none (no moments or velocities yet), then steps as that one does, bit for bit, not from its own old buffers.
     */
    @Test
    void aLoadedStateReplacesTheWholeStateNotOnlyTheEntriesItHolds() {
        for (String kind : new String[] {"sgd", "adam"}) {
            Tensor x = Tensor.randn(Rng.seeded(22), DType.F64, 1.0, 4, 3);
            Linear a = new Linear(3, 2, true, DType.F64, Rng.seeded(21));
            Optimizer fresh = optimizer(kind, a);
            Map<String, Tensor> weights = a.stateDict();
            Map<String, Tensor> none = fresh.state();
            trainStep(a, fresh, x);

            Linear b = new Linear(3, 2, true, DType.F64, Rng.seeded(21));
            Optimizer used = optimizer(kind, b);
            trainStep(b, used, x);
            trainStep(b, used, x);
            b.loadStateDict(weights);
            used.loadState(none);
            trainStep(b, used, x);
            a.stateDict().forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(b.stateDict().get(k)), kind + " " + k));
            assertEquals(fresh.state().keySet(), used.state().keySet(), kind);
        }
    }

    private static Optimizer optimizer(String kind, Linear m) {
        return kind.equals("sgd") ? new Sgd(m.parameters(), 0.05, 0.9) : new Adam(m.parameters(), 0.05);
    }

    private static void trainStep(Linear m, Optimizer opt, Tensor x) {
        opt.zeroGrad();
        try (Tape t = Tape.record()) {
            m.forward(Variable.constant(x)).tanh().square().sum().backward();
        }
        opt.step();
    }

    @Test
    void loadStateRejectsBadStateAndKeepsTheOld() {
        Linear m = new Linear(2, 2, true, DType.F64, Rng.seeded(1));
        Adam adam = new Adam(m.parameters(), 0.1);
        trainStep(m, adam, Tensor.ones(DType.F64, 1, 2).cast(DType.F64));
        Map<String, Tensor> good = adam.state();
        Map<String, Tensor> unknown = new LinkedHashMap<>(good);
        unknown.put("exp_avg.nope", Tensor.zeros(DType.F64, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadState(unknown));
        assertTrue(e.getMessage().contains("exp_avg.nope"), e.getMessage());
        Map<String, Tensor> wrongShape = new LinkedHashMap<>(good);
        wrongShape.put("exp_avg.weight", Tensor.zeros(DType.F64, 4));
        e = assertThrows(IllegalArgumentException.class, () -> adam.loadState(wrongShape));
        assertTrue(e.getMessage().contains("exp_avg.weight") && e.getMessage().contains("[2, 2]"), e.getMessage());
        Map<String, Tensor> noStep = new LinkedHashMap<>(good);
        noStep.remove("step");
        assertThrows(IllegalArgumentException.class, () -> adam.loadState(noStep));
        Map<String, Tensor> nan = new LinkedHashMap<>(good);
        nan.put("exp_avg_sq.bias", Tensor.vector(Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> adam.loadState(nan));
        good.forEach((k, v) -> assertEquals(0.0, v.maxAbsDiff(adam.state().get(k)), k));
    }
}
