package dev.jgrad.examples.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jgrad.examples.cli.FileProblem;
import dev.jgrad.nn.io.Safetensors;
import dev.jgrad.nn.io.SafetensorsFile;
import dev.jgrad.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training checkpoint: weights, optimizer state, vocabulary, the data generator's state, the
 * position in the run and the run's configuration — everything a resumed run needs to continue
 * bit-exactly.
 *
 * <p>Layout of a checkpoint folder {@code DIR}:
 * <pre>
 * DIR/LATEST                          the name of the current checkpoint subfolder (one line)
 * DIR/epoch-0003-batch-00000-XXXX/    one complete checkpoint:
 *     model.safetensors               the model's parameters by name
 *     optimizer.safetensors           the optimizer's state (step count, moment buffers)
 *     carried.safetensors             the hidden state carried mid-epoch (sequential partitioning only)
 *     checkpoint.json                 configuration, vocabulary, position, history, SHA-256 of the files above
 * </pre>
 * A checkpoint is written into a fresh temporary subfolder, which is renamed into place once
 * complete; only then is {@code LATEST} replaced (itself written to a temporary file and renamed),
 * and older subfolders deleted. A crash at any moment leaves {@code LATEST} naming a complete
 * checkpoint. Reading verifies every file's SHA-256, so a truncated or altered file is refused.
 *
 * @param corpusSha256 SHA-256 of the corpus text the run trains on (a resume on another text is refused)
 */
