/**
 * Helpers of the {@code csv} bench suite ({@link dev.mds.bench.suites.CsvSuite}): {@link dev.mds.bench.csv.CsvBenchFile}
 * writes the generated file, {@link dev.mds.bench.csv.MemoryProbe} reads a big file in a child JVM with a small heap.
 */
package dev.mds.bench.csv;
