package dev.jgrad.spark.data;

import dev.jgrad.examples.data.Corpora;
import dev.jgrad.examples.data.Vocabulary;
import dev.jgrad.examples.train.TrainConfig;
import dev.jgrad.examples.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.hadoop.mapred.TextInputFormat;
import org.apache.spark.api.java.JavaHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training corpus as Spark holds it: the text {@code train} trains on, cut into pieces (a line
 * and its newline, or a line after d2l's preprocessing), counted and tokenised by Spark's tasks and
 * kept as cached {@link TokenChunk}s. The driver learns only what the training loop needs
 * ({@link Trainer.TrainingText}): the length, the SHA-256 of the text (which checkpoints carry, so a
 * checkpoint moves between {@code train} and Spark training), its first characters, and the held-out
 * text when it is small enough to evaluate on the driver ({@link #MAX_HELD_OUT_ON_DRIVER}); and the
 * vocabulary (summed character counts, ordered as {@link Vocabulary#ofCounts}).
 *
 * <p>The text is {@code train}'s ({@code Trainer.corpus}): {@code --corpus} is read as lines (any path
 * Spark's {@code textFile} reads: a file, a folder, a glob, on any Hadoop file system), each followed by
 * a newline, or preprocessed as d2l does with {@code --d2l-text}, and cut as {@link Corpora#cut} says:
 * the first {@code --max-tokens} characters, or all but the last tenth, with the held-out text after
 * them; without {@code --corpus}, the generated arithmetic lines and their held-out lines.
 *
 * @param chunks         the tokenised training text, cached; the caller unpersists it
 * @param vocabulary     the vocabulary of the training text
 * @param text           what the training loop knows of the text (its held-out text null when it is not measured)
 * @param heldOutLength  the held-out text's length in characters, also when it is not measured
 * @param arithmeticText the generated corpus's training text, which the driver generated and its quality measure needs
 *                       (so the trainer need not generate it again); null for a corpus file
 */
public record SparkCorpus(JavaRDD<TokenChunk> chunks, Vocabulary vocabulary, Trainer.TrainingText text, long heldOutLength,
        String arithmeticText) {
    /**
     * The longest held-out text the driver evaluates after every epoch, as {@code train} does; beyond
     * it (a corpus of more than about ten million characters held out by the tenth) the driver's one
     * process would spend on it much of what the cluster spends on an epoch.
     */
    public static final int MAX_HELD_OUT_ON_DRIVER = 1_000_000;

    /**
     * The number of tokens of training text.
     *
     * @return the training text's length
     */
    public int length() {
        return text.length();
    }

    /**
     * Reads the corpus {@code config} names into Spark, in at least {@code minPartitions} pieces.
     *
     * @param sc            the Spark context
     * @param config        the run's configuration, which names the corpus
     * @param minPartitions the fewest pieces to read it in
     * @return the corpus, its tokens cached
     * @throws UncheckedIOException     when the corpus is missing or unreadable, in one line naming it
     * @throws IllegalArgumentException when it is empty or blank, binary or not UTF-8 (naming the file and the byte, as
     *                                  {@link Corpora#decode}), too short to hold text out, or holds more tokens than a
     *                                  run can address
     */
    public static SparkCorpus read(JavaSparkContext sc, TrainConfig config, int minPartitions) {
        Corpora.Split generated = config.arithmetic() ? Trainer.corpus(config) : null;
        JavaRDD<String> pieces = pieces(sc, config, generated, minPartitions).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Extent extent = extent(pieces, config);
            long[] starts = extent.starts();
            long total = starts[starts.length - 1];
            Corpora.Cut cut;
            if (generated != null) {
                cut = new Corpora.Cut(total, total + generated.heldOut().length());
            } else {
                if (extent.pieces() == 0) {
                    throw new IllegalArgumentException("corpus " + config.corpus() + " is empty");
                }
                if (!extent.nonBlank()) {
                    throw Trainer.blankCorpus(config);
                }
                cut = Corpora.cut(total, config.maxTokens());
            }
            if (cut.train() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the corpus " + config.corpus() + " holds " + cut.train()
                        + " characters to train on, more than the " + (Integer.MAX_VALUE - 8) + " a run can address; use --max-tokens");
            }
            int n = (int) cut.train();
            long heldOutLength = cut.end() - cut.train();
            String heldOut = generated != null ? generated.heldOut()
                    : heldOutLength <= MAX_HELD_OUT_ON_DRIVER ? slice(pieces, starts, cut.train(), cut.end()) : null;
            Vocabulary vocab = vocabulary(pieces, starts, n, config.d2lText());
            Streamed streamed = stream(pieces, n);
            List<String> tokens = vocab.tokens();
            JavaRDD<TokenChunk> chunks = pieces.mapPartitionsWithIndex((i, it) -> tokenise(it, starts[i], n, new Vocabulary(tokens)), true)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            long counted = chunks.map(c -> (long) c.tokens().length).fold(0L, Long::sum);
            if (counted != n) {
                throw new IllegalStateException("corpus: tokenised " + counted + " tokens but counted " + n + " characters");
            }
            return new SparkCorpus(chunks, vocab, new Trainer.TrainingText(n, streamed.sha256(), streamed.head(), heldOut), heldOutLength,
                    generated != null ? generated.train() : null);
        } finally {
            pieces.unpersist(false);
        }
    }

    /** The pieces of the text, in order; the generated corpus's training text is cut into its lines. */
    private static JavaRDD<String> pieces(JavaSparkContext sc, TrainConfig config, Corpora.Split generated, int minPartitions) {
        if (generated != null) {
            String text = generated.train();
            List<String> lines = new ArrayList<>();
            for (int from = 0; from < text.length(); ) {
                int nl = text.indexOf('\n', from);
                int to = nl < 0 ? text.length() : nl + 1;
                lines.add(text.substring(from, to));
                from = to;
            }
            return sc.parallelize(lines, Math.max(1, minPartitions));
        }
        String path = config.corpus();
        requireReadable(sc, path);
        boolean d2l = config.d2lText();
        // textFile's own reading, but each line decoded as train decodes a file: binary or non-UTF-8 text is refused
        // (naming the file and the byte) instead of read with replacement characters.
        var lines = (JavaHadoopRDD<LongWritable, Text>) sc.hadoopFile(path, TextInputFormat.class, LongWritable.class, Text.class,
                Math.max(1, minPartitions));
        return lines.mapPartitionsWithInputSplit((split, it) -> {
            String file = split instanceof FileSplit f ? f.getPath().toString() : path;
            return new Iterator<String>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public String next() {
                    Tuple2<LongWritable, Text> record = it.next();
                    long at = record._1().get();
                    Text t = record._2();
                    String line = Corpora.decode(path, t.getBytes(), t.getLength(),
                            i -> "byte " + (i + 1) + " of the line at offset " + at + " of " + file);
                    return d2l ? Corpora.d2lText(List.of(line)) : line + "\n";
                }
            };
        }, true);
    }

    /** Fails with one line when {@code path} names nothing Spark could read. */
    private static void requireReadable(JavaSparkContext sc, String path) {
        FileStatus[] matches;
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(sc.hadoopConfiguration());
            matches = fs.globStatus(p);
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException("cannot read corpus " + path + ": " + firstLine(e), e instanceof IOException io ? io
                    : new IOException(e));
        }
        if (matches == null || matches.length == 0) {
            throw new UncheckedIOException("cannot read corpus " + path + ": no such file or directory", new IOException(path));
        }
    }

    /**
     * Where the pieces lie in the text, and what {@code train} refuses before it cuts a text.
     *
     * @param starts  {@code starts[i]}: the text position where piece partition {@code i} begins; the last entry is
     *                the total length
     * @param pieces  the number of pieces (lines read)
     * @param nonBlank whether any piece holds more than white space
     */
    private record Extent(long[] starts, long pieces, boolean nonBlank) {
    }

    private static Extent extent(JavaRDD<String> pieces, TrainConfig config) {
        List<long[]> lengths;
        try {
            lengths = pieces.mapPartitionsWithIndex((i, it) -> {
                long n = 0;
                long count = 0;
                boolean nonBlank = false;
                while (it.hasNext()) {
                    String piece = it.next();
                    n += piece.length();
                    count++;
                    nonBlank |= !piece.isBlank();
                }
                return List.of(new long[] {i, n, count, nonBlank ? 1 : 0}).iterator();
            }, true).collect();
        } catch (Exception e) { // Scala code throws IOException undeclared: listing a folder, opening a file
            IOException io = causeOf(e, IOException.class);
            if (io != null) {
                throw new UncheckedIOException("cannot read corpus " + config.corpus() + ": " + firstLine(io), io);
            }
            IllegalArgumentException notText = causeOf(e, IllegalArgumentException.class); // Corpora.decode, in a task
            if (notText != null) {
                throw new IllegalArgumentException(firstLine(notText), e);
            }
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
        long[] starts = new long[lengths.size() + 1];
        long count = 0;
        boolean nonBlank = false;
        for (long[] l : lengths) {
            starts[(int) l[0] + 1] = l[1];
            count += l[2];
            nonBlank |= l[3] != 0;
        }
        for (int i = 1; i < starts.length; i++) {
            starts[i] += starts[i - 1];
        }
        return new Extent(starts, count, nonBlank);
    }

    /** Characters {@code [from, to)} of the text, gathered on the driver. */
    private static String slice(JavaRDD<String> pieces, long[] starts, long from, long to) {
        List<String> parts = pieces.mapPartitionsWithIndex((i, it) -> {
            StringBuilder sb = new StringBuilder();
            long pos = starts[i];
            while (it.hasNext() && pos < to) {
                String piece = it.next();
                long a = Math.max(pos, from);
                long b = Math.min(pos + piece.length(), to);
                if (a < b) {
                    sb.append(piece, (int) (a - pos), (int) (b - pos));
                }
                pos += piece.length();
            }
            return List.of(sb.toString()).iterator();
        }, true).collect();
        return String.join("", parts);
    }

    /** Characters counted per partition by Spark, summed on the driver (integer sums: the order does not matter). */
    private static Vocabulary vocabulary(JavaRDD<String> pieces, long[] starts, int n, boolean d2l) {
        List<HashMap<Character, Long>> perPartition = pieces.mapPartitionsWithIndex((i, it) -> {
            HashMap<Character, Long> counts = new HashMap<>();
            long pos = starts[i];
            while (it.hasNext() && pos < n) {
                String piece = it.next();
                int keep = (int) Math.min(piece.length(), n - pos);
                for (int j = 0; j < keep; j++) {
                    counts.merge(piece.charAt(j), 1L, Long::sum);
                }
                pos += keep;
            }
            return List.of(counts).iterator();
        }, true).collect();
        Map<Character, Long> counts = new HashMap<>();
        perPartition.forEach(m -> m.forEach((c, k) -> counts.merge(c, k, Long::sum)));
        return Vocabulary.ofCounts(counts, d2l ? Corpora.D2L_ALPHABET : List.of());
    }

    /**
     * What the driver learns from the training text streamed to it: its SHA-256 and head.
     *
     * @param sha256 SHA-256 of the UTF-8 bytes of the training text
     * @param head   its first characters, as {@link Trainer.TrainingText#of} takes them
     */
    private record Streamed(String sha256, String head) {
    }

    /**
     * The first {@code n} characters streamed to the driver one partition at a time (one job each): their
     * SHA-256, and their head taken on the way, so the head costs no job of its own.
     */
    private static Streamed stream(JavaRDD<String> pieces, int n) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        int headLength = Trainer.TrainingText.headLength(n);
        StringBuilder head = new StringBuilder(headLength);
        long pos = 0;
        // pos < n first: asking the iterator for a piece the text does not reach would start a job for it.
        for (Iterator<String> it = pieces.toLocalIterator(); pos < n && it.hasNext(); ) {
            String piece = it.next();
            int keep = (int) Math.min(piece.length(), n - pos);
            // Pieces end in a newline (or are ASCII), so no surrogate pair is split between two of them.
            md.update(piece.substring(0, keep).getBytes(StandardCharsets.UTF_8));
            head.append(piece, 0, Math.min(keep, headLength - head.length()));
            pos += keep;
        }
        return new Streamed(HexFormat.of().formatHex(md.digest()), head.toString());
    }

    private static Iterator<TokenChunk> tokenise(Iterator<String> pieces, long start, int n, Vocabulary vocab) {
        List<TokenChunk> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        long pos = start;
        long chunkStart = start;
        while (pieces.hasNext() && pos < n) {
            String piece = pieces.next();
            int keep = (int) Math.min(piece.length(), n - pos);
            for (int j = 0; j < keep; ) {
                int take = Math.min(keep - j, TokenChunk.MAX_TOKENS - text.length());
                text.append(piece, j, j + take);
                j += take;
                if (text.length() == TokenChunk.MAX_TOKENS) {
                    out.add(new TokenChunk(chunkStart, vocab.encode(text)));
                    chunkStart += text.length();
                    text.setLength(0);
                }
            }
            pos += keep;
        }
        if (!text.isEmpty()) {
            out.add(new TokenChunk(chunkStart, vocab.encode(text)));
        }
        return out.iterator();
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
