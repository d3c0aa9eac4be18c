package dev.jgrad.examples.chart;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A line chart of one or more {@code (x, y)} series, written as a PNG.
 *
 * <pre>{@code
 * LineChart.builder().title("Perplexity per epoch").xLabel("epoch").yLabel("perplexity").logY()
 *         .series("train", epochs, perplexities)
 *         .writePng(Path.of("metrics.png"));
 * }</pre>
 *
 * <p>The file is written atomically (a temporary file in the same folder, then a rename), so a
 * reader never sees half a PNG. With {@link Builder#logY()} every y value must be positive and
 * finite; on a linear axis every value must be finite. Bad series are refused with a message naming
 * the series and the offending point, never silently dropped.
 */
public final class LineChart {
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final int width;
    private final int height;
    private final List<Series> series;

    /** One named curve: {@code xs[i]} against {@code ys[i]}. */
    public record Series(String name, double[] xs, double[] ys) {
        public Series {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("chart series: a series needs a non-blank name");
            }
            if (xs.length != ys.length) {
                throw new IllegalArgumentException("chart series '" + name + "': " + xs.length + " x values but "
                        + ys.length + " y values");
            }
            if (xs.length == 0) {
                throw new IllegalArgumentException("chart series '" + name + "': no points");
            }
            xs = xs.clone();
            ys = ys.clone();
        }
    }

    private LineChart(Builder b) {
        this.title = b.title;
        this.xLabel = b.xLabel;
        this.yLabel = b.yLabel;
        this.logY = b.logY;
        this.width = b.width;
        this.height = b.height;
        this.series = List.copyOf(b.series);
    }

    /** Starts a chart: 800 × 500 pixels, linear axes, no series yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder for a {@link LineChart}; each setter returns this builder. */
    public static final class Builder {
        private String title = "";
        private String xLabel = "";
        private String yLabel = "";
        private boolean logY;
        private int width = 800;
        private int height = 500;
        private final List<Series> series = new ArrayList<>();

        private Builder() {
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder xLabel(String label) {
            this.xLabel = label;
            return this;
        }

        public Builder yLabel(String label) {
            this.yLabel = label;
            return this;
        }

        /** A logarithmic y axis (every y must then be positive). */
        public Builder logY() {
            this.logY = true;
            return this;
        }

        /** Image size in pixels. */
        public Builder size(int width, int height) {
            if (width < 100 || height < 100) {
                throw new IllegalArgumentException("chart size: " + width + " x " + height + " pixels is too small (min 100 x 100)");
            }
            this.width = width;
            this.height = height;
            return this;
        }

        /** Adds a curve; {@code xs} and {@code ys} must have the same, non-zero length. */
        public Builder series(String name, double[] xs, double[] ys) {
            series.add(new Series(name, xs, ys));
            return this;
        }

        /** Adds a curve whose x values are 1, 2, …, {@code ys.length} (epochs, time steps). */
        public Builder series(String name, double[] ys) {
            double[] xs = new double[ys.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = i + 1;
            }
            return series(name, xs, ys);
        }

        public LineChart build() {
            if (series.isEmpty()) {
                throw new IllegalStateException("chart '" + title + "': no series to draw");
            }
            LineChart chart = new LineChart(this);
            chart.validate();
            return chart;
        }

        /** Builds the chart and writes it as a PNG (see {@link LineChart#writePng(Path)}). */
        public Path writePng(Path file) {
            return build().writePng(file);
        }
    }

    /** The series drawn, in order. */
    public List<Series> series() {
        return series;
    }

    public boolean logY() {
        return logY;
    }

    private void validate() {
        for (Series s : series) {
            for (int i = 0; i < s.xs().length; i++) {
                double x = s.xs()[i];
                double y = s.ys()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    throw new IllegalArgumentException("chart '" + title + "', series '" + s.name() + "': point " + i
                            + " (" + x + ", " + y + ") is not finite");
                }
                if (logY && y <= 0) {
                    throw new IllegalArgumentException("chart '" + title + "', series '" + s.name() + "': point " + i
                            + " has y = " + y + ", which a logarithmic axis cannot show");
                }
            }
        }
    }

    /**
     * Writes the chart as a PNG at {@code file} (parent folders created), atomically.
     *
     * @return {@code file}
     * @throws UncheckedIOException when the file cannot be written
     */
    public Path writePng(Path file) {
        // Rendering needs no display; without this a server JVM may try to open one.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setYAxisLogarithmic(logY);
        if (logY) {
            // XChart labels a log axis only at powers of ten: widen it to whole decades so labels appear.
            double lo = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.ys())).min().orElse(1);
            double hi = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.ys())).max().orElse(10);
            double decadeLo = Math.pow(10, Math.floor(Math.log10(lo)));
            double decadeHi = Math.pow(10, Math.ceil(Math.log10(hi)));
            chart.getStyler().setYAxisMin(decadeLo);
            chart.getStyler().setYAxisMax(decadeHi > decadeLo ? decadeHi : decadeLo * 10);
        }
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        // Leave room between x labels: XChart's default spacing crowds long runs (one label per epoch).
        chart.getStyler().setXAxisTickMarkSpacingHint(Math.max(90, width / 10));
        chart.getStyler().setLegendVisible(series.size() > 1);
        for (Series s : series) {
            XYSeries xy = chart.addSeries(s.name(), s.xs(), s.ys());
            xy.setMarker(s.xs().length <= 60 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
                }
                makeReadable(tmp);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("chart '" + title + "': cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    // A temporary file is created owner-only; a chart is meant to be shared like any other output file.
    private static void makeReadable(Path file) throws IOException {
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
