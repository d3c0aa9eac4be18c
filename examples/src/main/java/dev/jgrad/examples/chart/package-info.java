/**
 * PNG line charts for the examples' reports (perplexity per epoch, gradient norms per time step),
 * drawn with XChart. Only drawing lives here: no metrics, no file formats other than PNG.
 */
package dev.jgrad.examples.chart;
