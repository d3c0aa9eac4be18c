package dev.jgrad.tensor;

import java.util.*;

public class AB {
    record Shape(String name, int m, int n, int k, boolean ta) {}

    public static void main(String[] args) {
        List<Shape> shapes = List.of(
                new Shape("square 1024", 1024, 1024, 1024, false),
                new Shape("d2l h.Wt", 32, 768, 256, false),
                new Shape("d2l g.W", 32, 256, 768, false),
                new Shape("d2l gt.h", 768, 256, 512, true),
                new Shape("large h.Wt", 64, 1536, 512, false),
                new Shape("large g.W", 64, 512, 1536, false),
                new Shape("large gt.h", 1536, 512, 512, true));
        int rounds = Integer.parseInt(args.length > 0 ? args[0] : "15");
        long window = (long) (Double.parseDouble(args.length > 1 ? args[1] : "0.2") * 1e9);
        Random r = new Random(1);
        for (String dt : new String[] {"f32", "f64"}) {
            for (Shape s : shapes) {
                DType dtype = dt.equals("f32") ? DType.F32 : DType.F64;
                if (!VectorGemm.fits(s.m, s.n, s.k, dtype)) { System.out.printf("%-12s %s does not fit%n", s.name, dt); continue; }
                float[] af = new float[s.m * s.k], pf = new float[s.n * s.k], cf = new float[s.m * s.n], cf2 = new float[s.m * s.n];
                double[] ad = new double[s.m * s.k], pd = new double[s.n * s.k], cd = new double[s.m * s.n], cd2 = new double[s.m * s.n];
                for (int i = 0; i < af.length; i++) { af[i] = r.nextFloat() - 0.5f; ad[i] = af[i]; }
                for (int i = 0; i < pf.length; i++) { pf[i] = r.nextFloat() - 0.5f; pd[i] = pf[i]; }
                double flops = 2.0 * s.m * s.n * s.k;
                double[] ratios = new double[rounds];
                double[] olds = new double[rounds], news = new double[rounds];
                for (int round = -3; round < rounds; round++) {
                    double[] g = new double[2];
                    for (int which = 0; which < 2; which++) {
                        int w = (round & 1) == 0 ? which : 1 - which;
                        long t0 = System.nanoTime(); int reps = 0;
                        while (System.nanoTime() - t0 < window) {
                            if (dt.equals("f32")) {
                                if (w == 0) VectorGemmOld.multiply(s.m, 0, s.n, s.k, af, 0, s.ta, pf, cf, 0, s.n, false);
                                else VectorGemm.multiply(s.m, 0, s.n, s.k, af, 0, s.ta, pf, cf2, 0, s.n, false);
                            } else {
                                if (w == 0) VectorGemmOld.multiply(s.m, 0, s.n, s.k, ad, 0, s.ta, pd, cd, 0, s.n, false);
                                else VectorGemm.multiply(s.m, 0, s.n, s.k, ad, 0, s.ta, pd, cd2, 0, s.n, false);
                            }
                            reps++;
                        }
                        g[w] = flops * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
                    }
                    if (round >= 0) { olds[round] = g[0]; news[round] = g[1]; ratios[round] = g[1] / g[0]; }
                }
                boolean same = dt.equals("f32") ? Arrays.equals(cf, cf2) : Arrays.equals(cd, cd2);
                Arrays.sort(ratios); Arrays.sort(olds); Arrays.sort(news);
                System.out.printf("%-12s %s old %6.1f new %6.1f GFLOP/s (medians)  new/old median of rounds %.3f [%.3f..%.3f]  same bits %s%n",
                        s.name, dt, olds[rounds / 2], news[rounds / 2], ratios[rounds / 2], ratios[0], ratios[rounds - 1], same);
            }
        }
    }
}
