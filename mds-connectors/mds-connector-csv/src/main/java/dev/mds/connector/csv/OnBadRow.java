package dev.mds.connector.csv;

/**
 * What {@link CsvSource} does with a row it cannot read: an unbalanced quote, a wrong number of fields, a
 * value that is not of its column's type, bytes that are not valid in the file's encoding, a NUL character (which
 * PostgreSQL text cannot store).
 *
 * <pre>{@code
 * CsvSource.builder().path(file).onBadRow(OnBadRow.DEAD_LETTER, bad -> rejects.add(bad)).build();
 * }</pre>
 */
public enum OnBadRow {
    /** Throw a {@link dev.mds.core.BadInputException} naming file, line, column and an excerpt (the default). */
    FAIL,
    /** Leave the row out and count it ({@link CsvSource#badRows()}). */
    SKIP,
    /** Leave the row out and hand it, with its line and the reason, to the caller's {@link BadRowSink}. */
    DEAD_LETTER
}
