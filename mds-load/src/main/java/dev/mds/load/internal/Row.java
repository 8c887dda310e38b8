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

    Row(Record values, long recordNumber) {
        this(values, recordNumber, false, false, 0, 0, null);
    }

    Row(Record values, long recordNumber, boolean delete, boolean read, long commit, long change, Instant at) {
        this.values = values;
        this.recordNumber = recordNumber;
        this.delete = delete;
        this.read = read;
        this.commit = commit;
        this.change = change;
        this.at = at;
    }
}
