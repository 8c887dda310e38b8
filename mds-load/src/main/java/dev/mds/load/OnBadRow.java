package dev.mds.load;

/** What a {@link MergeLoader} does with a record it cannot load (NULL key, a value that does not fit). */
public enum OnBadRow {
    /** Throws {@link dev.mds.core.BadInputException} naming the table, record number and key; nothing of the batch is committed. */
    FAIL,
    /**
     * Writes the bad record with the reason to {@code <target>_rejected} (in the same transaction) and loads the
     * good records.
     */
    DEAD_LETTER
}
