import dev.jgrad.examples.bench.MachineFacts;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Tensor;
import java.util.Locale;

/**
 * The elementwise ops of a recurrent step timed alone on one tensor of a step's size, warm: σ, tanh
 * and exp against add and mul, whose passes cost only their memory traffic. It tells how far an op's
 * arithmetic, not its reads and writes, sets its time.
 *
 * <p>Run from the repository, after the examples' jar is built:
 * <pre>
 * java -XX:+UseSerialGC --add-modules jdk.incubator.vector -cp examples/target/gru-examples.jar \
 *      scripts/bench/ElementwiseOps.java [ELEMENTS]
 * </pre>
 * ELEMENTS defaults to 8192, a d2l step's {@code [32, 256]}. Each figure is the best of five timings of
 * 20,000 calls, after two rounds of the same as warm-up.
 */
public class ElementwiseOps {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        String[] ops = {"sigmoid", "tanh", "exp", "add", "mul"};
        System.out.println(MachineFacts.detect().describe());
        for (DType dtype : DType.values()) {
            Tensor x = Tensor.randn(Rng.seeded(1), dtype, 1, n);
            Tensor y = Tensor.randn(Rng.seeded(2), dtype, 1, n);
            for (int round = 0; round < 3; round++) {
                for (String op : ops) {
                    int calls = 20_000;
                    long best = Long.MAX_VALUE;
                    for (int r = 0; r < 5; r++) {
                        long start = System.nanoTime();
                        for (int i = 0; i < calls; i++) {
                            run(op, x, y);
                        }
                        best = Math.min(best, System.nanoTime() - start);
                    }
                    if (round == 2) {
                        System.out.printf(Locale.ROOT, "%s %-8s %d elements  %6.2f µs a call  %.3f ns an element%n",
                                dtype, op, n, best / 1e3 / calls, (double) best / calls / n);
                    }
                }
            }
        }
    }

    private static Tensor run(String op, Tensor x, Tensor y) {
        return switch (op) {
            case "sigmoid" -> Kernels.unary(Kernels.Unary.SIGMOID, x);
            case "tanh" -> Kernels.unary(Kernels.Unary.TANH, x);
            case "exp" -> Kernels.unary(Kernels.Unary.EXP, x);
            case "add" -> Kernels.binary(Kernels.Binary.ADD, x, y);
            default -> Kernels.binary(Kernels.Binary.MUL, x, y);
        };
    }
}
