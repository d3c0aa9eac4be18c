package dev.jgrad.tensor;
import jdk.incubator.vector.*;
public class Probe2 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
    private static void oldBlock(float[] a, int aAt, int lda, float[] b, int bAt, int k, float[] out) {
        int l = F.length();
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bAt + p * 2 * l;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + l);
            int ap = aAt + p;
            FloatVector s = FloatVector.broadcast(F, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(F, a[ap + lda]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(F, a[ap + 2 * lda]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(F, a[ap + 3 * lda]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(F, a[ap + 4 * lda]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(F, a[ap + 5 * lda]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = FloatVector.broadcast(F, a[ap + 6 * lda]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = FloatVector.broadcast(F, a[ap + 7 * lda]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, 0 * l);
        c01.intoArray(out, 1 * l);
        c10.intoArray(out, 2 * l);
        c11.intoArray(out, 3 * l);
        c20.intoArray(out, 4 * l);
        c21.intoArray(out, 5 * l);
        c30.intoArray(out, 6 * l);
        c31.intoArray(out, 7 * l);
        c40.intoArray(out, 8 * l);
        c41.intoArray(out, 9 * l);
        c50.intoArray(out, 10 * l);
        c51.intoArray(out, 11 * l);
        c60.intoArray(out, 12 * l);
        c61.intoArray(out, 13 * l);
        c70.intoArray(out, 14 * l);
        c71.intoArray(out, 15 * l);
    }
    private static void oldBlock(double[] a, int aAt, int lda, double[] b, int bAt, int k, double[] out) {
        int l = D.length();
        DoubleVector c00 = DoubleVector.zero(D);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        DoubleVector c40 = c00;
        DoubleVector c41 = c00;
        DoubleVector c50 = c00;
        DoubleVector c51 = c00;
        DoubleVector c60 = c00;
        DoubleVector c61 = c00;
        DoubleVector c70 = c00;
        DoubleVector c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bAt + p * 2 * l;
            DoubleVector b0 = DoubleVector.fromArray(D, b, bp);
            DoubleVector b1 = DoubleVector.fromArray(D, b, bp + l);
            int ap = aAt + p;
            DoubleVector s = DoubleVector.broadcast(D, a[ap]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = DoubleVector.broadcast(D, a[ap + lda]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = DoubleVector.broadcast(D, a[ap + 2 * lda]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = DoubleVector.broadcast(D, a[ap + 3 * lda]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = DoubleVector.broadcast(D, a[ap + 4 * lda]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = DoubleVector.broadcast(D, a[ap + 5 * lda]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
            s = DoubleVector.broadcast(D, a[ap + 6 * lda]);
            c60 = s.fma(b0, c60);
            c61 = s.fma(b1, c61);
            s = DoubleVector.broadcast(D, a[ap + 7 * lda]);
            c70 = s.fma(b0, c70);
            c71 = s.fma(b1, c71);
        }
        c00.intoArray(out, 0 * l);
        c01.intoArray(out, 1 * l);
        c10.intoArray(out, 2 * l);
        c11.intoArray(out, 3 * l);
        c20.intoArray(out, 4 * l);
        c21.intoArray(out, 5 * l);
        c30.intoArray(out, 6 * l);
        c31.intoArray(out, 7 * l);
        c40.intoArray(out, 8 * l);
        c41.intoArray(out, 9 * l);
        c50.intoArray(out, 10 * l);
        c51.intoArray(out, 11 * l);
        c60.intoArray(out, 12 * l);
        c61.intoArray(out, 13 * l);
        c70.intoArray(out, 14 * l);
        c71.intoArray(out, 15 * l);
    }

    static void oldMultiply(int m, int n, int k, float[] a, float[] panels, float[] c, float[] block) {
        for (int vb = 0; vb < n; vb += 32) for (int rb = 0; rb < m; rb += 8) {
            oldBlock(a, rb * k, k, panels, vb * k, k, block);
            for (int r = 0; r < 8; r++) System.arraycopy(block, r * 32, c, (rb + r) * n + vb, 32);
        }
    }
    static void oldMultiply(int m, int n, int k, double[] a, double[] panels, double[] c, double[] block) {
        for (int vb = 0; vb < n; vb += 16) for (int rb = 0; rb < m; rb += 8) {
            oldBlock(a, rb * k, k, panels, vb * k, k, block);
            for (int r = 0; r < 8; r++) System.arraycopy(block, r * 16, c, (rb + r) * n + vb, 16);
        }
    }
    public static void main(String[] args) {
        boolean f64 = args[0].equals("f64");
        int[][] shapes = {{32, 768, 256}, {32, 256, 768}, {64, 1536, 512}, {64, 512, 1536}};
        java.util.Random r = new java.util.Random(3);
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            double[] av = new double[m * k], bv = new double[k * n];
            for (int i = 0; i < av.length; i++) av[i] = r.nextGaussian();
            for (int i = 0; i < bv.length; i++) bv[i] = r.nextGaussian();
            DType dt = f64 ? DType.F64 : DType.F32;
            Tensor b = Tensor.of(dt, bv, k, n);
            Object panels = KeptPanels.data(VectorGemm.panelsFor(false, false, m, n, k, b));
            float[] af = new float[av.length]; for (int i = 0; i < av.length; i++) af[i] = (float) av[i];
            float[] c = new float[m * n]; double[] cd = new double[m * n];
            float[] bf = new float[256]; double[] bd = new double[128];
            double[] sum = new double[2]; int rounds = 8;
            for (int round = 0; round < rounds; round++) {
                for (int v = 0; v < 2; v++) {
                    long t0 = System.nanoTime(), calls = 0;
                    while (System.nanoTime() - t0 < 2.5e8) {
                        if (f64) { if (v == 0) oldMultiply(m, n, k, av, (double[]) panels, cd, bd); else VectorGemm.multiply(m, 0, n, k, av, 0, false, (double[]) panels, cd, 0, n, false); }
                        else { if (v == 0) oldMultiply(m, n, k, af, (float[]) panels, c, bf); else VectorGemm.multiply(m, 0, n, k, af, 0, false, (float[]) panels, c, 0, n, false); }
                        calls++;
                    }
                    if (round > 0) sum[v] += 2.0 * m * n * k * calls / (System.nanoTime() - t0) / (rounds - 1);
                }
            }
            System.out.printf("%s %dx%dx%d  rows %.1f  packed %.1f  (%.3f)%n", dt, m, n, k, sum[0], sum[1], sum[1] / sum[0]);
        }
    }
}
