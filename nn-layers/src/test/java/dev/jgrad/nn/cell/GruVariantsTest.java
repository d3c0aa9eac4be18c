package dev.jgrad.nn.cell;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Note [GRU reset gate] as a property: give a RESET_BEFORE cell the same gate weights as a
 * RESET_AFTER cell ({@code W_xg = W_igᵀ}, {@code W_hg = W_hgᵀ}, {@code b_g = b_ig + b_hg}, and for the
 * candidate {@code W_xh = W_inᵀ}, {@code W_hh = W_hnᵀ}, {@code b_h = b_in + b_hn}). Their gates agree,
 * but the candidates {@code tanh(… + W_hn(r ⊙ h) + b_hn)} and {@code tanh(… + r ⊙ (W_hn h + b_hn))}
 * differ unless the reset gate is fully open ({@code r = 1}), where both reduce to the same thing.
 */
class GruVariantsTest {

    private static Tensor rowsT(Tensor w, int block, int h) {
        int cols = w.shape().dim(1);
        double[] out = new double[cols * h];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < cols; j++) {
                out[j * h + i] = w.get(block * h + i, j);
            }
        }
        return Tensor.of(out, cols, h);
    }

    private static Tensor biasSum(Tensor a, Tensor b, int block, int h) {
        double[] out = new double[h];
        for (int i = 0; i < h; i++) {
            out[i] = a.at(block * h + i) + b.at(block * h + i);
        }
        return Tensor.of(out, h);
    }

    private static GRUCell choWithTheSameWeights(TorchGRUCell after) {
        int h = after.hiddenSize();
        Map<String, Tensor> w = after.stateDict();
        Map<String, Tensor> cho = new LinkedHashMap<>();
        String[] gate = {"r", "z", "h"};
        for (int k = 0; k < 3; k++) {
            cho.put("W_x" + gate[k], rowsT(w.get("weight_ih"), k, h));
            cho.put("W_h" + gate[k], rowsT(w.get("weight_hh"), k, h));
            cho.put("b_" + gate[k], biasSum(w.get("bias_ih"), w.get("bias_hh"), k, h));
        }
        GRUCell before = GRUCell.create(after.inputSize(), h, true, DType.F64, Rng.seeded(0));
        before.loadStateDict(cho);
        return before;
    }

    private static Tensor step(GRU c, Tensor x, Tensor h) {
        return c.step(Variable.constant(x), State.of(Variable.constant(h))).h().value();
    }

    @Property(tries = 20)
    void sameWeightsSameGatesDifferentStates(@ForAll @IntRange(min = 2, max = 6) int hidden, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        TorchGRUCell after = TorchGRUCell.create(3, hidden, true, DType.F64, rng);
        for (Parameter p : after.parameters().values()) {
            p.set(Tensor.randn(rng, DType.F64, 0.8, p.value().shape().dims()));
        }
        GRUCell before = choWithTheSameWeights(after);
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, 2, 3);
        Tensor h = Tensor.uniform(rng, DType.F64, -0.9, 0.9, 2, hidden);
        GRU.Activations ga = after.activations(Variable.constant(x), Variable.constant(h));
        GRU.Activations gb = before.activations(Variable.constant(x), Variable.constant(h));
        assertTrue(ga.z().value().allClose(gb.z().value(), 0, 1e-14));
        assertTrue(ga.r().value().allClose(gb.r().value(), 0, 1e-14));
        assertTrue(step(after, x, h).maxAbsDiff(step(before, x, h)) > 1e-6, "the variants agreed on random weights");

        // Reset gate fully open: r = 1 in both, and the candidates coincide.
        double[] bih = after.parameters().get("bias_ih").value().toDoubleArray();
        for (int i = 0; i < hidden; i++) {
            bih[i] = 60;
        }
        after.parameters().get("bias_ih").set(Tensor.of(bih, 3 * hidden));
        before = choWithTheSameWeights(after);
        assertTrue(step(after, x, h).allClose(step(before, x, h), 0, 1e-12));
    }
}
