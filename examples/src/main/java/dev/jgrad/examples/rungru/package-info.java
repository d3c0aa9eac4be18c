/**
 * The {@code run-gru} command: PyTorch {@code nn.GRU} weights in, outputs and gradients out, in
 * safetensors files. {@link dev.jgrad.examples.rungru.TorchGru} maps the state_dict onto a
 * {@code RecurrentStack} (and its gradients back); {@link dev.jgrad.examples.rungru.GruRun} runs it.
 */
package dev.jgrad.examples.rungru;
