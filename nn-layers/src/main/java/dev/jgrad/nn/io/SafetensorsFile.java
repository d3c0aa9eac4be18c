package dev.jgrad.nn.io;

import dev.jgrad.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The contents of one safetensors file: named tensors and the free-form string metadata of the
 * header's {@code "__metadata__"} entry. Both maps are unmodifiable and keep the order they were
 * given in (for a file read from disk: the order of the tensors' data in the file).
 *
 * @param tensors  tensors by name
 * @param metadata string metadata (empty when the file has none)
 */
public record SafetensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {

    /**
     * Copies both maps, keeping their order.
     *
     * @throws NullPointerException if a map, a name, a tensor, a metadata key or a value is null
     */
    public SafetensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(tensors, "tensors")));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(metadata, "metadata")));
        tensors.forEach((name, t) -> Objects.requireNonNull(t, "safetensors: tensor '" + Objects.requireNonNull(name, "tensor name") + "' is null"));
        metadata.forEach((k, v) -> Objects.requireNonNull(v, "safetensors: metadata '" + Objects.requireNonNull(k, "metadata key") + "' is null"));
    }

    /**
     * A file with tensors and no metadata.
     *
     * @param tensors the tensors by name, in file order
     * @return the file's contents
     */
    public static SafetensorsFile of(Map<String, Tensor> tensors) {
        return new SafetensorsFile(tensors, Map.of());
    }

    /**
     * The tensor called {@code name}.
     *
     * @param name the tensor's name
     * @return the tensor
     * @throws IllegalArgumentException naming the tensor and listing the names present, if absent
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("safetensors: no tensor named '" + name + "' (present: " + tensors.keySet() + ")");
        }
        return t;
    }
}
