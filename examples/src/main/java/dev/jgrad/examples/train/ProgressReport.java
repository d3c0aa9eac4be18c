package dev.jgrad.examples.train;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What the trainer shows. On a terminal, a progress bar per epoch with the live loss, perplexity,
 * tokens per second and the time left for the whole run; otherwise (output piped or redirected) a
 * progress line at least every {@link #PIPED_INTERVAL_SECONDS} seconds during an epoch. Either way
 * one line per epoch with its figures and the time the rest of the run should take.
 *
 * <p>Time left assumes the remaining minibatches go as fast as this session's have so far,
 * evaluation between epochs included. It counts minibatches, not steps: a step of local SGD
 * ({@code jgrad-spark train --average-every N}) is N of them.
 */
final class ProgressReport implements Trainer.Listener {
    /** Longest silence on piped output during an epoch. */
    static final long PIPED_INTERVAL_SECONDS = 30;

    private final PrintWriter out;
    private final PrintStream barStream;
    private final int totalEpochs;
    private final LongSupplier nanoClock;
    private ProgressBar bar;
    private int batchesPerEpoch;
    private long sessionStart = -1;
    /** Minibatches trained in this session. */
    private long sessionBatches;
    /** Minibatches of the current epoch done at the last report. */
    private int epochBatches;
    private long lastLine;

    /**
     * @param barStream   where the progress bar is drawn, or null for plain output
     * @param totalEpochs the epochs the run ends after (for the time left)
     * @param nanoClock   the time in nanoseconds ({@code System::nanoTime}; tests pass their own)
     */
    ProgressReport(PrintWriter out, PrintStream barStream, int totalEpochs, LongSupplier nanoClock) {
        this.out = out;
        this.barStream = barStream;
        this.totalEpochs = totalEpochs;
        this.nanoClock = nanoClock;
    }

    /** Whether this JVM's output is an interactive terminal (Console.isTerminal on JDK 22+, else a console exists). */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    @Override
    public void epochStarted(int epoch, int batch, int batches) {
        long now = nanoClock.getAsLong();
        if (sessionStart < 0) {
            sessionStart = now;
            lastLine = now;
        }
        batchesPerEpoch = batches;
        epochBatches = batch;
        if (barStream != null) {
            bar = new ProgressBarBuilder().setTaskName("epoch " + epoch).setInitialMax(batches)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(120)
                    .setConsumer(new ConsoleProgressBarConsumer(barStream)).build();
        }
    }

    @Override
    public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
        sessionBatches += batch - epochBatches;
        epochBatches = batch;
        long now = nanoClock.getAsLong();
        String left = duration(secondsLeft(now, epoch, batch));
        if (bar != null) {
            bar.stepTo(batch);
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f ppl %.2f %,.0f tok/s, run ends in %s", meanLoss, Math.exp(meanLoss),
                    tokensPerSecond, left));
        } else if (now - lastLine >= TimeUnit.SECONDS.toNanos(PIPED_INTERVAL_SECONDS)) {
            out.printf(Locale.ROOT, "  epoch %d: batch %,d of %,d (%.0f%%), loss %.3f, %,.0f tok/s; run ends in %s%n", epoch, batch, batches,
                    100.0 * batch / batches, meanLoss, tokensPerSecond, left);
            out.flush();
            lastLine = now;
        }
    }

    @Override
    public void epochDone(EpochMetrics m, String sample, ArithmeticQuality.Score score) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "epoch %3d  train perplexity %8.3f  %sgrad norm %7.3f  clipped %5.1f%%  %,8.0f tok/s  %6.1f s", m.epoch(), m.perplexity(),
                m.heldOutPerplexity() == null ? "" : String.format(Locale.ROOT, "held-out %8.3f  ", m.heldOutPerplexity()), m.gradNorm(),
                100 * m.clippedFraction(), m.tokensPerSecond(), m.elapsedSeconds()));
        if (score != null) {
            line.append(String.format(Locale.ROOT, "  sums right %5.1f%%  well-formed %5.1f%%", 100 * score.accuracy(),
                    100 * score.wellFormed()));
        }
        long now = nanoClock.getAsLong();
        if (m.epoch() < totalEpochs) {
            line.append("  run ends in ").append(duration(secondsLeft(now, m.epoch(), batchesPerEpoch)));
        }
        out.println(line);
        if (sample != null) {
            out.println("  sample: " + sample.replace("\n", "\\n"));
            if (score != null) {
                out.println("  held-out completions: " + String.join("  ", score.examples()));
            }
        }
        out.flush();
        lastLine = now;
    }

    /** Seconds until the run's last epoch ends, at this session's pace, once {@code done} minibatches of {@code epoch} are done. */
    private double secondsLeft(long now, int epoch, int done) {
        if (sessionBatches == 0) {
            return Double.NaN;
        }
        double perBatch = (now - sessionStart) / 1e9 / sessionBatches;
        long remaining = (long) (batchesPerEpoch - done) + (long) (totalEpochs - epoch) * batchesPerEpoch;
        return remaining * perBatch;
    }

    /** {@code 45s}, {@code 12m 05s}, {@code 3h 07m}; {@code ?} before anything was timed. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60);
    }
}
