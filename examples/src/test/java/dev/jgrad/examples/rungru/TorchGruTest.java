package dev.jgrad.examples.rungru;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.io.Safetensors;
import dev.jgrad.nn.io.SafetensorsFile;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The state_dict mapping, above all the RESET_BEFORE one, which PyTorch cannot check for us. */
class TorchGruTest {
    static Map<String, Tensor> reference(String name, boolean weights) {
        SafetensorsFile ref = Safetensors.read(RunGruCommandTest.TORCH.resolve(name + ".safetensors"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        ref.tensors().forEach((k, t) -> {
            boolean isWeight = k.matches("(weight|bias)_(ih|hh)_l\\d+");
            if (isWeight == weights && (isWeight || RunGruCommandTest.INPUTS.contains(k))) {
                out.put(k, t);
            }
        });
        return out;
    }

    /** RESET_BEFORE computes exactly the documented equations, written out here independently for one layer. */
    @Test
    void resetBeforeComputesTheDocumentedEquations() {
        Map<String, Tensor> w = reference("gru_basic", true);
        Map<String, Tensor> in = reference("gru_basic", false);
        Map<String, Tensor> got = GruRun.run(TorchGru.fromStateDict(w, GRU.Variant.RESET_BEFORE), in);
        int hidden = 4;
        Variable x = Variable.constant(in.get("x"));
        Variable h = Variable.constant(in.get("h0")).reshape(2, hidden);
        Variable wih = Variable.constant(w.get("weight_ih_l0"));
        Variable whh = Variable.constant(w.get("weight_hh_l0"));
        Variable bih = Variable.constant(w.get("bias_ih_l0"));
        Variable bhh = Variable.constant(w.get("bias_hh_l0"));
        for (int t = 0; t < 5; t++) {
            Variable xt = x.slice(1, t, t + 1).reshape(2, 3);
            Variable r = gate(xt, h, wih, whh, bih, bhh, 0, hidden).sigmoid();
            Variable z = gate(xt, h, wih, whh, bih, bhh, 1, hidden).sigmoid();
            Variable hTilde = xt.matmul(wih.slice(0, 8, 12), false, true).plus(r.times(h).matmul(whh.slice(0, 8, 12), false, true))
                    .plus(bih.slice(0, 8, 12)).plus(bhh.slice(0, 8, 12)).tanh();
            h = z.times(h).plus(z.oneMinus().times(hTilde));
            Tensor yt = Variable.constant(got.get("y")).slice(1, t, t + 1).reshape(2, hidden).value();
            assertTrue(yt.maxAbsDiff(h.value()) <= 1e-14, "step " + t + ": " + yt.maxAbsDiff(h.value()));
        }
        // And it is not PyTorch's variant: the two differ on these weights.
        Map<String, Tensor> after = GruRun.run(TorchGru.fromStateDict(w, GRU.Variant.RESET_AFTER), in);
        assertTrue(after.get("y").maxAbsDiff(got.get("y")) > 1e-3);
    }

    private static Variable gate(Variable x, Variable h, Variable wih, Variable whh, Variable bih, Variable bhh, int k, int n) {
        return x.matmul(wih.slice(0, k * n, (k + 1) * n), false, true).plus(h.matmul(whh.slice(0, k * n, (k + 1) * n), false, true))
                .plus(bih.slice(0, k * n, (k + 1) * n)).plus(bhh.slice(0, k * n, (k + 1) * n));
    }

    /**
     * Every grad.&lt;name&gt; is the derivative of f = Σ y ⊙ dy + Σ h_n ⊙ dh_n in PyTorch's layout: checked
     * along a random direction V of all weights by central differences, f'(W)·V against Σ ⟨grad, V⟩.
     */
    @ParameterizedTest
    @EnumSource(GRU.Variant.class)
    void weightGradientsMapBackToTorchNames(GRU.Variant variant) {
        for (String ref : new String[] {"gru_deep", "gru_no_bias"}) {
            Map<String, Tensor> w = reference(ref, true);
            Map<String, Tensor> in = reference(ref, false);
            Map<String, Tensor> got = GruRun.run(TorchGru.fromStateDict(w, variant), in);
            Rng rng = Rng.seeded(42);
            Map<String, Tensor> direction = new LinkedHashMap<>();
            double analytic = 0;
            for (Map.Entry<String, Tensor> e : w.entrySet()) {
                Tensor v = Tensor.randn(rng, DType.F64, 1, e.getValue().shape().dims());
                direction.put(e.getKey(), v);
                Tensor g = got.get("grad." + e.getKey());
                assertEquals(e.getValue().shape(), g.shape(), e.getKey());
                for (int i = 0; i < v.size(); i++) {
                    analytic += g.at(i) * v.at(i);
                }
            }
            double eps = 1e-6;
            double numeric = (objective(shift(w, direction, eps), in, variant) - objective(shift(w, direction, -eps), in, variant)) / (2 * eps);
            assertEquals(numeric, analytic, 1e-7 * Math.max(1, Math.abs(numeric)), ref + " " + variant);
        }
    }

    private static double objective(Map<String, Tensor> w, Map<String, Tensor> in, GRU.Variant variant) {
        Map<String, Tensor> forward = new LinkedHashMap<>(in);
        forward.remove("dy");
        forward.remove("dh_n");
        Map<String, Tensor> out = GruRun.run(TorchGru.fromStateDict(w, variant), forward);
        return dot(out.get("y"), in.get("dy")) + dot(out.get("h_n"), in.get("dh_n"));
    }

    private static Map<String, Tensor> shift(Map<String, Tensor> w, Map<String, Tensor> v, double eps) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        w.forEach((k, t) -> {
            double[] a = t.toDoubleArray();
            double[] d = v.get(k).toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                a[i] += eps * d[i];
            }
            out.put(k, Tensor.of(a, t.shape().dims()));
        });
        return out;
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += a.at(i) * b.at(i);
        }
        return s;
    }

    /**
     * With hidden size 1 the reset gate commutes with the hidden projection, so with {@code b_hn = 0}
     * the two variants compute the same function: r·(w·h) = (r·h)·w.
     */
    @Property(tries = 30)
    void variantsAgreeForHiddenSizeOneWithoutTheResetBias(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int input,
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 1, max = 6) int steps) {
        Rng rng = Rng.seeded(seed);
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (int k = 0; k < layers; k++) {
            w.put("weight_ih_l" + k, Tensor.randn(rng, DType.F64, 1, 3, k == 0 ? input : 1));
            w.put("weight_hh_l" + k, Tensor.randn(rng, DType.F64, 1, 3, 1));
            w.put("bias_ih_l" + k, Tensor.randn(rng, DType.F64, 1, 3));
            double[] bhh = Tensor.randn(rng, DType.F64, 1, 3).toDoubleArray();
            bhh[2] = 0;
            w.put("bias_hh_l" + k, Tensor.of(bhh, 3));
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("x", Tensor.randn(rng, DType.F64, 1, 2, steps, input));
        in.put("h0", Tensor.randn(rng, DType.F64, 0.5, layers, 2, 1));
        in.put("dy", Tensor.randn(rng, DType.F64, 1, 2, steps, 1));
        Map<String, Tensor> before = GruRun.run(TorchGru.fromStateDict(w, GRU.Variant.RESET_BEFORE), in);
        Map<String, Tensor> after = GruRun.run(TorchGru.fromStateDict(w, GRU.Variant.RESET_AFTER), in);
        for (String name : new String[] {"y", "h_n", "grad.x", "grad.h0", "grad.weight_ih_l0", "grad.weight_hh_l0"}) {
            assertTrue(before.get(name).maxAbsDiff(after.get(name)) <= 1e-12, name + ": " + before.get(name).maxAbsDiff(after.get(name)));
        }
    }
}
