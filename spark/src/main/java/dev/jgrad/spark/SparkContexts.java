package dev.jgrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;

/** Opens Spark contexts for jgrad: checks first what would otherwise fail slowly or obscurely. */
public final class SparkContexts {
    /** How long to wait for a standalone master to accept a connection. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private SparkContexts() {
    }

    /**
     * A context for {@code conf}, after checking that this JVM was started with Spark's module options
     * and that a standalone master ({@code spark://host:port[,host:port]}) accepts connections.
     *
     * @throws IllegalStateException in one line saying what is wrong and what to do
     */
    public static JavaSparkContext open(SparkConf conf) {
        requireModuleOptions();
        String master = conf.get("spark.master", "");
        if (master.startsWith("spark://")) {
            requireReachable(master);
        }
        // A step's task result (a gradient: megabytes) then travels with the task's status instead of being
        // stored in the executor's block manager for the driver to fetch in a second round trip.
        conf.setIfMissing("spark.task.maxDirectResultSize", "64m");
        JavaSparkContext sc = new JavaSparkContext(conf);
        if (sc.sc().isStopped()) {
            throw new IllegalStateException("the Spark master at " + master + " did not accept the application (see Spark's log above)");
        }
        return sc;
    }

    /** Spark's JVM options (the {@code --add-opens} list of {@code JavaModuleOptions}), which every Spark JVM on JDK 17+ needs. */
    public static List<String> moduleOptions() {
        return List.of(JavaModuleOptions.defaultModuleOptionArray());
    }

    private static void requireModuleOptions() {
        Module base = Object.class.getModule();
        Module here = SparkContexts.class.getModule();
        if (!base.isOpen("sun.nio.ch", here) || !base.isOpen("java.nio", here)) {
            throw new IllegalStateException("this JVM lacks the options Spark needs on Java " + Runtime.version().feature()
                    + ": start it through ./jgrad-spark or spark-submit, or add " + String.join(" ", moduleOptions()));
        }
    }

    /** Fails in bounded time when no master of a {@code spark://} URL accepts a connection. */
    static void requireReachable(String master) {
        List<String> problems = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--master " + master + ": '" + hostPort + "' is not HOST:PORT");
            }
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) { // connect would say only the host's name
                problems.add(hostPort + " (unknown host)");
                continue;
            }
            try (Socket s = new Socket()) {
                s.connect(address, CONNECT_TIMEOUT_MILLIS);
                return;
            } catch (IOException e) {
                problems.add(hostPort + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
            }
        }
        throw new IllegalStateException("cannot reach the Spark master at " + master + ": " + String.join(", ", problems)
                + "; is the master running, and is this the URL it printed?");
    }
}
