package dev.mds.core;

import java.util.Arrays;
import java.util.Collections;
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
     * Equal when every value is equal by its own {@code equals}, arrays by content: as {@link java.math.BigDecimal}
     * compares, {@code 1.0} and {@code 1.00} differ (PostgreSQL's {@code numeric} equality would call them equal; compare
     * such values with {@code compareTo}, or strip their trailing zeros, where that is meant).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && Arrays.deepEquals(values, r.values);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(values);
    }

    @Override
    public String toString() {
        return Arrays.deepToString(values);
    }
}
