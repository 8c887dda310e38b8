package dev.mds.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ordered columns of a batch or a table. Immutable; names are unique and exact (case-sensitive).
 *
 * <pre>{@code
 * Schema schema = Schema.builder()
 *     .required("transaction_id", FieldType.LONG)
 *     .add("amount", FieldType.decimal(12, 2))
 *     .add("booked_at", FieldType.TIMESTAMPTZ)
 *     .build();
 * int i = schema.indexOf("amount");   // 1
 * }</pre>
 *
 * A schema read from a table ({@link Dialect#readSchema}) marks its generated and identity columns
 * ({@link Field#generation()}); {@link #writable()} leaves out the columns an insert must not list.
 */
public final class Schema {
    private final List<Field> fields;
    private final Map<String, Integer> index;

    private Schema(List<Field> fields) {
        this.fields = List.copyOf(fields);
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < this.fields.size(); i++) {
            Field f = this.fields.get(i);
            if (byName.putIfAbsent(f.name(), i) != null) {
                throw new IllegalArgumentException("column '" + f.name() + "' appears twice in the schema");
            }
        }
        this.index = Map.copyOf(byName);
    }

    /** A schema of these fields, in this order. */
    public static Schema of(Field... fields) {
        return new Schema(List.of(fields));
    }

    /** A schema of these fields, in iteration order. */
    public static Schema of(Collection<Field> fields) {
        return new Schema(List.copyOf(fields));
    }

    /** A builder adding fields one by one. */
    public static Builder builder() {
        return new Builder();
    }

    /** The fields, in order. */
    public List<Field> fields() {
        return fields;
    }

    /** The number of fields. */
    public int size() {
        return fields.size();
    }

    /** The field at {@code position} (0-based). */
    public Field field(int position) {
        return fields.get(position);
    }

    /** The field of that name, if the schema has one. */
    public Optional<Field> field(String name) {
        Integer i = index.get(name);
        return i == null ? Optional.empty() : Optional.of(fields.get(i));
    }

    /** The position of the named column, or -1 when the schema has none of that name. */
    public int indexOf(String name) {
        Integer i = index.get(name);
        return i == null ? -1 : i;
    }

    /**
     * The position of the named column.
     *
     * @throws IllegalArgumentException naming the column and the columns the schema has
     */
    public int require(String name) {
        Integer i = index.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no column '" + name + "' in schema " + names());
        }
        return i;
    }

    /** Whether a field has this name. */
    public boolean contains(String name) {
        return index.containsKey(name);
    }

    /** The field names, in order. */
    public List<String> names() {
        List<String> names = new ArrayList<>(fields.size());
        for (Field f : fields) {
            names.add(f.name());
        }
        return names;
    }

    /**
     * The columns an {@code INSERT} or {@code COPY} into the table may list, in order: all but the generated ones
     * ({@link Field#writable()}). The same schema when none is generated.
     */
    public Schema writable() {
        List<Field> writable = new ArrayList<>(fields.size());
        for (Field f : fields) {
            if (f.writable()) {
                writable.add(f);
            }
        }
        return writable.size() == fields.size() ? this : new Schema(writable);
    }

    /** This schema with {@code field} appended. */
    public Schema with(Field field) {
        List<Field> more = new ArrayList<>(fields);
        more.add(field);
        return new Schema(more);
    }

    /** The named columns, in the given order. */
    public Schema select(List<String> names) {
        List<Field> picked = new ArrayList<>(names.size());
        for (String name : names) {
            picked.add(fields.get(require(name)));
        }
        return new Schema(picked);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schema s && fields.equals(s.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }

    /** Collects fields in order; {@link #build()} rejects duplicate names. */
    public static final class Builder {
        private final List<Field> fields = new ArrayList<>();

        private Builder() {
        }

        /** A nullable column. */
        public Builder add(String name, FieldType type) {
            fields.add(Field.of(name, type));
            return this;
        }

        /** A NOT NULL column. */
        public Builder required(String name, FieldType type) {
            fields.add(Field.required(name, type));
            return this;
        }

        /** Adds a field after the ones already added. */
        public Builder add(Field field) {
            fields.add(field);
            return this;
        }

        /** The schema of the fields added. */
        public Schema build() {
            return new Schema(fields);
        }
    }
}
