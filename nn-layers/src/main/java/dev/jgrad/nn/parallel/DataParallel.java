package dev.jgrad.nn.parallel;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.nn.Parameter;
import dev.jgrad.tensor.Kernels;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The gradient of a minibatch's mean loss computed as the sum of its shards' gradients, each shard on
 * its own tape, the shards on up to {@code threads} threads.
 *
 * <pre>{@code
 * try (DataParallel dp = DataParallel.of(2, 2)) {                  // 2 shards on 2 threads
 *     double loss = dp.backward(model.parameters().values(), batch, (shard, from, to) ->
 *             Losses.crossEntropy(model.forward(x.slice(0, from, to)), targets(from, to)));
 *     optimizer.step();
 * }
 * }</pre>
 * ({@code targets(from, to)}: the targets of those rows, however your data holds them.)
 *
 * <p>Note [Shard gradient]: the minibatch of {@code B} rows is cut into {@code S} contiguous shards,
 * shard {@code s} holding rows {@code [s·B/S, (s+1)·B/S)}. The loss function returns the mean loss
 * over its shard's {@code R} rows; that loss is backpropagated with the cotangent {@code R / B} instead of 1,
 * so the shard's gradient is its rows' share of the gradient of the minibatch's mean loss, and the sum
 * over shards is that gradient. The sums run in shard order, so the result depends on the shard count
 * (it regroups the sums over rows, a difference of rounding) but not on the thread count or on which
 * thread ran which shard: a run is reproducible bit for bit with the same shard count. With one shard
 * the cotangent is exactly 1 and the result is that of {@code loss.backward()}.
 *
 * <p>Each shard's tensors borrow the storage of its previous step (a {@code Workspace} per shard,
 * sharing the default capacity: each gets its share of it for its rows' tensors, and room for one
 * gradient per parameter). A shard's gradients outlive its scope for the sum, which is made on
 * the calling thread (in the workspace scope open there, if any); then they go back to the shard's
 * workspace ({@code Workspace.giveBack}), so a step allocates none afresh. A parameter only one
 * shard reaches gets that shard's gradient itself, and that shard's gradients stay out of its
 * workspace.
 *
 * <p>Every shard reads the same parameters, so the loss function must not change shared state (a
 * module's weights, a generator shared by shards). The kernels inside a shard still split large
 * products over {@code dev.jgrad.tensor.Parallelism}'s threads: with as many shard threads as
 * cores, set that to 1 so the two kinds of threads do not compete.
 */
public final class DataParallel implements AutoCloseable {
    private final int shards;
    private final int threads;
    /** Workers for shards beyond those the calling thread runs; null with one thread. */
    private final ExecutorService workers;
    /** Per shard, the storage its steps reuse: a shard runs on one thread at a time. Made by the first backward. */
    private Workspace[] workspaces;

    /**
     * The loss of one shard.
     */
    @FunctionalInterface
    public interface ShardLoss {
        /**
         * The mean loss over rows {@code [from, to)} of the minibatch, a scalar computed from the
         * parameters on the calling thread's tape (which is recording when this is called).
         *
         * @param shard the shard's index, in [0, shards)
         * @param from  the shard's first row
         * @param to    one past the shard's last row
         * @return the shard's mean loss, a scalar
         */
        Variable apply(int shard, int from, int to);
    }

    private DataParallel(int shards, int threads) {
        this.shards = shards;
        this.threads = threads;
        this.workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "jgrad-data-parallel");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Splits minibatches into {@code shards} shards run on up to {@code threads} threads (the calling
     * thread and {@code threads − 1} workers, which {@link #close()} stops).
     *
     * @param shards  the number of shards, at least 1; the result depends on it (Note [Shard gradient])
     * @param threads the number of threads, at least 1; the result does not depend on it
     * @return the splitter
     * @throws IllegalArgumentException when a count is below 1
     */
    public static DataParallel of(int shards, int threads) {
        if (shards < 1 || threads < 1) {
            throw new IllegalArgumentException("DataParallel: shards and threads must be at least 1, got " + shards + " shards, "
                    + threads + " threads");
        }
        return new DataParallel(shards, Math.min(shards, threads));
    }

    /**
     * The number of shards.
     *
     * @return the shard count
     */
    public int shards() {
        return shards;
    }

    /**
     * Computes each shard's loss on its own tape and adds the gradient of the minibatch's mean loss to
     * each parameter's gradient, as {@code loss.backward()} on the whole minibatch would (Note [Shard gradient]).
     * When a shard fails, no gradient is added and the first failure (in shard order) is rethrown.
     *
     * @param parameters the parameters whose gradients are accumulated
     * @param rows       the minibatch's rows {@code B}, at least the number of shards
     * @param loss       the loss of a shard
     * @return the minibatch's mean loss: the shards' losses weighted by their share of the rows
     * @throws IllegalArgumentException when {@code rows} is below the number of shards, or a shard's
     *                                  loss is not a scalar
     */
    public double backward(Iterable<Parameter> parameters, int rows, ShardLoss loss) {
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(loss, "loss");
        if (rows < shards) {
            throw new IllegalArgumentException("DataParallel.backward: " + rows + " rows cannot be split into " + shards + " shards");
        }
        List<Variable> leaves = new ArrayList<>();
        for (Parameter p : parameters) {
            leaves.add(Objects.requireNonNull(p, "parameter").variable());
        }
        if (workspaces == null) {
            workspaces = workspaces(shards, leaves);
        }
        Shard[] done = new Shard[shards];
        RuntimeException[] failed = new RuntimeException[shards];
        // Shards s ≡ 0 (mod threads) run on this thread, the others on the workers: pending.get(s) is null for this thread's.
        List<Future<Shard>> pending = new ArrayList<>(Collections.nCopies(shards, null));
        for (int s = 0; s < shards; s++) {
            if (s % threads != 0) {
                int shard = s;
                pending.set(s, workers.submit(() -> run(shard, rows, leaves, loss)));
            }
        }
        for (int s = 0; s < shards; s += threads) {
            try {
                done[s] = run(s, rows, leaves, loss);
            } catch (RuntimeException e) {
                failed[s] = e;
            }
        }
        for (int s = 0; s < shards; s++) {
            Future<Shard> f = pending.get(s);
            if (f == null) {
                continue;
            }
            try {
                done[s] = f.get();
            } catch (ExecutionException e) {
                failed[s] = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed[s] = new IllegalStateException("DataParallel.backward: interrupted", e);
            }
        }
        for (RuntimeException e : failed) {
            if (e != null) {
                giveBack(done, new boolean[shards]);
                throw e;
            }
        }
        double total = 0;
        for (Shard d : done) {
            total += d.weightedLoss();
        }
        // A leaf's gradient is the shards' sum, made here, or where one shard alone reached the leaf that shard's own.
        boolean[] handedOver = new boolean[shards];
        for (int i = 0; i < leaves.size(); i++) {
            Tensor sum = null;
            int last = -1;
            for (int s = 0; s < shards; s++) {
                Tensor g = done[s].grads().get(i);
                if (g != null) {
                    sum = sum == null ? g : Kernels.binary(Kernels.Binary.ADD, sum, g);
                    last = sum == g ? s : -1;
                }
            }
            if (sum != null) {
                leaves.get(i).backward(sum);
                if (last >= 0) {
                    handedOver[last] = true;
                }
            }
        }
        giveBack(done, handedOver);
        return total;
    }

    /**
     * One workspace per shard, sharing the default capacity {@code C} as a whole minibatch's step would
     * use it: its tensors, whose rows the shards divide, and one gradient per parameter, {@code G} bytes
     * together, which every shard makes whole. So each shard gets {@code (C − G)/S + G}.
     */
    private static Workspace[] workspaces(int shards, List<Variable> leaves) {
        long capacity = Workspace.defaultCapacityBytes();
        long gradients = 0;
        for (Variable leaf : leaves) {
            gradients += (long) leaf.shape().size() * leaf.dtype().bytes();
        }
        long each = capacity == 0 ? 0 : Math.max(0, capacity - gradients) / shards + gradients;
        Workspace[] made = new Workspace[shards];
        for (int s = 0; s < shards; s++) {
            made[s] = new Workspace(each);
        }
        return made;
    }

    /**
     * Returns the shards' kept gradients to their workspaces, except a shard's that handed one over as a
     * leaf's gradient (another of its gradients may share that one's storage).
     */
    private void giveBack(Shard[] done, boolean[] handedOver) {
        for (int s = 0; s < shards; s++) {
            if (done[s] != null && !handedOver[s]) {
                for (Tensor g : done[s].grads()) {
                    if (g != null) {
                        workspaces[s].giveBack(g);
                    }
                }
            }
        }
    }

    /** One shard's loss times its share of the rows, and its share of each parameter's gradient (null where it has none). */
    private record Shard(double weightedLoss, List<Tensor> grads) {
    }

    private Shard run(int s, int rows, List<Variable> leaves, ShardLoss loss) {
        int from = (int) ((long) s * rows / shards);
        int to = (int) ((long) (s + 1) * rows / shards);
        double share = (double) (to - from) / rows;
        try (Workspace.Scope scope = workspaces[s].open(); Tape tape = Tape.record()) {
            Variable l = loss.apply(s, from, to);
            if (l == null || l.shape().rank() != 0) {
                throw new IllegalArgumentException("DataParallel.backward: the loss of shard " + s + " must be a scalar, got "
                        + (l == null ? "null" : l.dtype() + "" + l.shape()));
            }
            Map<Variable, Tensor> reached = l.leafGradients(Tensor.scalar(l.dtype(), share));
            List<Tensor> grads = new ArrayList<>(leaves.size());
            for (Variable leaf : leaves) {
                Tensor g = reached.get(leaf);
                grads.add(g == null ? null : scope.keep(g));   // summed over shards after the scope closes
            }
            return new Shard(l.value().item() * share, grads);
        }
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
