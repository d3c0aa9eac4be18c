package dev.jgrad.examples.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Piped output: a progress line at least every 30 s of an epoch, and the time the whole run has left (a fake clock, no timing). */
class ProgressReportTest {
    private long now;

    private void advance(long seconds) {
        now += TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void pipedOutputPrintsALineEveryThirtySecondsWithTheWholeRunsTimeLeft() {
        StringWriter text = new StringWriter();
        ProgressReport report = new ProgressReport(new PrintWriter(text, true), null, 3, () -> now);
        report.epochStarted(1, 0, 100);
        for (int batch = 1; batch <= 7; batch++) {
            advance(10); // one minibatch every 10 s
            report.batchDone(1, batch, 100, 1.5, 2048);
        }
        // Lines after 30 s and 60 s of silence; at 10 s a batch, 97 + 2·100 batches are left after the third.
        assertEquals(List.of(
                "  epoch 1: batch 3 of 100 (3%), loss 1.500, 2,048 tok/s; run ends in 49m 30s",
                "  epoch 1: batch 6 of 100 (6%), loss 1.500, 2,048 tok/s; run ends in 49m 00s"), text.toString().lines().toList());
    }

    /** Local SGD (jgrad-spark train --average-every 4): a step, and so a report, every 4 minibatches. */
    @Test
    void theTimeLeftCountsMinibatchesNotStepsOfSeveral() {
        StringWriter text = new StringWriter();
        ProgressReport report = new ProgressReport(new PrintWriter(text, true), null, 3, () -> now);
        report.epochStarted(1, 0, 100);
        for (int batch = 4; batch <= 8; batch += 4) {
            advance(40); // 4 minibatches every 40 s: 10 s a minibatch, as above
            report.batchDone(1, batch, 100, 1.5, 2048);
        }
        // 96 + 2·100 and then 92 + 2·100 minibatches left at 10 s each (not at 40 s, the time of a step).
        assertEquals(List.of(
                "  epoch 1: batch 4 of 100 (4%), loss 1.500, 2,048 tok/s; run ends in 49m 20s",
                "  epoch 1: batch 8 of 100 (8%), loss 1.500, 2,048 tok/s; run ends in 48m 40s"), text.toString().lines().toList());
    }

    /** A run resumed at minibatch 50 has trained 3 minibatches in this session after 30 s, not 53. */
    @Test
    void aResumedEpochCountsOnlyThisSessionsMinibatches() {
        StringWriter text = new StringWriter();
        ProgressReport report = new ProgressReport(new PrintWriter(text, true), null, 3, () -> now);
        report.epochStarted(1, 50, 100);
        for (int batch = 51; batch <= 53; batch++) {
            advance(10);
            report.batchDone(1, batch, 100, 1.5, 2048);
        }
        assertEquals(List.of("  epoch 1: batch 53 of 100 (53%), loss 1.500, 2,048 tok/s; run ends in 41m 10s"), text.toString().lines().toList());
    }

    @Test
    void theEpochLineGivesTrainingAndHeldOutPerplexityAndTheTimeLeft() {
        StringWriter text = new StringWriter();
        ProgressReport report = new ProgressReport(new PrintWriter(text, true), null, 3, () -> now);
        report.epochStarted(1, 0, 4);
        for (int batch = 1; batch <= 4; batch++) {
            advance(15);
            report.batchDone(1, batch, 4, 2.0, 1000);
        }
        report.epochDone(new EpochMetrics(1, 2.0, Math.exp(2.0), 1000, 0.5, 0.25, 60, null, null, 9.5), null, null);
        assertEquals("  epoch 1: batch 2 of 4 (50%), loss 2.000, 1,000 tok/s; run ends in 2m 30s", text.toString().lines().findFirst().get());
        assertEquals("epoch   1  train perplexity    7.389  held-out    9.500  grad norm   0.500  clipped  25.0%     1,000 tok/s    60.0 s"
                + "  run ends in 2m 00s", text.toString().lines().skip(2).findFirst().get());
    }

    @Test
    void durationsReadAsHoursMinutesOrSeconds() {
        assertEquals("45s", ProgressReport.duration(45.2));
        assertEquals("12m 05s", ProgressReport.duration(725));
        assertEquals("3h 07m", ProgressReport.duration(3 * 3600 + 7 * 60 + 10));
        assertEquals("?", ProgressReport.duration(Double.NaN));
    }
}
