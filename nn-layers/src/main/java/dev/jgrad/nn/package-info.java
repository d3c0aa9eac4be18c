/**
 * Building blocks of neural networks on top of the autodiff core: {@link dev.jgrad.nn.Parameter}
 * (a named trainable tensor and its leaf variable), {@link dev.jgrad.nn.Module} (ordered, dotted
 * parameter names and all-or-nothing state loading), {@link dev.jgrad.nn.Linear} and
 * {@link dev.jgrad.nn.Embedding}. Recurrent cells live in {@code cell}, multi-layer recurrent layers
 * in {@code layer}, losses in {@code loss}, optimizers and clipping in {@code optim}, module gradient
 * checks in {@code check}, safetensors I/O in {@code io}.
 */
package dev.jgrad.nn;
