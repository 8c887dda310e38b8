/**
 * Implementation of {@link dev.mds.connector.csv.CsvSource}: {@link dev.mds.connector.csv.internal.RecordScanner}
 * finds exact record boundaries in one cheap sequential pass, {@link dev.mds.connector.csv.internal.ChunkParser}
 * turns a chunk of records into typed values (in parallel), {@link dev.mds.connector.csv.internal.BatchPipeline}
 * keeps the chunks in file order with a bounded read-ahead. Not an API.
 */
package dev.mds.connector.csv.internal;
