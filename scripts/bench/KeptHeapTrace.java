import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * The heap kept between training steps, traced over a run: every PERIOD_S seconds of steps, HotSpot's class
 * histogram (a full collection, then a count of what survived it). Printed: the heap in use as the memory bean
 * reports it; the part of it that is the collector's filler objects, dead space it did not compact; the live
 * objects (the histogram's total less the fillers); how much of those the step workspaces hold idle for the next
 * step (the model's own and, when split, each shard's); and the rest. Kept heap that rises while the workspaces'
 * idle storage rises with it is the workspaces filling, not a leak; a rise in fillers alone is not kept data.
 *
 * <pre>
 * java -XX:+UseSerialGC -Xmx360m -Xmn100m -Djgrad.workspace=220m --add-modules jdk.incubator.vector \
 *     --enable-native-access=ALL-UNNAMED scripts/bench/KeptHeapTrace.java JAR CONFIG CELL DTYPE SHARDS SECONDS [PERIOD_S]
 * </pre>
 */
public final class KeptHeapTrace {
    private KeptHeapTrace() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        String config = args[1];
        String cell = args[2];
        String dtype = args[3];
        int shards = Integer.parseInt(args[4]);
        double seconds = Double.parseDouble(args[5]);
        double period = args.length > 6 ? Double.parseDouble(args[6]) : 3;
        BenchModel bench = new BenchModel(jar, config, cell, dtype, 1, shards);
        ClassLoader loader = bench.loader;
        Object model = bench.model;
        Class<?> modelClass = model.getClass();
        Class<?> workspaceClass = loader.loadClass("dev.jgrad.tensor.Workspace");
        Method idle = workspaceClass.getMethod("idleBytes");
        Field own = modelClass.getDeclaredField("workspace");
        own.setAccessible(true);
        Field split = modelClass.getDeclaredField("shards");
        split.setAccessible(true);
        Field perShard = loader.loadClass("dev.jgrad.nn.parallel.DataParallel").getDeclaredField("workspaces");
        perShard.setAccessible(true);

        System.out.printf("%8s %8s %10s %10s %10s %10s %10s %s%n", "s", "steps", "used MiB", "filler MiB", "live MiB", "idle MiB",
                "rest MiB", "idle by shard");
        long start = System.nanoTime();
        long steps = 0;
        double next = 0;
        while (true) {
            double t = (System.nanoTime() - start) / 1e9;
            if (t >= next) {
                // Parsed here rather than by the jar's MachineFacts, so that the trace also reads builds from before it counted live objects.
                String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                        new Object[] {new String[0]}, new String[] {String[].class.getName()});
                double used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
                double live = 0;
                double fillers = 0;
                for (String line : histogram.lines().toList()) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 3 && f[0].equals("Total")) {
                        live = Long.parseLong(f[2]) / 1048576.0;
                    } else if (f.length >= 4 && f[3].replaceFirst("^\\[+L", "").startsWith("jdk.internal.vm.Filler")) {
                        fillers += Long.parseLong(f[2]) / 1048576.0;
                    }
                }
                live -= fillers;
                double idleOwn = (long) idle.invoke(own.get(model)) / 1048576.0;
                StringBuilder each = new StringBuilder();
                double idleShards = 0;
                Object dp = split.get(model);
                Object[] ws = dp == null ? null : (Object[]) perShard.get(dp);
                if (ws != null) {
                    for (Object w : ws) {
                        double i = (long) idle.invoke(w) / 1048576.0;
                        idleShards += i;
                        each.append(String.format(" %.1f", i));
                    }
                }
                double idleAll = idleOwn + idleShards;
                System.out.printf("%8.1f %8d %10.1f %10.1f %10.1f %10.1f %10.1f %s%n", t, steps, used, fillers, live, idleAll, live - idleAll, each);
                if (t >= seconds) {
                    break;
                }
                next += period;
            }
            bench.step();
            steps++;
        }
    }
}
