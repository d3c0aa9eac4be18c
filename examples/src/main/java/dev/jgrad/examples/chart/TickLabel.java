package dev.jgrad.examples.chart;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;

/**
 * The text of one tick label: plain ({@code 0.01}, {@code 250}) or a power of ten drawn with a raised
 * exponent ({@code 10} with {@code -27} above, or {@code 2×10} with {@code -5}), which reads the same
 * in every font, unlike Unicode superscripts.
 *
 * @param text     the plain text, or the base of the power
 * @param exponent the raised exponent, or null for plain text
 */
public record TickLabel(String text, String exponent) {
    /** Exponents are drawn at this share of the label's font size, raised by {@link #RAISE} of its ascent. */
    private static final float EXPONENT_SCALE = 0.75f;
    private static final double RAISE = 0.45;

    static TickLabel plain(String text) {
        return new TickLabel(text, null);
    }

    /** The label as one line of text, e.g. {@code 10^-27}: for messages and tests. */
    @Override
    public String toString() {
        return exponent == null ? text : text + "^" + exponent;
    }

    /** Width in pixels when drawn with {@code g}'s current font. */
    int width(Graphics2D g) {
        FontMetrics base = g.getFontMetrics();
        return base.stringWidth(text) + (exponent == null ? 0 : g.getFontMetrics(small(g.getFont())).stringWidth(exponent) + 1);
    }

    /** Draws the label with its baseline at {@code y} and its left edge at {@code x}. */
    void draw(Graphics2D g, int x, int y) {
        g.drawString(text, x, y);
        if (exponent != null) {
            Font font = g.getFont();
            int at = x + g.getFontMetrics().stringWidth(text) + 1;
            int raise = (int) Math.round(g.getFontMetrics().getAscent() * RAISE);
            g.setFont(small(font));
            g.drawString(exponent, at, y - raise);
            g.setFont(font);
        }
    }

    private static Font small(Font f) {
        return f.deriveFont(f.getSize2D() * EXPONENT_SCALE);
    }
}
