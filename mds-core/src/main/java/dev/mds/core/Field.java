package dev.mds.core;

import java.util.Objects;

/**
 * A named, typed column of a {@link Schema}.
 *
 * @param name the column name, exactly as in the database (mds quotes it)
 * @param type the logical type
 * @param nullable whether the column may hold NULL
 */
public record Field(String name, FieldType type, boolean nullable) {
    public Field {
        Identifiers.check(name);
        Objects.requireNonNull(type, "type");
    }

    /** A nullable field. */
    public static Field of(String name, FieldType type) {
        return new Field(name, type, true);
    }

    /** A field that must not hold NULL. */
    public static Field required(String name, FieldType type) {
        return new Field(name, type, false);
    }

    @Override
    public String toString() {
        return name + ' ' + type + (nullable ? "" : " not null");
    }
}
