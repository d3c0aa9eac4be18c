package dev.jgrad.examples.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One epoch's figures, written as one JSON line of the metrics file.
 *
 * @param gradNorm           mean over the epoch's minibatches of the global gradient norm before clipping
 * @param clippedFraction    share of minibatches whose gradient was clipped
 * @param completionAccuracy arithmetic corpus only: share of held-out prompts {@code a+b=} greedily completed with the right sum (else null)
 * @param wellFormed         arithmetic corpus only: share of those completions that are a number followed by a newline (else null)
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
        @JsonProperty("well_formed") Double wellFormed) {
}
