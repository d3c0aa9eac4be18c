package dev.jgrad.tensor;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;

/**
 * Counts the collections after which the heap was nearly full: the signal on which every {@link
 * Workspace} lets go of the storage it holds and halves its limit (Note [Workspace loans]), so that a
 * heap too small for the workspace beside the program's data is not collected to the brink at every
 * step.
 *
 * <p>The JVM's collectors report each collection to a listener registered when the first workspace
 * that lends is made; the listener adds the heap pools' usage after their latest collection (the live
 * data, by the collector's own measure) and counts the collection when that is above {@link
 * #NEARLY_FULL} of the maximum heap. On a runtime without the management API, or whose collectors send
 * no notifications, nothing is counted and workspaces rely on their soft references alone.
 */
final class HeapPressure {
    /** The fraction of the maximum heap above which the live data after a collection counts as nearly full. */
    static final double NEARLY_FULL = 0.9;

    private HeapPressure() {
    }

    /**
     * The collections so far after which the heap was nearly full (and signals from {@link #signal}):
     * a workspace compares it with the count it saw when made. The first call registers the listener.
     */
    static long count() {
        return Listener.COUNT.get();
    }

    /** Counts one more nearly full collection: what the listener does, and what tests call to stand for one. */
    static void signal() {
        Listener.COUNT.incrementAndGet();
    }

    /** The collections the listener has been told of, nearly full or not. */
    static long collectionsSeen() {
        return Listener.SEEN.get();
    }

    /** Whether the listener is registered: false on a runtime without the management API. */
    static boolean listening() {
        return Listener.INSTALLED;
    }

    /** Whether {@code live} bytes after a collection is nearly all of a {@code max}-byte heap. */
    static boolean nearlyFull(long live, long max) {
        return max > 0 && live > NEARLY_FULL * max;
    }

    /** The count, and the listener on the collectors that adds to it, registered when the count is first read. */
    private static final class Listener {
        static final AtomicLong COUNT = new AtomicLong();
        static final AtomicLong SEEN = new AtomicLong();
        static final boolean INSTALLED = install();

        private static boolean install() {
            try {
                List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(p -> p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()).toList();
                long max = Runtime.getRuntime().maxMemory();
                boolean any = false;
                for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                    if (gc instanceof NotificationEmitter emitter) {
                        emitter.addNotificationListener((notification, handback) -> {
                            if (nearlyFull(liveAfterCollection(heap), max)) {
                                signal();
                            }
                            SEEN.incrementAndGet();
                        }, null, null);
                        any = true;
                    }
                }
                return any;
            } catch (LinkageError | RuntimeException e) {
                return false;   // no management API here: workspaces rely on their soft references alone
            }
        }

        /** The heap pools' usage after their latest collections. */
        private static long liveAfterCollection(List<MemoryPoolMXBean> heap) {
            long live = 0;
            for (MemoryPoolMXBean p : heap) {
                MemoryUsage u = p.getCollectionUsage();
                if (u != null) {
                    live += u.getUsed();
                }
            }
            return live;
        }
    }
}
