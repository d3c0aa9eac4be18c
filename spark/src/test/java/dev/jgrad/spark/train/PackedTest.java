package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What travels between driver and tasks comes back with the same bits, and float32 values travel as float32. */
class PackedTest {
    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    private static int serializedSize(Object value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return bytes.size();
    }

    private static long[] bits(double[] v) {
        return Arrays.stream(v).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @Test
    void everyBitComesBack() throws Exception {
        // (Java serialisation itself keeps no NaN payloads; a NaN stops training before it would travel anyway.)
        double[] floatExact = {0.5, -0.0, (float) 1e-40 /* a float32 subnormal */, Float.MIN_VALUE, (float) 0.1,
            Double.POSITIVE_INFINITY, Float.NaN};
        double[] notFloat = {0.1, 1e300, Double.MIN_VALUE};
        Partial p = new Partial(new String[] {"a", "b", "c"}, new double[][] {floatExact, notFloat, null}, new double[] {1, 2, 3},
                Map.of("step", 4.0), Map.of(2, new double[][] {floatExact}), null, 7);
        Partial back = roundTrip(p);
        assertArrayEquals(bits(floatExact), bits(back.vectors()[0]));
        assertArrayEquals(bits(notFloat), bits(back.vectors()[1]));
        assertNull(back.vectors()[2]);
        assertArrayEquals(bits(floatExact), bits(back.states().get(2)[0]));
        assertEquals(Map.of("step", 4.0), back.agreed());
        assertArrayEquals(new String[] {"a", "b", "c"}, back.names());

        NamedArrays w = new NamedArrays(new String[] {"w"}, new int[][] {{7}}, new double[][] {floatExact});
        assertArrayEquals(bits(floatExact), bits(roundTrip(w).values()[0]));
        StepInput in = new StepInput(3, 1, 1, "epoch 1", w, null, new double[][] {notFloat});
        assertArrayEquals(bits(notFloat), bits(roundTrip(in).carried()[0]));
    }

    @Test
    void float32ValuesTravelAtHalfTheSize() throws Exception {
        double[] exact = new double[10_000];
        double[] inexact = new double[10_000];
        for (int i = 0; i < exact.length; i++) {
            exact[i] = (float) Math.sin(i);
            inexact[i] = Math.sin(i);
        }
        int small = serializedSize(new NamedArrays(new String[] {"w"}, new int[][] {{10_000}}, new double[][] {exact}));
        int large = serializedSize(new NamedArrays(new String[] {"w"}, new int[][] {{10_000}}, new double[][] {inexact}));
        assertTrue(small < 41_000 && large > 80_000, small + " and " + large + " bytes");
    }
}
