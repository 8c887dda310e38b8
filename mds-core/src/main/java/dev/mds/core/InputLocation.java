package dev.mds.core;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where a piece of bad input is: the source (a file or a table) and, as far as known, the line, the record
 * number, the column, the key and a short excerpt. Immutable; build it with {@link #of(String)} and the
 * {@code with…} methods:
 *
 * <pre>{@code
 * InputLocation.of("transactions.csv").withLine(1042).withColumn("price").withExcerpt("Two Hundred")
 * // describe(): transactions.csv line 1042, column 'price', near "Two Hundred"
 * }</pre>
 */
public final class InputLocation {
    private static final int MAX_EXCERPT = 80;

    private final String source;
    private final long line;
    private final long recordNumber;
    private final String column;
    private final String key;
    private final String excerpt;

    private InputLocation(String source, long line, long recordNumber, String column, String key, String excerpt) {
        this.source = Objects.requireNonNull(source, "source");
        this.line = line;
        this.recordNumber = recordNumber;
        this.column = column;
        this.key = key;
        this.excerpt = excerpt;
    }

    /** A location in the given source: a file name, a table name or another name a person recognises. */
    public static InputLocation of(String source) {
        return new InputLocation(source, -1, -1, null, null, null);
    }

    /**
     * The 1-based line in a text source. A location without a line is one never given a line:
     * {@link #of(String)} has none, and {@link #line()} is then empty.
     *
     * @throws IllegalArgumentException for a negative line, naming it and the source (it once meant "no line")
     */
    public InputLocation withLine(long line) {
        if (line < 0) {
            throw new IllegalArgumentException("line " + line + " in " + source + ": a line is 0 or more; for no"
                    + " line, do not call withLine");
        }
        return new InputLocation(source, line, recordNumber, column, key, excerpt);
    }

    /** The 1-based record number (differs from the line when records span lines or there is a header). */
    public InputLocation withRecordNumber(long recordNumber) {
        return new InputLocation(source, line, recordNumber, column, key, excerpt);
    }

    /** This location narrowed to {@code column}. */
    public InputLocation withColumn(String column) {
        return new InputLocation(source, line, recordNumber, column, key, excerpt);
    }

    /** The record's key as a person reads it, for example {@code customer_id=42, product_id=7}. */
    public InputLocation withKey(String key) {
        return new InputLocation(source, line, recordNumber, column, key, excerpt);
    }

    /** A short excerpt of the bad input; cut to 80 characters. */
    public InputLocation withExcerpt(String excerpt) {
        String cut = excerpt == null || excerpt.length() <= MAX_EXCERPT ? excerpt
                : excerpt.substring(0, Identifiers.cutBefore(excerpt, MAX_EXCERPT)) + "…";
        return new InputLocation(source, line, recordNumber, column, key, cut);
    }

    /** The file, table or stream the input came from. */
    public String source() {
        return source;
    }

    /** The line in the file (1-based), when the input is a file. */
    public OptionalLong line() {
        return line < 0 ? OptionalLong.empty() : OptionalLong.of(line);
    }

    /** The record's number in its source or batch (1-based). */
    public OptionalLong recordNumber() {
        return recordNumber < 0 ? OptionalLong.empty() : OptionalLong.of(recordNumber);
    }

    /** The column, when one is to blame. */
    public Optional<String> column() {
        return Optional.ofNullable(column);
    }

    /** The record's key, as {@code column=value, …}. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** A short excerpt of the input (the line or value), when there is one. */
    public Optional<String> excerpt() {
        return Optional.ofNullable(excerpt);
    }

    /** One line for messages: {@code raw.users record 17 (key id=5), column 'email'}. */
    public String describe() {
        StringBuilder s = new StringBuilder(source);
        if (line >= 0) {
            s.append(" line ").append(line);
        }
        if (recordNumber >= 0) {
            s.append(" record ").append(recordNumber);
        }
        if (key != null) {
            s.append(" (key ").append(key).append(')');
        }
        if (column != null) {
            s.append(", column '").append(column).append('\'');
        }
        if (excerpt != null) {
            s.append(", near \"").append(excerpt).append('"');
        }
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputLocation l && line == l.line && recordNumber == l.recordNumber
                && source.equals(l.source) && Objects.equals(column, l.column) && Objects.equals(key, l.key)
                && Objects.equals(excerpt, l.excerpt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, line, recordNumber, column, key, excerpt);
    }

    @Override
    public String toString() {
        return describe();
    }
}
