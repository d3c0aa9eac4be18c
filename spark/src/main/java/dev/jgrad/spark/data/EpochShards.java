package dev.jgrad.spark.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * One epoch's {@link Shard}s: the rows of every global minibatch that each training partition reads,
 * moved to it from wherever the corpus chunks are by one shuffle per epoch. The driver knows only
 * where the windows start ({@code Partitioning.windows}); each chunk sends the pieces of the windows
 * that overlap it to the partitions that own their rows, and each partition puts its windows
 * together. Training partition {@code p} is Spark partition {@code p} of {@link #rdd()}.
 *
 * <p>The window starts stay broadcast as long as the shards are in use: a shard lost with its
 * executor is rebuilt from them and the chunks.
 */
public final class EpochShards implements AutoCloseable {
    private final JavaRDD<Shard> rdd;
    private final Broadcast<long[]> windows;

    private EpochShards(JavaRDD<Shard> rdd, Broadcast<long[]> windows) {
        this.rdd = rdd;
        this.windows = windows;
    }

    /** One shard per Spark partition, persisted. */
    public JavaRDD<Shard> rdd() {
        return rdd;
    }

    /** Drops the shards and the broadcast window starts (nothing to do once Spark itself has stopped, e.g. on Ctrl-C). */
    @Override
    public void close() {
        if (!rdd.context().isStopped()) {
            rdd.unpersist(false);
            windows.destroy();
        }
    }

    /** The parts of some windows that one chunk holds, all for one training partition. */
    private record Fragment(int[] windowIds, int[] offsets, int[] lengths, int[] tokens) implements Serializable {
    }

    /**
     * The shards of an epoch whose minibatch {@code k} reads rows starting at {@code starts[k][b]},
     * split over {@code partitions} training partitions, computed and persisted.
     */
    public static EpochShards build(JavaRDD<TokenChunk> chunks, int[][] starts, int partitions, int steps) {
        int k = starts.length;
        int batch = starts[0].length;
        long[] sorted = new long[k * batch];
        for (int m = 0; m < k; m++) {
            for (int b = 0; b < batch; b++) {
                sorted[m * batch + b] = (long) starts[m][b] << 32 | (m * batch + b);
            }
        }
        Arrays.sort(sorted);
        int[] owner = new int[batch];
        for (int p = 0; p < partitions; p++) {
            for (int b = Shard.firstRow(p, partitions, batch); b < Shard.firstRow(p + 1, partitions, batch); b++) {
                owner[b] = p;
            }
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(chunks.context());
        Broadcast<long[]> windows = sc.broadcast(sorted);
        JavaRDD<Shard> shards = chunks
                .flatMapToPair(c -> fragments(c, windows.value(), owner, partitions, steps))
                .partitionBy(new HashPartitioner(partitions))
                .mapPartitionsWithIndex((p, it) -> List.of(assemble(p, it, k, batch, partitions, steps)).iterator(), true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        shards.count();
        return new EpochShards(shards, windows);
    }

    private static Iterator<Tuple2<Integer, Fragment>> fragments(TokenChunk chunk, long[] sorted, int[] owner, int partitions,
            int steps) {
        int batch = owner.length;
        List<List<int[]>> pieces = new ArrayList<>(); // per partition: {window id, offset in window, length, position in chunk}
        for (int p = 0; p < partitions; p++) {
            pieces.add(new ArrayList<>());
        }
        long c0 = chunk.start();
        long c1 = chunk.end();
        // A window starting at s covers [s, s + steps]; those overlapping [c0, c1) start in [c0 − steps, c1).
        int i = Arrays.binarySearch(sorted, Math.max(0, c0 - steps) << 32);
        for (i = i < 0 ? -i - 1 : i; i < sorted.length && (sorted[i] >>> 32) < c1; i++) {
            long s = sorted[i] >>> 32;
            int id = (int) sorted[i];
            long lo = Math.max(s, c0);
            long hi = Math.min(s + steps + 1, c1);
            if (lo < hi) {
                pieces.get(owner[id % batch]).add(new int[] {id, (int) (lo - s), (int) (hi - lo), (int) (lo - c0)});
            }
        }
        List<Tuple2<Integer, Fragment>> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<int[]> ps = pieces.get(p);
            if (ps.isEmpty()) {
                continue;
            }
            int[] ids = new int[ps.size()];
            int[] offsets = new int[ps.size()];
            int[] lengths = new int[ps.size()];
            int[] tokens = new int[ps.stream().mapToInt(x -> x[2]).sum()];
            int at = 0;
            for (int j = 0; j < ps.size(); j++) {
                int[] x = ps.get(j);
                ids[j] = x[0];
                offsets[j] = x[1];
                lengths[j] = x[2];
                System.arraycopy(chunk.tokens(), x[3], tokens, at, x[2]);
                at += x[2];
            }
            out.add(new Tuple2<>(p, new Fragment(ids, offsets, lengths, tokens)));
        }
        return out.iterator();
    }

    private static Shard assemble(int p, Iterator<Tuple2<Integer, Fragment>> it, int k, int batch, int partitions, int steps) {
        int first = Shard.firstRow(p, partitions, batch);
        int rows = Shard.firstRow(p + 1, partitions, batch) - first;
        int width = steps + 1;
        int[][] windows = new int[k][rows * width];
        long filled = 0;
        while (it.hasNext()) {
            Tuple2<Integer, Fragment> t = it.next();
            if (t._1() != p) {
                throw new IllegalStateException("epoch shards: a fragment for partition " + t._1() + " reached partition " + p);
            }
            Fragment f = t._2();
            int at = 0;
            for (int j = 0; j < f.windowIds().length; j++) {
                int id = f.windowIds()[j];
                int row = id % batch - first;
                System.arraycopy(f.tokens(), at, windows[id / batch], row * width + f.offsets()[j], f.lengths()[j]);
                at += f.lengths()[j];
                filled += f.lengths()[j];
            }
        }
        if (filled != (long) k * rows * width) {
            throw new IllegalStateException("epoch shards: partition " + p + " received " + filled + " tokens, expected "
                    + (long) k * rows * width + " (" + k + " minibatches x " + rows + " rows x " + width + ")");
        }
        return new Shard(p, first, rows, steps, windows);
    }
}
