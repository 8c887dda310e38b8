package dev.mds.connector.csv;

import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import java.util.Objects;

/**
 * A row {@link CsvSource} could not read: where it is, why, and its text.
 *
 * <pre>{@code
 * // bad.location().describe(): transactions.csv line 7 record 6, column 'price', near "Two Hundred"
 * // bad.reason():              "Two Hundred" is not a decimal
 * }</pre>
 *
 * @param location file, line, record number, column (when one column is at fault) and an excerpt
 * @param reason what is wrong, without the location
 * @param text the row's text as read (for an unbalanced quote: up to the end of the file), bytes invalid in the
 *     encoding and NUL characters shown as U+FFFD so that PostgreSQL can store it
 */
public record BadRow(InputLocation location, String reason, String text) {
    public BadRow {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(text, "text");
    }

    /** This bad row as the exception {@link OnBadRow#FAIL} throws. */
    public BadInputException toException() {
        return new BadInputException(location, reason);
    }
}
