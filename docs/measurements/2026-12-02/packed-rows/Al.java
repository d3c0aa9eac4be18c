import jdk.incubator.vector.*;
import java.lang.reflect.Field;

public class Al {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    static sun.misc.Unsafe U;
    static long addr(Object o) {
        Object[] h = {o};
        return U.getLong(h, (long) U.arrayBaseOffset(Object[].class)) + U.arrayBaseOffset(double[].class);
    }
    public static void main(String[] args) throws Exception {
        Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe"); f.setAccessible(true); U = (sun.misc.Unsafe) f.get(null);
        int m = 64, k = 512, n = Integer.parseInt(args.length > 0 ? args[0] : "1536");
        double secs = 0.5;
        java.util.Random r = new java.util.Random(1);
        double[] a = new double[m * k + 16];
        double[] panels = new double[n * k + 16];
        double[] c = new double[m * n];
        double[] block = new double[8 * 16];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble();
        for (int i = 0; i < panels.length; i++) panels[i] = r.nextDouble();
        System.out.printf("A data addr mod 64 = %d, panels data addr mod 64 = %d%n", addr(a) % 64, addr(panels) % 64);
        int width = 16;
        for (int round = 0; round < 4; round++) {
            StringBuilder sb = new StringBuilder("round " + round + ":");
            for (int ob = 0; ob < 8; ob++) {
                int bo = ob;
                long t0 = System.nanoTime(), calls = 0;
                while (System.nanoTime() - t0 < secs * 1e9) {
                    for (int vb = 0; vb < n; vb += width)
                        for (int rb = 0; rb < m; rb += 8) {
                            multiplyBlock(a, rb * k, k, panels, bo + vb * k, k, block);
                            for (int i = 0; i < 8; i++) System.arraycopy(block, i * 16, c, rb * n + i * n + vb, 16);
                        }
                    calls++;
                }
                double g = 2.0 * m * n * k * calls / (System.nanoTime() - t0);
                sb.append(String.format(" b+%d(%2d):%6.1f", ob, (addr(panels) + 8L * ob) % 64, g));
            }
            System.out.println(sb);
        }
    }
    static void multiplyBlock(double[] a, int aAt, int lda, double[] b, int bAt, int k, double[] out) {
        int l = D.length();
        DoubleVector c00 = DoubleVector.zero(D), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
            c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bAt + p * 2 * l;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bp + l);
            int ap = aAt + p;
            DoubleVector s = DoubleVector.broadcast(D, a[ap]);
            c00 = s.fma(b0, c00); c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + lda]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + 2 * lda]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + 3 * lda]); c30 = s.fma(b0, c30); c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + 4 * lda]); c40 = s.fma(b0, c40); c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + 5 * lda]); c50 = s.fma(b0, c50); c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + 6 * lda]); c60 = s.fma(b0, c60); c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + 7 * lda]); c70 = s.fma(b0, c70); c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, 0 * l); c01.intoArray(out, 1 * l); c10.intoArray(out, 2 * l); c11.intoArray(out, 3 * l);
        c20.intoArray(out, 4 * l); c21.intoArray(out, 5 * l); c30.intoArray(out, 6 * l); c31.intoArray(out, 7 * l);
        c40.intoArray(out, 8 * l); c41.intoArray(out, 9 * l); c50.intoArray(out, 10 * l); c51.intoArray(out, 11 * l);
        c60.intoArray(out, 12 * l); c61.intoArray(out, 13 * l); c70.intoArray(out, 14 * l); c71.intoArray(out, 15 * l);
    }
}
