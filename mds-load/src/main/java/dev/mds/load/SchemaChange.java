package dev.mds.load;

/** What a {@link MergeLoader} does when a batch has columns its target table lacks. */
public enum SchemaChange {
    /** Throws {@link dev.mds.core.SchemaMismatchException} naming the new columns; nothing is loaded. */
    FAIL,
    /** Adds the new columns (nullable) to the target, then loads. */
    ADD_COLUMNS
}
