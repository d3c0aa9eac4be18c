/**
 * PNG line charts for the examples' reports (perplexity per epoch, gradient norms per time step),
 * drawn with Java 2D: {@link dev.jgrad.examples.chart.LineChart} lays out and draws, and
 * {@link dev.jgrad.examples.chart.Ticks} chooses round tick values that leave room between labels.
 * Only drawing lives here: no metrics, no file formats other than PNG.
 */
package dev.jgrad.examples.chart;
