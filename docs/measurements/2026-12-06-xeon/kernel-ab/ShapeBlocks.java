package dev.jgrad.tensor;

import java.util.*;

public class ShapeBlocks {
    public static void main(String[] args) {
        int rounds = 7; long window = 300_000_000L;
        int[][] shapes = {{768,512,512},{1536,512,512},{768,512,512},{1536,512,512},{1024,512,512},{1280,512,512},{2048,512,512}};
        Random r = new Random(1);
        for (String dt : args[0].split(",")) {
            for (boolean ta : new boolean[]{true, false}) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                DType dtype = dt.equals("f32") ? DType.F32 : DType.F64;
                if (!VectorGemm.fits(m, n, k, dtype)) { System.out.printf("%d %d %d %s no fit%n", m, n, k, dt); continue; }
                float[] af = new float[m * k], pf = new float[n * k], cf = new float[m * n];
                double[] ad = new double[m * k], pd = new double[n * k], cd = new double[m * n];
                for (int i = 0; i < af.length; i++) { af[i] = r.nextFloat() - 0.5f; ad[i] = af[i]; }
                for (int i = 0; i < pf.length; i++) { pf[i] = r.nextFloat() - 0.5f; pd[i] = pf[i]; }
                double flops = 2.0 * m * n * k;
                double[] g = new double[rounds];
                for (int round = -2; round < rounds; round++) {
                    long t0 = System.nanoTime(); int reps = 0;
                    while (System.nanoTime() - t0 < window) {
                        if (dtype == DType.F32) VectorGemm.multiply(m, 0, n, k, af, 0, ta, pf, cf, 0, n, false);
                        else VectorGemm.multiply(m, 0, n, k, ad, 0, ta, pd, cd, 0, n, false);
                        reps++;
                    }
                    if (round >= 0) g[round] = flops * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
                }
                Arrays.sort(g);
                System.out.printf("%s ta=%-5s m=%4d n=%4d k=%d  B %5d KiB  median %6.1f GFLOP/s [%.1f..%.1f]%n", dt, ta, m, n, k, (long) n * k * dtype.bytes() / 1024, g[rounds/2], g[0], g[rounds-1]);
            }}
        }
    }
}
