package dev.jgrad.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.Rng;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The corpus is {@code 0, 1, …, n−1} (offset by a constant so indices are not positions), so
 * "the target is the next character" reads {@code y = x + 1} and a subsequence's start is its first value.
 */
class PartitioningProperties {
    private static final int BASE = 1000;

    private static int[] ramp(int n) {
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            c[i] = BASE + i;
        }
        return c;
    }

    @Property
    void everyTargetIsTheNextCharacterAndEveryInputIsContiguous(@ForAll @IntRange(min = 40, max = 400) int n,
            @ForAll @IntRange(min = 1, max = 5) int batch, @ForAll @IntRange(min = 1, max = 7) int steps,
            @ForAll boolean sequential, @ForAll long seed) {
        Partitioning p = sequential ? Partitioning.SEQUENTIAL : Partitioning.RANDOM;
        if (n < batch * steps + steps + 1) {
            return;
        }
        for (Minibatch mb : p.epoch(ramp(n), batch, steps, Rng.seeded(seed))) {
            assertEquals(batch, mb.batch());
            assertEquals(steps, mb.steps());
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < steps; t++) {
                    assertEquals(mb.inputs()[b][t] + 1, mb.targets()[b][t], "target follows input");
                    assertEquals(mb.inputs()[b][0] + t, mb.inputs()[b][t], "subsequence is contiguous");
                    assertTrue(mb.targets()[b][t] < BASE + n);
                }
            }
        }
    }

    @Property
    void sequentialMinibatchesContinueEachOtherRowByRow(@ForAll @IntRange(min = 40, max = 400) int n,
            @ForAll @IntRange(min = 1, max = 5) int batch, @ForAll @IntRange(min = 1, max = 7) int steps, @ForAll long seed) {
        if (n < batch * steps + steps + 1) {
            return;
        }
        List<Minibatch> mbs = Partitioning.SEQUENTIAL.epoch(ramp(n), batch, steps, Rng.seeded(seed));
        int offset = mbs.get(0).inputs()[0][0] - BASE;
        assertTrue(offset >= 0 && offset <= steps, "offset " + offset + " in [0, steps]");
        // d2l: num_tokens = ((n − offset − 1) // batch) · batch; each row holds num_tokens / batch columns.
        int cols = (n - offset - 1) / batch;
        assertEquals(cols / steps, mbs.size(), "number of minibatches");
        for (int k = 0; k < mbs.size(); k++) {
            for (int b = 0; b < batch; b++) {
                assertEquals(BASE + offset + b * cols + k * steps, mbs.get(k).inputs()[b][0], "row " + b + " of batch " + k);
                if (k > 0) {
                    assertEquals(mbs.get(k - 1).inputs()[b][steps - 1] + 1, mbs.get(k).inputs()[b][0], "row continues");
                }
            }
        }
    }

    @Property
    void randomMinibatchesAreDisjointAlignedSubsequences(@ForAll @IntRange(min = 40, max = 400) int n,
            @ForAll @IntRange(min = 1, max = 5) int batch, @ForAll @IntRange(min = 1, max = 7) int steps, @ForAll long seed) {
        if (n < batch * steps + steps + 1) {
            return;
        }
        List<Minibatch> mbs = Partitioning.RANDOM.epoch(ramp(n), batch, steps, Rng.seeded(seed));
        Set<Integer> starts = new HashSet<>();
        for (Minibatch mb : mbs) {
            for (int[] row : mb.inputs()) {
                assertTrue(starts.add(row[0]), "subsequence starting at " + row[0] + " used twice");
            }
        }
        int offset = starts.stream().mapToInt(s -> s - BASE).min().orElseThrow() % steps;
        assertTrue(starts.stream().allMatch(s -> (s - BASE - offset) % steps == 0), "all starts on the offset grid");
        // d2l: num_subseqs = (n − offset − 1) // steps, num_batches = num_subseqs // batch.
        assertEquals((n - offset - 1) / steps / batch, mbs.size(), "number of minibatches");
    }

    @Property
    void windowsAreWhereTheEpochsRowsStartAndDrawTheSame(@ForAll @IntRange(min = 40, max = 400) int n,
            @ForAll @IntRange(min = 1, max = 5) int batch, @ForAll @IntRange(min = 1, max = 7) int steps,
            @ForAll boolean sequential, @ForAll long seed) {
        Partitioning p = sequential ? Partitioning.SEQUENTIAL : Partitioning.RANDOM;
        if (n < batch * steps + steps + 1) {
            return;
        }
        Rng forEpoch = Rng.seeded(seed);
        Rng forWindows = Rng.seeded(seed);
        List<Minibatch> mbs = p.epoch(ramp(n), batch, steps, forEpoch);
        int[][] starts = p.windows(n, batch, steps, forWindows);
        assertEquals(mbs.size(), starts.length, "number of minibatches");
        for (int k = 0; k < starts.length; k++) {
            for (int b = 0; b < batch; b++) {
                assertEquals(mbs.get(k).inputs()[b][0] - BASE, starts[k][b], "row " + b + " of batch " + k);
            }
        }
        assertEquals(forEpoch.state(), forWindows.state(), "both draw the same numbers");
    }

    @Test
    void randomShufflesTheOrderAndTheSeedFixesIt() {
        int[] c = ramp(500);
        List<Minibatch> a = Partitioning.RANDOM.epoch(c, 4, 5, Rng.seeded(7));
        List<Minibatch> b = Partitioning.RANDOM.epoch(c, 4, 5, Rng.seeded(7));
        assertEquals(a.size(), b.size());
        boolean increasing = true;
        for (int k = 0; k < a.size(); k++) {
            assertEquals(a.get(k).inputs()[0][0], b.get(k).inputs()[0][0], "same seed, same minibatches");
            for (int r = 1; r < 4; r++) {
                increasing &= a.get(k).inputs()[r][0] > a.get(k).inputs()[r - 1][0];
            }
        }
        assertTrue(!increasing, "random partitioning shuffles the subsequences");
    }

    @Test
    void flatTargetsAreRowMajorLikeTheLogits() {
        Minibatch mb = new Minibatch(new int[][] {{1, 2, 3}, {4, 5, 6}}, new int[][] {{2, 3, 4}, {5, 6, 7}});
        assertEquals(List.of(2, 3, 4, 5, 6, 7), java.util.Arrays.stream(mb.flatTargets()).boxed().toList());
        assertEquals(List.of(2, 5), java.util.Arrays.stream(mb.inputsAt(1)).boxed().toList());
    }

    @Test
    void tooShortACorpusIsRefusedWithTheSizes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Partitioning.SEQUENTIAL.epoch(ramp(10), 4, 5, Rng.seeded(1)));
        assertTrue(e.getMessage().contains("10 tokens") && e.getMessage().contains("4 x 5"), e.getMessage());
        var w = assertThrows(IllegalArgumentException.class, () -> Partitioning.RANDOM.windows(10, 4, 5, Rng.seeded(1)));
        assertEquals("partition random: a corpus of 10 tokens is too short for one minibatch of 4 x 5 (need at least 26)",
                w.getMessage());
    }
}
