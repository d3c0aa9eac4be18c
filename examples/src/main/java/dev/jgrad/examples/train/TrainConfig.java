package dev.jgrad.examples.train;

import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.examples.data.Partitioning;
import dev.jgrad.tensor.DType;

/**
 * Everything that determines a training run's numbers; saved in every checkpoint, so a resumed run
 * is the same run. (Where output goes — metrics file, checkpoint folder, threads — is not part of it.)
 *
 * @param corpus      the corpus file, or null for the generated arithmetic corpus
 * @param d2lText     apply d2l's preprocessing (lowercase letters and spaces) to the corpus file
 * @param maxTokens   keep only the first {@code maxTokens} characters (0: all)
 * @param corpusLines lines of the generated arithmetic corpus
 * @param maxOperand  largest operand of the generated arithmetic corpus
 * @param init        the weights' initialisation (null, as in checkpoints written before it existed: PyTorch's)
 * @param embedding   input embedding size; 0 for one-hot inputs (d2l's default)
 * @param anomaly     record every step with anomaly detection (names the op that produced a NaN)
 */
public record TrainConfig(String corpus, boolean d2lText, int maxTokens, int corpusLines, int maxOperand, CellKind cell,
        int embedding, int hidden, int layers, int batch, int steps, double lr, double clip, int epochs, OptimizerKind optimizer,
        DType dtype, long seed, Partitioning sampling, String prefix, int sampleEvery, int sampleLength, boolean anomaly,
        WeightInit init) {

    public TrainConfig {
        require(embedding >= 0, "--embedding must not be negative (0: one-hot), got " + embedding);
        require(hidden > 0, "--hidden must be positive, got " + hidden);
        require(layers > 0, "--layers must be positive, got " + layers);
        require(batch > 0, "--batch must be positive, got " + batch);
        require(steps > 0, "--steps must be positive, got " + steps);
        require(lr > 0 && Double.isFinite(lr), "--lr must be positive and finite, got " + lr);
        require(clip > 0, "--clip must be positive, got " + clip);
        require(epochs >= 0, "--epochs must not be negative, got " + epochs);
        require(maxTokens >= 0, "--max-tokens must not be negative, got " + maxTokens);
        require(corpusLines > 0, "--corpus-lines must be positive, got " + corpusLines);
        require(maxOperand >= 1, "--max-operand must be at least 1, got " + maxOperand);
        require(sampleEvery >= 0, "--sample-every must not be negative, got " + sampleEvery);
        require(sampleLength >= 0, "--sample-length must not be negative, got " + sampleLength);
        require(optimizer != null, "--optimizer is required (sgd or adam)");
        require(cell != null && dtype != null && sampling != null, "the cell, dtype and sampling must be given");
        if (init == null) {
            init = WeightInit.PYTORCH; // checkpoints written before --init existed used PyTorch's initialisation
        }
    }

    /** Whether weights start as in d2l's from-scratch code: N(0, 0.01²) matrices and zero biases. */
    public boolean d2lInit() {
        return init == WeightInit.D2L;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Whether the corpus is the generated arithmetic one (which has a quality measure). */
    public boolean arithmetic() {
        return corpus == null;
    }

    /** The same run with a different number of epochs (how {@code --resume --epochs N} extends a run). */
    public TrainConfig withEpochs(int n) {
        return new TrainConfig(corpus, d2lText, maxTokens, corpusLines, maxOperand, cell, embedding, hidden, layers, batch, steps, lr, clip, n,
                optimizer, dtype, seed, sampling, prefix, sampleEvery, sampleLength, anomaly, init);
    }
}
