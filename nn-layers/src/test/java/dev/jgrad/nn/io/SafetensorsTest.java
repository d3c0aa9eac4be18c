package dev.jgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Rng rng = Rng.seeded(7);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w64", Tensor.randn(rng, DType.F64, 1.0, 3, 4));
        m.put("w32", Tensor.randn(rng, DType.F32, 1.0, 2, 3, 2));
        m.put("scalar", Tensor.scalar(-2.5));
        m.put("empty", Tensor.zeros(DType.F64, 0));
        m.put("empty3", Tensor.zeros(DType.F32, 2, 0, 3));
        m.put("special", Tensor.vector(Double.NaN, Double.POSITIVE_INFINITY, -0.0, Double.MIN_VALUE, -Double.MAX_VALUE));
        return m;
    }

    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            Tensor e = expected.get(name);
            Tensor a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertEquals(e.shape(), a.shape(), name);
            if (e.dtype() == DType.F64) {
                double[] ed = e.toDoubleArray();
                double[] ad = a.toDoubleArray();
                for (int i = 0; i < ed.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(ed[i]), Double.doubleToRawLongBits(ad[i]), name + "[" + i + "]");
                }
            } else {
                float[] ef = e.toFloatArray();
                float[] af = a.toFloatArray();
                for (int i = 0; i < ef.length; i++) {
                    assertEquals(Float.floatToRawIntBits(ef[i]), Float.floatToRawIntBits(af[i]), name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void roundTripsInMemoryBitForBit() {
        SafetensorsFile f = new SafetensorsFile(sample(), Map.of("format", "pt", "note", "é ✓"));
        SafetensorsFile back = Safetensors.read(Safetensors.toBytes(f));
        assertSameTensors(f.tensors(), back.tensors());
        assertEquals(f.metadata(), back.metadata());
    }

    @Test
    void roundTripsThroughAFileAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafetensorsFile f = new SafetensorsFile(sample(), Map.of("k", "v"));
        Safetensors.write(p, f);
        assertSameTensors(f.tensors(), Safetensors.read(p).tensors());
        assertArrayEquals(Safetensors.toBytes(f), Files.readAllBytes(p));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void emptyFileHasOnlyAHeader() {
        byte[] bytes = Safetensors.toBytes(SafetensorsFile.of(Map.of()));
        assertEquals(0, Safetensors.read(bytes).tensors().size());
        assertEquals(bytes.length - 8, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    @Test
    void headerIsPaddedSoDataIsEightByteAligned() {
        for (int len = 1; len < 12; len++) {
            byte[] bytes = Safetensors.toBytes(SafetensorsFile.of(Map.of("x".repeat(len), Tensor.vector(1, 2))));
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length for name length " + len);
        }
    }

    @Test
    void overwriteReplacesAndFailedWriteKeepsThePreviousFile() throws IOException {
        Path p = dir.resolve("w.safetensors");
        Safetensors.write(p, SafetensorsFile.of(Map.of("a", Tensor.vector(1, 2, 3))));
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("ok", Tensor.vector(9));
        bad.put("__metadata__", Tensor.vector(1));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(p, SafetensorsFile.of(bad)));
        assertArrayEquals(before, Files.readAllBytes(p));
        Safetensors.write(p, SafetensorsFile.of(Map.of("b", Tensor.vector(4))));
        assertEquals(Map.of("b", 4.0), Map.of("b", Safetensors.read(p).tensor("b").at(0)));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    /** The cause names the missing folder, not the temporary file the atomic write would have made in it. */
    @Test
    void writingIntoAMissingDirectoryIsAnUncheckedIoErrorNamingTheFolder() throws IOException {
        Path p = dir.resolve("missing/w.safetensors");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> Safetensors.write(p, SafetensorsFile.of(Map.of("a", Tensor.vector(1)))));
        assertEquals("safetensors: cannot write " + p + ": the folder " + p.getParent() + " does not exist", e.getMessage());
        Path file = Files.writeString(dir.resolve("plain.txt"), "not a folder");
        e = assertThrows(UncheckedIOException.class,
                () -> Safetensors.write(file.resolve("w.safetensors"), SafetensorsFile.of(Map.of("a", Tensor.vector(1)))));
        assertEquals("safetensors: cannot write " + file.resolve("w.safetensors") + ": " + file + " is not a folder", e.getMessage());
    }

    @Test
    void readsHalfAndBrainFloatAsFloat32() {
        // IEEE half: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +inf; bfloat16: 1, -3, 2^-133 (subnormal), -inf
        short[] half = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x7C00};
        float[] halfValues = {1f, -2f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY};
        short[] brain = {0x3F80, (short) 0xC040, 0x0001, (short) 0xFF80};
        float[] brainValues = {1f, -3f, Float.intBitsToFloat(0x00010000), Float.NEGATIVE_INFINITY};
        ByteBuffer data = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : half) {
            data.putShort(s);
        }
        for (short s : brain) {
            data.putShort(s);
        }
        byte[] file = handMade("{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[10,18]}}", data.array());
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(DType.F32, f.tensor("h").dtype());
        assertArrayEquals(halfValues, f.tensor("h").toFloatArray());
        assertEquals(DType.F32, f.tensor("b").dtype());
        assertArrayEquals(brainValues, f.tensor("b").toFloatArray());
    }

    @Test
    void acceptsEntriesInAnyJsonOrderAndNullMetadata() {
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.5).putDouble(-4);
        byte[] file = handMade("{\"second\":{\"data_offsets\":[8,16],\"shape\":[],\"dtype\":\"F64\"},"
                + "\"__metadata__\":null,\"first\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data.array());
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(List.of("first", "second"), List.copyOf(f.tensors().keySet()), "ordered by data offset");
        assertEquals(-4.0, f.tensor("second").item());
        assertEquals(Map.of(), f.metadata());
    }

    // ---------------------------------------------------------------- refusals, one per rule

    /** The 8-byte length, the header text (unpadded) and the data. */
    static byte[] handMade(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    /** A 16-byte file whose first 8 bytes give {@code headerLength} and the rest are zeros. */
    private static byte[] sixteenBytesClaiming(long headerLength) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
    }

    private static void assertRefused(byte[] file, String... fragments) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(file));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void refusesShortFilesAndHeaderLengthsBeyondTheFileOrTheLimit() {
        assertRefused(new byte[5], "5 bytes", "8-byte header length");
        byte[] huge = sixteenBytesClaiming(-1L);
        assertRefused(huge, "18446744073709551615", "exceeds the limit");
        byte[] past = sixteenBytesClaiming(1000);
        assertRefused(past, "header length 1000", "past the end");
        byte[] overLimit = sixteenBytesClaiming(Safetensors.MAX_HEADER_BYTES + 1);
        assertRefused(overLimit, "exceeds the limit");
    }

    /**
     * At each edge of those checks a file passes it and is refused by the next: 8 bytes hold the header length; a header
     * length of 0, of exactly the limit, and of exactly the bytes after the length are not refused for their size.
     */
    @Test
    void aHeaderLengthAtEachEdgeIsRefusedOnlyByTheNextCheck() {
        byte[] eight = new byte[8];   // header length 0, nothing after it
        assertRefused(eight, "safetensors <8 bytes>: header does not start with '{'");
        byte[] atLimit = sixteenBytesClaiming(Safetensors.MAX_HEADER_BYTES);
        assertRefused(atLimit, "header length " + Safetensors.MAX_HEADER_BYTES + " runs past the end of the file (16 bytes, so at most 8 header bytes)");
        byte[] oneTooMany = sixteenBytesClaiming(9);
        assertRefused(oneTooMany, "header length 9 runs past the end of the file (16 bytes, so at most 8 header bytes)");
        byte[] exact = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put("{}      ".getBytes(StandardCharsets.UTF_8)).array();
        assertEquals(0, Safetensors.read(exact).tensors().size(), "a header that fills the file exactly is read");
    }

    @Test
    void refusesBadJsonAndNonObjects() {
        assertRefused(handMade("{\"a\":", new byte[0]), "not valid JSON");
        assertRefused(handMade("[1,2]", new byte[0]), "does not start with '{'");
        assertRefused(handMade(" {}", new byte[0]), "does not start with '{'");
        assertRefused(handMade("{} {}", new byte[0]), "not valid JSON");
        assertRefused(handMade("{\"a\":1}", new byte[0]), "tensor 'a'", "not an object");
        byte[] badUtf8 = handMade("{\"a\":\"\"}", new byte[0]);
        badUtf8[8 + 2] = (byte) 0xC3;  // a lead byte followed by '"' is malformed UTF-8
        assertRefused(badUtf8, "UTF-8");
    }

    @Test
    void refusesMissingExtraAndDuplicateKeys() {
        byte[] eight = new byte[8];
        assertRefused(handMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[1]}}", eight), "tensor 'w'", "missing key 'data_offsets'");
        assertRefused(handMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"x\":1}}", eight),
                "tensor 'w'", "unexpected key 'x'");
        assertRefused(handMade("{" + entry("w", "F64", "[1]", 0, 8) + "," + entry("w", "F64", "[1]", 0, 8) + "}", eight),
                "repeats a name", "'w'");
        assertRefused(handMade("{\"w\":{\"dtype\":\"F64\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", eight),
                "repeats a name", "'dtype'");
        assertRefused(handMade("{\"__metadata__\":{\"k\":1}," + entry("w", "F64", "[1]", 0, 8) + "}", eight),
                "__metadata__", "'k'", "not a string");
        assertRefused(handMade("{\"__metadata__\":[]," + entry("w", "F64", "[1]", 0, 8) + "}", eight), "__metadata__", "not an object");
    }

    @Test
    void refusesUnknownAndUnsupportedDtypes() {
        byte[] eight = new byte[8];
        assertRefused(handMade("{" + entry("w", "F128", "[1]", 0, 8) + "}", eight), "tensor 'w'", "unknown dtype 'F128'");
        assertRefused(handMade("{" + entry("w", "I64", "[1]", 0, 8) + "}", eight), "tensor 'w'", "I64 is not supported");
        assertRefused(handMade("{\"w\":{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,8]}}", eight), "tensor 'w'", "not a string");
    }

    /** The lenient read skips tensors of dtypes jgrad does not hold, names each, and keeps the rest bit for bit. */
    @Test
    void lenientReadSkipsUnheldDtypesAndNamesThem() {
        byte[] data = ByteBuffer.allocate(8 + 8 + 3 + 5).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.5).putLong(42).put(new byte[] {1, 0, 1})
                .put(new byte[5]).array();
        byte[] file = handMade("{\"__metadata__\":{\"format\":\"pt\"}," + entry("w", "F64", "[1]", 0, 8) + "," + entry("step", "I64", "[]", 8, 16)
                + "," + entry("mask", "BOOL", "[3]", 16, 19) + "," + entry("q", "U8", "[5]", 19, 24) + "}", data);
        Safetensors.LenientRead r = Safetensors.readLenient(file);
        assertEquals(List.of("w"), List.copyOf(r.file().tensors().keySet()));
        assertEquals(1.5, r.file().tensor("w").item());
        assertEquals(Map.of("format", "pt"), r.file().metadata());
        assertEquals("[step I64[], mask BOOL[3], q U8[5]]", r.skipped().toString());
        assertEquals("skipped 3 tensors of dtypes jgrad does not hold: step I64[], mask BOOL[3], q U8[5]", r.describeSkipped());
        assertEquals("", Safetensors.readLenient(Safetensors.toBytes(SafetensorsFile.of(sample()))).describeSkipped());
        // the strict read refuses the same file, and says where to go instead
        assertRefused(file, "tensor 'step'", "I64 is not supported", "readLenient");
    }

    /** Skipped tensors are still validated: a wrong byte length or a gap in the data section is refused, not skipped. */
    @Test
    void lenientReadStillRefusesMalformedFiles() {
        byte[] sixteen = new byte[16];
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> Safetensors.readLenient(handMade("{" + entry("step", "I64", "[2]", 0, 8) + "}", sixteen)));
        assertTrue(e.getMessage().contains("tensor 'step'") && e.getMessage().contains("needs 16 bytes"), e.getMessage());
        e = assertThrows(SafetensorsFormatException.class,
                () -> Safetensors.readLenient(handMade("{" + entry("m", "BOOL", "[4]", 4, 8) + "}", new byte[8])));
        assertTrue(e.getMessage().contains("gap of 4 bytes"), e.getMessage());
    }

    @Test
    void refusesNegativeNonIntegerAndOverflowingShapes() {
        byte[] eight = new byte[8];
        assertRefused(handMade("{" + entry("w", "F64", "[-1]", 0, 8) + "}", eight), "tensor 'w'", "shape entry 0", "-1");
        assertRefused(handMade("{" + entry("w", "F64", "[1.5]", 0, 8) + "}", eight), "tensor 'w'", "1.5");
        assertRefused(handMade("{" + entry("w", "F64", "[\"1\"]", 0, 8) + "}", eight), "tensor 'w'", "shape entry 0");
        assertRefused(handMade("{" + entry("w", "F64", "1", 0, 8) + "}", eight), "tensor 'w'", "not an array");
        assertRefused(handMade("{" + entry("w", "F64", "[99999999999999999999999]", 0, 8) + "}", eight), "tensor 'w'");
        assertRefused(handMade("{" + entry("w", "F64", "[2147483647,2147483647,2147483647,4]", 0, 8) + "}", eight), "tensor 'w'");
        // products that wrap around a long to a small number must not slip through
        assertRefused(handMade("{" + entry("w", "F64", "[2147483639,2147483639,2147483639,2147483639,2147483639]", 0, 8) + "}", eight),
                "tensor 'w'");
    }

    @Test
    void refusesByteCountsThatDisagreeWithTheShape() {
        assertRefused(handMade("{" + entry("w", "F64", "[2]", 0, 8) + "}", new byte[8]), "tensor 'w'", "needs 16 bytes", "hold 8");
        assertRefused(handMade("{" + entry("w", "F32", "[2,3]", 0, 8) + "}", new byte[8]), "tensor 'w'", "[2, 3]", "needs 24");
    }

    @Test
    void refusesOffsetsOutOfRangeReversedOverlappingGappedOrTrailing() {
        byte[] sixteen = new byte[16];
        assertRefused(handMade("{" + entry("w", "F64", "[1]", 8, 0) + "}", sixteen), "tensor 'w'", "end before");
        assertRefused(handMade("{" + entry("w", "F64", "[3]", 0, 24) + "}", sixteen), "tensor 'w'", "past the data section");
        assertRefused(handMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[-8,0]}}", sixteen), "tensor 'w'", "begin");
        assertRefused(handMade("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0]}}", sixteen), "tensor 'w'", "pair");
        assertRefused(handMade("{" + entry("a", "F64", "[2]", 0, 16) + "," + entry("b", "F64", "[1]", 8, 16) + "}", sixteen),
                "tensor 'b'", "overlap tensor 'a'");
        assertRefused(handMade("{" + entry("a", "F64", "[1]", 8, 16) + "}", sixteen), "tensor 'a'",
                "gap of 8 bytes after the start of the data section");
        assertRefused(handMade("{" + entry("a", "F64", "[1]", 0, 8) + "," + entry("b", "F64", "[1]", 16, 24) + "}", new byte[24]),
                "tensor 'b' data_offsets [16, 24] leave a gap of 8 bytes after tensor 'a'");
        // a shape whose byte count overflows a long, with offsets of no bytes, is refused by its size
        assertRefused(handMade("{" + entry("w", "F64", "[2147483639,2147483639,2147483639]", 0, 0) + "}", new byte[0]),
                "tensor 'w'", "needs more than 2^63 bytes");
        assertRefused(handMade("{" + entry("a", "F64", "[1]", 0, 8) + "}", sixteen), "8 trailing bytes", "'a'");
        assertRefused(handMade("{}", new byte[3]), "3 trailing bytes");
        // an empty tensor inside another tensor's range breaks the tiling too (as in the reference implementation)
        assertRefused(handMade("{" + entry("a", "F64", "[2]", 0, 16) + "," + entry("e", "F64", "[0]", 8, 8) + "}", sixteen),
                "tensor 'e'", "overlap");
    }

    /**
     * Values are encoded and decoded 64 KiB at a time: tensors of two chunks and a part of a third, in both dtypes, between
     * smaller ones, come back bit for bit from bytes and from a file.
     */
    @Test
    void tensorsLongerThanAChunkComeBackBitForBit() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("before", Tensor.vector(1.5, -2.5));
        tensors.put("f64", Tensor.randn(Rng.seeded(31), DType.F64, 1.0, 2 * 8192 + 5));
        tensors.put("f32", Tensor.randn(Rng.seeded(32), DType.F32, 1.0, 3, 2 * 16384 / 3 + 7));
        tensors.put("after", Tensor.vector(3.25));
        SafetensorsFile f = SafetensorsFile.of(tensors);
        Path p = dir.resolve("long.safetensors");
        Safetensors.write(p, f);
        for (SafetensorsFile back : List.of(Safetensors.read(Safetensors.toBytes(f)), Safetensors.read(p))) {
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.tensors().keySet()));
            tensors.forEach((name, t) -> {
                assertEquals(t.shape(), back.tensor(name).shape(), name);
                assertEquals(t.dtype(), back.tensor(name).dtype(), name);
                assertArrayEquals(t.toDoubleArray(), back.tensor(name).toDoubleArray(), name);
            });
        }
    }

    /**
     * An empty tensor takes no bytes and comes back empty; a header is padded with spaces to a multiple of 8 bytes and by
     * fewer than 8; and a tensor whose offsets hold other than its shape's bytes is refused with both counts.
     */
    @Test
    void emptyTensorsPaddedHeadersAndByteCountsThatDisagree() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.vector(2.0));
        tensors.put("empty", Tensor.zeros(DType.F64, 0, 3));
        byte[] bytes = Safetensors.toBytes(SafetensorsFile.of(tensors));
        Tensor back = Safetensors.read(bytes).tensor("empty");
        assertEquals(Tensor.zeros(DType.F64, 0, 3).shape(), back.shape());
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals(0, headerLength % 8, header);
        assertTrue(headerLength - header.stripTrailing().length() < 8, "padding of " + (headerLength - header.stripTrailing().length()));
        assertRefused(handMade("{" + entry("a", "F64", "[1]", 0, 8) + "," + entry("b", "F64", "[0]", 8, 16) + "}", new byte[16]),
                "tensor 'b'", "needs 0 bytes but data_offsets [8, 16] hold 8");
    }

    @Test
    void aNullTensorOrMetadataValueIsRefusedByItsName() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> new SafetensorsFile(tensors, Map.of()));
        assertEquals("safetensors: tensor 'w' is null", e.getMessage());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("k", null);
        e = assertThrows(NullPointerException.class, () -> new SafetensorsFile(Map.of(), metadata));
        assertEquals("safetensors: metadata 'k' is null", e.getMessage());
    }

    @Test
    void aTruncatedFileOnDiskIsRefusedNotHalfLoaded() throws IOException {
        Path p = dir.resolve("t.safetensors");
        byte[] full = Safetensors.toBytes(SafetensorsFile.of(sample()));
        Files.write(p, java.util.Arrays.copyOf(full, full.length - 3));
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(p));
    }

    @Test
    void everyTruncationOfAFileIsRefused() {
        byte[] full = Safetensors.toBytes(new SafetensorsFile(sample(), Map.of("k", "v")));
        for (int length = 0; length < full.length; length++) {
            int n = length;
            assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(java.util.Arrays.copyOf(full, n)), "length " + n);
        }
    }

    @Test
    void readingTheArrayIsIsolatedFromLaterChangesToIt() {
        byte[] bytes = Safetensors.toBytes(SafetensorsFile.of(Map.of("a", Tensor.vector(1, 2))));
        SafetensorsFile f = Safetensors.read(bytes);
        java.util.Arrays.fill(bytes, (byte) 0);
        assertEquals(2.0, f.tensor("a").at(1));
    }

    @Test
    void nullNamesTensorsAndMetadataAreRefusedAtConstruction() {
        Map<String, Tensor> nullTensor = new LinkedHashMap<>();
        nullTensor.put("w", null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> SafetensorsFile.of(nullTensor));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThrows(NullPointerException.class, () -> new SafetensorsFile(Map.of(), nullValue));
    }

    @Test
    void missingTensorLookupNamesWhatIsPresent() {
        SafetensorsFile f = SafetensorsFile.of(Map.of("a", Tensor.vector(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tensor("b"));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("[a]"), e.getMessage());
    }
}
