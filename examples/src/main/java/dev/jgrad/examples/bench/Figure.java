package dev.jgrad.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One measured figure, ours or PyTorch's, in the JSON-lines schema shared with {@code scripts/torch/bench_gru.py}. */
sealed interface Figure {
    /** The figure as ordered JSON fields. */
    Map<String, Object> fields();

    /**
     * Training throughput.
     *
     * @param shards          how many shards each minibatch was split into, one per thread with single-threaded kernels
     *                        (DataParallel); 1: the whole minibatch on one tape, its kernels on {@code threads} threads
     * @param tokensPerSecond the median over repetitions of (steps × batch × sequence length) / seconds
     * @param opsPerStep      ops recorded on the tape by one step's forward pass (0 where not known)
     * @param nsPerOp         median step time divided by {@code opsPerStep}: the whole step's cost per recorded op
     * @param peakRssMib      the process's peak resident set so far (VmHWM), in MiB
     * @param keptMibStart    heap still in use between steps after a full collection, once the warm-up is over, in MiB
     * @param keptMibEnd      the same after the last timed step: more than {@code keptMibStart} would mean
     *                        steps leak (a graph or tape outliving its step)
     * @param matmulGflop     the floating-point operations of one step's matrix products, in billions (NaN where not known)
     * @param gemmRoofline    the time those products take run one by one on the same backend, divided by the time of a
     *                        step run just before and after them: the median over three such rounds (1.0: the step is as
     *                        fast as its GEMMs; NaN where not known)
     * @param productFraction the share of a step's wall time spent inside its matrix products, from steps timed apart
     *                        after the timed ones (shards' products shared out; NaN where not known): what is left is the
     *                        rest of the step, and against {@code gemmRoofline} it says whether the products or the rest
     *                        fall short
     * @param gcFraction      the garbage collectors' time during the timed steps, divided by their wall time (NaN where not known)
     * @param allocMibPerStep heap allocated by all threads during the timed steps, per step, in MiB (NaN where not known):
     *                        storage a workspace could not lend, and anything the JIT failed to keep in registers
     * @param warmupSeconds   how long the steps ran before the timed ones: the fixed warm-up, and then until the
     *                        step rate settled and the JIT compilers were nearly idle (NaN where not known)
     * @param products        each distinct matrix product of a step, inside the step and alone, longest in the step
     *                        first (empty where not known)
     */
    record Train(String impl, String config, String cell, String dtype, int threads, int shards, double tokensPerSecond,
                 double minTokensPerSecond, double maxTokensPerSecond, int repetitions, long steps, double loss,
                 int opsPerStep, double nsPerOp, double peakRssMib, double keptMibStart, double keptMibEnd,
                 double matmulGflop, double gemmRoofline, double productFraction, double gcFraction, double allocMibPerStep,
                 double warmupSeconds, List<StepProduct> products)
            implements Figure {
        /** Keeps an unmodifiable copy of the products. */
        public Train {
            products = List.copyOf(products);
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", "train");
            m.put("impl", impl);
            m.put("config", config);
            m.put("cell", cell);
            m.put("dtype", dtype);
            m.put("threads", threads);
            m.put("shards", shards);
            m.put("tokens_per_second", tokensPerSecond);
            m.put("min_tokens_per_second", minTokensPerSecond);
            m.put("max_tokens_per_second", maxTokensPerSecond);
            m.put("repetitions", repetitions);
            m.put("steps", steps);
            m.put("loss", loss);
            m.put("ops_per_step", opsPerStep);
            m.put("ns_per_op", nsPerOp);
            m.put("peak_rss_mib", peakRssMib);
            m.put("kept_mib_start", keptMibStart);
            m.put("kept_mib_end", keptMibEnd);
            m.put("matmul_gflop_per_step", matmulGflop);
            m.put("gemm_roofline", gemmRoofline);
            m.put("product_fraction", productFraction);
            m.put("gc_fraction", gcFraction);
            m.put("alloc_mib_per_step", allocMibPerStep);
            m.put("warmup_seconds", warmupSeconds);
            m.put("products", products.stream().map(StepProduct::fields).toList());
            return m;
        }

        /** The figure {@link #fields()} wrote. */
        static Train of(JsonNode n) {
            return new Train(n.path("impl").asText(), n.path("config").asText(), n.path("cell").asText(), n.path("dtype").asText(),
                    n.path("threads").asInt(), n.path("shards").asInt(1), n.path("tokens_per_second").asDouble(), n.path("min_tokens_per_second").asDouble(),
                    n.path("max_tokens_per_second").asDouble(), n.path("repetitions").asInt(), n.path("steps").asLong(),
                    n.path("loss").asDouble(), n.path("ops_per_step").asInt(), n.path("ns_per_op").asDouble(),
                    n.path("peak_rss_mib").asDouble(), n.path("kept_mib_start").asDouble(), n.path("kept_mib_end").asDouble(),
                    n.path("matmul_gflop_per_step").asDouble(Double.NaN), n.path("gemm_roofline").asDouble(Double.NaN),
                    n.path("product_fraction").asDouble(Double.NaN), n.path("gc_fraction").asDouble(Double.NaN), n.path("alloc_mib_per_step").asDouble(Double.NaN),
                    n.path("warmup_seconds").asDouble(Double.NaN), StepProduct.all(n.path("products")));
        }
    }

