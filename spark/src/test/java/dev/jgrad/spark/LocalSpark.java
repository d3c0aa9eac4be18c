package dev.jgrad.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The test JVM's shared local Spark context: two task threads, and up to four attempts per task (plain
 * {@code local[2]} never retries a failed task). Spark allows one context per JVM, so the test classes
 * share it, and a class that opens its own context (a cluster's, or the command line's) {@link #stop()}s it
 * first; the next {@link #context()} opens it again.
 */
public final class LocalSpark {
    private static JavaSparkContext context;

    private LocalSpark() {
    }

    public static synchronized JavaSparkContext context() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster("local[2,4]").setAppName("jgrad-spark tests").set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
            context = SparkContexts.open(conf);
            context.setLogLevel("ERROR");
        }
        return context;
    }

    /** Stops the shared context, if open, so that another can be opened in this JVM. */
    public static synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
