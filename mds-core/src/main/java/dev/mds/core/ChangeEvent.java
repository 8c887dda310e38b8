package dev.mds.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One change of one row in a source table, as change data capture delivers it. {@code before} and
 * {@code after} hold the row's values by the position of the {@link ChangeBatch}'s schema; {@code key} holds
 * the key columns' values in the batch's key order. A column that was not sent holds {@link Unchanged#VALUE}.
 *
 * <pre>{@code
 * ChangeEvent e = ChangeEvent.update(TableName.of("product", "users"), Record.of(1),
 *         Record.of(1, "John Doe"), new EventPosition(0x16B3748L, 0x16B3700L), commitTime);
 * }</pre>
 *
 * @param operation what happened
 * @param source the source table
 * @param key the key columns' values (none for a {@linkplain Operation#isTableWide() table-wide} event)
 * @param before the row before the change, when the source sends it (updates and deletes, depending on the
 *     source's settings)
 * @param after the row after the change (absent for deletes)
 * @param position the event's order in the source
 * @param commitTime when the source committed the change
 */
public record ChangeEvent(Operation operation, TableName source, Record key, Optional<Record> before,
        Optional<Record> after, EventPosition position, Instant commitTime) {

    /** What happened to the row. */
    public enum Operation {
        /** Inserted. */
        CREATE,
        /** Updated. */
        UPDATE,
        /** Deleted. */
        DELETE,
        /** Read by a snapshot of the existing rows. */
        READ,
        /** Every row of the table removed at once ({@code TRUNCATE}): no key, no images. */
        TRUNCATE,
        /**
         * The snapshot whose reads carry this event's position has read every row of the table: a row it did not
         * read is gone from the source. No key, no images. For a table the snapshot found empty it comes alone, in a
         * batch whose schema is the table's full schema (from which a loader creates a missing target; a batch whose
         * schema holds only the key columns is accepted too, and only sweeps).
         */
        SNAPSHOT_COMPLETE;

        /** Whether the event is about the whole table rather than one row (no key, no images). */
        public boolean isTableWide() {
            return this == TRUNCATE || this == SNAPSHOT_COMPLETE;
        }
    }

    public ChangeEvent {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(commitTime, "commitTime");
        if (operation.isTableWide() && (key.size() != 0 || before.isPresent() || after.isPresent())) {
            throw new IllegalArgumentException("a " + operation + " event has no key and no images");
        }
        if (operation == Operation.DELETE && after.isPresent()) {
            throw new IllegalArgumentException("a DELETE event has no after image");
        }
        if (operation != Operation.DELETE && !operation.isTableWide() && after.isEmpty()) {
            throw new IllegalArgumentException("a " + operation + " event needs an after image");
        }
    }

    /** A row inserted into {@code source}. */
    public static ChangeEvent create(TableName source, Record key, Record after, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.CREATE, source, key, Optional.empty(), Optional.of(after), position, commitTime);
    }

    /** A row of {@code source} read by a snapshot. */
    public static ChangeEvent read(TableName source, Record key, Record after, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.READ, source, key, Optional.empty(), Optional.of(after), position, commitTime);
    }

    /** A row of {@code source} updated; {@code after} is its new image. */
    public static ChangeEvent update(TableName source, Record key, Record after, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.UPDATE, source, key, Optional.empty(), Optional.of(after), position, commitTime);
    }

    /** The row of {@code key} deleted from {@code source}. */
    public static ChangeEvent delete(TableName source, Record key, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.DELETE, source, key, Optional.empty(), Optional.empty(), position, commitTime);
    }

    /** Every row of {@code source} removed at {@code position} (a {@code TRUNCATE}). */
    public static ChangeEvent truncate(TableName source, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.TRUNCATE, source, Record.of(), Optional.empty(), Optional.empty(), position,
                commitTime);
    }

    /**
     * The snapshot whose reads of {@code source} carry {@code position} is complete: rows it did not read are gone.
     */
    public static ChangeEvent snapshotComplete(TableName source, EventPosition position, Instant commitTime) {
        return new ChangeEvent(Operation.SNAPSHOT_COMPLETE, source, Record.of(), Optional.empty(), Optional.empty(),
                position, commitTime);
    }

    /** This event with a before image. */
    public ChangeEvent withBefore(Record beforeImage) {
        return new ChangeEvent(operation, source, key, Optional.of(beforeImage), after, position, commitTime);
    }

    /** Whether this is a DELETE event. */
    public boolean isDelete() {
        return operation == Operation.DELETE;
    }
}
