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
    /** The data did not meet a check of severity {@link Severity#WARN}. */
    WARN,
    /** The data did not meet a check of severity {@link Severity#ERROR}. */
    FAIL,
    /** The check itself could not run (a missing table or column, a bad expression); the message says why. */
    ERROR
}
