package dev.mds.load.internal;

import dev.mds.core.Record;
import java.time.Instant;

/**
 * One row to stage: the values (by batch schema position), where it came from (1-based record or event number)
 * and, for change events, what it is (upsert, snapshot read or delete) and its position.
 */
final class Row {
    final Record values;
    final long recordNumber;
    final boolean delete;
    /** A snapshot read: the source's state when it was read, applied over whatever the target holds. */
    final boolean read;
    final long commit;
    final long change;
    final Instant at;
    /**
     * With {@link dev.mds.load.OnBadRow#DEAD_LETTER}: what the same key's earlier records or events of the batch
     * came to before this row replaced them (null when none), loaded instead when the database refuses this row.
     */
    final Row before;
    /**
     * A change event's row created in its transaction over a key the batch had not touched before: the row the target
     * stores for the key may still exist alongside it at the source until that transaction commits (a DEFERRABLE key).
     */
    final boolean besideStored;
    /**
     * A delete ({@link dev.mds.load.DeleteMode#SOFT}) whose {@link #values} are what the key's earlier events of the
     * batch left it, so that the row marked deleted holds its last values (an unsent value keeps the stored one).
     */
    final boolean withValues;
    /**
     * For a delete {@link #withValues}: the number of the key's event that wrote those values (the last upsert before
     * the delete), which a refusal of them names; else 0.
     */
    final long valuesFrom;

    Row(Record values, long recordNumber) {
        this(values, recordNumber, null);
    }

    Row(Record values, long recordNumber, Row before) {
        this(values, recordNumber, false, false, 0, 0, null, before);
    }

    Row(Record values, long recordNumber, boolean delete, boolean read, long commit, long change, Instant at, Row before) {
        this(values, recordNumber, delete, read, commit, change, at, before, false);
    }

    Row(Record values, long recordNumber, boolean delete, boolean read, long commit, long change, Instant at, Row before,
            boolean besideStored) {
        this(values, recordNumber, delete, read, commit, change, at, before, besideStored, 0);
    }

    Row(Record values, long recordNumber, boolean delete, boolean read, long commit, long change, Instant at, Row before,
            boolean besideStored, long valuesFrom) {
        this.values = values;
        this.recordNumber = recordNumber;
        this.delete = delete;
        this.read = read;
        this.commit = commit;
        this.change = change;
        this.at = at;
        this.before = before;
        this.besideStored = besideStored;
        this.withValues = valuesFrom > 0;
        this.valuesFrom = valuesFrom;
    }

    /** This row with another {@link #before}. */
    Row withBefore(Row other) {
        return other == before ? this : new Row(values, recordNumber, delete, read, commit, change, at, other, besideStored,
                valuesFrom);
    }

    /** This row as of a later event of its key, which left it the key's row. */
    Row asOf(long laterCommit, long laterChange, Instant laterAt, boolean stillBesideStored) {
        return new Row(values, recordNumber, delete, read, laterCommit, laterChange, laterAt, before, stillBesideStored,
                valuesFrom);
    }
}
