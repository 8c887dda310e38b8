package dev.mds.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Change events of one source table that travel together, in source order, with the table's schema, its key
 * columns and the source position after the last event (commit it with the load; see {@link StateStore}).
 *
 * @param table the source table the events come from
 * @param schema the columns of the events' before and after images
 * @param keyColumns the key columns, in the order of each event's {@link ChangeEvent#key()}
 * @param events the events, in source order, each from {@code table} (an event of another table is refused, naming
 *     its number and both tables)
 * @param position where the source is after the last event
 */
public record ChangeBatch(TableName table, Schema schema, List<String> keyColumns, List<ChangeEvent> events,
        Optional<SourcePosition> position) {
    public ChangeBatch {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(schema, "schema");
        keyColumns = List.copyOf(keyColumns);
        events = List.copyOf(events);
        Objects.requireNonNull(position, "position");
        if (keyColumns.isEmpty()) {
            throw new IllegalArgumentException(table + ": change events need at least one key column");
        }
        for (String k : keyColumns) {
            schema.require(k);
        }
        for (int i = 0; i < events.size(); i++) {
            // one comparison per event: a producer passes one TableName instance, whose equals is then identity
            ChangeEvent e = events.get(i);
            if (e.source() != table && !e.source().equals(table)) {
                throw new IllegalArgumentException(table + ": event " + (i + 1) + " of the change batch (" + e.operation()
                        + " at " + e.position() + ") comes from the table " + e.source() + ", not from the batch's table "
                        + table + ": a change batch holds the events of one table");
            }
        }
    }

    /** The number of events. */
    public int size() {
        return events.size();
    }

    /** Whether the batch holds no event. */
    public boolean isEmpty() {
        return events.isEmpty();
    }
}
