package dev.jgrad.examples.data;

import dev.jgrad.examples.cli.FileProblem;
import dev.jgrad.tensor.Rng;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * The corpora the trainer reads: a UTF-8 text file (optionally with d2l's preprocessing), the
 * project's own generated arithmetic lines (the default corpus), and the cut of either into the
 * text the model trains on and a held-out text it never sees during training.
 */
public final class Corpora {
    private static final Pattern NON_LETTERS = Pattern.compile("[^A-Za-z]+");
    /** Share of a corpus file held out when the whole file is used for the run. */
    public static final double HELD_OUT_SHARE = 0.1;

    /**
     * The text a run trains on and the held-out text its held-out perplexity is measured on; the
     * two never overlap.
     */
    public record Split(String train, String heldOut) {
    }

    /** The 26 lowercase letters and the space: with {@value Vocabulary#UNKNOWN}, d2l's 28-token vocabulary. */
    public static final List<Character> D2L_ALPHABET;

    static {
        List<Character> a = new ArrayList<>();
        a.add(' ');
        for (char c = 'a'; c <= 'z'; c++) {
            a.add(c);
        }
        D2L_ALPHABET = List.copyOf(a);
    }

    private Corpora() {
    }

    /**
     * d2l's {@code preprocess}: each line has every run of non-letters replaced by one space, is
     * stripped and lowercased; the lines are then concatenated with nothing between them, as d2l's
     * {@code load_corpus_time_machine} flattens its token lists.
     */
    public static String d2lText(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(NON_LETTERS.matcher(line).replaceAll(" ").strip().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    /**
     * {@code lines} lines {@code a+b=c\n} with {@code a, b} uniform in {@code [0, maxOperand]} drawn
     * from {@code rng}, and {@code c = a + b}.
     */
    public static String arithmetic(Rng rng, int lines, int maxOperand) {
        if (lines <= 0 || maxOperand < 1) {
            throw new IllegalArgumentException("arithmetic corpus: need lines > 0 and maxOperand >= 1, got " + lines
                    + " lines, maxOperand " + maxOperand);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            int a = rng.nextInt(maxOperand + 1);
            int b = rng.nextInt(maxOperand + 1);
            sb.append(a).append('+').append(b).append('=').append(a + b).append('\n');
        }
        return sb.toString();
    }

    /**
     * The lines of a UTF-8 text file, as {@link Files#readAllLines} splits them (on {@code \n},
     * {@code \r} or {@code \r\n}).
     *
     * @throws IllegalArgumentException naming the file and what is wrong when it is empty, holds a NUL
     *                                  byte (binary data) or is not valid UTF-8 (with the line, the byte
     *                                  within it and the offset of the first bad byte)
     * @throws UncheckedIOException     naming the file and the cause when it cannot be read
     */
    public static List<String> readLines(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + file + ": " + FileProblem.describe(e, file), e);
        }
        if (bytes.length == 0) {
            throw new IllegalArgumentException("corpus " + file + " is empty");
        }
        return decode(file.toString(), bytes, bytes.length, i -> where(bytes, i)).lines().toList();
    }

    /**
     * The first {@code length} bytes of {@code bytes} as UTF-8 text, refused as {@link #readLines} refuses a
     * file; for a reader that gets a corpus in pieces (Spark's tasks, a line at a time).
     *
     * @param corpus names the corpus in the message
     * @param where  says where an offset into {@code bytes} is in the corpus, such as
     *               {@code line 2, byte 4 of the line (offset 14)}
     * @throws IllegalArgumentException naming the corpus, the bad byte and where it is, when the bytes hold a
     *                                  NUL byte (binary data) or are not valid UTF-8
     */
    public static String decode(String corpus, byte[] bytes, int length, IntFunction<String> where) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == 0) {
                throw new IllegalArgumentException("corpus " + corpus + " is not text: it holds a NUL byte at " + where.apply(i));
            }
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer out = CharBuffer.allocate(length);
        CoderResult r = utf8.decode(in, out, true);
        if (r.isError()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "corpus %s is not UTF-8 text: byte 0x%02X at %s does not "
                    + "start a valid UTF-8 character; convert the file to UTF-8 first (a Latin-1 file, for example, with "
                    + "iconv -f latin1 -t utf-8)", corpus, bytes[in.position()] & 0xFF, where.apply(in.position())));
        }
        utf8.flush(out);
        return out.flip().toString();
    }

    private static String where(byte[] bytes, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ", byte " + (offset - lineStart + 1) + " of the line (offset " + offset + ")";
    }

    /**
     * Cuts a corpus file's text into training and held-out text. With {@code maxTokens} shorter than
     * the text, the run trains on the first {@code maxTokens} characters (as d2l does) and the held-out
     * text is the next {@code max(2, maxTokens / 10)} characters (fewer if the text ends first, but at least 2);
     * otherwise the last {@link #HELD_OUT_SHARE} of the text (at least 2 characters) is held out.
     *
     * @throws IllegalArgumentException when the text is too short to hold anything out (under 4 characters), or
     *                                  is one character longer than {@code maxTokens}
     */
    public static Split split(String text, int maxTokens) {
        Cut cut = cut(text.length(), maxTokens);
        return new Split(text.substring(0, (int) cut.train()), text.substring((int) cut.train(), (int) cut.end()));
    }

    /**
     * Where {@link #split} cuts a text: the run trains on characters {@code [0, train)} and holds out
     * {@code [train, end)}.
     *
     * @param train the length of the training text
     * @param end   where the held-out text ends
     */
    public record Cut(long train, long end) {
    }

    /**
     * Where {@link #split} cuts a text of {@code length} characters, for a reader that holds the text
     * in pieces and knows only its length.
     *
     * @throws IllegalArgumentException when the text is too short to hold anything out (under 4 characters), or
     *                                  is one character longer than {@code maxTokens}
     */
    public static Cut cut(long length, int maxTokens) {
        if (maxTokens > 0 && length > maxTokens + 1L) {
            return new Cut(maxTokens, Math.min(length, maxTokens + (long) Math.max(2, maxTokens / 10)));
        }
        // One character after the first maxTokens: held-out text needs two, one to predict the other from.
        if (maxTokens > 0 && length == maxTokens + 1L && length >= 4) {
            throw new IllegalArgumentException("a corpus of " + length + " characters leaves 1 after the first " + maxTokens + " (--max-tokens "
                    + maxTokens + "), and the held-out text needs at least 2: use --max-tokens " + (maxTokens - 1)
                    + " or less, or 0 to hold out the last tenth");
        }
        if (length < 4) {
            throw new IllegalArgumentException("a corpus of " + length + " characters is too short to train on and hold some out");
        }
        return new Cut(length - Math.max(2, Math.round(length * HELD_OUT_SHARE)), length);
    }

    /** The first {@code maxTokens} characters of {@code text} (all of it when shorter or when maxTokens ≤ 0). */
    public static String truncate(String text, int maxTokens) {
        return maxTokens > 0 && text.length() > maxTokens ? text.substring(0, maxTokens) : text;
    }
}
