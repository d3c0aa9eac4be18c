/**
 * Building blocks of neural networks on top of the autodiff core: {@link dev.jgrad.nn.Parameter}
 * (a named trainable tensor and its leaf variable), {@link dev.jgrad.nn.Module} (ordered, dotted
 * parameter names and all-or-nothing state loading), {@link dev.jgrad.nn.Linear} and
 * {@link dev.jgrad.nn.Embedding}. Recurrent cells live in {@code cell}, multi-layer recurrent layers
 * in {@code layer}, losses in {@code loss}, optimizers and clipping in {@code optim}, module gradient
 * checks in {@code check}, safetensors I/O in {@code io}.
 *
 * <p>One training step of a character-level GRU language model:
 * <pre>{@code
 * Embedding embed = new Embedding(vocab, 32, DType.F32, rng);
 * RecurrentLayer gru = RecurrentLayer.gru(GRU.Variant.RESET_BEFORE, 32, 128, 2, true, DType.F32, rng);
 * Linear head = new Linear(128, vocab, true, DType.F32, rng);
 * Map<String, Module> parts = new LinkedHashMap<>();   // ordered: names and optimizer state stay stable
 * parts.put("embed", embed);
 * parts.put("rnn", gru);
 * parts.put("head", head);
 * Map<String, Parameter> params = Module.nested(parts); // "embed.weight", "rnn.layers.0.W_xz", …
 * Adam adam = new Adam(params, 2e-3);
 * try (Tape tape = Tape.record()) {
 *     RecurrentLayer.Output out = gru.forward(embed.forward(inputs, batch, steps), state);
 *     Variable loss = Losses.crossEntropy(head.forward(out.outputs()), targets);
 *     loss.backward();
 *     state = out.detachedStates();                    // truncated BPTT: carry values, not the graph
 * }
 * GradientClipping.clipByGlobalNorm(params, 1.0, NonFinitePolicy.SKIP);
 * adam.step();
 * }</pre>
 */
package dev.jgrad.nn;
