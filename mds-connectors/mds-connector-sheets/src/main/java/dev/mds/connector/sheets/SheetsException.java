package dev.mds.connector.sheets;

import dev.mds.core.MdsException;
import java.util.OptionalInt;

/**
 * The Google Sheets API or its token endpoint refused a request or kept failing, or the spreadsheet is not as asked (no
 * such sheet): what was asked, the HTTP status, what Google said and what to do about it (share the spreadsheet with
 * the service account, check the id).
 *
 * <pre>{@code
 * try { source.batches("pricing").forEach(loader::load); }
 * catch (SheetsException e) { if (e.status().orElse(0) == 403) alertOwner(e.getMessage()); }
 * }</pre>
 *
 * <p>Bad cells and headers are {@link dev.mds.core.BadInputException}s instead, located in A1 notation.
 */
public class SheetsException extends MdsException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final int attempts;

    /**
     * An exception with the HTTP status of the last response (0 when there was none: the connection failed) and the
     * number of attempts made.
     */
    public SheetsException(String message, int status, int attempts, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.attempts = attempts;
    }

    /** The HTTP status of the last response; empty when no response came (a connection error or a timeout). */
    public OptionalInt status() {
        return status == 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }

    /** How many times the request was sent before giving up (1 for an error that is not retried). */
    public int attempts() {
        return attempts;
    }
}
