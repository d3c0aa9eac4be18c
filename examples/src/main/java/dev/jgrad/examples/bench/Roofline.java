package dev.jgrad.examples.bench;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.MatmulTrace;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GEMM roofline of a training step: the time its matrix products alone take when each is run by
 * itself on the same backend and threads, so {@code seconds / step time} is the share of the step
 * the products would fill if nothing else cost anything (1.0 = the step is as fast as its GEMMs).
 *
 * @param products the step's matrix products
 * @param flops    their floating-point operations
 * @param seconds  the sum over products of the median time of that product run alone
 */
record Roofline(int products, double flops, double seconds) {

    /** Times each distinct product of {@code trace} for about {@code secondsPerShape} and sums the times over the trace. */
    static Roofline measure(List<MatmulTrace.Product> trace, double secondsPerShape, long seed) {
        Map<MatmulTrace.Product, Integer> counts = new LinkedHashMap<>();
        for (MatmulTrace.Product p : trace) {
            counts.merge(p, 1, Integer::sum);
        }
        double flops = 0;
        double seconds = 0;
        for (Map.Entry<MatmulTrace.Product, Integer> e : counts.entrySet()) {
            MatmulTrace.Product p = e.getKey();
            flops += e.getValue() * p.flops();
            seconds += e.getValue() * secondsPerCall(p, secondsPerShape, seed);
        }
        return new Roofline(trace.size(), flops, seconds);
    }

    /** The median over three timed rounds of one product's seconds per call, after a warm-up round. */
    static double secondsPerCall(MatmulTrace.Product p, double budget, long seed) {
        Rng rng = Rng.seeded(seed);
        DType dt = p.dtype();
        Tensor a = Tensor.randn(rng, dt, 1, p.transA() ? new int[] {p.k(), p.m()} : new int[] {p.m(), p.k()});
        Tensor b = Tensor.randn(rng, dt, 1, p.transB() ? new int[] {p.n(), p.k()} : new int[] {p.k(), p.n()});
        double[] rounds = new double[4];
        for (int r = 0; r < rounds.length; r++) {
            long start = System.nanoTime();
            long calls = 0;
            long now;
            do {
                Kernels.matmul(a, b, p.transA(), p.transB());
                calls++;
                now = System.nanoTime();
            } while (now - start < budget / rounds.length * 1e9 || calls < 3);
            rounds[r] = (now - start) / 1e9 / calls;
        }
        double[] timed = Arrays.copyOfRange(rounds, 1, rounds.length);
        Arrays.sort(timed);
        return timed[1];
    }
}
