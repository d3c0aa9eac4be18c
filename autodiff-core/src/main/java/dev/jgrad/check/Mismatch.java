package dev.jgrad.check;

import java.util.Locale;

/**
 * One disagreement found by a gradient check: which input and element (or which random direction),
 * the output element, and both values.
 *
 * @param input         the input (or parameter) and its shape, or "all inputs" for a random direction
 * @param element       the element's multi-index, or the random direction's number
 * @param outputElement the output element differentiated, or "loss" / "random cotangent"
 * @param analytic      the tape's derivative
 * @param numeric       the central finite difference
 */
public record Mismatch(String input, String element, String outputElement, double analytic, double numeric) {
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s, element %s, output element %s: analytic %.12g, numeric %.12g (difference %.3g)",
                input, element, outputElement, analytic, numeric, Math.abs(analytic - numeric));
    }
}
