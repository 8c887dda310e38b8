package dev.mds.load;

/**
 * What a {@link MergeLoader} does with a record it cannot load: a NULL key, a value that does not fit its column, a
 * row the table refuses when the load writes it (a constraint, a trigger, a policy: {@link RefusedRowsException}), or
 * a record the batch's source could not read ({@link dev.mds.core.RecordBatch#rejected()}, e.g. a CSV row under the
 * CSV source's {@code DEAD_LETTER} without a sink).
 */
public enum OnBadRow {
    /**
     * Throws {@link dev.mds.core.BadInputException} (for a row the table refused, {@link RefusedRowsException})
     * naming the table, record number and key; nothing of the batch is committed. A batch carrying records its
     * source could not read fails before anything is written, naming the first one's file, line, record and column.
     */
    FAIL,
    /**
     * Writes the bad record with the reason to {@code <target>_rejected} (in the same transaction; columns
     * rejected_at, record_number, key, reason, and record: a JSON object of the batch's columns, e.g.
     * {@code {"id": 3, "amount": 123456.5}}) and loads the good records. Records the table refuses only when they are written are found after the write failed, set
     * aside, and the write runs again without them; records that fail only together still fail the load. A commit
     * refused by a deferred constraint runs the load again with the constraint immediate, setting them aside (when
     * the load owns its transaction). Records the batch's source could not read go to the same table in the same
     * transaction: record_number is their record number in the source, key NULL, reason the location (file, line,
     * record, column) and the reason, record their text as the source read it, as a JSON string.
     */
    DEAD_LETTER,
    /**
     * Drops the bad record and loads the good records, exactly as {@link #DEAD_LETTER} does, but stores it nowhere
     * (as a Spring Batch skip policy or the CSV and JSON sources' {@code SKIP}): {@link LoadResult#rejected()} counts
     * the records dropped, and a warning names their count and the first few (record number, key, reason). For a
     * pipeline that accepts losing bad rows; use {@link #DEAD_LETTER} to keep them for a fix and a re-load. An
     * OVERWRITE whose every record is dropped fails all the same, leaving the table as it was.
     */
    SKIP
}
