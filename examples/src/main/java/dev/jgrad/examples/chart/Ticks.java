package dev.jgrad.examples.chart;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Predicate;

/**
 * Where an axis puts its labelled ticks. A linear axis uses round steps ({@code 1, 2, 5 × 10^k}); a
 * logarithmic one labels, in order of preference, every digit of each decade ({@code 2, 3, …, 9}),
 * then {@code 1, 2, 5}, then each decade, then every second, fifth, tenth, … decade. Of these the
 * densest choice whose labels do not crowd each other wins, as judged by the caller's predicate
 * (which knows the font and the direction).
 */
final class Ticks {
    /** One labelled tick: its value, its offset in pixels from the axis's low end, and its label. */
    record Tick(double value, double offset, TickLabel label) {
    }

    /** Longest plain label on a logarithmic axis ({@code 0.0001}, {@code 100000}); beyond, it shows powers of ten. */
    private static final int PLAIN_LENGTH = 6;
    private static final int[][] LOG_DIGITS = {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 5}, {1}};

    private Ticks() {
    }

    /** Ticks of a linear axis from {@code lo} to {@code hi} over {@code pixels}; the densest that {@code fits}. */
    static List<Tick> linear(double lo, double hi, double pixels, Predicate<List<Tick>> fits) {
        DoubleUnaryOperator offset = v -> (v - lo) / (hi - lo) * pixels;
        int top = (int) Math.floor(Math.log10(hi - lo)) + 1;
        List<Tick> single = null;
        for (int e = top - 4; e <= top + 1; e++) {
            for (int m : new int[] {1, 2, 5}) {
                BigDecimal step = BigDecimal.valueOf(m).scaleByPowerOfTen(e);
                List<Tick> ticks = new ArrayList<>();
                long first = (long) Math.ceil(lo / step.doubleValue() - 1e-9);
                long last = (long) Math.floor(hi / step.doubleValue() + 1e-9);
                if (last - first > 400) {
                    continue;
                }
                for (long k = first; k <= last; k++) {
                    BigDecimal v = step.multiply(BigDecimal.valueOf(k));
                    ticks.add(new Tick(v.doubleValue(), offset.applyAsDouble(v.doubleValue()), TickLabel.plain(plain(v, Math.max(0, -e)))));
                }
                if (ticks.size() >= 2 && fits.test(ticks)) {
                    return ticks;
                }
                if (ticks.size() == 1 && single == null) {
                    single = ticks;
                }
            }
        }
        // No two round values fit (a very short axis): one round value inside the range, else its middle.
        return single != null ? single : List.of(new Tick((lo + hi) / 2, pixels / 2,
                TickLabel.plain(BigDecimal.valueOf((lo + hi) / 2).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString())));
    }

    /** Ticks of a logarithmic axis from {@code lo} to {@code hi} ({@code 0 < lo < hi}) over {@code pixels}; the densest that {@code fits}. */
    static List<Tick> logarithmic(double lo, double hi, double pixels, Predicate<List<Tick>> fits) {
        double a = Math.log10(lo);
        double b = Math.log10(hi);
        DoubleUnaryOperator offset = v -> (Math.log10(v) - a) / (b - a) * pixels;
        int firstDecade = (int) Math.floor(a);
        int lastDecade = (int) Math.ceil(b);
        for (int[] digits : LOG_DIGITS) {
            List<BigDecimal> values = new ArrayList<>();
            for (int d = firstDecade; d <= lastDecade; d++) {
                for (int m : digits) {
                    values.add(BigDecimal.valueOf(m).scaleByPowerOfTen(d));
                }
            }
            List<Tick> ticks = logTicks(values, lo, hi, offset);
            if (digits.length == 9 && ticks.size() < 4 && b - a < 1) {
                // Only a few digits in range: round linear steps, placed on the logarithmic scale, label it more finely.
                List<Tick> finer = onLogScale(linear(lo, hi, pixels, t -> fits.test(onLogScale(t, offset))), offset);
                if (finer.size() > ticks.size()) {
                    return finer;
                }
            }
            if (ticks.size() >= 2 && fits.test(ticks)) {
                return ticks;
            }
        }
        for (int every : new int[] {2, 3, 5, 10, 20, 25, 50, 100}) {
            List<BigDecimal> values = new ArrayList<>();
            for (int d = Math.floorDiv(firstDecade, every) * every; d <= lastDecade; d += every) {
                values.add(BigDecimal.ONE.scaleByPowerOfTen(d));
            }
            List<Tick> ticks = logTicks(values, lo, hi, offset);
            if (ticks.size() >= 2 && fits.test(ticks)) {
                return ticks;
            }
        }
        return logTicks(List.of(BigDecimal.ONE.scaleByPowerOfTen(firstDecade), BigDecimal.ONE.scaleByPowerOfTen(lastDecade)),
                0, Double.MAX_VALUE, offset);
    }

    private static List<Tick> onLogScale(List<Tick> ticks, DoubleUnaryOperator offset) {
        return ticks.stream().map(t -> new Tick(t.value(), offset.applyAsDouble(t.value()), t.label())).toList();
    }

    /**
     * The values within {@code [lo, hi]} as ticks, all in one notation: plain ({@code 0.0005},
     * {@code 20000}) when every label is at most {@link #PLAIN_LENGTH} characters so, else powers of ten.
     */
    private static List<Tick> logTicks(List<BigDecimal> values, double lo, double hi, DoubleUnaryOperator offset) {
        List<BigDecimal> inside = values.stream()
                .filter(v -> v.doubleValue() >= lo * (1 - 1e-12) && v.doubleValue() <= hi * (1 + 1e-12)).toList();
        boolean plain = inside.stream().allMatch(v -> v.stripTrailingZeros().toPlainString().length() <= PLAIN_LENGTH);
        return inside.stream().map(v -> new Tick(v.doubleValue(), offset.applyAsDouble(v.doubleValue()),
                plain ? TickLabel.plain(v.stripTrailingZeros().toPlainString()) : power(v))).toList();
    }

    /** {@code m·10^d} as {@code 10^d} or {@code m×10^d}. */
    private static TickLabel power(BigDecimal v) {
        BigDecimal s = v.stripTrailingZeros();
        int exponent = s.precision() - s.scale() - 1;
        BigDecimal mantissa = s.scaleByPowerOfTen(-exponent).stripTrailingZeros();
        String base = mantissa.compareTo(BigDecimal.ONE) == 0 ? "10" : mantissa.toPlainString() + "×10";
        return new TickLabel(base, String.valueOf(exponent));
    }

    private static String plain(BigDecimal v, int decimals) {
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }
}
