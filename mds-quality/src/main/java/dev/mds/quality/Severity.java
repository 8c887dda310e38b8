package dev.mds.quality;

/**
 * How much a failed check matters: {@link #ERROR} (the default) makes the check {@link Status#FAIL}, {@link #WARN}
 * makes it {@link Status#WARN}, which {@link QualityReport#passed()} tolerates. As in dbt, a row-level check of
 * severity ERROR fails only past its {@link TableChecks#errorIf error threshold} and warns past its
 * {@link TableChecks#warnIf warn threshold}; one of severity WARN never fails.
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
