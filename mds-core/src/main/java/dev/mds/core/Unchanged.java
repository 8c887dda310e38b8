package dev.mds.core;

/**
 * The value of a column that is unchanged and was not sent. PostgreSQL's logical decoding leaves out large
 * (TOASTed) values that an UPDATE did not touch; a {@link ChangeEvent} carries {@link #VALUE} in their place,
 * and a loader keeps the target's current value for that column.
 */
public enum Unchanged {
    /** The one marker value. */
    VALUE;

    /** True when {@code value} is the marker. */
    public static boolean is(Object value) {
        return value == VALUE;
    }

    @Override
    public String toString() {
        return "<unchanged>";
    }
}
