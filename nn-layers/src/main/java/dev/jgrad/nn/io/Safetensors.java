package dev.jgrad.nn.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 *
 * <pre>
 * [8 bytes: N, unsigned little-endian] [N bytes: UTF-8 JSON header] [data section]
 * header = {"name": {"dtype": "F64", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...,
 *           "__metadata__": {"key": "value", ...}}
 * </pre>
 *
 * Offsets count bytes from the start of the data section; data is row-major and little-endian.
 *
 * <p><b>Writing</b> stores {@link DType#F64} and {@link DType#F32} tensors as {@code "F64"} and
 * {@code "F32"}, pads the header with spaces to a multiple of 8 bytes (as the reference writer does,
 * so every tensor starts 8-byte aligned), and is atomic: the bytes go to a temporary file in the
 * target's directory, are forced to disk, and the temporary file is then renamed over the target,
 * so a crash leaves either the previous file or the new one, never a mixture.
 *
 * <p><b>Reading</b> accepts {@code F64} and {@code F32} (kept as they are) and {@code F16} and
 * {@code BF16} (widened exactly to float32). It follows the validation of the reference Rust
 * implementation ({@code safetensors} crate, which PyTorch users load through): header length at
 * most {@value #MAX_HEADER_BYTES} bytes and within the file, header a UTF-8 JSON object starting
 * with <code>'{'</code> (trailing spaces allowed), each tensor's byte length equal to its element count
 * times its dtype size, and the tensors' byte ranges tiling the data section exactly, with no
 * overlap, no gap and no trailing bytes (the order of entries in the JSON is free). It is stricter
 * in four places, each refused with a message: duplicate names, keys other than
 * {@code dtype}/{@code shape}/{@code data_offsets} in a tensor entry, non-string metadata values,
 * and shapes a jgrad {@link Tensor} cannot hold (a dimension or element count of 2<sup>31</sup>
 * or more). Every check on the header runs before any tensor data is allocated, and data buffers
 * are never larger than the file, so a hostile header cannot cause an {@link OutOfMemoryError}.
 * Any malformation is a {@link SafetensorsFormatException}; nothing is returned from such a file.
 *
 * <p>{@link #read} refuses a file holding a tensor of a dtype jgrad does not hold (integers, BOOL,
 * 8-bit floats); {@link #readLenient} validates the whole file the same way but skips those tensors
 * and names them, for a PyTorch state_dict that carries an {@code I64} step counter or a
 * {@code BOOL} mask beside its weights.
 */
public final class Safetensors {
    /** Largest header accepted, the reference implementation's limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");
    /** Bytes decoded or encoded per chunk, so a large tensor never needs a second full-size buffer. */
    private static final int CHUNK_BYTES = 1 << 16;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Safetensors() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads a whole safetensors file.
     *
     * @param path the file
     * @return its tensors and metadata
     * @throws SafetensorsFormatException if the file is malformed (the message names the file)
     * @throws UncheckedIOException       if the file cannot be read
     */
    public static SafetensorsFile read(Path path) {
        Objects.requireNonNull(path, "path");
        return parseFile(path, false).file();
    }

    private static LenientRead parseFile(Path path, boolean lenient) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            return parse(new Source() {
                @Override
                public long size() {
                    return size;
                }

                @Override
                public void readFully(long position, ByteBuffer dst) throws IOException {
                    while (dst.hasRemaining()) {
                        int n = channel.read(dst, position);
                        if (n < 0) {
                            throw new SafetensorsFormatException("safetensors " + path + ": file ended at byte " + position
                                    + " while reading (was it truncated while being read?)");
                        }
                        position += n;
                    }
                }
            }, path.toString(), lenient);
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors: cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads safetensors content held in memory.
     *
     * @param bytes the file's content
     * @return its tensors and metadata
     * @throws SafetensorsFormatException if the bytes are malformed
     */
    public static SafetensorsFile read(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return parseBytes(bytes, false).file();
    }

    /**
     * A tensor {@link #readLenient} left out because jgrad holds no tensors of its dtype.
     *
     * @param name  its name in the file
     * @param dtype its dtype as the file names it ({@code I64}, {@code BOOL}, …)
     * @param shape its shape
     */
    public record Skipped(String name, String dtype, Shape shape) {
        /** Refuses null parts. */
        public Skipped {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
        }

        @Override
        public String toString() {
            return name + " " + dtype + shape;
        }
    }

    /**
     * What {@link #readLenient} read: the tensors of dtypes jgrad holds, with the metadata, and the
     * tensors it skipped, in the file's order.
     *
     * @param file    the tensors read and the metadata
     * @param skipped the tensors left out, in file order
     */
    public record LenientRead(SafetensorsFile file, List<Skipped> skipped) {
        /** Copies the list of skipped tensors; nothing may be null. */
        public LenientRead {
            Objects.requireNonNull(file, "file");
            skipped = List.copyOf(Objects.requireNonNull(skipped, "skipped"));
        }

        /**
         * {@code "skipped 2 tensors of dtypes jgrad does not hold: step I64[], mask BOOL[2, 5]"}, or "" when none were.
         *
         * @return one line naming the skipped tensors, or the empty string
         */
        public String describeSkipped() {
            if (skipped.isEmpty()) {
                return "";
            }
            return "skipped " + skipped.size() + (skipped.size() == 1 ? " tensor" : " tensors") + " of dtypes jgrad does not hold: "
                    + String.join(", ", skipped.stream().map(Skipped::toString).toList());
        }
    }

    /**
     * Reads a whole safetensors file as {@link #read(Path)} does, except that tensors of dtypes jgrad
     * does not hold (integers, BOOL, 8-bit floats) are skipped and listed instead of refused. They are
     * still validated (shape, byte length, place in the data section): a malformed file is refused.
     *
     * @param path the file
     * @return what was read and what was skipped
     * @throws SafetensorsFormatException if the file is malformed (the message names the file)
     * @throws UncheckedIOException       if the file cannot be read
     */
    public static LenientRead readLenient(Path path) {
        Objects.requireNonNull(path, "path");
        return parseFile(path, true);
    }

    /**
     * {@link #readLenient(Path)} for content held in memory.
     *
     * @param bytes the file's content
     * @return what was read and what was skipped
     */
    public static LenientRead readLenient(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return parseBytes(bytes, true);
    }

    private static LenientRead parseBytes(byte[] bytes, boolean lenient) {
        byte[] held = bytes.clone();  // the caller may change the array while we read it
        try {
            return parse(new Source() {
                @Override
                public long size() {
                    return held.length;
                }

                @Override
                public void readFully(long position, ByteBuffer dst) {
                    dst.put(held, (int) position, dst.remaining());
                }
            }, "<" + held.length + " bytes>", lenient);
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // unreachable: memory reads do not fail
        }
    }

    /** Random access to the bytes being parsed (a file or an array). */
    private interface Source {
        long size();

        /** Fills {@code dst} from its position to its limit with bytes starting at {@code position}. */
        void readFully(long position, ByteBuffer dst) throws IOException;
    }

    /** A parsed header entry: where a tensor's bytes are and how to decode them. */
    private record Entry(String name, StoredType type, int[] dims, long begin, long end) {
    }

    /** The format's dtypes: the first four decoded, the others recognised so they can be skipped or refused as "not supported". */
    private enum StoredType {
        F64(8), F32(4), F16(2), BF16(2),
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), I32(4), U32(4), I64(8), U64(8);

        final int bytes;

        StoredType(int bytes) {
            this.bytes = bytes;
        }

        /** Whether jgrad holds tensors of this dtype (as float64 or float32). */
        boolean held() {
            return ordinal() <= BF16.ordinal();
        }
    }

    private static LenientRead parse(Source src, String where, boolean lenient) throws IOException {
        String at = "safetensors " + where;
        long size = src.size();
        if (size < 8) {
            throw new SafetensorsFormatException(at + ": " + size + " bytes cannot hold the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.readFully(0, lengthBytes);
        long headerLength = lengthBytes.getLong(0);  // unsigned: a negative long is above 2^63
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(at + ": header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength > size - 8) {
            throw new SafetensorsFormatException(at + ": header length " + headerLength + " runs past the end of the file ("
                    + size + " bytes, so at most " + (size - 8) + " header bytes)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        src.readFully(8, headerBytes);
        headerBytes.flip();
        JsonNode root = parseHeader(headerBytes, at);
        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(field.getValue(), at);
            } else {
                entries.add(parseEntry(field.getKey(), field.getValue(), dataLength, at, lenient));
            }
        }
        checkTiling(entries, dataLength, at);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Entry e : entries) {
            if (e.type().held()) {
                tensors.put(e.name(), decode(src, dataStart, e));
            } else {
                skipped.add(new Skipped(e.name(), e.type().name(), Shape.of(e.dims())));
            }
        }
        return new LenientRead(new SafetensorsFile(tensors, metadata), skipped);
    }

    private static JsonNode parseHeader(ByteBuffer headerBytes, String at) {
        String text;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes);
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(at + ": header is not valid UTF-8", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsFormatException(at + ": header does not start with '{' (a JSON object)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            // Jackson reports a repeated key (a tensor name, or a key inside one entry) as "Duplicate field 'w'"
            String what = why != null && why.startsWith("Duplicate field") ? "header repeats a name: " : "header is not valid JSON: ";
            throw new SafetensorsFormatException(at + ": " + what + why, e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(at + ": header is not a JSON object");
        }
        return root;
    }

    private static Map<String, String> parseMetadata(JsonNode node, String at) {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (node.isNull()) {
            return metadata;  // the reference implementation reads null as "no metadata"
        }
        if (!node.isObject()) {
            throw new SafetensorsFormatException(at + ": " + METADATA_KEY + " is " + node.getNodeType() + ", not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> kv = it.next();
            if (!kv.getValue().isTextual()) {
                throw new SafetensorsFormatException(at + ": " + METADATA_KEY + " value for '" + kv.getKey() + "' is "
                        + kv.getValue().getNodeType() + ", not a string");
            }
            metadata.put(kv.getKey(), kv.getValue().textValue());
        }
        return metadata;
    }

    private static Entry parseEntry(String name, JsonNode node, long dataLength, String at, boolean lenient) {
        String tensor = at + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(tensor + ": entry is " + node.getNodeType() + ", not an object");
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!ENTRY_KEYS.contains(key)) {
                throw new SafetensorsFormatException(tensor + ": unexpected key '" + key + "' (expected dtype, shape, data_offsets)");
            }
        }
        for (String key : List.of("dtype", "shape", "data_offsets")) {
            if (!node.has(key)) {
                throw new SafetensorsFormatException(tensor + ": missing key '" + key + "'");
            }
        }
        StoredType type = parseDType(node.get("dtype"), tensor);
        if (!type.held() && !lenient) {
            throw new SafetensorsFormatException(tensor + ": dtype " + type + " is not supported (jgrad reads F64, F32, F16, BF16;"
                    + " Safetensors.readLenient skips such tensors and names them)");
        }
        int[] dims = parseShape(node.get("shape"), tensor);
        JsonNode offsets = node.get("data_offsets");
        if (!offsets.isArray() || offsets.size() != 2) {
            throw new SafetensorsFormatException(tensor + ": data_offsets " + offsets + " is not a [begin, end] pair");
        }
        long begin = nonNegativeLong(offsets.get(0), "data_offsets begin", tensor);
        long end = nonNegativeLong(offsets.get(1), "data_offsets end", tensor);
        if (end < begin) {
            throw new SafetensorsFormatException(tensor + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataLength) {
            throw new SafetensorsFormatException(tensor + ": data_offsets [" + begin + ", " + end
                    + "] run past the data section (" + dataLength + " bytes)");
        }
        long elements = elementCount(dims);
        long expected = elements < 0 || elements > Long.MAX_VALUE / type.bytes ? -1 : elements * type.bytes;
        if (expected != end - begin) {
            throw new SafetensorsFormatException(tensor + ": shape " + Arrays.toString(dims) + " of " + type + " needs "
                    + (expected < 0 ? "more than 2^63" : Long.toString(expected)) + " bytes but data_offsets ["
                    + begin + ", " + end + "] hold " + (end - begin));
        }
        if (elements > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(tensor + ": shape " + Arrays.toString(dims) + " has " + elements
                    + " elements, more than a jgrad tensor holds (2^31 - 9)");
        }
        return new Entry(name, type, dims, begin, end);
    }

    private static StoredType parseDType(JsonNode node, String tensor) {
        if (!node.isTextual()) {
            throw new SafetensorsFormatException(tensor + ": dtype " + node + " is not a string");
        }
        String name = node.textValue();
        for (StoredType t : StoredType.values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new SafetensorsFormatException(tensor + ": unknown dtype '" + name + "'");
    }

    private static int[] parseShape(JsonNode node, String tensor) {
        if (!node.isArray()) {
            throw new SafetensorsFormatException(tensor + ": shape " + node + " is not an array");
        }
        int[] dims = new int[node.size()];
        for (int i = 0; i < dims.length; i++) {
            long d = nonNegativeLong(node.get(i), "shape entry " + i, tensor);
            if (d > Integer.MAX_VALUE - 8) {
                throw new SafetensorsFormatException(tensor + ": shape " + node + " entry " + i + " (" + d
                        + ") is larger than a jgrad tensor dimension can be");
            }
            dims[i] = (int) d;
        }
        return dims;
    }

    private static long nonNegativeLong(JsonNode node, String what, String tensor) {
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            throw new SafetensorsFormatException(tensor + ": " + what + " is " + node + ", not a non-negative integer below 2^63");
        }
        return node.longValue();
    }

    /** The product of the dimensions, or -1 if it overflows a long. */
    private static long elementCount(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d == 0) {
                return 0;
            }
        }
        for (int d : dims) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException overflow) {
                return -1;
            }
        }
        return n;
    }

    /** The reference implementation's rule: sorted by offsets, the byte ranges tile [0, dataLength). */
    private static void checkTiling(List<Entry> entries, long dataLength, String at) {
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : entries) {
            if (e.begin() < expected) {
                throw new SafetensorsFormatException(at + ": tensor '" + e.name() + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous + "', which ends at " + expected);
            }
            if (e.begin() > expected) {
                throw new SafetensorsFormatException(at + ": tensor '" + e.name() + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave a gap of " + (e.begin() - expected) + " bytes after " + (previous == null
                        ? "the start of the data section" : "tensor '" + previous + "'"));
            }
            expected = e.end();
            previous = e.name();
        }
        if (expected != dataLength) {
            throw new SafetensorsFormatException(at + ": " + (dataLength - expected) + " trailing bytes after the last tensor"
                    + (previous == null ? "" : " ('" + previous + "')") + " (data section is " + dataLength + " bytes)");
        }
    }

    private static Tensor decode(Source src, long dataStart, Entry e) throws IOException {
        int n = (int) elementCount(e.dims());
        int width = e.type().bytes;
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, (long) n * width)).order(ByteOrder.LITTLE_ENDIAN);
        double[] d = e.type() == StoredType.F64 ? new double[n] : null;
        float[] f = d == null ? new float[n] : null;
        long position = dataStart + e.begin();
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, CHUNK_BYTES / width);
            chunk.clear().limit(k * width);
            src.readFully(position, chunk);
            chunk.flip();
            for (int i = 0; i < k; i++) {
                switch (e.type()) {
                    case F64 -> d[done + i] = chunk.getDouble();
                    case F32 -> f[done + i] = chunk.getFloat();
                    case F16 -> f[done + i] = Float.float16ToFloat(chunk.getShort());
                    // bfloat16 is the high half of a float32
                    case BF16 -> f[done + i] = Float.intBitsToFloat((chunk.getShort() & 0xFFFF) << 16);
                }
            }
            done += k;
            position += (long) k * width;
        }
        return d != null ? Tensor.of(d, e.dims()) : Tensor.of(f, e.dims());
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes {@code contents} to {@code path} atomically (see the class comment): the previous
     * file, if any, stays intact until the new one is complete on disk.
     *
     * @param path     the file written
     * @param contents the tensors and metadata
     * @throws IllegalArgumentException if a tensor is named {@code "__metadata__"}
     * @throws UncheckedIOException     if the file cannot be written (the target is then untouched)
     */
    public static void write(Path path, SafetensorsFile contents) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(contents, "contents");
        byte[] header = header(contents);
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeAll(out, ByteBuffer.wrap(header));
                for (Tensor t : contents.tensors().values()) {
                    encode(t, chunk -> writeAll(out, chunk));
                }
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            forceDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors: cannot write " + path + ": " + whyNotWritten(dir, e), e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("safetensors: cannot write " + path + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; that error is the one worth reporting
                }
            }
        }
    }

    /**
     * Why a write into {@code dir} failed: a folder that is missing or not a folder is named as such,
     * since the JDK's own message would name the temporary file it could not create there.
     */
    private static String whyNotWritten(Path dir, IOException e) {
        if (!Files.exists(dir)) {
            return "the folder " + dir + " does not exist";
        }
        if (!Files.isDirectory(dir)) {
            return dir + " is not a folder";
        }
        return e.getMessage();
    }

    /** Makes the rename itself durable where the platform allows syncing a directory (Linux does). */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // the file is complete and renamed; only its durability across a power cut is not guaranteed here
        }
    }

    /**
     * The bytes of a safetensors file holding {@code contents} (what {@link #write} puts on disk).
     *
     * @param contents the tensors and metadata
     * @return the file's bytes
     */
    public static byte[] toBytes(SafetensorsFile contents) {
        Objects.requireNonNull(contents, "contents");
        byte[] header = header(contents);
        long total = header.length;
        for (Tensor t : contents.tensors().values()) {
            total += (long) t.size() * t.dtype().bytes();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("safetensors: " + total + " bytes do not fit in a byte array; write to a file instead");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(header);
        for (Tensor t : contents.tensors().values()) {
            encode(t, out::put);
        }
        return out.array();
    }

    /** The 8-byte length and the JSON header, padded with spaces so the data starts 8-byte aligned. */
    private static byte[] header(SafetensorsFile contents) {
        ObjectNode root = JSON.createObjectNode();
        if (!contents.metadata().isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            contents.metadata().forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> kv : contents.tensors().entrySet()) {
            if (kv.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("safetensors: a tensor cannot be named " + METADATA_KEY);
            }
            Tensor t = kv.getValue();
            ObjectNode entry = root.putObject(kv.getKey());
            entry.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape().dims()) {
                shape.add(d);
            }
            long bytes = (long) t.size() * t.dtype().bytes();
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("safetensors: cannot serialise header", e);  // a tree of strings and numbers always serialises
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** Something that takes encoded chunks (a file channel or an in-memory buffer). */
    private interface ChunkSink {
        void accept(ByteBuffer chunk) throws IOException;
    }

    private static void encode(Tensor t, ChunkSink sink) {
        int width = t.dtype().bytes();
        ByteBuffer chunk = ByteBuffer.allocate(Math.max(width, Math.min(CHUNK_BYTES, t.size() * width))).order(ByteOrder.LITTLE_ENDIAN);
        // One copy of the values; toDoubleArray/toFloatArray return copies, so take the matching one once.
        double[] d = t.dtype() == DType.F64 ? t.toDoubleArray() : null;
        float[] f = d == null ? t.toFloatArray() : null;
        int n = t.size();
        try {
            for (int done = 0; done < n; ) {
                int k = Math.min(n - done, chunk.capacity() / width);
                chunk.clear();
                for (int i = 0; i < k; i++) {
                    if (d != null) {
                        chunk.putDouble(d[done + i]);
                    } else {
                        chunk.putFloat(f[done + i]);
                    }
                }
                chunk.flip();
                sink.accept(chunk);
                done += k;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeAll(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
