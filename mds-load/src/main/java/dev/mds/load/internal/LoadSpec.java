package dev.mds.load.internal;

import dev.mds.core.TableName;
import dev.mds.load.DateOrder;
import dev.mds.load.DeleteMode;
import dev.mds.load.OnBadRow;
import dev.mds.load.OverwriteMode;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import java.util.List;
import java.util.Optional;

/**
 * The validated settings of a loader.
 *
 * @param target the target table
 * @param mode the sync mode
 * @param key the key columns; empty in CDC mode means the change batch's key columns
 * @param cursor the column whose newest value wins among duplicates and against the target
 * @param loadTimestamp the column the database sets to {@code now()} on insert and on real change
 * @param schemaChange what to do with new columns
 * @param deleteMode what a CDC delete does
 * @param onBadRow what to do with a bad record
 * @param workMem the least {@code work_mem} (a PostgreSQL memory size with its unit) a MERGE of a stage larger
 *     than an index probe's runs with
 * @param dateOrder how text going into a date or timestamp column is read (the DateStyle the load pins)
 * @param overwriteMode how OVERWRITE empties the target: TRUNCATE or DELETE
 */
public record LoadSpec(TableName target, SyncMode mode, List<String> key, Optional<String> cursor,
        Optional<String> loadTimestamp, SchemaChange schemaChange, DeleteMode deleteMode, OnBadRow onBadRow,
        String workMem, DateOrder dateOrder, OverwriteMode overwriteMode) {
    public LoadSpec {
        key = List.copyOf(key);
    }
}
