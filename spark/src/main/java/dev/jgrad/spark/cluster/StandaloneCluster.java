package dev.jgrad.spark.cluster;

import dev.jgrad.spark.SparkContexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark standalone cluster on this machine, made of Spark's own classes and no Spark download: a
 * master and {@code workers} workers, each a separate JVM bound to 127.0.0.1, started with
 * {@code java -cp} over the Spark jars of the Maven build. Workers launch their executors through a
 * {@code SPARK_HOME} whose {@code jars/} folder links to those same jars. For tests and measurements;
 * {@link #close()} stops every process it started, executors included.
 */
public final class StandaloneCluster implements AutoCloseable {
    private final Path dir;
    private final List<Path> sparkJars;
    private final String masterUrl;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private StandaloneCluster(Path dir, List<Path> sparkJars, int port, Process master) {
        this.dir = dir;
        this.sparkJars = sparkJars;
        this.masterUrl = "spark://127.0.0.1:" + port;
        this.master = master;
    }

    /**
     * Starts a master and {@code workers} workers of {@code cores} cores and {@code memory} (e.g. {@code 1g})
     * each, with their logs and work folders under {@code dir}, and waits until the master accepts
     * connections.
     *
     * @param sparkJars Spark's jars: the {@code provided} class path of this module, {@link #sparkJars(Path)}
     */
    public static StandaloneCluster start(Path dir, List<Path> sparkJars, int workers, int cores, String memory) throws IOException {
        Files.createDirectories(dir);
        Path home = sparkHome(dir.resolve("spark-home"), sparkJars);
        int port = freePort();
        Process master = launch(dir, "master", home, sparkJars, List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort())));
        StandaloneCluster c = new StandaloneCluster(dir, sparkJars, port, master);
        try {
            c.awaitPort(port, master, "master");
            for (int i = 1; i <= workers; i++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + i));
                c.workers.add(launch(dir, "worker-" + i, home, sparkJars, List.of("org.apache.spark.deploy.worker.Worker", "--host",
                        "127.0.0.1", "--cores", String.valueOf(cores), "--memory", memory, "--webui-port", String.valueOf(freePort()),
                        "--work-dir", work.toString(), c.masterUrl)));
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The jars listed, separated by the path separator, in a class path file such as {@code target/spark-classpath.txt}. */
    public static List<Path> sparkJars(Path classpathFile) throws IOException {
        String cp = Files.readString(classpathFile, StandardCharsets.UTF_8).strip();
        return Stream.of(cp.split(java.io.File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    /** {@code spark://127.0.0.1:PORT}. */
    public String masterUrl() {
        return masterUrl;
    }

    /**
     * A configuration for an application on this cluster whose classes are the entries of
     * {@code classPath} that are not Spark's (folders are packed into jars first), shipped with
     * {@code spark.jars}; one executor per worker, bound to 127.0.0.1.
     */
    public SparkConf conf(String appName, List<Path> classPath) throws IOException {
        Set<Path> spark = new LinkedHashSet<>();
        for (Path j : sparkJars) {
            spark.add(j.toAbsolutePath().normalize());
        }
        List<String> jars = new ArrayList<>();
        int n = 0;
        for (Path entry : classPath) {
            Path e = entry.toAbsolutePath().normalize();
            if (spark.contains(e) || !Files.exists(e)) {
                continue;
            }
            jars.add((Files.isDirectory(e) ? jarOf(e, dir.resolve("app-" + n++ + ".jar")) : e).toUri().toString());
        }
        return new SparkConf().setMaster(masterUrl).setAppName(appName).set("spark.jars", String.join(",", jars))
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1").set("spark.ui.enabled", "false")
                .set("spark.executor.cores", "1");
    }

    /** This JVM's class path, entry by entry. */
    public static List<Path> ownClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).filter(s -> !s.isEmpty())
                .map(Path::of).toList();
    }

    /**
     * Waits until {@code count} executors have registered with {@code sc}, or fails after {@code seconds}
     * naming the logs to read.
     */
    public void awaitExecutors(JavaSparkContext sc, int count, int seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (executorCount(sc) < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("standalone cluster: " + executorCount(sc) + " of " + count + " executors registered after "
                        + seconds + " s; see the logs in " + dir);
            }
            sleep(200);
        }
    }

    /** Executors registered with {@code sc} now (the driver is not counted). */
    public static int executorCount(JavaSparkContext sc) {
        return sc.sc().statusTracker().getExecutorInfos().length - 1;
    }

    /** The executor JVMs running now: descendants of the workers that run Spark's executor backend. */
    public List<ProcessHandle> executors() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.descendants().filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).forEach(out::add);
        }
        return out;
    }

    /** Stops the workers' executors, the workers and the master, forcibly, and waits for them to end. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process w : workers) {
            w.descendants().forEach(all::add);
            all.add(w.toHandle());
        }
        master.descendants().forEach(all::add);
        all.add(master.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(java.util.concurrent.TimeUnit.SECONDS.toMillis(30), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // Best effort: a process that would not die within 30 s is left to the OS.
            }
        }
    }

    private static Process launch(Path dir, String name, Path home, List<Path> sparkJars, List<String> mainAndArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(SparkContexts.moduleOptions());
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, sparkJars.stream().map(Path::toString).toList()));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        // Without it, executors launched through SPARK_HOME fail with "Cannot find any build directories".
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start();
    }

    /** A folder that serves as SPARK_HOME: {@code jars/} holds a link to each Spark jar. */
    private static Path sparkHome(Path home, List<Path> sparkJars) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (Path j : sparkJars) {
            Path link = jars.resolve(j.getFileName());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, j.toAbsolutePath());
            }
        }
        return home;
    }

    private static Path jarOf(Path folder, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(folder.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private void awaitPort(int port, Process process, String name) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new UncheckedIOException("standalone cluster: the " + name + " did not open port " + port + "; see "
                            + dir.resolve(name + ".log"), e);
                }
                sleep(200);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the standalone cluster", e);
        }
    }
}
