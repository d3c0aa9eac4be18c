package dev.jgrad.tensor;

import java.util.*;

/** The Vector API kernel against the bundled OpenBLAS on the same operands, windows alternating in one JVM. */
public class VsBlas {
    record Case(String name, int m, int n, int k, boolean ta, boolean tb) {}

    public static void main(String[] args) {
        List<Case> cases = List.of(
                new Case("square 1024", 1024, 1024, 1024, false, false),
                new Case("d2l h.Wt", 32, 768, 256, false, true),
                new Case("d2l g.W", 32, 256, 768, false, false),
                new Case("d2l gt.h", 768, 256, 512, true, false),
                new Case("large h.Wt", 64, 1536, 512, false, true),
                new Case("large g.W", 64, 512, 1536, false, false),
                new Case("large gt.h", 1536, 512, 512, true, false));
        int rounds = Integer.parseInt(args.length > 0 ? args[0] : "15");
        long window = (long) (Double.parseDouble(args.length > 1 ? args[1] : "0.2") * 1e9);
        NativeBlas blas = Blas.nativeKernel();
        Rng rng = Rng.seeded(1);
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (Case s : cases) {
                if (!VectorGemm.fits(s.m, s.n, s.k, dtype)) { System.out.printf("%-12s %s not on the Vector API kernel%n", s.name, dtype); continue; }
                Tensor a = Tensor.randn(rng, dtype, 1, s.ta ? new int[] {s.k, s.m} : new int[] {s.m, s.k});
                Tensor b = Tensor.randn(rng, dtype, 1, s.tb ? new int[] {s.n, s.k} : new int[] {s.k, s.n});
                boolean perCall = s.ta || s.m > VectorGemm.MAX_ROWS;   // panelsFor packs B for the product alone
                Object kept = VectorGemm.pack(b, s.tb, s.n, s.k, dtype == DType.F32 ? new float[s.n * s.k] : new double[s.n * s.k]);
                Object scratch = dtype == DType.F32 ? new float[s.n * s.k] : new double[s.n * s.k];
                float[] cf = new float[s.m * s.n]; double[] cd = new double[s.m * s.n];
                double flops = 2.0 * s.m * s.n * s.k;
                double[] ratios = new double[rounds], vec = new double[rounds], nat = new double[rounds];
                for (int round = -3; round < rounds; round++) {
                    double[] g = new double[2];
                    for (int which = 0; which < 2; which++) {
                        int w = (round & 1) == 0 ? which : 1 - which;
                        long t0 = System.nanoTime(); int reps = 0;
                        while (System.nanoTime() - t0 < window) {
                            if (w == 0) {
                                Object panels = perCall ? VectorGemm.pack(b, s.tb, s.n, s.k, scratch) : kept;
                                if (dtype == DType.F32) VectorGemm.multiply(s.m, 0, s.n, s.k, a.f32(), 0, s.ta, (float[]) panels, cf, 0, s.n, false);
                                else VectorGemm.multiply(s.m, 0, s.n, s.k, a.f64(), 0, s.ta, (double[]) panels, cd, 0, s.n, false);
                            } else {
                                int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
                                if (dtype == DType.F32) blas.sgemm(s.ta, s.tb, s.m, s.n, s.k, a.f32(), 0, lda, b.f32(), 0, ldb, cf, 0, s.n, false);
                                else blas.dgemm(s.ta, s.tb, s.m, s.n, s.k, a.f64(), 0, lda, b.f64(), 0, ldb, cd, 0, s.n, false);
                            }
                            reps++;
                        }
                        g[w] = flops * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
                    }
                    if (round >= 0) { vec[round] = g[0]; nat[round] = g[1]; ratios[round] = g[0] / g[1]; }
                }
                Arrays.sort(ratios); Arrays.sort(vec); Arrays.sort(nat);
                System.out.printf("%-12s %s vector %6.1f openblas %6.1f GFLOP/s (medians)  vector/openblas median of rounds %.3f [%.3f..%.3f]%s%n",
                        s.name, dtype, vec[rounds / 2], nat[rounds / 2], ratios[rounds / 2], ratios[0], ratios[rounds - 1], perCall ? "  (B packed per call)" : "");
            }
        }
    }
}
