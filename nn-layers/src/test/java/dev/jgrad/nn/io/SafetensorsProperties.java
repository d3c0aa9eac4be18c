package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Round trips of arbitrary content, and mutations of valid files: whatever is done to a file,
 * reading it either succeeds with self-consistent content or throws
 * {@link SafetensorsFormatException} — never another exception type.
 */
class SafetensorsProperties {

    private static final ObjectMapper JSON = new ObjectMapper();

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<SafetensorsFile> contents() {
        Arbitrary<String> names = Arbitraries.strings().withChars("abw_.0Zé").ofMinLength(1).ofMaxLength(6)
                .filter(s -> !s.equals("__metadata__"));
        Arbitrary<int[]> shapes = Arbitraries.integers().between(0, 4).array(int[].class).ofMaxSize(3);
        Arbitrary<DType> dtypes = Arbitraries.of(DType.F64, DType.F32);
        Arbitrary<Tensor> tensors = Combinators.combine(shapes, dtypes, Arbitraries.longs())
                .as((dims, dtype, seed) -> tensor(dims, dtype, seed));
        Arbitrary<Map<String, Tensor>> maps = Arbitraries.maps(names, tensors).ofMaxSize(4);
        Arbitrary<Map<String, String>> metadata = Arbitraries.maps(
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(4), Arbitraries.strings().ofMaxLength(5)).ofMaxSize(2);
        return Combinators.combine(maps, metadata).as(SafetensorsFile::new);
    }

