package dev.mds.bench.csv;

import dev.mds.bench.BenchData;
import dev.mds.connector.csv.CsvSource;
import dev.mds.core.RecordBatch;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Reads a CSV file with {@link CsvSource} and prints rows, seconds and heap figures; the {@code csv} suite runs
 * it in a child JVM with {@code -Xmx256m}: {@code MemoryProbe <file> <chunkRows> <parallelism>}.
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int chunkRows = Integer.parseInt(args[1]);
        int parallelism = Integer.parseInt(args[2]);
        long t0 = System.nanoTime();
        long rows = 0;
        long batches = 0;
        try (CsvSource csv = CsvSource.builder().path(file).schema(BenchData.schema8()).chunkRows(chunkRows)
                .parallelism(parallelism).build()) {
            Iterator<RecordBatch> it = csv.batches().iterator();
            while (it.hasNext()) {
                rows += it.next().size();
                batches++;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        long peakAfterGc = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
                MemoryUsage afterGc = pool.getCollectionUsage();
                if (afterGc != null) {
                    peakAfterGc += afterGc.getUsed();
                }
            }
        }
        long max = Runtime.getRuntime().maxMemory();
        System.out.printf("PROBE rows=%d batches=%d seconds=%.2f peakHeapMB=%.1f lastAfterGcMB=%.1f maxHeapMB=%.1f%n",
                rows, batches, seconds, peak / 1048576.0, peakAfterGc / 1048576.0, max / 1048576.0);
    }
}
