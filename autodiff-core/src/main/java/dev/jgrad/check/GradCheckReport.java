package dev.jgrad.check;

import java.util.List;

/**
 * The outcome of a gradient check ({@link GradCheck}, and {@code ModuleGradCheck} in nn-layers):
 * how many values were compared, every mismatch found, and the options used. Its
 * {@link #toString()} is the report the {@code assert…} forms throw.
 *
 * @param what       which check ("gradient check", "second-order check", "module gradient check")
 * @param compared   how many analytic values were compared with numeric ones
 * @param mismatches every comparison that failed, in the order made
 * @param options    the tolerances and mode
 */
public record GradCheckReport(String what, int compared, List<Mismatch> mismatches, GradCheck.Options options) {
    /**
     * Whether no comparison failed.
     *
     * @return true when there is no mismatch
     */
    public boolean passed() {
        return mismatches.isEmpty();
    }

    /** The check, pass or FAILED, the count and options, then up to ten mismatches, one a line. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(what).append(passed() ? " passed: " : " FAILED: ").append(compared).append(" values compared (")
                .append(options.mode()).append(", eps ").append(options.eps()).append(", atol ").append(options.atol())
                .append(", rtol ").append(options.rtol()).append(")");
        int shown = 0;
        for (Mismatch m : mismatches) {
            if (shown++ == 10) {
                sb.append("\n  … and ").append(mismatches.size() - 10).append(" more");
                break;
            }
            sb.append("\n  ").append(m);
        }
        return sb.toString();
    }
}
