package dev.jgrad.spark.train;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The sum of the partitions' {@link Partial}s over one fixed binary tree, whatever order they arrive
 * in and however the aggregation groups them: node {@code [lo, hi)} is the sum of
 * {@code [lo, mid)} and {@code [mid, hi)} with {@code mid = ⌈(lo + hi) / 2⌉}, and a node is formed as
 * soon as both halves are present. Floating-point addition is not associative, so a sum in arrival
 * order would differ from run to run; this one is bit-identical every time, including when a task is
 * retried or an executor is lost.
 *
 * <p>Note [Aggregation follows the tree]: partials travel up in groups that are nodes of this same
 * tree ({@link #groupAt}), so every group sums to one node and sends one vector on, as a
 * {@code treeAggregate} should. (Spark's own {@code treeAggregate} groups partitions {@code i} by
 * {@code i mod n}; those are not neighbours in any summation tree, so a fixed-order sum would have to
 * carry every leaf to the driver.)
 */
public final class TreeSum implements Serializable {
    private final int partitions;
    private final Map<Long, Partial> nodes = new HashMap<>();

    /** An empty sum over partitions {@code [0, partitions)}. */
    public TreeSum(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("TreeSum: need at least one partition, got " + partitions);
        }
        this.partitions = partitions;
    }

    /** Adds partition {@code p}'s partial. */
    public TreeSum add(int p, Partial partial) {
        if (p < 0 || p >= partitions) {
            throw new IllegalArgumentException("TreeSum: partition " + p + " is outside [0, " + partitions + ")");
        }
        insert(p, p + 1, partial);
        return this;
    }

    /** Adds everything {@code other} holds. */
    public TreeSum merge(TreeSum other) {
        if (other.partitions != partitions) {
            throw new IllegalArgumentException("TreeSum: cannot merge sums over " + partitions + " and " + other.partitions + " partitions");
        }
        other.nodes.forEach((key, v) -> insert((int) (key >>> 32), (int) (long) key, v));
        return this;
    }

    /**
     * The sum over all partitions.
     *
     * @throws IllegalStateException when some partition has not been added
     */
    public Partial total() {
        Partial root = nodes.get(key(0, partitions));
        if (root == null || nodes.size() != 1) {
            throw new IllegalStateException("TreeSum: " + nodes.size() + " partial sums present, not all " + partitions
                    + " partitions were added");
        }
        return root;
    }

    /**
     * The group that partition {@code p} joins at tree depth {@code depth}: the index, counted from
     * the left, of its ancestor at that depth (a leaf above that depth is its own group).
     */
    public static int groupAt(int partitions, int depth, int p) {
        int[] counter = {0};
        return group(0, partitions, 0, depth, p, counter);
    }

    /** How many groups there are at tree depth {@code depth}. */
    public static int groupsAt(int partitions, int depth) {
        return groupAt(partitions, depth, partitions - 1) + 1;
    }

    /** The tree's height: the depth of its deepest leaf. */
    public static int height(int partitions) {
        return 32 - Integer.numberOfLeadingZeros(Math.max(partitions, 1) - 1);
    }

    /**
     * The tree depths at which partials are grouped on their way to the driver for an aggregation of
     * {@code depth} levels, deepest first: none for depth 1 (the driver receives every partial), else
     * {@code depth − 1} depths evenly spaced between the leaves and the root.
     */
    public static int[] groupingDepths(int partitions, int depth) {
        int h = height(partitions);
        return java.util.stream.IntStream.range(1, depth).map(j -> h * (depth - j) / depth).filter(d -> d > 0).distinct().toArray();
    }

    /** How many partial sums this holds (1 once its partitions form one node of the tree). */
    public int nodeCount() {
        return nodes.size();
    }

    /** The group of a sum all of whose nodes lie under one node at {@code depth} (as sums formed by grouping at a deeper depth do). */
    public int groupAt(int depth) {
        long any = nodes.keySet().iterator().next();
        return groupAt(partitions, depth, (int) (any >>> 32));
    }

    private static int group(int lo, int hi, int at, int depth, int p, int[] counter) {
        if (at == depth || hi - lo == 1) {
            return counter[0];
        }
        int mid = mid(lo, hi);
        if (p < mid) {
            return group(lo, mid, at + 1, depth, p, counter);
        }
        counter[0] += leaves(lo, mid, at + 1, depth);
        return group(mid, hi, at + 1, depth, p, counter);
    }

    /** Groups at {@code depth} under node {@code [lo, hi)} at depth {@code at}. */
    private static int leaves(int lo, int hi, int at, int depth) {
        if (at == depth || hi - lo == 1) {
            return 1;
        }
        int mid = mid(lo, hi);
        return leaves(lo, mid, at + 1, depth) + leaves(mid, hi, at + 1, depth);
    }

    private void insert(int lo, int hi, Partial value) {
        while (hi - lo < partitions) {
            int[] parent = parentOf(lo, hi);
            int mid = mid(parent[0], parent[1]);
            boolean left = lo == parent[0];
            long siblingKey = left ? key(mid, parent[1]) : key(parent[0], mid);
            Partial sibling = nodes.remove(siblingKey);
            if (sibling == null) {
                put(lo, hi, value);
                return;
            }
            value = left ? Partial.sum(value, sibling) : Partial.sum(sibling, value);
            lo = parent[0];
            hi = parent[1];
        }
        put(lo, hi, value);
    }

    private void put(int lo, int hi, Partial value) {
        if (nodes.putIfAbsent(key(lo, hi), value) != null) {
            throw new IllegalStateException("TreeSum: partitions [" + lo + ", " + hi + ") were added twice");
        }
    }

    /** The node whose halves include {@code [lo, hi)}, found by walking down from the root. */
    private int[] parentOf(int lo, int hi) {
        int a = 0;
        int b = partitions;
        while (true) {
            int mid = mid(a, b);
            if ((lo == a && hi == mid) || (lo == mid && hi == b)) {
                return new int[] {a, b};
            }
            if (hi <= mid) {
                b = mid;
            } else if (lo >= mid) {
                a = mid;
            } else {
                throw new IllegalStateException("TreeSum: [" + lo + ", " + hi + ") is not a node of the tree over " + partitions);
            }
        }
    }

    private static int mid(int lo, int hi) {
        return (lo + hi + 1) >>> 1;
    }

    private static long key(int lo, int hi) {
        return (long) lo << 32 | hi;
    }
}
