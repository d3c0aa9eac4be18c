package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * Elementwise kernels split tensors large enough to be worth it across threads; every element must
 * come out with the same bits whatever the thread count (bit-exact resume and gradient checks rely
 * on it). Sizes straddle the split thresholds, including ones that do not divide evenly. Lerp's rule, whose three
 * terms are one pass, is split the same way.
 */
class ElementwiseThreadingTest {
    private static final int[] SIZES = {16383, 16384, 70001, 131072, 262147};

    @Test
    void unaryBinaryAndAccumulationAreBitIdenticalForAnyThreadCount() {
        int saved = Parallelism.threads();
        try {
            for (DType dt : DType.values()) {
                for (int n : SIZES) {
                    Rng rng = Rng.seeded(n);
                    Tensor a = Tensor.uniform(rng, dt, -4, 4, n);
                    Tensor b = Tensor.uniform(rng, dt, 0.5, 4, n);
                    Parallelism.setThreads(1);
                    double[][] want = results(a, b);
                    for (int threads : new int[] {2, 3}) {
                        Parallelism.setThreads(threads);
                        double[][] got = results(a, b);
                        for (int k = 0; k < want.length; k++) {
                            assertArrayEquals(want[k], got[k], 0.0, dt + " n=" + n + " threads=" + threads + " result " + k);
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    /** Softmax rows and cross-entropy rows split between threads; the loss sums its rows in row order whatever the split. */
    @Test
    void softmaxFamilyAndCrossEntropyAreBitIdenticalForAnyThreadCount() {
        int saved = Parallelism.threads();
        try {
            for (DType dt : DType.values()) {
                for (int[] shape : new int[][] {{300, 96}, {5001, 7}, {3, 20000}}) {
                    Rng rng = Rng.seeded(shape[0]);
                    Tensor logits = Tensor.uniform(rng, dt, -30, 30, shape);
                    int[] targets = new int[shape[0]];
                    for (int i = 0; i < targets.length; i++) targets[i] = rng.nextInt(shape[1]);
                    Parallelism.setThreads(1);
                    double[][] want = {Kernels.softmax(logits, 1).toDoubleArray(), Kernels.logSoftmax(logits, -1).toDoubleArray(),
                            Kernels.crossEntropy(logits, targets).toDoubleArray()};
                    for (int threads : new int[] {2, 3}) {
                        Parallelism.setThreads(threads);
                        double[][] got = {Kernels.softmax(logits, 1).toDoubleArray(), Kernels.logSoftmax(logits, -1).toDoubleArray(),
                                Kernels.crossEntropy(logits, targets).toDoubleArray()};
                        for (int k = 0; k < want.length; k++) {
                            assertArrayEquals(want[k], got[k], 0.0, dt + " " + java.util.Arrays.toString(shape) + " threads=" + threads + " result " + k);
                        }
                    }
                }
            }
        } finally {
            Parallelism.setThreads(saved);
        }
    }

    private static double[][] results(Tensor a, Tensor b) {
        Kernels.Unary[] unary = Kernels.Unary.values();
        Kernels.Binary[] binary = Kernels.Binary.values();
        double[][] out = new double[unary.length + binary.length + 4][];
        int k = 0;
        for (Kernels.Unary op : unary) {
            out[k++] = Kernels.unary(op, op == Kernels.Unary.LOG || op == Kernels.Unary.SQRT ? b : a).toDoubleArray();
        }
        for (Kernels.Binary op : binary) {
            out[k++] = Kernels.binary(op, a, b).toDoubleArray();
        }
        GradientAccumulator acc = GradientAccumulator.create();
        acc.add(a);
        acc.add(b);
        acc.add(a);
        out[k++] = acc.sum().toDoubleArray();
        for (Tensor t : Kernels.lerpGradients(b, a, b, a, new boolean[] {true, true, true})) {
            out[k++] = t.toDoubleArray();
        }
        return out;
    }
}
