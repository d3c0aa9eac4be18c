/**
 * Weights on disk: the safetensors format ({@link dev.jgrad.nn.io.Safetensors}, read and written
 * atomically, hostile files refused with {@link dev.jgrad.nn.io.SafetensorsFormatException}) and
 * the mapping between PyTorch's {@code nn.GRU}/{@code nn.LSTM} state_dict names and jgrad's
 * recurrent stacks ({@link dev.jgrad.nn.io.TorchRecurrentWeights}), and for whole models built of
 * them ({@link dev.jgrad.nn.io.TorchStateDict}).
 *
 * <p>Nothing here computes: layers and cells live in their own packages, and this package only
 * moves named tensors between files and modules.
 */
package dev.jgrad.nn.io;
