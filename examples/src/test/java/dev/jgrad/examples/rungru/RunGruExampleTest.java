package dev.jgrad.examples.rungru;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import dev.jgrad.nn.io.Safetensors;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ready example in examples/run-gru runs as its README says and reproduces PyTorch's outputs. */
class RunGruExampleTest {
    static final Path EXAMPLE = Path.of("run-gru");

    @Test
    void theShippedExampleReproducesPyTorchsOutputs(@TempDir Path dir) {
        Path out = dir.resolve("out.safetensors");
        Cli.Result r = Cli.run("run-gru", "--weights", EXAMPLE.resolve("weights.safetensors").toString(), "--input",
                EXAMPLE.resolve("input.safetensors").toString(), "--output", out.toString()).expect(0);
        assertTrue(r.out().startsWith("GRU reset-after: 2 layers, input 3, hidden 4, F32;"), r.out());
        Map<String, Tensor> got = Safetensors.read(out).tensors();
        Map<String, Tensor> expected = Safetensors.read(EXAMPLE.resolve("expected.safetensors")).tensors();
        assertEquals(Set.of("y", "h_n"), got.keySet());
        for (String name : expected.keySet()) {
            assertEquals(DType.F32, got.get(name).dtype(), name);
            double diff = got.get(name).cast(DType.F64).maxAbsDiff(expected.get(name).cast(DType.F64));
            assertTrue(diff <= 1e-6, name + ": max |jgrad − PyTorch| = " + diff);
        }
    }

    @Test
    void theShippedFilesAreThePyTorchReferenceCase() {
        Map<String, Tensor> reference = Safetensors.read(RunGruCommandTest.TORCH.resolve("gru_f32.safetensors")).tensors();
        for (String file : new String[] {"weights", "input", "expected"}) {
            Safetensors.read(EXAMPLE.resolve(file + ".safetensors")).tensors().forEach((name, t) ->
                    assertEquals(0.0, t.maxAbsDiff(reference.get(name)), file + ": " + name + " is PyTorch's"));
        }
    }
}
