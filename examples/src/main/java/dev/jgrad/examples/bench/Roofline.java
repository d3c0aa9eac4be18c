package dev.jgrad.examples.bench;

import dev.jgrad.tensor.MatmulTrace;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GEMM roofline of a training step: the time its matrix products alone take when each is run by
 * itself on the same backend and threads, so that time divided by the step's is the share of the step
 * the products would fill if nothing else cost anything (1.0 = the step is as fast as its GEMMs).
 */
final class Roofline {
    private Roofline() {
    }

    /** The floating-point operations of the products of {@code trace}. */
    static double flops(List<MatmulTrace.Product> trace) {
        double flops = 0;
        for (MatmulTrace.Product p : trace) {
            flops += p.flops();
        }
        return flops;
    }

    /**
     * Times each distinct product of {@code trace} for about {@code secondsPerShape}: its seconds per
     * call run alone ({@link #secondsPerCall(MatmulTrace.Product, double, long)}), in the trace's order.
     */
    static Map<MatmulTrace.Product, Double> secondsPerCall(List<MatmulTrace.Product> trace, double secondsPerShape, long seed) {
        Map<MatmulTrace.Product, Double> perCall = new LinkedHashMap<>();
        for (MatmulTrace.Product p : trace) {
            if (!perCall.containsKey(p)) {
                perCall.put(p, secondsPerCall(p, secondsPerShape, seed));
            }
        }
        return perCall;
    }

    /** The seconds of the products of {@code trace}, each at its {@code perCall} time alone. */
    static double seconds(List<MatmulTrace.Product> trace, Map<MatmulTrace.Product, Double> perCall) {
        double seconds = 0;
        for (MatmulTrace.Product p : trace) {
            seconds += perCall.get(p);
        }
        return seconds;
    }

    /** The median over three timed rounds of one product's seconds per call, after a warm-up round. */
    static double secondsPerCall(MatmulTrace.Product p, double budget, long seed) {
        Tensor[] ab = MatmulBench.operands(Rng.seeded(seed), p.dtype(), p.m(), p.k(), p.n(), p.transA(), p.transB());
        long perRound = (long) (budget / 4 * 1e9);
        MatmulBench.secondsPerCall(ab[0], ab[1], p.transA(), p.transB(), perRound, 3);   // warm-up
        double[] timed = new double[3];
        for (int r = 0; r < timed.length; r++) {
            timed[r] = MatmulBench.secondsPerCall(ab[0], ab[1], p.transA(), p.transB(), perRound, 3);
        }
        return TrainingBench.median(timed);
    }
}
