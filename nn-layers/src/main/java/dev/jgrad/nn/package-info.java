/**
 * What every part of a network is made of: {@link dev.jgrad.nn.Parameter} (a named trainable tensor
 * and its leaf variable) and {@link dev.jgrad.nn.Module} (ordered, dotted parameter names and
 * all-or-nothing state loading). Nothing here computes; each subpackage holds one kind of thing,
 * and a new piece goes where its kind is:
 * <ul>
 *   <li>{@code layer}: modules with a {@code forward} from inputs to outputs ({@code Linear},
 *       {@code Embedding}, {@code RecurrentStack}); a {@code Dropout} or a {@code LayerNorm} goes here.</li>
 *   <li>{@code cell}: one time step of a recurrent network, written as its equations; a new recurrent
 *       unit goes here.</li>
 *   <li>{@code loss}: the scalar a training step differentiates; a new loss goes here.</li>
 *   <li>{@code optim}: what updates parameters from their gradients (optimizers, clipping); a
 *       learning-rate schedule goes here.</li>
 *   <li>{@code parallel}: a training step's gradient computed on several threads, one shard of the
 *       minibatch each.</li>
 *   <li>{@code check}: gradient checks of whole modules.</li>
 *   <li>{@code io}: weights on disk.</li>
 * </ul>
 * Dependencies point one way: {@code layer} uses {@code cell}, {@code io} and {@code check} use the
 * modules, and no module package uses {@code optim}, {@code io} or {@code parallel}.
 *
 * <p>One training step of a character-level GRU language model:
 * <pre>{@code
 * Embedding embed = new Embedding(vocab, 32, DType.F32, rng);
 * RecurrentStack gru = RecurrentStack.gru(GRU.Variant.RESET_BEFORE, 32, 128, 2, true, DType.F32, rng);
 * Linear head = new Linear(128, vocab, true, DType.F32, rng);
 * Map<String, Module> parts = new LinkedHashMap<>();   // ordered: names and optimizer state stay stable
 * parts.put("embed", embed);
 * parts.put("rnn", gru);
 * parts.put("head", head);
 * Map<String, Parameter> params = Module.nested(parts); // "embed.weight", "rnn.layers.0.W_xz", …
 * Adam adam = new Adam(params, 2e-3);
 * try (Tape tape = Tape.record()) {
 *     RecurrentStack.Output out = gru.forward(embed.forward(inputs, batch, steps), state);
 *     Variable loss = Losses.crossEntropy(head.forward(out.outputs()), targets);
 *     loss.backward();
 *     state = out.detachedStates();                    // truncated BPTT: carry values, not the graph
 * }
 * GradientClipping.clipByGlobalNorm(params, 1.0, NonFinitePolicy.SKIP);
 * adam.step();
 * }</pre>
 */
package dev.jgrad.nn;
