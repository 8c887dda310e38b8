package dev.mds.load;

/**
 * What a {@link MergeLoader} does with a record it cannot load: a NULL key, a value that does not fit its column, or
 * a row the table refuses when the load writes it (a constraint, a trigger, a policy: {@link RefusedRowsException}).
 */
public enum OnBadRow {
    /**
     * Throws {@link dev.mds.core.BadInputException} (for a row the table refused, {@link RefusedRowsException})
     * naming the table, record number and key; nothing of the batch is committed.
     */
    FAIL,
    /**
     * Writes the bad record with the reason to {@code <target>_rejected} (in the same transaction; columns
     * rejected_at, record_number, key, reason, and record: a JSON object of the batch's columns, e.g.
     * {@code {"id": 3, "amount": 123456.5}}) and loads the good records. Records the table refuses only when they are written are found after the write failed, set
     * aside, and the write runs again without them; records that fail only together still fail the load. A commit
     * refused by a deferred constraint runs the load again with the constraint immediate, setting them aside (when
     * the load owns its transaction).
     */
    DEAD_LETTER
}
