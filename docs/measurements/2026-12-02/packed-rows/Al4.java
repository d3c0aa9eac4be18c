import jdk.incubator.vector.*;
public class Al4 {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    public static void main(String[] args) throws Exception {
        int m = 64, k = 512, n = Integer.parseInt(args[0]);
        java.util.Random r = new java.util.Random(1);
        double[] a = new double[m * k], panels = new double[n * k], x = new double[m * k];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble();
        for (int i = 0; i < panels.length; i++) panels[i] = r.nextDouble();
        double[] c = new double[m * n], c2 = new double[m * n], block = new double[128];
        for (int round = 0; round < 10; round++) {
            StringBuilder sb = new StringBuilder("round " + round + ":");
            for (int v = 0; v < 2; v++) {
                long t0 = System.nanoTime(), calls = 0;
                while (System.nanoTime() - t0 < 4e8) {
                    if (v == 0) unpacked(m, n, k, a, panels, c, block); else packed(m, n, k, a, x, panels, c2, block);
                    calls++;
                }
                sb.append(String.format(" %s %6.1f", v == 0 ? "rows" : "packedA", 2.0 * m * n * k * calls / (System.nanoTime() - t0)));
            }
            System.out.println(sb + (java.util.Arrays.equals(c, c2) ? "" : " DIFFER"));
        }
    }
    static void unpacked(int m, int n, int k, double[] a, double[] panels, double[] c, double[] block) {
        for (int vb = 0; vb < n; vb += 16)
            for (int rb = 0; rb < m; rb += 8) {
                Al.multiplyBlock(a, rb * k, k, panels, vb * k, k, block);
                for (int i = 0; i < 8; i++) System.arraycopy(block, i * 16, c, rb * n + i * n + vb, 16);
            }
    }
    static void packed(int m, int n, int k, double[] a, double[] x, double[] panels, double[] c, double[] block) {
        // x[(i/8)*8k + p*8 + i%8] = a[i*k + p]
        for (int i = 0; i < m; i++) { int base = (i / 8) * 8 * k + i % 8, ai = i * k; for (int p = 0; p < k; p++) x[base + p * 8] = a[ai + p]; }
        for (int vb = 0; vb < n; vb += 16)
            for (int rb = 0; rb < m; rb += 8) {
                multiplyBlockPacked(x, rb * k, panels, vb * k, k, block);
                for (int i = 0; i < 8; i++) System.arraycopy(block, i * 16, c, rb * n + i * n + vb, 16);
            }
    }
    static void multiplyBlockPacked(double[] a, int aAt, double[] b, int bAt, int k, double[] out) {
        int l = D.length();
        DoubleVector c00 = DoubleVector.zero(D), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
            c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bAt + p * 2 * l;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bp + l);
            int ap = aAt + p * 8;
            DoubleVector s = DoubleVector.broadcast(D, a[ap]);
            c00 = s.fma(b0, c00); c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + 1]); c10 = s.fma(b0, c10); c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + 2]); c20 = s.fma(b0, c20); c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + 3]); c30 = s.fma(b0, c30); c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + 4]); c40 = s.fma(b0, c40); c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + 5]); c50 = s.fma(b0, c50); c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + 6]); c60 = s.fma(b0, c60); c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + 7]); c70 = s.fma(b0, c70); c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, 0 * l); c01.intoArray(out, 1 * l); c10.intoArray(out, 2 * l); c11.intoArray(out, 3 * l);
        c20.intoArray(out, 4 * l); c21.intoArray(out, 5 * l); c30.intoArray(out, 6 * l); c31.intoArray(out, 7 * l);
        c40.intoArray(out, 8 * l); c41.intoArray(out, 9 * l); c50.intoArray(out, 10 * l); c51.intoArray(out, 11 * l);
        c60.intoArray(out, 12 * l); c61.intoArray(out, 13 * l); c70.intoArray(out, 14 * l); c71.intoArray(out, 15 * l);
    }
}
