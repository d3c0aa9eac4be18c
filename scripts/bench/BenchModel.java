import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * One build of gru-examples.jar, in a class loader of its own, and the bench's model of it with its random tokens,
 * reached by reflection (the bench's classes are package-private): shared by the scripts that load builds side by
 * side ({@code SameJvmAB.java}, {@code KeptHeapTrace.java}), which the JDK's launcher compiles with it from this folder.
 */
final class BenchModel {
    final ClassLoader loader;
    final Object model;
    final int tokens;
    private final Method step;
    private final int[][] inputs;
    private final int[] targets;

    /**
     * The model of {@code bench --config CONFIG --cell CELL --dtype DTYPE}, its kernels on {@code kernelThreads} threads
     * and each minibatch split into {@code shards}.
     */
    BenchModel(Path jar, String config, String cell, String dtype, int kernelThreads, int shards) throws Exception {
        loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> par = loader.loadClass("dev.jgrad.tensor.Parallelism");
        par.getMethod("setThreads", int.class).invoke(null, kernelThreads);
        Class<?> benchConfig = loader.loadClass("dev.jgrad.examples.bench.BenchConfig");
        Object cfg = benchConfig.getMethod("named", String.class).invoke(null, config);
        Class<?> cellKind = loader.loadClass("dev.jgrad.nn.cell.CellKind");
        Object kind = cellKind.getMethod("parse", String.class).invoke(null, cell);
        Class<?> dType = loader.loadClass("dev.jgrad.tensor.DType");
        Object dt = dType.getField(dtype.toUpperCase()).get(null);
        Class<?> rngClass = loader.loadClass("dev.jgrad.tensor.Rng");
        Object rng = rngClass.getMethod("seeded", long.class).invoke(null, 1L);
        Class<?> tokensClass = loader.loadClass("dev.jgrad.examples.bench.TrainingBench$Tokens");
        Method random = tokensClass.getDeclaredMethod("random", benchConfig, rngClass);
        random.setAccessible(true);
        Object tok = random.invoke(null, cfg, rng);
        Method in = tokensClass.getDeclaredMethod("inputs");
        Method tg = tokensClass.getDeclaredMethod("targets");
        in.setAccessible(true);
        tg.setAccessible(true);
        inputs = (int[][]) in.invoke(tok);
        targets = (int[]) tg.invoke(tok);
        tokens = targets.length;
        Class<?> modelClass = loader.loadClass("dev.jgrad.examples.bench.NnLanguageModel");
        Constructor<?> ctor = modelClass.getDeclaredConstructor(cellKind, benchConfig, dType, rngClass, double.class, int.class);
        ctor.setAccessible(true);
        model = ctor.newInstance(kind, cfg, dt, rng, 1.0, shards);
        step = modelClass.getDeclaredMethod("trainStep", int[][].class, int[].class, double.class);
        step.setAccessible(true);
    }

    /** One training step on the tokens. */
    void step() throws Exception {
        step.invoke(model, inputs, targets, 1.0);
    }
}
