package dev.jgrad.spark.train;

import java.io.Serializable;

/**
 * Vectors as they travel: each one that float32 holds exactly (every value of a float32 model, and its
 * gradients) as {@code float[]}, the others (sums of several partitions, optimizer moments) as
 * {@code double[]}. Nothing is rounded: a vector goes as float32 only when widening it back gives the
 * same bits. This halves what a float32 model's steps move.
 */
final class Packed implements Serializable {
    private final float[][] floats;
    private final double[][] doubles;

    private Packed(float[][] floats, double[][] doubles) {
        this.floats = floats;
        this.doubles = doubles;
    }

    static Packed of(double[][] vectors) {
        float[][] f = new float[vectors.length][];
        double[][] d = new double[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            double[] v = vectors[i];
            if (v == null) {
                continue;
            }
            float[] narrow = new float[v.length];
            boolean exact = true;
            for (int j = 0; j < v.length && exact; j++) {
                narrow[j] = (float) v[j];
                // Compare bits, so NaN payloads and −0 survive too.
                exact = Double.doubleToRawLongBits(narrow[j]) == Double.doubleToRawLongBits(v[j]);
            }
            if (exact) {
                f[i] = narrow;
            } else {
                d[i] = v;
            }
        }
        return new Packed(f, d);
    }

    double[][] unpack() {
        double[][] out = new double[floats.length][];
        for (int i = 0; i < out.length; i++) {
            if (doubles[i] != null) {
                out[i] = doubles[i];
            } else if (floats[i] != null) {
                out[i] = new double[floats[i].length];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = floats[i][j];
                }
            }
        }
        return out;
    }

    /** The bytes of vector data this form carries. */
    static long bytes(double[][] vectors) {
        long b = 0;
        for (double[] v : vectors) {
            if (v != null) {
                b += (exactInFloat(v) ? 4L : 8L) * v.length;
            }
        }
        return b;
    }

    private static boolean exactInFloat(double[] v) {
        for (double x : v) {
            if (Double.doubleToRawLongBits((float) x) != Double.doubleToRawLongBits(x)) {
                return false;
            }
        }
        return true;
    }
}
