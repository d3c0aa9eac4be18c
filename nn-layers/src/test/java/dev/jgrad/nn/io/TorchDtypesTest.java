package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Half-precision decoding against PyTorch's own {@code .half()}/{@code .bfloat16()} and {@code .float()}. */
class TorchDtypesTest {

    @Test
    void halfAndBrainFloatDecodeExactlyAsPyTorchWidensThem() {
        SafetensorsFile f = Safetensors.read(TorchFiles.path("dtypes"));
        assertEquals(4, f.tensors().size(), "f16, bf16 and their float32 values");
        assertBitEqual(f.tensor("f16.as_f32"), f.tensor("f16"));
        assertBitEqual(f.tensor("bf16.as_f32"), f.tensor("bf16"));
    }

    private static void assertBitEqual(Tensor expected, Tensor actual) {
        assertEquals(DType.F32, actual.dtype());
        assertEquals(expected.shape(), actual.shape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), "element " + i + ": " + e[i] + " vs " + a[i]);
        }
    }
}
