package dev.jgrad.examples.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One epoch's figures, written as one JSON line of the metrics file.
 *
 * @param loss               mean token loss over the epoch's training minibatches (before each update)
 * @param perplexity         training perplexity, {@code exp(loss)}
 * @param gradNorm           mean over the epoch's minibatches of the global gradient norm before clipping
 * @param clippedFraction    share of minibatches whose gradient was clipped
 * @param completionAccuracy arithmetic corpus only: share of held-out prompts {@code a+b=} greedily completed with the right sum (else null)
 * @param wellFormed         arithmetic corpus only: share of those completions that are a number followed by a newline (else null)
 * @param heldOutPerplexity  perplexity on the held-out text the model never trains on, after the epoch
 *                           (null in checkpoints written before it was measured)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EpochMetrics(
        @JsonProperty("epoch") int epoch,
        @JsonProperty("loss") double loss,
        @JsonProperty("perplexity") double perplexity,
        @JsonProperty("tokens_per_second") double tokensPerSecond,
        @JsonProperty("grad_norm") double gradNorm,
        @JsonProperty("clipped_fraction") double clippedFraction,
        @JsonProperty("elapsed_seconds") double elapsedSeconds,
        @JsonProperty("completion_accuracy") Double completionAccuracy,
        @JsonProperty("well_formed") Double wellFormed,
        @JsonProperty("held_out_perplexity") Double heldOutPerplexity) {

    /** An epoch's figures without a held-out perplexity. */
    public EpochMetrics(int epoch, double loss, double perplexity, double tokensPerSecond, double gradNorm, double clippedFraction,
            double elapsedSeconds, Double completionAccuracy, Double wellFormed) {
        this(epoch, loss, perplexity, tokensPerSecond, gradNorm, clippedFraction, elapsedSeconds, completionAccuracy, wellFormed, null);
    }
}
