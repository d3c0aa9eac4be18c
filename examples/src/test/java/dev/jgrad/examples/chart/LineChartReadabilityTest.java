package dev.jgrad.examples.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The charts are readable at the size they are written: tick labels keep apart, in the image itself. */
class LineChartReadabilityTest {
    private static double[] range(double from, double to, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + (to - from) * i / Math.max(1, n - 1);
        }
        return v;
    }

    private static double[] decay(double from, double to, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = from * Math.pow(to / from, (double) i / Math.max(1, n - 1));
        }
        return v;
    }

    /** A chart like gradient-flow's: {@code count} series (with more than one, a legend narrows the plot), log y. */
    private static LineChart crowded(int width, int height, double xFrom, double xTo, int points, int count) {
        LineChart.Builder b = LineChart.builder().title("t").xLabel("training step").yLabel("MSE").logY().size(width, height);
        for (int k = 0; k < count; k++) {
            b.series("series number " + k, range(xFrom, xTo, points), decay(1.5, 0.001 * (k + 1), points));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} x {1}, x from {2} to {3}, {5} series")
    @CsvSource({"800, 500, 1, 600, 600, 7", "800, 500, 1, 500, 500, 2", "800, 500, 0, 100, 101, 6", "400, 300, 1, 40, 40, 2",
        "1200, 600, 1, 100000, 2000, 3", "800, 500, 0.001, 0.0042, 50, 1", "300, 200, 1, 600, 600, 1"})
    void xTickLabelsKeepApartInTheImage(int width, int height, double xFrom, double xTo, int points, int count) {
        LineChart chart = crowded(width, height, xFrom, xTo, points, count);
        LineChart.Layout layout = chart.layout();
        List<LineChart.PlacedLabel> labels = layout.xLabels();
        assertTrue(labels.size() >= 2, "at least two x labels: " + labels);
        for (int i = 1; i < labels.size(); i++) {
            Rectangle a = labels.get(i - 1).bounds();
            Rectangle b = labels.get(i).bounds();
            assertTrue(b.x - (a.x + a.width) >= LineChart.X_LABEL_GAP, "labels " + labels.get(i - 1).label() + " and "
                    + labels.get(i).label() + " are " + (b.x - (a.x + a.width)) + " px apart");
        }
        // In the image: the band of the x labels holds exactly one run of ink per label, and nothing between them.
        BufferedImage image = chart.render();
        Rectangle band = labels.get(0).bounds().union(labels.get(labels.size() - 1).bounds());
        List<int[]> runs = inkRuns(image, band.y, band.y + band.height, 0, image.getWidth(), 6);
        assertEquals(labels.size(), runs.size(), "one separate run of ink per label " + labels + ", found " + runs.size());
        for (int i = 0; i < runs.size(); i++) {
            Rectangle box = labels.get(i).bounds();
            assertTrue(runs.get(i)[0] >= box.x - 1 && runs.get(i)[1] <= box.x + box.width + 1,
                    "label " + labels.get(i).label() + " is drawn inside its box");
        }
    }

    @Test
    void aLogAxisLabelsValuesBetweenTheDecades() {
        LineChart perplexity = LineChart.builder().logY().series("p", decay(25, 1.05, 500)).build();
        assertEquals(List.of("1", "2", "5", "10", "20"), texts(perplexity.layout().yLabels()));
        LineChart narrow = LineChart.builder().logY().series("p", decay(8.9, 2.2, 40)).build();
        assertEquals(List.of("2", "3", "4", "5", "6", "7", "8", "9", "10"), texts(narrow.layout().yLabels()));
        LineChart withinADigit = LineChart.builder().logY().series("p", decay(2.9, 2.3, 40)).build();
        List<String> fine = texts(withinADigit.layout().yLabels());
        assertTrue(fine.size() >= 3 && fine.contains("2.5"), "round values inside one digit's range: " + fine);
        for (LineChart c : List.of(perplexity, narrow, withinADigit)) {
            assertYLabelsApart(c.layout().yLabels());
        }
    }

    @Test
    void manyDecadesAreLabelledEveryFewDecadesInOneNotation() {
        LineChart jacobian = LineChart.builder().logY().size(800, 500).series("gru", decay(1e-27, 10, 101))
                .series("rnn", decay(1e-17, 3, 101)).build();
        List<LineChart.PlacedLabel> labels = jacobian.layout().yLabels();
        assertYLabelsApart(labels);
        List<Integer> exponents = new ArrayList<>();
        for (LineChart.PlacedLabel l : labels) {
            assertEquals("10", l.label().text(), "every label a power of ten: " + l.label());
            assertNotNull(l.label().exponent());
            exponents.add(Integer.parseInt(l.label().exponent()));
        }
        int every = exponents.get(1) - exponents.get(0);
        assertTrue(every >= 2 && labels.size() <= 16, "28 decades get fewer than 28 labels: " + exponents);
        for (int i = 1; i < exponents.size(); i++) {
            assertEquals(every, exponents.get(i) - exponents.get(i - 1), "evenly spaced decades: " + exponents);
        }
        LineChart small = LineChart.builder().logY().series("s", decay(0.9, 0.002, 50)).build();
        for (LineChart.PlacedLabel l : small.layout().yLabels()) {
            assertNull(l.label().exponent(), "within 0.001 .. 10000 every label is plain: " + l.label());
        }
    }

    @Test
    void theFirstColoursAreFarApartAndAllReadOnWhite() {
        List<Color> p = LineChart.PALETTE;
        for (int i = 0; i < 4; i++) {
            for (int j = i + 1; j < 4; j++) {
                assertTrue(deltaE(p.get(i), p.get(j)) > 40, "colours " + i + " and " + j + " differ by ΔE " + deltaE(p.get(i), p.get(j)));
            }
        }
        for (Color c : p) {
            assertTrue(contrastWithWhite(c) >= 2.0, c + " has contrast " + contrastWithWhite(c) + " on white");
        }
    }

    private static void assertYLabelsApart(List<LineChart.PlacedLabel> labels) {
        for (int i = 1; i < labels.size(); i++) {
            Rectangle lower = labels.get(i - 1).bounds();
            Rectangle upper = labels.get(i).bounds();
            assertTrue(lower.y - (upper.y + upper.height) >= LineChart.Y_LABEL_GAP, "y labels " + labels.get(i - 1).label() + " and "
                    + labels.get(i).label() + " are " + (lower.y - (upper.y + upper.height)) + " px apart");
        }
    }

    private static List<String> texts(List<LineChart.PlacedLabel> labels) {
        return labels.stream().map(l -> l.label().toString()).toList();
    }

    /** Column ranges [from, to] holding dark pixels in rows [top, bottom), merged across gaps narrower than {@code minGap}. */
    static List<int[]> inkRuns(BufferedImage image, int top, int bottom, int left, int right, int minGap) {
        List<int[]> runs = new ArrayList<>();
        int[] current = null;
        for (int x = left; x < right; x++) {
            boolean ink = false;
            for (int y = Math.max(0, top); y < Math.min(image.getHeight(), bottom) && !ink; y++) {
                Color c = new Color(image.getRGB(x, y));
                ink = c.getRed() + c.getGreen() + c.getBlue() < 3 * 160;
            }
            if (ink) {
                if (current != null && x - current[1] <= minGap) {
                    current[1] = x;
                } else {
                    current = new int[] {x, x};
                    runs.add(current);
                }
            }
        }
        return runs;
    }

    private static double contrastWithWhite(Color c) {
        return 1.05 / (luminance(c) + 0.05);
    }

    private static double luminance(Color c) {
        return 0.2126 * linear(c.getRed()) + 0.7152 * linear(c.getGreen()) + 0.0722 * linear(c.getBlue());
    }

    private static double linear(int channel) {
        double s = channel / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    }

    /** CIE76 colour difference of two sRGB colours (D65). */
    private static double deltaE(Color a, Color b) {
        double[] p = lab(a);
        double[] q = lab(b);
        return Math.sqrt(Math.pow(p[0] - q[0], 2) + Math.pow(p[1] - q[1], 2) + Math.pow(p[2] - q[2], 2));
    }

    private static double[] lab(Color c) {
        double r = linear(c.getRed());
        double g = linear(c.getGreen());
        double b = linear(c.getBlue());
        double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        double fx = f(x);
        double fy = f(y);
        double fz = f(z);
        return new double[] {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }

    private static double f(double t) {
        return t > 216.0 / 24389 ? Math.cbrt(t) : (24389.0 / 27 * t + 16) / 116;
    }
}
