package dev.jgrad.examples.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/**
 * A line chart of one or more {@code (x, y)} series, written as a PNG.
 *
 * <pre>{@code
 * LineChart.builder().title("Perplexity per epoch").xLabel("epoch").yLabel("perplexity").logY()
 *         .series("train", epochs, perplexities)
 *         .writePng(Path.of("metrics.png"));
 * }</pre>
 *
 * <p>Drawn with Java 2D, so that the axes are readable at the size written: tick labels are round
 * values spaced so that no two touch (see {@link Ticks}); a logarithmic axis labels values between
 * the decades when there is room, and only every few decades when there are many, all in one
 * notation; colours come from a palette for colour-blind readers (Okabe and Ito), and a series may
 * share another's colour with a dashed or dotted line.
 *
 * <p>The file is written atomically (a temporary file in the same folder, then a rename), so a
 * reader never sees half a PNG. With {@link Builder#logY()} every y value must be positive and
 * finite; on a linear axis every value must be finite. Bad series are refused with a message naming
 * the series and the offending point, never silently dropped.
 */
public final class LineChart {
    /** Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white): blue, vermillion, green, purple, orange, sky blue, black. */
    static final List<Color> PALETTE = List.of(new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0xE69F00), new Color(0x56B4E9), Color.BLACK);
    /** Least gap in pixels between two tick labels of the x axis, and between two of the y axis. */
    static final int X_LABEL_GAP = 16;
    static final int Y_LABEL_GAP = 6;

    private static final int PAD = 10;
    private static final int TICK = 5;
    private static final Color TEXT = new Color(0x222222);
    private static final Color GRID = new Color(0xE3E3E3);
    private static final Color FRAME = new Color(0x888888);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    /** How a series' line is drawn. */
    public enum Dash { SOLID, DASHED, DOTTED }

    /** A series' colour (an index into the palette, wrapping around) and line pattern. */
    public record Style(int colour, Dash dash) {
        public Style {
            if (colour < 0 || dash == null) {
                throw new IllegalArgumentException("chart style: need a colour index ≥ 0 and a dash, got " + colour + ", " + dash);
            }
        }

        Color color() {
            return PALETTE.get(colour % PALETTE.size());
        }
    }

    /** One named curve: {@code xs[i]} against {@code ys[i]}, drawn in {@code style}. */
    public record Series(String name, double[] xs, double[] ys, Style style) {
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

    /** A tick label as drawn: its text and its bounding box in the image. */
    public record PlacedLabel(TickLabel label, Rectangle bounds) {
    }

    /** Where the plot area and the tick labels are in the image. */
    public record Layout(Rectangle plot, List<PlacedLabel> xLabels, List<PlacedLabel> yLabels) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logY;
    private final int width;
    private final int height;
    private final List<Series> series;

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
            if (width < 300 || height < 200) {
                throw new IllegalArgumentException("chart size: " + width + " x " + height + " pixels is too small to read (min 300 x 200)");
            }
            this.width = width;
            this.height = height;
            return this;
        }

        /** Adds a curve in the next palette colour, solid; {@code xs} and {@code ys} must have the same, non-zero length. */
        public Builder series(String name, double[] xs, double[] ys) {
            return series(name, xs, ys, new Style(series.size(), Dash.SOLID));
        }

        /** Adds a curve drawn in {@code style}. */
        public Builder series(String name, double[] xs, double[] ys, Style style) {
            series.add(new Series(name, xs, ys, style));
            return this;
        }

        /** Adds a curve whose x values are 1, 2, …, {@code ys.length} (epochs, time steps), in the next palette colour, solid. */
        public Builder series(String name, double[] ys) {
            return series(name, ys, new Style(series.size(), Dash.SOLID));
        }

        /** Adds a curve whose x values are 1, 2, …, {@code ys.length}, drawn in {@code style}. */
        public Builder series(String name, double[] ys, Style style) {
            double[] xs = new double[ys.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = i + 1;
            }
            return series(name, xs, ys, style);
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

    /** The chart as an image. */
    public BufferedImage render() {
        // Drawing needs no display; without this a desktop JVM may start a windowing toolkit for the fonts.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            paint(g);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** Where {@link #render()} puts the plot and the tick labels. */
    public Layout layout() {
        BufferedImage scratch = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        try {
            return paint(g);
        } finally {
            g.dispose();
        }
    }

    /**
     * Writes the chart as a PNG at {@code file} (parent folders created), atomically.
     *
     * @return {@code file}
     * @throws UncheckedIOException when the file cannot be written
     */
    public Path writePng(Path file) {
        BufferedImage image = render();
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    ImageIO.write(image, "png", out);
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

    // ------------------------------------------------------------------ drawing

    private Layout paint(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        FontMetrics titleM = g.getFontMetrics(TITLE_FONT);
        FontMetrics axisM = g.getFontMetrics(AXIS_FONT);
        FontMetrics tickM = g.getFontMetrics(TICK_FONT);
        g.setFont(TICK_FONT);

        double[] xr = xRange();
        double[] yr = yRange();
        int legendWidth = series.size() > 1 ? legendWidth(g) : 0;
        int top = PAD + (title.isEmpty() ? 0 : titleM.getHeight() + PAD);
        int bottom = height - PAD - (xLabel.isEmpty() ? 0 : axisM.getHeight() + 4) - tickM.getHeight() - TICK - 4;
        List<Ticks.Tick> yTicks = logY ? Ticks.logarithmic(yr[0], yr[1], bottom - top, yFits(g))
                : Ticks.linear(yr[0], yr[1], bottom - top, yFits(g));
        int yLabelWidth = yTicks.stream().mapToInt(t -> t.label().width(g)).max().orElse(0);
        int left = PAD + (yLabel.isEmpty() ? 0 : axisM.getHeight() + 6) + yLabelWidth + TICK + 4;
        // Room on the right for half of a label centred on the last tick.
        int right = width - PAD - (legendWidth > 0 ? legendWidth + PAD : 0) - tickM.stringWidth(widest(xr)) / 2;
        List<Ticks.Tick> xTicks = Ticks.linear(xr[0], xr[1], right - left, xFits(g));
        Rectangle plot = new Rectangle(left, top, right - left, bottom - top);

        // Grid at the labelled ticks, then the frame.
        g.setStroke(new BasicStroke(1f));
        g.setColor(GRID);
        for (Ticks.Tick t : xTicks) {
            int x = (int) Math.round(plot.x + t.offset());
            g.drawLine(x, plot.y, x, plot.y + plot.height);
        }
        for (Ticks.Tick t : yTicks) {
            int y = (int) Math.round(plot.y + plot.height - t.offset());
            g.drawLine(plot.x, y, plot.x + plot.width, y);
        }
        drawSeries(g, plot, xr, yr);
        g.setColor(FRAME);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(plot.x, plot.y, plot.width, plot.height);

        // Tick marks and labels.
        g.setFont(TICK_FONT);
        List<PlacedLabel> xPlaced = new ArrayList<>();
        for (Ticks.Tick t : xTicks) {
            int x = (int) Math.round(plot.x + t.offset());
            g.setColor(FRAME);
            g.drawLine(x, bottom, x, bottom + TICK);
            int w = t.label().width(g);
            int baseline = bottom + TICK + 3 + tickM.getAscent();
            g.setColor(TEXT);
            t.label().draw(g, x - w / 2, baseline);
            xPlaced.add(new PlacedLabel(t.label(), new Rectangle(x - w / 2, baseline - tickM.getAscent(), w, tickM.getAscent() + tickM.getDescent())));
        }
        List<PlacedLabel> yPlaced = new ArrayList<>();
        for (Ticks.Tick t : yTicks) {
            int y = (int) Math.round(plot.y + plot.height - t.offset());
            g.setColor(FRAME);
            g.drawLine(plot.x - TICK, y, plot.x, y);
            int w = t.label().width(g);
            int baseline = y + (tickM.getAscent() - tickM.getDescent()) / 2;
            g.setColor(TEXT);
            t.label().draw(g, plot.x - TICK - 4 - w, baseline);
            yPlaced.add(new PlacedLabel(t.label(), new Rectangle(plot.x - TICK - 4 - w, baseline - tickM.getAscent(), w,
                    tickM.getAscent() + tickM.getDescent())));
        }

        // Titles.
        g.setColor(TEXT);
        if (!title.isEmpty()) {
            g.setFont(TITLE_FONT);
            g.drawString(title, (width - titleM.stringWidth(title)) / 2, PAD + titleM.getAscent());
        }
        g.setFont(AXIS_FONT);
        if (!xLabel.isEmpty()) {
            g.drawString(xLabel, plot.x + (plot.width - axisM.stringWidth(xLabel)) / 2, height - PAD - axisM.getDescent());
        }
        if (!yLabel.isEmpty()) {
            AffineTransform saved = g.getTransform();
            g.translate(PAD + axisM.getAscent(), plot.y + (plot.height + axisM.stringWidth(yLabel)) / 2.0);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, 0, 0);
            g.setTransform(saved);
        }
        if (legendWidth > 0) {
            drawLegend(g, width - PAD - legendWidth, plot);
        }
        return new Layout(plot, List.copyOf(xPlaced), List.copyOf(yPlaced));
    }

    /** x labels fit when every two neighbours are at least {@link #X_LABEL_GAP} pixels apart. */
    private Predicate<List<Ticks.Tick>> xFits(Graphics2D g) {
        return ticks -> {
            for (int i = 1; i < ticks.size(); i++) {
                double room = ticks.get(i).offset() - ticks.get(i - 1).offset();
                if (room < (ticks.get(i).label().width(g) + ticks.get(i - 1).label().width(g)) / 2.0 + X_LABEL_GAP) {
                    return false;
                }
            }
            return true;
        };
    }

    /** y labels fit when every two neighbours leave at least {@link #Y_LABEL_GAP} pixels between their lines of text. */
    private Predicate<List<Ticks.Tick>> yFits(Graphics2D g) {
        int lineHeight = g.getFontMetrics(TICK_FONT).getAscent() + g.getFontMetrics(TICK_FONT).getDescent();
        return ticks -> {
            for (int i = 1; i < ticks.size(); i++) {
                if (Math.abs(ticks.get(i).offset() - ticks.get(i - 1).offset()) < lineHeight + Y_LABEL_GAP) {
                    return false;
                }
            }
            return true;
        };
    }

    private double[] xRange() {
        double lo = series.stream().flatMapToDouble(s -> Arrays.stream(s.xs())).min().orElseThrow();
        double hi = series.stream().flatMapToDouble(s -> Arrays.stream(s.xs())).max().orElseThrow();
        return lo < hi ? new double[] {lo, hi} : new double[] {lo - 1, hi + 1};
    }

    /**
     * The y range drawn: the data's, with a margin of 4% of it (in decades on a logarithmic axis,
     * whose ends then widen to a whole digit, so that a label sits at or near each end).
     */
    private double[] yRange() {
        double lo = series.stream().flatMapToDouble(s -> Arrays.stream(s.ys())).min().orElseThrow();
        double hi = series.stream().flatMapToDouble(s -> Arrays.stream(s.ys())).max().orElseThrow();
        if (logY) {
            double a = Math.log10(lo);
            double b = Math.log10(hi);
            double margin = b > a ? 0.04 * (b - a) : 0.5;
            return new double[] {digit(Math.pow(10, a - margin), false), digit(Math.pow(10, b + margin), true)};
        }
        double margin = hi > lo ? 0.04 * (hi - lo) : Math.max(1, Math.abs(lo));
        double from = lo - margin;
        return new double[] {lo >= 0 && from < 0 ? 0 : from, hi + margin};
    }

    /** The nearest {@code m·10^d} (m a digit 1–9) below or above {@code v > 0}. */
    private static double digit(double v, boolean up) {
        double decade = Math.pow(10, Math.floor(Math.log10(v)));
        double m = up ? Math.ceil(v / decade - 1e-9) : Math.floor(v / decade + 1e-9);
        return Math.max(m, 1) * decade;
    }

    private static String widest(double[] xr) {
        long m = (long) Math.ceil(Math.max(Math.abs(xr[0]), Math.abs(xr[1])));
        return String.valueOf(m) + (xr[1] - xr[0] < 10 ? ".5" : "");
    }

    private void drawSeries(Graphics2D g, Rectangle plot, double[] xr, double[] yr) {
        Shape clip = g.getClip();
        g.clip(new Rectangle(plot.x, plot.y - 2, plot.width + 1, plot.height + 4));
        for (Series s : series) {
            Path2D.Double line = new Path2D.Double();
            for (int i = 0; i < s.xs().length; i++) {
                double x = plot.x + (s.xs()[i] - xr[0]) / (xr[1] - xr[0]) * plot.width;
                double y = plot.y + plot.height - yOffset(s.ys()[i], yr, plot.height);
                if (i == 0) {
                    line.moveTo(x, y);
                } else {
                    line.lineTo(x, y);
                }
            }
            g.setColor(s.style().color());
            g.setStroke(stroke(s.style().dash(), s.xs().length > 200 ? 1.6f : 2f));
            g.draw(line);
            if (s.xs().length <= 60) {
                for (int i = 0; i < s.xs().length; i++) {
                    double x = plot.x + (s.xs()[i] - xr[0]) / (xr[1] - xr[0]) * plot.width;
                    double y = plot.y + plot.height - yOffset(s.ys()[i], yr, plot.height);
                    g.fill(new Ellipse2D.Double(x - 3, y - 3, 6, 6));
                }
            }
        }
        g.setClip(clip);
    }

    private double yOffset(double y, double[] yr, int pixels) {
        return logY ? (Math.log10(y) - Math.log10(yr[0])) / (Math.log10(yr[1]) - Math.log10(yr[0])) * pixels
                : (y - yr[0]) / (yr[1] - yr[0]) * pixels;
    }

    private static BasicStroke stroke(Dash dash, float w) {
        return switch (dash) {
            case SOLID -> new BasicStroke(w, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
            case DASHED -> new BasicStroke(w, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {9f, 5f}, 0f);
            case DOTTED -> new BasicStroke(w, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {1f, 4f}, 0f);
        };
    }

    private static final int SWATCH = 30;

    private int legendWidth(Graphics2D g) {
        FontMetrics m = g.getFontMetrics(TICK_FONT);
        return 8 + SWATCH + 6 + series.stream().mapToInt(s -> m.stringWidth(s.name())).max().orElse(0) + 8;
    }

    private void drawLegend(Graphics2D g, int x, Rectangle plot) {
        FontMetrics m = g.getFontMetrics(TICK_FONT);
        int line = m.getHeight() + 4;
        int h = 8 + series.size() * line + 4;
        int y = plot.y + Math.max(0, (plot.height - h) / 2);
        g.setColor(Color.WHITE);
        g.fillRect(x, y, legendWidth(g), h);
        g.setColor(FRAME);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, legendWidth(g), h);
        g.setFont(TICK_FONT);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int mid = y + 8 + i * line + line / 2 - 2;
            g.setColor(s.style().color());
            g.setStroke(stroke(s.style().dash(), 2.5f));
            g.drawLine(x + 8, mid, x + 8 + SWATCH, mid);
            g.setColor(TEXT);
            g.drawString(s.name(), x + 8 + SWATCH + 6, mid + (m.getAscent() - m.getDescent()) / 2);
        }
    }
}
