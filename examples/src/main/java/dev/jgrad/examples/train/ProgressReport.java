package dev.jgrad.examples.train;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What the trainer shows: on a terminal a progress bar per epoch with the live loss, perplexity
 * and tokens per second; otherwise (output piped or redirected) one plain line per epoch.
 */
final class ProgressReport implements Trainer.Listener {
    private final PrintWriter out;
    private final PrintStream barStream;
    private ProgressBar bar;

    /** @param barStream where the progress bar is drawn, or null for plain output */
    ProgressReport(PrintWriter out, PrintStream barStream) {
        this.out = out;
        this.barStream = barStream;
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
    public void epochStarted(int epoch, int batches) {
        if (barStream != null) {
            bar = new ProgressBarBuilder().setTaskName("epoch " + epoch).setInitialMax(batches)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(110)
                    .setConsumer(new ConsoleProgressBarConsumer(barStream)).build();
        }
    }

    @Override
    public void batchDone(int epoch, int batch, int batches, double meanLoss, double tokensPerSecond) {
        if (bar != null) {
            bar.stepTo(batch);
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f ppl %.2f %,.0f tok/s", meanLoss, Math.exp(meanLoss),
                    tokensPerSecond));
        }
    }

    @Override
    public void epochDone(EpochMetrics m, String sample, ArithmeticQuality.Score score) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "epoch %3d  perplexity %8.3f  grad norm %7.3f  clipped %5.1f%%  %,8.0f tok/s  %6.1f s",
                m.epoch(), m.perplexity(), m.gradNorm(), 100 * m.clippedFraction(), m.tokensPerSecond(), m.elapsedSeconds()));
        if (score != null) {
            line.append(String.format(Locale.ROOT, "  sums right %5.1f%%  well-formed %5.1f%%", 100 * score.accuracy(),
                    100 * score.wellFormed()));
        }
        out.println(line);
        if (sample != null) {
            out.println("  sample: " + sample.replace("\n", "\\n"));
            if (score != null) {
                out.println("  held-out completions: " + String.join("  ", score.examples()));
            }
        }
        out.flush();
    }

    @Override
    public void checkpointed(Path folder) {
        // Quiet by design: a line per epoch would drown the figures; the final report names the folder.
    }
}
