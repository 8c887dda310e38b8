package dev.mds.connector.json;

/**
 * What {@link JsonSource} does with a record it cannot read: a value that does not fit its column, a key outside the
 * schema, a key twice in one object, a record that is not an object, and, in JSON Lines, a record that is not valid
 * JSON (reading goes on at the next line that starts with <code>{</code>). Invalid JSON inside a top-level array, and
 * a file rewritten since the position to resume from, always fail the read: the parser cannot find the next record.
 *
 * <pre>{@code
 * JsonSource.builder().path(file).onBadRecord(OnBadRecord.DEAD_LETTER).build();   // batch.rejected() carries them
 * }</pre>
 */
public enum OnBadRecord {
    /** Throw a {@link dev.mds.core.BadInputException} naming file, line, record and key (the default). */
    FAIL,
    /** Leave the record out, count it ({@link JsonSource#badRecords()}) and log it at WARN with file, line and record. */
    SKIP,
    /**
     * Leave the record out and attach it, with its location, the reason and its text, to the batch whose range holds
     * it ({@link dev.mds.core.RecordBatch#rejected()}), so that mds-load stores it in {@code <table>_rejected} in that
     * batch's transaction (under its own {@code OnBadRow.DEAD_LETTER}); a range of only bad records gives a batch of
     * no records that carries them.
     */
    DEAD_LETTER
}
