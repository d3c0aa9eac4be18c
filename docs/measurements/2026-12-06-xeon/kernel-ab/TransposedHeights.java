package dev.jgrad.tensor;

import java.util.*;

/** The Vector API kernel's rate at transposed-A products of several heights, windows of each shape rotating within a round. */
public class TransposedHeights {
    public static void main(String[] args) {
        DType dtype = args[0].equals("f32") ? DType.F32 : DType.F64;
        int rounds = Integer.parseInt(args[1]);
        long window = (long) (Double.parseDouble(args[2]) * 1e9);
        int[][] shapes = {{768, 512, 512}, {1024, 512, 512}, {1536, 512, 512}, {2048, 512, 512}, {3072, 512, 512}, {1536, 256, 512}};
        Random r = new Random(1);
        int s = shapes.length;
        Object[] a = new Object[s], p = new Object[s], c = new Object[s];
        for (int i = 0; i < s; i++) {
            int m = shapes[i][0], n = shapes[i][1], k = shapes[i][2];
            if (dtype == DType.F32) {
                float[] x = new float[m * k], y = new float[n * k];
                for (int j = 0; j < x.length; j++) x[j] = r.nextFloat() - 0.5f;
                for (int j = 0; j < y.length; j++) y[j] = r.nextFloat() - 0.5f;
                a[i] = x; p[i] = y; c[i] = new float[m * n];
            } else {
                double[] x = new double[m * k], y = new double[n * k];
                for (int j = 0; j < x.length; j++) x[j] = r.nextDouble() - 0.5;
                for (int j = 0; j < y.length; j++) y[j] = r.nextDouble() - 0.5;
                a[i] = x; p[i] = y; c[i] = new double[m * n];
            }
        }
        double[][] rel = new double[s][rounds], rate = new double[s][rounds];
        for (int round = -3; round < rounds; round++) {
            double[] g = new double[s];
            for (int q = 0; q < s; q++) {
                int i = (q + Math.floorMod(round, s)) % s;
                int m = shapes[i][0], n = shapes[i][1], k = shapes[i][2];
                long t0 = System.nanoTime(); int reps = 0;
                while (System.nanoTime() - t0 < window) {
                    if (dtype == DType.F32) VectorGemm.multiply(m, 0, n, k, (float[]) a[i], 0, true, (float[]) p[i], (float[]) c[i], 0, n, false);
                    else VectorGemm.multiply(m, 0, n, k, (double[]) a[i], 0, true, (double[]) p[i], (double[]) c[i], 0, n, false);
                    reps++;
                }
                g[i] = 2.0 * m * n * k * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
            }
            if (round >= 0) for (int i = 0; i < s; i++) { rate[i][round] = g[i]; rel[i][round] = g[i] / g[0]; }
        }
        for (int i = 0; i < s; i++) {
            Arrays.sort(rel[i]); Arrays.sort(rate[i]);
            System.out.printf("%s (%dx%d)T.%dx%d  B %4d KiB  median %6.1f GFLOP/s  to m=768 in the same round: median %.3f [%.3f..%.3f]%n",
                    args[0], shapes[i][2], shapes[i][0], shapes[i][2], shapes[i][1], (long) shapes[i][1] * shapes[i][2] * dtype.bytes() / 1024,
                    rate[i][rounds / 2], rel[i][rounds / 2], rel[i][0], rel[i][rounds - 1]);
        }
    }
}
