package dev.jgrad.tensor;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Counts the collections after which the heap was nearly full: the signal on which every {@link
 * Workspace} lets go of the storage it holds and halves its limit (Note [Workspace loans]), so that a
 * heap too small for the workspace beside the program's data is not collected to the brink at every
 * step.
 *
 * <p>The JVM's collectors report each collection to a listener registered when the first workspace
 * that lends is made. After a collection that is not a young one (a full collection, or a concurrent
 * cycle), the listener adds the heap pools' usage right after it (the live data, by the collector's
 * own measure) and counts the collection when that is above {@link #NEARLY_FULL} of the maximum heap.
 * A young collection says nothing of the old generation, which it leaves as it was: counting it, on the
 * old generation's usage after its last full collection, would count one nearly full heap again at
 * every young collection until the next full one, and halve every workspace's limit each time. On a
 * runtime without the management API, or whose collectors send no notifications, nothing is counted and
 * workspaces rely on their soft references alone.
 */
final class HeapPressure {
    /** The fraction of the maximum heap above which the live data after a collection counts as nearly full. */
    static final double NEARLY_FULL = 0.9;
    /**
     * The fraction of the maximum heap above which the live data after a collection leaves no room for
     * storage held across a step ({@link KeptPanels#handOn}, Note [Panels handed on]).
     */
    static final double CROWDED = 0.8;
    /** Whether the live data after the last collection that was not young was above {@link #CROWDED} of the heap. */
    private static volatile boolean crowded;

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

    /**
     * Whether the live data after the last collection that was not young was above {@link #CROWDED} of
     * the heap; false before any such collection, and where the listener is not registered (no
     * workspace lends, or no management API).
     */
    static boolean crowded() {
        return crowded;
    }

    /** Whether {@code live} bytes after a collection crowd a {@code max}-byte heap ({@link #CROWDED}). */
    static boolean crowded(long live, long max) {
        return max > 0 && live > CROWDED * max;
    }

    /** Whether {@code live} bytes after a collection is nearly all of a {@code max}-byte heap. */
    static boolean nearlyFull(long live, long max) {
        return max > 0 && live > NEARLY_FULL * max;
    }

    /**
     * Whether a collection counts: one that is not young ({@code action} is not the JVM's {@code "end of
     * minor GC"}), after which {@code live} bytes were nearly all of a {@code max}-byte heap.
     */
    static boolean counts(String action, long live, long max) {
        return !young(action) && nearlyFull(live, max);
    }

    /** Whether {@code action}, a collection's as the JVM reports it, is a young collection's. */
    static boolean young(String action) {
        return "end of minor GC".equals(action);
    }

    /** The count, and the listener on the collectors that adds to it, registered when the count is first read. */
    private static final class Listener {
        static final AtomicLong COUNT = new AtomicLong();
        static final AtomicLong SEEN = new AtomicLong();
        static final boolean INSTALLED = install();

        private static boolean install() {
            try {
                GarbageCollectionNotificationInfo.class.getName();   // absent (jdk.management not loaded): caught below
                Set<String> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
                long max = Runtime.getRuntime().maxMemory();
                boolean any = false;
                for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                    if (gc instanceof NotificationEmitter emitter) {
                        emitter.addNotificationListener((notification, handback) -> {
                            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                                long live = liveAfter(info, heap);
                                if (counts(info.getGcAction(), live, max)) {
                                    signal();
                                }
                                if (!young(info.getGcAction())) {
                                    crowded = crowded(live, max);
                                }
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

        /** The heap pools' usage right after the collection {@code info} reports. */
        private static long liveAfter(GarbageCollectionNotificationInfo info, Set<String> heap) {
            long live = 0;
            for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (heap.contains(pool.getKey())) {
                    live += pool.getValue().getUsed();
                }
            }
            return live;
        }
    }
}