public record Checkpoint(TrainConfig config, List<String> vocabulary, String corpusSha256, Position position,
        List<EpochMetrics> history, double elapsedSeconds, Map<String, Tensor> model, Map<String, Tensor> optimizer,
        Map<String, Tensor> carried) {

    /** Format name written to and required in {@code checkpoint.json}. */
    public static final String FORMAT = "jgrad-charlm-checkpoint-v1";
    static final String LATEST = "LATEST";
    private static final List<String> FILES = List.of("model.safetensors", "optimizer.safetensors", "carried.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Where the run stands.
     *
     * @param completedEpochs epochs fully done
     * @param nextBatch       the next minibatch of epoch {@code completedEpochs + 1} (0 at an epoch boundary)
     * @param epochRngState   the data generator's state at the start of epoch {@code completedEpochs + 1},
     *                        before it drew that epoch's partition
     * @param lossSum         the current epoch's summed token loss so far
     * @param tokens          the current epoch's token count so far
     * @param gradNormSum     the current epoch's summed gradient norms so far
     * @param clipped         the current epoch's clipped minibatches so far
     */
    public record Position(@JsonProperty("completed_epochs") int completedEpochs, @JsonProperty("next_batch") int nextBatch,
            @JsonProperty("epoch_rng_state") long epochRngState, @JsonProperty("loss_sum") double lossSum,
            @JsonProperty("tokens") long tokens, @JsonProperty("grad_norm_sum") double gradNormSum,
            @JsonProperty("clipped") int clipped) {
    }

    /** The JSON part of a checkpoint. */
    record Manifest(@JsonProperty("format") String format, @JsonProperty("config") TrainConfig config,
            @JsonProperty("vocabulary") List<String> vocabulary, @JsonProperty("corpus_sha256") String corpusSha256,
            @JsonProperty("position") Position position, @JsonProperty("history") List<EpochMetrics> history,
            @JsonProperty("elapsed_seconds") double elapsedSeconds, @JsonProperty("files") Map<String, String> files) {
    }

    /** Thrown when a checkpoint cannot be read; the message names the folder and what is wrong. */
    public static final class CheckpointException extends IllegalStateException {
        CheckpointException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Writes this checkpoint into {@code dir} atomically (see the class comment).
     *
     * @return the subfolder written
     * @throws UncheckedIOException when it cannot be written; the previous checkpoint then stays current
     */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempDirectory(dir, ".writing-");
            try {
                Map<String, String> sums = new LinkedHashMap<>();
                List<Map<String, Tensor>> contents = List.of(model, optimizer, carried);
                for (int i = 0; i < FILES.size(); i++) {
                    Path f = tmp.resolve(FILES.get(i));
                    Safetensors.write(f, SafetensorsFile.of(contents.get(i)));
                    sums.put(FILES.get(i), sha256(Files.readAllBytes(f)));
                }
                Manifest m = new Manifest(FORMAT, config, vocabulary, corpusSha256, position, history, elapsedSeconds, sums);
                writeDurably(tmp.resolve("checkpoint.json"), JSON.writeValueAsBytes(m));
                String name = String.format("epoch-%04d-batch-%05d-%s", position.completedEpochs(), position.nextBatch(),
                        tmp.getFileName().toString().substring(".writing-".length()));
                Path target = dir.resolve(name);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                Path latestTmp = Files.createTempFile(dir, ".LATEST-", ".tmp");
                writeDurably(latestTmp, (name + "\n").getBytes(StandardCharsets.UTF_8));
                Files.move(latestTmp, dir.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                deleteOthers(dir, name);
                return target;
            } finally {
                if (Files.exists(tmp)) {
                    deleteTree(tmp);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint: cannot write to " + dir + ": " + FileProblem.describe(e, dir), e);
        }
    }

    /** Whether {@code dir} holds a checkpoint (a {@code LATEST} file). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(LATEST));
    }

    /**
     * Reads the current checkpoint of {@code dir}, verifying every file.
     *
     * @throws CheckpointException naming the folder and the problem (missing, truncated, altered, wrong format)
     */
    public static Checkpoint read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint: " + dir + " is not a folder", null);
        }
        String name;
        try {
            name = Files.readString(dir.resolve(LATEST), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint: " + dir + " has no " + LATEST + " file, so no checkpoint was completed there", e);
        } catch (IOException e) {
            throw new CheckpointException("checkpoint: cannot read " + dir.resolve(LATEST) + ": " + e.getMessage(), e);
        }
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new CheckpointException("checkpoint: " + dir.resolve(LATEST) + " names '" + name + "', not a checkpoint subfolder", null);
        }
        Path sub = dir.resolve(name);
        Manifest m;
        try {
            m = JSON.readValue(Files.readAllBytes(sub.resolve("checkpoint.json")), Manifest.class);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint " + sub + ": checkpoint.json is missing (incomplete checkpoint)", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException("checkpoint " + sub + ": checkpoint.json is unreadable or truncated: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (!FORMAT.equals(m.format())) {
            throw new CheckpointException("checkpoint " + sub + ": format '" + m.format() + "' is not " + FORMAT, null);
        }
        if (m.config() == null || m.position() == null || m.vocabulary() == null || m.files() == null) {
            throw new CheckpointException("checkpoint " + sub + ": checkpoint.json lacks config, position, vocabulary or files", null);
        }
        List<Map<String, Tensor>> contents = new java.util.ArrayList<>();
        for (String f : FILES) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(sub.resolve(f));
            } catch (IOException e) {
                throw new CheckpointException("checkpoint " + sub + ": " + f + " is missing or unreadable (incomplete checkpoint)", e);
            }
            String want = m.files().get(f);
            String got = sha256(bytes);
            if (!got.equals(want)) {
                throw new CheckpointException("checkpoint " + sub + ": " + f + " is corrupt or partial (" + bytes.length
                        + " bytes, SHA-256 " + got + ", expected " + want + ")", null);
            }
            contents.add(Safetensors.read(bytes).tensors());
        }
        return new Checkpoint(m.config(), m.vocabulary(), m.corpusSha256(), m.position(),
                m.history() == null ? List.of() : m.history(), m.elapsedSeconds(), contents.get(0), contents.get(1), contents.get(2));
    }

    /** Hex SHA-256 of {@code bytes}. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    private static void writeDurably(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private static void deleteOthers(Path dir, String keep) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (Files.isDirectory(p) && n.startsWith("epoch-") && !n.equals(keep)) {
                    deleteTree(p);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
