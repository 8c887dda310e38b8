/**
 * {@link dev.mds.load.MergeLoader} is the entry point: it loads {@link dev.mds.core.RecordBatch}es and
 * {@link dev.mds.core.ChangeBatch}es into a PostgreSQL table by COPY into a staging table and generated set-based
 * SQL (MERGE), in one of the {@link dev.mds.load.SyncMode}s, and returns a {@link dev.mds.load.LoadResult}.
 */
package dev.mds.load;
