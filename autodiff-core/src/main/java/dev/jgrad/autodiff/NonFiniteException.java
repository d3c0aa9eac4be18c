package dev.jgrad.autodiff;

/**
 * Thrown under anomaly detection ({@link Tape#withAnomalyDetection()}) when an op or its derivative
 * rule produces NaN or ±∞. The message names the op, the phase (forward or backward), the shapes,
 * the first bad element, the tape's label (for instance a training step) and where in the
 * program the op was recorded.
 */
public final class NonFiniteException extends ArithmeticException {
    /** The name of the op that produced the non-finite value. */
    private final String opName;

    NonFiniteException(String opName, String message) {
        super(message);
        this.opName = opName;
    }

    /**
     * The name of the op that produced the non-finite value.
     *
     * @return the name of the op whose forward result or derivative rule was not finite
     */
    public String opName() {
        return opName;
    }
}
