package dev.mds.quality;

import dev.mds.core.MdsException;

/**
 * Thrown by {@link QualityReport#assertPassed()} when a check failed or could not run; the message is a readable
 * table of those checks, and {@link #report()} is the whole report.
 *
 * <pre>{@code
 * try { report.assertPassed(); } catch (QualityException e) { connection.rollback(); throw e; }
 * }</pre>
 */
public class QualityException extends MdsException {
    private static final long serialVersionUID = 1L;

    private final transient QualityReport report;

    /** An exception with a readable message about {@code report}'s failed checks. */
    public QualityException(String message, QualityReport report) {
        super(message);
        this.report = report;
    }

    /** The report whose checks failed. */
    public QualityReport report() {
        return report;
    }
}
