/**
 * Copying a table without CDC by a cursor column with mds-connector-postgres's JDBC source; start with
 * {@link dev.mds.examples.incremental.IncrementalExample}.
 */
package dev.mds.examples.incremental;
