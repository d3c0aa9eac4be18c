/**
 * Whether C2 (JDK 25) vectorises {@code to[d + e] += from[s + e]}: the same add over 1,536 floats, with two
 * offsets (as OneHotProducts' scatter-add lines and gathered rows had it, in a method taking Object as they
 * do, and in one taking float[]), and with one index. Run with the JDK 25 launcher:
 *   java TwoOffsets.java
 */
public class TwoOffsets {
    static void add(Object dst, int d, Object src, int s, int len, boolean accumulate) {
        if (dst instanceof double[] to) {
            double[] from = (double[]) src;
            if (accumulate) { for (int e = 0; e < len; e++) to[d + e] += from[s + e]; }
            else { for (int e = 0; e < len; e++) to[d + e] = 0.0 + from[s + e]; }
        } else {
            float[] to = (float[]) dst; float[] from = (float[]) src;
            if (accumulate) { for (int e = 0; e < len; e++) to[d + e] += from[s + e]; }
            else { for (int e = 0; e < len; e++) to[d + e] = 0f + from[s + e]; }
        }
    }

    static void addFloats(float[] to, int d, float[] from, int s, int len) {
        for (int e = 0; e < len; e++) to[d + e] += from[s + e];
    }

    static void addOneIndex(float[] to, float[] from, int len) {
        for (int e = 0; e < len; e++) to[e] += from[e];
    }

    public static void main(String[] a) {
        int len = 1536;
        float[] x = new float[len * 4], y = new float[len * 4];
        for (int i = 0; i < x.length; i++) { x[i] = i; y[i] = 1; }
        for (int round = 0; round < 5; round++) {
            long t = System.nanoTime();
            for (int r = 0; r < 200000; r++) add(x, (r & 3) * len, y, ((r >> 2) & 3) * len, len, true);
            long t2 = System.nanoTime();
            for (int r = 0; r < 200000; r++) addFloats(x, (r & 3) * len, y, ((r >> 2) & 3) * len, len);
            long t3 = System.nanoTime();
            for (int r = 0; r < 200000; r++) addOneIndex(x, y, len);
            long t4 = System.nanoTime();
            System.out.printf("ns per call of 1,536 adds: two offsets (Object) %.1f, two offsets (float[]) %.1f, one index %.1f%n",
                    (t2 - t) / 2e5, (t3 - t2) / 2e5, (t4 - t3) / 2e5);
        }
        System.out.println(x[17]);
    }
}
