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
     * NULL, shown as {@code null}, differ), an array with its elements, bytes as hex, so that the rows of a failed bytea comparison show how they
     * differ.
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
        return v instanceof String str ? "'" + str + "'"
                : v instanceof byte[] b ? "\\x" + java.util.HexFormat.of().formatHex(b) : String.valueOf(v);
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
