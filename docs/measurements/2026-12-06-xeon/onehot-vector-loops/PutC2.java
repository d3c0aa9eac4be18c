package dev.jgrad.tensor;

/**
 * After C2 has compiled SimdLoops.put (VectorLoops), its bits equal the scalar loop's on values a third of which are
 * signed zeros, with and without accumulate, in both dtypes; and the time of each. In package dev.jgrad.tensor:
 *   javac --add-modules jdk.incubator.vector -cp gru-examples.jar -d out PutC2.java
 *   java --add-modules jdk.incubator.vector -cp out:gru-examples.jar dev.jgrad.tensor.PutC2
 */
public class PutC2 {
    public static void main(String[] args) {
        SimdLoops simd = SimdLoops.LOOPS;
        int n = 1536 + 7;
        float[] x = new float[n], o0 = new float[n];
        double[] xd = new double[n], od0 = new double[n];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(3) == 0 ? (r.nextBoolean() ? -0f : 0f) : (float) r.nextGaussian();
            o0[i] = r.nextInt(3) == 0 ? (r.nextBoolean() ? -0f : 0f) : (float) r.nextGaussian();
            xd[i] = x[i]; od0[i] = o0[i];
        }
        int bad = 0;
        long tv = 0, ts = 0;
        for (int round = 0; round < 300000; round++) {
            boolean acc = (round & 1) == 0;
            float[] o = o0.clone(), want = o0.clone();
            double[] od = od0.clone(), wantd = od0.clone();
            long t0 = System.nanoTime();
            simd.put(x, 0, o, 0, n, acc);
            simd.put(xd, 0, od, 0, n, acc);
            long t1 = System.nanoTime();
            for (int e = 0; e < n; e++) want[e] = (acc ? want[e] + 0f : 0f) + x[e];
            for (int e = 0; e < n; e++) wantd[e] = (acc ? wantd[e] + 0.0 : 0.0) + xd[e];
            long t2 = System.nanoTime();
            if (round > 200000) { tv += t1 - t0; ts += t2 - t1; }
            if (round % 1000 == 0 || round == 299999) {
                for (int e = 0; e < n; e++) {
                    if (Float.floatToRawIntBits(o[e]) != Float.floatToRawIntBits(want[e])) bad++;
                    if (Double.doubleToRawLongBits(od[e]) != Double.doubleToRawLongBits(wantd[e])) bad++;
                }
            }
        }
        System.out.println("elements differing after C2: " + bad + "; vector " + tv / 1e5 + " ns, scalar " + ts / 1e5 + " ns per f32+f64 pair");
        if (bad != 0) System.exit(1);
    }
}
