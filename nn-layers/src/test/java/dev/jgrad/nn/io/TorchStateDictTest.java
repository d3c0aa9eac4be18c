package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.layer.Embedding;
import dev.jgrad.nn.layer.Linear;
import dev.jgrad.nn.layer.RecurrentStack;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A whole model under PyTorch's state_dict names: the reference file {@code char_model.safetensors}
 * holds a PyTorch module (embedding, two-layer {@code nn.GRU}, linear) with its state_dict keys,
 * token inputs and logits ({@code scripts/torch/make_reference.py}); loaded by name into the same
 * model built from jgrad's layers, it gives the same logits.
 */
class TorchStateDictTest {

    /** PyTorch's {@code CharModel} in make_reference.py, from jgrad's layers. */
    static final class CharLike implements Module {
        final Embedding embedding;
        final RecurrentStack rnn;
        final Linear output;
        private final Map<String, Module> children = new LinkedHashMap<>();

        CharLike(GRU.Variant variant, Rng rng) {
            embedding = new Embedding(7, 3, DType.F64, rng);
            rnn = RecurrentStack.gru(variant, 3, 4, 2, true, DType.F64, rng);
            output = new Linear(4, 7, true, DType.F64, rng);
            children.put("embedding", embedding);
            children.put("rnn", rnn);
            children.put("output", output);
        }

        @Override
        public Map<String, Parameter> parameters() {
            return Module.nested(children);
        }

        @Override
        public Map<String, Module> children() {
            return children;
        }

        Variable forward(int[] tokens, int batch, int steps) {
            return output.forward(rnn.forward(embedding.forward(tokens, batch, steps), null).outputs());
        }
    }

    private static final List<String> TORCH_KEYS = List.of("embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
            "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "output.weight", "output.bias");

    @Test
    void namesAreThoseOfTheSamePyTorchModule() throws Exception {
        Safetensors.LenientRead file = Safetensors.readLenient(TorchFiles.path("char_model"));
        List<String> theirs = List.of(new ObjectMapper().readValue(file.file().metadata().get("state_dict_keys"), String[].class));
        assertEquals(TORCH_KEYS, theirs);
        CharLike model = new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(1));
        assertEquals(theirs, List.copyOf(TorchStateDict.torchNames(model).values()));
        assertEquals("rnn.weight_hh_l1", TorchStateDict.torchNames(model).get("rnn.layers.1.weight_hh"));
        assertEquals(theirs, List.copyOf(TorchStateDict.toTorch(model).keySet()));
    }

    /** PyTorch's weights loaded by name give PyTorch's logits (float64, to 1e-10). */
    @Test
    void aPyTorchModelsWeightsGiveItsLogits() {
        Safetensors.LenientRead file = Safetensors.readLenient(TorchFiles.path("char_model"));
        assertEquals("skipped 2 tensors of dtypes jgrad does not hold: buffers.num_batches_tracked I64[], buffers.padding_mask BOOL[2, 5]",
                file.describeSkipped());
        Map<String, Tensor> stateDict = new LinkedHashMap<>();
        TORCH_KEYS.forEach(k -> stateDict.put(k, file.file().tensor(k)));
        CharLike model = new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(1));
        TorchStateDict.load(model, stateDict);
        Tensor tokens = file.file().tensor("tokens");
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) tokens.at(i);
        }
        Tensor logits = model.forward(ids, tokens.shape().dim(0), tokens.shape().dim(1)).value();
        Tensor expected = file.file().tensor("logits");
        assertEquals(expected.shape(), logits.shape());
        assertTrue(logits.maxAbsDiff(expected) < 1e-10, "max |jgrad − torch| = " + logits.maxAbsDiff(expected));
    }

    @Test
    void roundTripsThroughPyTorchNames() {
        CharLike a = new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(1));
        CharLike b = new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(2));
        TorchStateDict.load(b, TorchStateDict.toTorch(a));
        a.stateDict().forEach((k, v) -> assertSame(v, b.stateDict().get(k), k));
        // a recurrent stack on its own maps as TorchRecurrentWeights does
        assertEquals(TorchRecurrentWeights.toTorch(a.rnn).keySet(), TorchStateDict.toTorch(a.rnn).keySet());
    }

    /** Loading is all or nothing, and each refusal names the tensor by its PyTorch name. */
    @Test
    void badStateDictsAreRefusedByTheirPyTorchNames() {
        CharLike model = new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(1));
        Map<String, Tensor> before = model.stateDict();
        Map<String, Tensor> good = TorchStateDict.toTorch(new CharLike(GRU.Variant.RESET_AFTER, Rng.seeded(2)));

        Map<String, Tensor> extra = new LinkedHashMap<>(good);
        extra.put("rnn.weight_ih_l2", Tensor.zeros(DType.F64, 12, 4));
        assertRefused(model, extra, "unexpected tensor 'rnn.weight_ih_l2'");
        Map<String, Tensor> missing = new LinkedHashMap<>(good);
        missing.remove("rnn.bias_hh_l1");
        assertRefused(model, missing, "missing tensor(s) [rnn.bias_hh_l1]");
        Map<String, Tensor> misShaped = new LinkedHashMap<>(good);
        misShaped.put("output.weight", Tensor.zeros(DType.F64, 4, 7));
        assertRefused(model, misShaped, "tensor 'output.weight' (jgrad's output.weight) is F64[4, 7], expected F64[7, 4]");
        Map<String, Tensor> f32 = new LinkedHashMap<>(good);
        f32.put("rnn.weight_hh_l0", good.get("rnn.weight_hh_l0").cast(DType.F32));
        assertRefused(model, f32, "tensor 'rnn.weight_hh_l0' (jgrad's rnn.layers.0.weight_hh) is F32[12, 4], expected F64[12, 4]");
        before.forEach((k, v) -> assertSame(v, model.stateDict().get(k), k + " changed by a refused load"));
    }

    /** The Cho / d2l GRU computes something nn.GRU does not: it has no PyTorch names. */
    @Test
    void aResetBeforeGruHasNoPyTorchNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchStateDict.toTorch(new CharLike(GRU.Variant.RESET_BEFORE, Rng.seeded(1))));
        assertTrue(e.getMessage().contains("no PyTorch counterpart"), e.getMessage());
    }

    private static void assertRefused(Module model, Map<String, Tensor> stateDict, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchStateDict.load(model, stateDict));
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
