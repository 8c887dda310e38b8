package dev.mds.quality;

/**
 * How much a failed check matters: {@link #ERROR} (the default) makes the check {@link Status#FAIL}, {@link #WARN}
 * makes it {@link Status#WARN}, which {@link QualityReport#passed()} tolerates.
 *
 * <pre>{@code
 * t -> t.matches("email", "^[^@]+@[^@]+$").severity(Severity.WARN)
 * }</pre>
 */
public enum Severity {
    /** A failure fails the report (status {@link Status#FAIL}). */
    ERROR,
    /** A failure is reported as {@link Status#WARN} and does not fail the report. */
    WARN
}
