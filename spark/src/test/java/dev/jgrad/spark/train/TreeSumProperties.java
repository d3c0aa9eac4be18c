package dev.jgrad.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The tasks' partials are summed over one fixed tree, whatever order and grouping Spark delivers them in. */
class TreeSumProperties {

    private static Partial leaf(double... values) {
        double[] stats = new double[Partial.STATS];
        stats[Partial.LOSS] = values[0];
        return new Partial(new String[] {"w"}, new double[][] {values.clone()}, stats, Map.of(), Map.of(), null, 0);
    }

    /** Values whose sums round differently in different orders: magnitudes from 1e-8 to 1e8, both signs. */
    private static double[][] values(int partitions, long seed) {
        Random r = new Random(seed);
        double[][] v = new double[partitions][6];
        for (double[] row : v) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (r.nextBoolean() ? 1 : -1) * r.nextDouble() * Math.pow(10, r.nextInt(17) - 8);
            }
        }
        return v;
    }

    private static long[] bits(Partial p) {
        double[] v = p.vectors()[0];
        long[] out = new long[v.length + 1];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.doubleToRawLongBits(v[i]);
        }
        out[v.length] = Double.doubleToRawLongBits(p.stats()[Partial.LOSS]);
        return out;
    }

    @Property
    void anyArrivalOrderAndGroupingGivesTheSameBits(@ForAll @IntRange(min = 1, max = 12) int partitions, @ForAll long seed) {
        double[][] v = values(partitions, seed);
        TreeSum inOrder = new TreeSum(partitions);
        for (int p = 0; p < partitions; p++) {
            inOrder.add(p, leaf(v[p]));
        }
        long[] expected = bits(inOrder.total());
        // As treeAggregate does: partitions fold into per-task sums in any order, which merge in any order.
        Random r = new Random(~seed);
        List<Integer> order = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            order.add(p);
        }
        Collections.shuffle(order, r);
        List<TreeSum> groups = new ArrayList<>();
        for (int p : order) {
            if (groups.isEmpty() || r.nextInt(3) == 0) {
                groups.add(new TreeSum(partitions));
            }
            groups.get(r.nextInt(groups.size())).add(p, leaf(v[p]));
        }
        Collections.shuffle(groups, r);
        TreeSum total = new TreeSum(partitions);
        for (TreeSum g : groups) {
            total.merge(g);
        }
        assertArrayEquals(expected, bits(total.total()));
    }

    @Property
    void everyGroupIsANodeOfTheTree(@ForAll @IntRange(min = 1, max = 300) int partitions, @ForAll @IntRange(min = 1, max = 4) int depth) {
        for (int d : TreeSum.groupingDepths(partitions, depth)) {
            int groups = TreeSum.groupsAt(partitions, d);
            int previous = 0;
            List<TreeSum> sums = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                int g = TreeSum.groupAt(partitions, d, p);
                assertTrue(g == previous || g == previous + 1, "groups are runs of neighbours: partition " + p + " in group " + g);
                previous = g;
                if (g == sums.size()) {
                    sums.add(new TreeSum(partitions));
                }
                sums.get(g).add(p, leaf(p));
            }
            assertEquals(groups, sums.size());
            for (int g = 0; g < groups; g++) {
                assertEquals(1, sums.get(g).nodeCount(), "group " + g + " at depth " + d + " sums to one node");
                assertEquals(g, sums.get(g).groupAt(d));
            }
        }
        int[] depths = TreeSum.groupingDepths(partitions, depth);
        assertTrue(depths.length <= depth - 1, "at most depth - 1 grouping levels");
        for (int i = 1; i < depths.length; i++) {
            assertTrue(depths[i] < depths[i - 1], "deepest first");
        }
    }

    @Test
    void twoHundredFiftySixPartitionsInTwoLevelsSendSixteenSumsToTheDriver() {
        assertArrayEquals(new int[] {4}, TreeSum.groupingDepths(256, 2));
        assertEquals(16, TreeSum.groupsAt(256, 4));
        assertArrayEquals(new int[] {}, TreeSum.groupingDepths(256, 1));
        assertArrayEquals(new int[] {5, 2}, TreeSum.groupingDepths(256, 3));
    }

    @Test
    void theTreeSplitsAtTheCeilingOfTheMiddle() {
        double a = 1e16;
        double b = 1;
        double c = -1e16;
        double d = 3;
        double e = 0.5;
        TreeSum s = new TreeSum(5);
        s.add(4, leaf(e)).add(0, leaf(a)).add(2, leaf(c)).add(3, leaf(d)).add(1, leaf(b));
        assertEquals(((a + b) + c) + (d + e), s.total().vectors()[0][0]);
        // Arrival order would have given another number: the tree is what makes the result reproducible.
        assertNotEquals(((((e + a) + c) + d) + b), s.total().vectors()[0][0]);
    }

    @Test
    void aMissingOrRepeatedPartitionIsRefused() {
        TreeSum s = new TreeSum(3);
        s.add(0, leaf(1)).add(2, leaf(2));
        assertEquals("TreeSum: 2 partial sums present, not all 3 partitions were added",
                assertThrows(IllegalStateException.class, s::total).getMessage());
        assertEquals("TreeSum: partitions [2, 3) were added twice",
                assertThrows(IllegalStateException.class, () -> s.add(2, leaf(2))).getMessage());
        assertEquals("TreeSum: partition 3 is outside [0, 3)",
                assertThrows(IllegalArgumentException.class, () -> s.add(3, leaf(2))).getMessage());
    }
}
