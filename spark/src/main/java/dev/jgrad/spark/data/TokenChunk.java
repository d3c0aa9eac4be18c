package dev.jgrad.spark.data;

import java.io.Serializable;

/**
 * A run of the tokenised corpus: {@code tokens[i]} is the token at corpus position {@code start + i}.
 * The corpus is held by Spark as chunks of at most {@link #MAX_TOKENS} tokens, in no particular order.
 */
public record TokenChunk(long start, int[] tokens) implements Serializable {
    /** Tokens per chunk at most: a chunk is one array, and a task handles a few of them at a time. */
    public static final int MAX_TOKENS = 1 << 20;

    /** The corpus position just past this chunk. */
    public long end() {
        return start + tokens.length;
    }
}
