package dev.jgrad.nn.optim;

/** What to do when a gradient holds NaN or ±∞; never write it into the weights silently. */
public enum NonFinitePolicy {
    /** Throw {@link IllegalStateException} naming the first parameter whose gradient is not finite. */
    THROW,
    /** Zero every gradient and report the step as skipped. */
    SKIP
}
