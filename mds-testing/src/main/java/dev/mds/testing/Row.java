package dev.mds.testing;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An expected (or actual) row in a table assertion: values by column position. Values compare leniently by
 * meaning: numbers by numeric value ({@code 1}, {@code 1L} and {@code 1.0} are equal), dates and times with
 * their {@code java.time} counterparts, timestamps with time zone by instant.
 */
public final class Row {
    private final Object[] values;

    private Row(Object[] values) {
        this.values = values;
    }

    /** A row of these values. */
    public static Row row(Object... values) {
        return new Row(values.clone());
    }

    /** The values, in column order. */
    public List<Object> values() {
        return Collections.unmodifiableList(Arrays.asList(values));
    }

    /** The number of values. */
    public int size() {
        return values.length;
    }

    Object get(int i) {
        return values[i];
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                s.append(", ");
            }
            s.append(show(values[i]));
        }
        return s.append(')').toString();
    }

    /**
     * A value as a failure message shows it: a string in quotes (so that {@code ''}, the string {@code 'null'} and
     * NULL, shown as {@code null}, differ), an array (or a {@code List}) with its elements, each shown so, bytes as hex, so that the rows of a failed bytea comparison show how they
     * differ. A string holding a character one cannot see (a line break, a tab, another control character, white
     * space other than the space, a zero-width or other format character) is shown as PostgreSQL's escaped text,
     * {@code E'a\r\nb'} ({@code \n}, {@code \r}, {@code \t}, {@code \b}, {@code \f}, else <code>&#92;uXXXX</code>;
     * a backslash doubled, a quote as {@code \'}), so that {@code 'a\r\nb'} and {@code 'a\nb'} do not look alike.
     * A quote in a string shown plain is doubled, as in a SQL literal ({@code 'it''s'}), so that the string
     * {@code a', 'b} does not look like two values. A date or timestamp that is PostgreSQL's {@code infinity} or {@code -infinity} is shown so. A value pgjdbc
     * gives as a plain {@code PGobject} ({@code inet}, {@code int4range}, {@code json} ...) is compared as its text and
     * shown as a string, as an expected string for it is.
     */
    static String show(Object v) {
        if (v != null && v.getClass().isArray() && !(v instanceof byte[])) {
            // not [I@1b6d3586: an expected array (Object[], int[] ...) with its elements
            java.util.StringJoiner s = new java.util.StringJoiner(", ", "[", "]");
            for (int i = 0, n = java.lang.reflect.Array.getLength(v); i < n; i++) {
                s.add(show(java.lang.reflect.Array.get(v, i)));
            }
            return s.toString();
        }
        if (v instanceof java.util.Collection<?> c) {
            return show(c);   // a List given for an array column, shown as an array is: ['a'', ''b'], not [a', 'b]
        }
        if (v != null && v.getClass() == org.postgresql.util.PGobject.class) {
            // pgjdbc's object for a type it reads as text (inet, int4range, json, an enum ...), compared as its text:
            // quoted as an expected string for it is, and as its elements are in an array of it
            String text = ((org.postgresql.util.PGobject) v).getValue();
            return text == null ? "null" : quoted(text);
        }
        if (v instanceof java.time.temporal.Temporal t && INFINITY.containsKey(t)) {
            return INFINITY.get(t);
        }
        return v instanceof String str ? quoted(str) : v instanceof dev.mds.testing.internal.Values.Citext c ? quoted(c.text())
                : v instanceof byte[] b ? "\\x" + java.util.HexFormat.of().formatHex(b) : String.valueOf(v);
    }

    /**
     * PostgreSQL's {@code infinity} and {@code -infinity} as pgjdbc reads them (and as an expected value may give them),
     * shown as PostgreSQL prints them rather than as {@code +999999999-12-31T23:59:59.999999999-18:00}.
     */
    private static final java.util.Map<Object, String> INFINITY = java.util.Map.of(
            java.time.LocalDate.MAX, "infinity", java.time.LocalDate.MIN, "-infinity",
            java.time.LocalDateTime.MAX, "infinity", java.time.LocalDateTime.MIN, "-infinity",
            java.time.OffsetDateTime.MAX, "infinity", java.time.OffsetDateTime.MIN, "-infinity",
            java.time.Instant.MAX, "infinity", java.time.Instant.MIN, "-infinity");

    private static String quoted(String str) {
        if (str.chars().noneMatch(Row::invisible)) {
            return "'" + str.replace("'", "''") + "'";   // as a SQL literal: 'it''s', and "a', 'b" is not two values
        }
        StringBuilder s = new StringBuilder("E'");
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '\\' -> s.append("\\\\");
                case '\'' -> s.append("\\'");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                default -> {
                    if (invisible(c)) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('\'').toString();
    }

    /** A control character, white space other than the space, or a format character (zero-width space, BOM ...). */
    private static boolean invisible(int c) {
        return Character.isISOControl(c) || (Character.isSpaceChar(c) && c != ' ') || Character.getType(c) == Character.FORMAT;
    }

    /** The values as a failure message shows them: {@code ['a', '', null]}. */
    static String show(java.util.Collection<?> values) {
        java.util.StringJoiner s = new java.util.StringJoiner(", ", "[", "]");
        for (Object v : values) {
            s.add(show(v));
        }
        return s.toString();
    }
}