    /** Values drawn as raw bit patterns, so NaN payloads, infinities and subnormals occur. */
    private static Tensor tensor(int[] dims, DType dtype, long seed) {
        Rng rng = Rng.seeded(seed);
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (dtype == DType.F64) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = rng.nextInt(4) == 0 ? Double.longBitsToDouble(rng.nextLong()) : rng.nextGaussian();
            }
            return Tensor.of(v, dims);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextInt(4) == 0 ? Float.intBitsToFloat((int) rng.nextLong()) : (float) rng.nextGaussian();
        }
        return Tensor.of(v, dims);
    }

    // ---------------------------------------------------------------- properties

    @Property
    void roundTripIsBitExact(@ForAll("contents") SafetensorsFile f) {
        SafetensorsFile back = Safetensors.read(Safetensors.toBytes(f));
        SafetensorsTest.assertSameTensors(f.tensors(), back.tensors());
        assertEquals(f.metadata(), back.metadata());
    }

    @Property
    void everyTruncationIsRefused(@ForAll("contents") SafetensorsFile f, @ForAll @IntRange(min = 0, max = 10_000) int cut) {
        byte[] full = Safetensors.toBytes(f);
        int length = cut % full.length;  // strictly shorter than the file
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(Arrays.copyOf(full, length)));
    }

    @Property
    void appendedBytesAreRefused(@ForAll("contents") SafetensorsFile f, @ForAll @IntRange(min = 1, max = 9) int extra) {
        byte[] full = Safetensors.toBytes(f);
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(Arrays.copyOf(full, full.length + extra)));
    }

    @Property
    void flippedHeaderBytesAreRefusedOrReadConsistently(@ForAll("contents") SafetensorsFile f, @ForAll long seed) {
        byte[] bytes = Safetensors.toBytes(f);
        Rng rng = Rng.seeded(seed);
        int headerEnd = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int flips = 1 + rng.nextInt(3);
        for (int i = 0; i < flips; i++) {
            int at = rng.nextInt(headerEnd);
            bytes[at] ^= (byte) (1 << rng.nextInt(8));
        }
        assertRefusedOrConsistent(bytes);
    }

    @Property
    void flippedDataBytesAlwaysRead(@ForAll("contents") SafetensorsFile f, @ForAll long seed) {
        byte[] bytes = Safetensors.toBytes(f);
        int headerEnd = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (bytes.length > headerEnd) {
            Rng rng = Rng.seeded(seed);
            bytes[headerEnd + rng.nextInt(bytes.length - headerEnd)] ^= (byte) (1 + rng.nextInt(255));
        }
        SafetensorsFile back = Safetensors.read(bytes);  // data bytes are free-form: any value is a number
        assertEquals(f.tensors().keySet(), back.tensors().keySet());
    }

    @Property
    void randomHeaderLengthsAreRefusedOrReadConsistently(@ForAll("contents") SafetensorsFile f, @ForAll long length) {
        byte[] bytes = Safetensors.toBytes(f);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        assertRefusedOrConsistent(bytes);
    }

    @Property
    void rewrittenHeaderFieldsAreRefusedOrReadConsistently(@ForAll("contents") SafetensorsFile f, @ForAll long seed) throws Exception {
        byte[] bytes = Safetensors.toBytes(f);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
        Rng rng = Rng.seeded(seed);
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        if (names.isEmpty()) {
            // an empty tensor gives the mutation something to work on
            ObjectNode empty = header.putObject("x");
            empty.put("dtype", "F64");
            empty.putArray("shape").add(0);
            empty.putArray("data_offsets").add(0).add(0);
            names.add("x");
        }
        String name = names.get(rng.nextInt(names.size()));
        JsonNode target = header.get(name);
        if (target instanceof ObjectNode entry && !name.equals("__metadata__")) {
            switch (rng.nextInt(6)) {
                case 0 -> entry.put("dtype", List.of("F64", "F32", "F16", "BF16", "I64", "BOOL", "f64", "", "F8_E4M3")
                        .get(rng.nextInt(9)));
                case 1 -> {
                    ArrayNode shape = entry.putArray("shape");
                    int rank = rng.nextInt(4);
                    for (int i = 0; i < rank; i++) {
                        shape.add(randomInteger(rng));
                    }
                }
                case 2 -> ((ArrayNode) entry.get("data_offsets")).set(rng.nextInt(2), JSON.getNodeFactory().numberNode(randomInteger(rng)));
                case 3 -> entry.remove(List.of("dtype", "shape", "data_offsets").get(rng.nextInt(3)));
                case 4 -> entry.put("extra", 1);
                default -> header.set(name, JSON.getNodeFactory().numberNode(rng.nextInt(3)));
            }
        } else {
            header.put("__metadata__", rng.nextInt(2));
        }
        byte[] json = JSON.writeValueAsBytes(header);
        byte[] mutated = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
        assertRefusedOrConsistent(mutated);
    }

    @Property
    void randomBytesAreRefusedOrReadConsistently(@ForAll long seed, @ForAll @IntRange(min = 0, max = 64) int length) {
        Rng rng = Rng.seeded(seed);
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) rng.nextLong();
        }
        if (length >= 8 && rng.nextInt(2) == 0) {
            // a plausible header length, so the JSON parser gets to see the garbage too
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, rng.nextInt(length - 7));
        }
        assertRefusedOrConsistent(bytes);
    }

    /** Small, zero, negative, huge and beyond-long integers, as a hostile header might hold. */
    private static long randomInteger(Rng rng) {
        return switch (rng.nextInt(5)) {
            case 0 -> rng.nextInt(40);
            case 1 -> -1 - rng.nextInt(5);
            case 2 -> Integer.MAX_VALUE + (long) rng.nextInt(3) - 1;
            case 3 -> rng.nextLong();
            default -> Long.MAX_VALUE - rng.nextInt(3);
        };
    }

    /**
     * A successful read must describe exactly the bytes it came from: the stored tensors' byte
     * counts add up to the data section, and writing the result back reads back identically.
     */
    private static void assertRefusedOrConsistent(byte[] bytes) {
        SafetensorsFile read;
        try {
            read = Safetensors.read(bytes);
        } catch (SafetensorsFormatException expected) {
            return;
        } catch (RuntimeException | Error other) {
            fail("reading " + bytes.length + " mutated bytes threw " + other, other);
            return;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>(read.tensors());
        SafetensorsFile again = Safetensors.read(Safetensors.toBytes(read));
        SafetensorsTest.assertSameTensors(tensors, again.tensors());
        assertEquals(read.metadata(), again.metadata());
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long maxDataBytes = bytes.length - 8 - headerLength;
        long minDataBytes = 0;
        for (Tensor t : tensors.values()) {
            minDataBytes += 2L * t.size();  // at least two bytes per element (F16/BF16)
        }
        if (minDataBytes > maxDataBytes) {
            fail("read " + tensors.size() + " tensors needing at least " + minDataBytes + " bytes from a " + maxDataBytes + "-byte data section");
        }
    }
}
