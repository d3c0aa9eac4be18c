package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.examples.Cli;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt, partial and half-written checkpoints are refused with a message that says what is wrong. */
class CheckpointTest {
    @TempDir
    Path dir;

    private Path trained(int epochs) {
        Path ck = dir.resolve("ck");
        Trainer.start(TinyRuns.config(epochs)).checkpointTo(ck).run(new Trainer.Listener() { });
        return ck;
    }

    private static Path current(Path ck) throws Exception {
        return ck.resolve(Files.readString(ck.resolve(Checkpoint.LATEST)).strip());
    }

    @Test
    void roundTripKeepsEverything() {
        Trainer t = Trainer.start(TinyRuns.config(2)).checkpointTo(dir.resolve("ck"));
        t.run(new Trainer.Listener() { });
        Checkpoint cp = Checkpoint.read(dir.resolve("ck"));
        assertEquals(t.config(), cp.config());
        assertEquals(t.vocabulary().tokens(), cp.vocabulary());
        assertEquals(2, cp.position().completedEpochs());
        assertEquals(t.history(), cp.history());
        TinyRuns.assertBitIdentical(t.model().stateDict(), cp.model());
        assertFalse(cp.optimizer().isEmpty(), "Adam's moments are saved");
    }

    @Test
    void flippedByteInTheWeightsIsRefused() throws Exception {
        Path ck = trained(1);
        corrupt(current(ck).resolve("model.safetensors"), b -> b[b.length - 3] ^= 0x10);
        assertRefused(ck, "model.safetensors is corrupt or partial");
    }

    @Test
    void truncatedOptimizerFileIsRefused() throws Exception {
        Path ck = trained(1);
        Path f = current(ck).resolve("optimizer.safetensors");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
        assertRefused(ck, "optimizer.safetensors is corrupt or partial");
    }

    @Test
    void truncatedJsonIsRefused() throws Exception {
        Path ck = trained(1);
        Path f = current(ck).resolve("checkpoint.json");
        String s = Files.readString(f);
        Files.writeString(f, s.substring(0, s.length() / 2));
        assertRefused(ck, "checkpoint.json is unreadable or truncated");
    }

    @Test
    void missingFilesAndFoldersAreRefused() throws Exception {
        Path ck = trained(1);
        Files.delete(current(ck).resolve("carried.safetensors"));
        assertRefused(ck, "carried.safetensors is missing");
        Files.writeString(ck.resolve(Checkpoint.LATEST), "epoch-0009-batch-00000-gone\n");
        assertRefused(ck, "checkpoint.json is missing");
        Files.delete(ck.resolve(Checkpoint.LATEST));
        assertRefused(ck, "no LATEST file");
        assertRefused(dir.resolve("nowhere"), "is not a folder");
    }

    @Test
    void weightsOfTheWrongShapeAreRefusedBeforeAnythingIsBuilt() throws Exception {
        Path ck = trained(1);
        Path json = current(ck).resolve("checkpoint.json");
        Files.writeString(json, Files.readString(json).replace("\"hidden\" : 8", "\"hidden\" : 9"));
        // The manifest is not covered by its own hash, so it reads; the weights then do not fit the model it describes.
        var e = assertThrows(IllegalArgumentException.class, () -> Trainer.resume(Checkpoint.read(ck), 2));
        assertTrue(e.getMessage().contains("do not fit") && e.getMessage().contains("W_xz"), e.getMessage());
    }

    @Test
    void aCrashWhileWritingLeavesThePreviousCheckpointCurrent() throws Exception {
        Path ck = trained(1);
        Checkpoint before = Checkpoint.read(ck);
        // What a crash mid-write leaves: a temporary folder with some files, LATEST untouched.
        Path half = Files.createDirectory(ck.resolve(".writing-crashed"));
        Files.write(half.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Checkpoint after = Checkpoint.read(ck);
        assertEquals(before.position(), after.position());
        TinyRuns.assertBitIdentical(before.model(), after.model());
    }

    @Test
    void commandLineReportsACorruptCheckpointInOneLine() throws Exception {
        Path ck = trained(1);
        corrupt(current(ck).resolve("model.safetensors"), b -> b[b.length - 1] ^= 0x01);
        String err = Cli.run("train", "--resume", "--checkpoint", ck.toString()).expect(1).errLine();
        assertTrue(err.contains("model.safetensors is corrupt"), err);
        assertEquals(1, err.lines().count(), "one line, no stack trace: " + err);
        Cli.run("sample", "--checkpoint", ck.toString()).expect(1);
    }

    @Test
    void nonFiniteLossNamesEpochAndBatchAndWritesNoCheckpoint() {
        Path ck = dir.resolve("nan");
        Trainer t = Trainer.start(TinyRuns.config(2)).checkpointTo(ck);
        Parameter w = t.model().parameters().get("output.bias");
        double[] v = w.value().toDoubleArray();
        v[0] = Double.NaN;
        w.set(Tensor.of(w.value().dtype(), v, w.value().shape().dims()));
        var e = assertThrows(Trainer.NonFiniteLossException.class, () -> t.run(new Trainer.Listener() { }));
        assertTrue(e.getMessage().contains("epoch 1, batch 1 of"), e.getMessage());
        assertFalse(Checkpoint.exists(ck), "nothing written for a run that produced NaN");
    }

    private static void corrupt(Path file, Consumer<byte[]> change) throws Exception {
        byte[] b = Files.readAllBytes(file);
        change.accept(b);
        Files.write(file, b);
    }

    private static void assertRefused(Path ck, String expected) {
        var e = assertThrows(IllegalStateException.class, () -> Checkpoint.read(ck));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertTrue(e.getMessage().contains(ck.toString()), "names the folder: " + e.getMessage());
    }
}
