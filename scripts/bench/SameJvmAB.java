import java.nio.file.Path;
import java.util.Arrays;

/**
 * Two builds of gru-examples.jar in one JVM, each in a class loader of its own, their training steps timed in
 * windows that alternate (the side going first alternating too), so that the machine's swings from one second
 * to the next touch both sides: a change of a few percent shows in the median of the rounds' ratios, where on
 * a noisy VM fresh JVMs a minute apart differ by more. Each side's code is compiled by the JIT for its own
 * loader, so a run is still one draw of each side's compilation: run it in a few JVMs.
 *
 * <pre>
 * java -XX:+UseSerialGC -Xmx1g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     scripts/bench/SameJvmAB.java A.jar B.jar CONFIG CELL DTYPE [WARMUP_S [ROUNDS [WINDOW_MS [A_WAY B_WAY]]]]
 * </pre>
 *
 * CONFIG is tiny, d2l or large, CELL a {@code bench --cell} name, DTYPE f32 or f64. Each side runs on one thread,
 * or as its WAY says: {@code 1}, {@code kernels2} (the kernels split over two threads) or {@code shards2} (each
 * minibatch split into two shards on a thread each), so that one jar against itself, {@code 1} against
 * {@code shards2}, pairs two threads with one. Prints each side's tokens/s per round, the rounds' ratios B/A,
 * and their median.
 */
public final class SameJvmAB {
    private SameJvmAB() {
    }

    /** One build's model, run as its WAY says. */
    private static final class Side {
        final BenchModel bench;

        Side(Path jar, String config, String cell, String dtype, String way) throws Exception {
            int kernelThreads = switch (way) {
                case "1", "shards2" -> 1;
                case "kernels2" -> 2;
                default -> throw new IllegalArgumentException("unknown way '" + way + "': 1, kernels2 or shards2");
            };
            bench = new BenchModel(jar, config, cell, dtype, kernelThreads, way.equals("shards2") ? 2 : 1);
        }

        /** Tokens per second over training steps run for at least {@code nanos}. */
        double window(long nanos) throws Exception {
            long start = System.nanoTime();
            long steps = 0;
            long now;
            do {
                bench.step();
                steps++;
                now = System.nanoTime();
            } while (now - start < nanos);
            return steps * (double) bench.tokens / ((now - start) / 1e9);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: SameJvmAB A.jar B.jar CONFIG CELL DTYPE [WARMUP_S [ROUNDS [WINDOW_MS [A_WAY B_WAY]]]]");
            System.exit(2);
        }
        Side a = new Side(Path.of(args[0]), args[2], args[3], args[4], args.length > 8 ? args[8] : "1");
        Side b = new Side(Path.of(args[1]), args[2], args[3], args[4], args.length > 9 ? args[9] : "1");
        double warmup = args.length > 5 ? Double.parseDouble(args[5]) : 20;
        int rounds = args.length > 6 ? Integer.parseInt(args[6]) : 31;
        long window = (args.length > 7 ? Long.parseLong(args[7]) : 400) * 1_000_000L;
        // Warm-up in alternating quarter seconds, so that both sides' code is compiled under the same conditions.
        long end = System.nanoTime() + (long) (warmup * 1e9);
        while (System.nanoTime() < end) {
            a.window(250_000_000L);
            b.window(250_000_000L);
        }
        double[] ra = new double[rounds];
        double[] rb = new double[rounds];
        double[] q = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                ra[r] = a.window(window);
                rb[r] = b.window(window);
            } else {
                rb[r] = b.window(window);
                ra[r] = a.window(window);
            }
            q[r] = rb[r] / ra[r];
            System.out.printf("round %2d  A %10.1f  B %10.1f  B/A %.3f%n", r + 1, ra[r], rb[r], q[r]);
        }
        System.out.printf("%s %s %s" + (args.length > 9 ? ", A " + args[8] + ", B " + args[9] : "") + ": B/A median %.3f (rounds %.3f..%.3f); medians A %.1f, B %.1f tokens/s%n", args[2], args[3], args[4],
                median(q), Arrays.stream(q).min().orElseThrow(), Arrays.stream(q).max().orElseThrow(), median(ra), median(rb));
        System.exit(0);   // kernel threads of either loader may be parked, not daemons
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
