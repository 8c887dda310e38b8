/**
 * Reading CSV in chunks; start with {@link dev.mds.examples.csv.CsvChunksExample}.
 */
package dev.mds.examples.csv;
