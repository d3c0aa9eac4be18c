import jdk.incubator.vector.*;
public class Pk {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    static final DoubleVector I1L = DoubleVector.fromArray(D, new double[]{0, 8, 2, 10, 4, 12, 6, 14}, 0);
    static final DoubleVector I1H = DoubleVector.fromArray(D, new double[]{1, 9, 3, 11, 5, 13, 7, 15}, 0);
    static final DoubleVector I2L = DoubleVector.fromArray(D, new double[]{0, 1, 8, 9, 4, 5, 12, 13}, 0);
    static final DoubleVector I2H = DoubleVector.fromArray(D, new double[]{2, 3, 10, 11, 6, 7, 14, 15}, 0);
    static final DoubleVector I3L = DoubleVector.fromArray(D, new double[]{0, 1, 2, 3, 8, 9, 10, 11}, 0);
    static final DoubleVector I3H = DoubleVector.fromArray(D, new double[]{4, 5, 6, 7, 12, 13, 14, 15}, 0);
    static void scalarA(double[] a, int at, int rows, int k, double[] x) {
        for (int i0 = 0; i0 < rows; i0 += 8) for (int r = 0; r < 8; r++) { int from = at + (i0 + r) * k, to = i0 * k + r; for (int p = 0; p < k; p++) x[to + p * 8] = a[from + p]; }
    }
    static void scalarB(double[] a, int at, int rows, int k, double[] x) {
        for (int i0 = 0; i0 < rows; i0 += 8) { int f = at + i0 * k, to = i0 * k;
            for (int p = 0; p < k; p++) { int o = to + p * 8, s = f + p;
                x[o] = a[s]; x[o + 1] = a[s + k]; x[o + 2] = a[s + 2 * k]; x[o + 3] = a[s + 3 * k]; x[o + 4] = a[s + 4 * k]; x[o + 5] = a[s + 5 * k]; x[o + 6] = a[s + 6 * k]; x[o + 7] = a[s + 7 * k]; } }
    }
    static void vec(double[] a, int at, int rows, int k, double[] x) {
        int kv = k & ~7;
        for (int i0 = 0; i0 < rows; i0 += 8) { int f = at + i0 * k, to = i0 * k;
            for (int p = 0; p < kv; p += 8) {
                DoubleVector r0 = DoubleVector.fromArray(D, a, f + p), r1 = DoubleVector.fromArray(D, a, f + k + p),
                    r2 = DoubleVector.fromArray(D, a, f + 2 * k + p), r3 = DoubleVector.fromArray(D, a, f + 3 * k + p),
                    r4 = DoubleVector.fromArray(D, a, f + 4 * k + p), r5 = DoubleVector.fromArray(D, a, f + 5 * k + p),
                    r6 = DoubleVector.fromArray(D, a, f + 6 * k + p), r7 = DoubleVector.fromArray(D, a, f + 7 * k + p);
                DoubleVector t0 = I1L.selectFrom(r0, r1), t1 = I1H.selectFrom(r0, r1), t2 = I1L.selectFrom(r2, r3), t3 = I1H.selectFrom(r2, r3),
                    t4 = I1L.selectFrom(r4, r5), t5 = I1H.selectFrom(r4, r5), t6 = I1L.selectFrom(r6, r7), t7 = I1H.selectFrom(r6, r7);
                DoubleVector u0 = I2L.selectFrom(t0, t2), u2 = I2H.selectFrom(t0, t2), u1 = I2L.selectFrom(t1, t3), u3 = I2H.selectFrom(t1, t3),
                    u4 = I2L.selectFrom(t4, t6), u6 = I2H.selectFrom(t4, t6), u5 = I2L.selectFrom(t5, t7), u7 = I2H.selectFrom(t5, t7);
                int o = to + p * 8;
                I3L.selectFrom(u0, u4).intoArray(x, o); I3L.selectFrom(u1, u5).intoArray(x, o + 8);
                I3L.selectFrom(u2, u6).intoArray(x, o + 16); I3L.selectFrom(u3, u7).intoArray(x, o + 24);
                I3H.selectFrom(u0, u4).intoArray(x, o + 32); I3H.selectFrom(u1, u5).intoArray(x, o + 40);
                I3H.selectFrom(u2, u6).intoArray(x, o + 48); I3H.selectFrom(u3, u7).intoArray(x, o + 56);
            }
            for (int r = 0; r < 8; r++) for (int p = kv; p < k; p++) x[to + p * 8 + r] = a[f + r * k + p];
        }
    }
    public static void main(String[] args) {
        int m = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]);
        double[] a = new double[m * k]; for (int i = 0; i < a.length; i++) a[i] = i;
        double[] x1 = new double[m * k], x2 = new double[m * k], x3 = new double[m * k];
        scalarA(a, 0, m, k, x1); scalarB(a, 0, m, k, x2); vec(a, 0, m, k, x3);
        System.out.println("equal: " + java.util.Arrays.equals(x1, x2) + " " + java.util.Arrays.equals(x1, x3));
        for (int round = 0; round < 5; round++) {
            StringBuilder sb = new StringBuilder();
            for (int v = 0; v < 3; v++) {
                long t0 = System.nanoTime(), n = 0;
                while (System.nanoTime() - t0 < 3e8) { if (v == 0) scalarA(a, 0, m, k, x1); else if (v == 1) scalarB(a, 0, m, k, x2); else vec(a, 0, m, k, x3); n++; }
                sb.append(String.format(" %s %.2f us", v == 0 ? "strided" : v == 1 ? "byStep" : "vector", (System.nanoTime() - t0) / 1e3 / n));
            }
            System.out.println(sb);
        }
    }
}
