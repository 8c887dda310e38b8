package dev.mds.connector.csv;

/**
 * What {@link CsvSource} does with a row it cannot read: an unbalanced quote, a wrong number of fields, a
 * value that is not of its column's type, bytes that are not valid in the file's encoding, a NUL character (which
 * PostgreSQL text cannot store).
 *
 * <pre>{@code
 * CsvSource.builder().path(file).onBadRow(OnBadRow.DEAD_LETTER).build();   // batch.rejected() carries them
 * }</pre>
 */
public enum OnBadRow {
    /** Throw a {@link dev.mds.core.BadInputException} naming file, line, column and an excerpt (the default). */
    FAIL,
    /** Leave the row out and count it ({@link CsvSource#badRows()}). */
    SKIP,
    /**
     * Leave the row out and attach it, with its location, the reason and its text, to the batch whose range holds it
     * ({@link dev.mds.core.RecordBatch#rejected()}), so that mds-load stores it in {@code <table>_rejected} in that
     * batch's transaction; or, with {@link CsvSource.Builder#onBadRow(OnBadRow, BadRowSink)}, hand it to the caller's
     * {@link BadRowSink} (outside any transaction).
     */
    DEAD_LETTER
}
