package dev.jgrad.tensor;

/** The large gᵀ·h product, (512x1536)ᵀ·512x512, on the Vector API kernel as a product runs it (B packed per call), for 12 s: for a profiler. */
public class GradientProductLoop {
    public static void main(String[] args) {
        int m = 1536, n = 512, k = 512;
        DType dtype = args[0].equals("f32") ? DType.F32 : DType.F64;
        Rng rng = Rng.seeded(1);
        Tensor a = Tensor.randn(rng, dtype, 1, k, m);
        Tensor b = Tensor.randn(rng, dtype, 1, k, n);
        Object scratch = dtype == DType.F32 ? new float[n * k] : new double[n * k];
        float[] cf = new float[m * n]; double[] cd = new double[m * n];
        long t0 = System.nanoTime(); long reps = 0;
        while (System.nanoTime() - t0 < 12e9) {
            Object panels = VectorGemm.pack(b, false, n, k, scratch);
            if (dtype == DType.F32) VectorGemm.multiply(m, 0, n, k, a.f32(), 0, true, (float[]) panels, cf, 0, n, false);
            else VectorGemm.multiply(m, 0, n, k, a.f64(), 0, true, (double[]) panels, cd, 0, n, false);
            reps++;
        }
        System.out.printf("%.1f GFLOP/s%n", 2.0 * m * n * k * reps / ((System.nanoTime() - t0) / 1e9) / 1e9);
    }
}
