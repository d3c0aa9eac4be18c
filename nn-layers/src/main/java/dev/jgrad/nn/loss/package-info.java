/** Loss functions over model outputs: {@link dev.jgrad.nn.loss.Losses}. */
package dev.jgrad.nn.loss;
