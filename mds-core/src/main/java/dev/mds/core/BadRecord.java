package dev.mds.core;

import java.util.Objects;

/**
 * A record a source found but could not read, carried by the {@link RecordBatch} whose range holds it, so that a
 * loader can store it in the same transaction as the batch (mds-load writes it to {@code <table>_rejected} under
 * {@code OnBadRow.DEAD_LETTER}, and fails the batch naming it under {@code FAIL}).
 *
 * <pre>{@code
 * BadRecord bad = new BadRecord(InputLocation.of("prices.csv").withLine(10).withRecordNumber(9).withColumn("price"),
 *         "\"Two Hundred\" is not a decimal(10,2)", "1009,Two Hundred");
 * bad.describe();   // prices.csv line 10 record 9, column 'price': "Two Hundred" is not a decimal(10,2)
 * }</pre>
 *
 * @param location where it is in its source: file, line, record number, column when one is to blame, an excerpt
 * @param reason what is wrong, without the location
 * @param text the record's text as the source read it
 */
public record BadRecord(InputLocation location, String reason, String text) {
    public BadRecord {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(text, "text");
    }

    /** The location and the reason in one line, as a {@link BadInputException}'s message gives them. */
    public String describe() {
        return location.describe() + ": " + reason;
    }

    /** This record as the exception a strict reader throws. */
    public BadInputException toException() {
        return new BadInputException(location, reason);
    }
}