    /**
     * One distinct matrix product {@code op(A)[m×k] · op(B)[k×n]} of a training step: how many times a step makes it,
     * and its microseconds per call inside the step (steps timed with the product clock on, as {@code productFraction})
     * and alone (the roofline's timing, the median of its rounds). The ratio of the two says whether the product
     * itself runs slower inside a step, where the rest of the step's work passes through the caches between calls.
     *
     * @param callsPerStep how many times a step makes it (every shard's calls)
     * @param microsInStep its mean time per call inside the steps
     * @param microsAlone  its time per call run by itself, over and over on the same operands
     */
    record StepProduct(int m, int n, int k, boolean transA, boolean transB, double callsPerStep, double microsInStep,
                       double microsAlone) {
        /** The product as ordered JSON fields. */
        Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("m", m);
            f.put("n", n);
            f.put("k", k);
            f.put("trans_a", transA);
            f.put("trans_b", transB);
            f.put("calls_per_step", callsPerStep);
            f.put("us_in_step", microsInStep);
            f.put("us_alone", microsAlone);
            return f;
        }

        /** The products {@link #fields()} wrote into a JSON array; none when it is missing. */
        static List<StepProduct> all(JsonNode array) {
            List<StepProduct> out = new ArrayList<>();
            for (JsonNode p : array) {
                out.add(new StepProduct(p.path("m").asInt(), p.path("n").asInt(), p.path("k").asInt(), p.path("trans_a").asBoolean(),
                        p.path("trans_b").asBoolean(), p.path("calls_per_step").asDouble(), p.path("us_in_step").asDouble(),
                        p.path("us_alone").asDouble(Double.NaN)));
            }
            return out;
        }

        /** The shape as the matmul table writes it, {@code op(A)·op(B)} with each stored shape: {@code (512x768)ᵀ·512x256}. */
        String shape() {
            String a = transA ? "(" + k + "x" + m + ")ᵀ" : m + "x" + k;
            String b = transB ? "(" + n + "x" + k + ")ᵀ" : k + "x" + n;
            return a + "·" + b;
        }
    }

    /** Matrix-product speed for {@code op(A)[m×k] · op(B)[k×n]}: {@code 2mnk} flops / median seconds. */
    record Matmul(String impl, String shape, int m, int k, int n, boolean transA, boolean transB, String dtype, int threads,
                  double gflops) implements Figure {
        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("kind", "matmul");
            f.put("impl", impl);
            f.put("shape", shape);
            f.put("m", m);
            f.put("k", k);
            f.put("n", n);
            f.put("trans_a", transA);
            f.put("trans_b", transB);
            f.put("dtype", dtype);
            f.put("threads", threads);
            f.put("gflops", gflops);
            return f;
        }
    }
}
