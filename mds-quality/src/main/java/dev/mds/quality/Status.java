package dev.mds.quality;

/**
 * The outcome of one check in a {@link QualityReport}.
 *
 * <pre>{@code
 * report.checks().stream().filter(c -> c.status() == Status.FAIL).forEach(System.out::println);
 * }</pre>
 */
public enum Status {
    /** The data met the check (within its threshold). */
    PASS,
    /**
     * The data did not meet a check of severity {@link Severity#WARN}, or exceeded the {@link TableChecks#warnIf warn
     * threshold} but not the {@link TableChecks#errorIf error threshold} of a row-level check.
     */
    WARN,
    /** The data did not meet a check of severity {@link Severity#ERROR} (for a row-level check: past its error threshold). */
    FAIL,
    /** The check itself could not run (a missing table or column, a bad expression); the message says why. */
    ERROR
}
