package dev.mds.load;

/** How a {@link MergeLoader} writes a batch into its target table. */
public enum SyncMode {
    /** Inserts every record as it comes; no key, no dedupe (a duplicate key fails on a primary key). */
    APPEND,
    /**
     * Replaces the whole table's rows: {@code TRUNCATE} (or {@code DELETE}, see {@link OverwriteMode}) and COPY in
     * one transaction, so readers see the old rows or the new rows, never an empty or half-loaded table (behind
     * TRUNCATE's lock they wait for the commit; after a DELETE they read the old rows meanwhile). The table itself
     * stays, with its grants, triggers, policies, sequences and the views on it (a table referenced by a foreign key
     * cannot be truncated; {@link OverwriteMode#DELETE} overwrites it). With a key,
     * duplicates of a key are collapsed as in {@link #MERGE} (newest by cursor, then last arrival).
     */
    OVERWRITE,
    /**
     * Upserts by key: duplicates in a batch are collapsed (newest by cursor, then last arrival), new keys are
     * inserted, changed rows updated, equal rows left untouched.
     */
    MERGE,
    /**
     * Applies change events ({@link dev.mds.core.ChangeBatch}): creates, reads and updates upsert, deletes
     * remove (or mark) the row; an event not newer than what the target row reflects changes nothing.
     */
    CDC
}
