package dev.mds.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * One row: values by column position, interpreted by the {@link Schema} of the batch that holds it. A value
 * is {@code null} for SQL NULL, {@link Unchanged#VALUE} for a column a change event did not send, or an
 * object of the column type's Java class (see {@link FieldType}). Immutable.
 *
 * <pre>{@code
 * Record r = Record.of(42L, "Zürich", new BigDecimal("12.50"));
 * Object city = r.get(1);
 * }</pre>
 */
public final class Record {
    private final Object[] values;

    private Record(Object[] values) {
        this.values = values;
    }

    /** A record of these values (the array is copied). */
    public static Record of(Object... values) {
        return new Record(values.clone());
    }

    /** A record of these values. */
    public static Record of(List<?> values) {
        return new Record(values.toArray());
    }

    /** The value at {@code position} (0-based), null for SQL NULL. */
    public Object get(int position) {
        return values[position];
    }

    /** The value at {@code position}, cast to {@code type}. */
    public <T> T get(int position, Class<T> type) {
        return type.cast(values[position]);
    }

    /** Whether the value at {@code position} is SQL NULL. */
    public boolean isNull(int position) {
        return values[position] == null;
    }

    /** The number of values. */
    public int size() {
        return values.length;
    }

    /** The values, as an unmodifiable list (it may contain nulls). */
    public List<Object> values() {
        return Collections.unmodifiableList(Arrays.asList(values));
    }

    /** This record with the value at {@code position} replaced. */
    public Record with(int position, Object value) {
        Object[] copy = values.clone();
        copy[position] = value;
        return new Record(copy);
    }

    /**
     * Equal when every value is equal by its own {@code equals}, arrays by content, also inside a list (a
     * {@code bytea[]} value is a list of {@code byte[]}): as {@link java.math.BigDecimal} compares, {@code 1.0} and
     * {@code 1.00} differ (PostgreSQL's {@code numeric} equality would call them equal; compare such values with
     * {@code compareTo}, or strip their trailing zeros, where that is meant).
     */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Record r) || r.values.length != values.length) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (!valueEquals(values[i], r.values[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (Object v : values) {
            h = 31 * h + valueHash(v);
        }
        return h;
    }

    /** The values as {@link Arrays#deepToString} writes them, arrays inside a list by content too. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        appendValue(s, Arrays.asList(values));
        return s.toString();
    }

    private static boolean valueEquals(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            Iterator<?> i = x.iterator();
            Iterator<?> j = y.iterator();
            while (i.hasNext()) {
                if (!valueEquals(i.next(), j.next())) {
                    return false;
                }
            }
            return true;
        }
        if (a.getClass().isArray() || b.getClass().isArray()) {
            return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
        }
        return a.equals(b);
    }

    /** As {@link List#hashCode} and {@link Arrays#deepHashCode} compute it, arrays inside a list by content too. */
    private static int valueHash(Object v) {
        if (v == null) {
            return 0;
        }
        if (v instanceof List<?> list) {
            int h = 1;
            for (Object e : list) {
                h = 31 * h + valueHash(e);
            }
            return h;
        }
        if (v.getClass().isArray()) {
            return Arrays.deepHashCode(new Object[] {v}) - 31;   // the hash of the one element
        }
        return v.hashCode();
    }

    private static void appendValue(StringBuilder s, Object v) {
        if (v instanceof List<?> list) {
            s.append('[');
            boolean first = true;
            for (Object e : list) {
                if (!first) {
                    s.append(", ");
                }
                first = false;
                appendValue(s, e);
            }
            s.append(']');
        } else if (v != null && v.getClass().isArray()) {
            String one = Arrays.deepToString(new Object[] {v});
            s.append(one, 1, one.length() - 1);
        } else {
            s.append(v);
        }
    }
}
