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
import java.util.Locale;

/**
 * Reads a CSV file with {@link CsvSource} and prints rows, seconds and heap figures; the {@code csv} suite runs
 * it in a child JVM with {@code -Xmx256m}: {@code MemoryProbe <file> <chunkRows> <parallelism>}. A sampler
 * records heap in use every 20 ms and, every ~2 s, the heap still in use right after a full collection (the live
 * set: chunks in flight and the batch being consumed; {@code n/a} when the read ended before the first).
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path file = Path.of(args[0]);
        int chunkRows = Integer.parseInt(args[1]);
        int parallelism = Integer.parseInt(args[2]);
        long[] maxUsed = new long[1];
        long[] maxAfterGc = new long[1];
        long[] maxLive = new long[1];
        int[] liveSamples = new int[1];
        Thread sampler = new Thread(() -> {
            for (int i = 1; !Thread.currentThread().isInterrupted(); i++) {
                sample(maxUsed, maxAfterGc);
                if (i % 100 == 0) {
                    // every ~2 s: a full collection, then what is still in use is what the reader holds live
                    System.gc();
                    maxLive[0] = Math.max(maxLive[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
                            .getUsed());
                    liveSamples[0]++;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
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
        sampler.interrupt();
        sampler.join();
        sample(maxUsed, maxAfterGc);
        long max = Runtime.getRuntime().maxMemory();
        // no full collection ran while reading (a read shorter than the sampling period): no live figure, not 0
        String live = liveSamples[0] == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", maxLive[0] / 1048576.0);
        // likewise no heap is known "after a collection" when none ran
        long collections = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(gc -> Math.max(0, gc.getCollectionCount())).sum();
        String afterGc = collections == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", maxAfterGc[0] / 1048576.0);
        System.out.printf(Locale.ROOT, "PROBE rows=%d batches=%d seconds=%.2f peakHeapUsedMB=%.1f peakAfterYoungGcMB=%s"
                + " peakLiveAfterFullGcMB=%s (%d full collection%s) maxHeapMB=%.1f%n", rows, batches, seconds,
                maxUsed[0] / 1048576.0, afterGc, live, liveSamples[0], liveSamples[0] == 1 ? "" : "s",
                max / 1048576.0);
    }

    /** Heap in use now (live and garbage) and the heap left after the last collection of each pool. */
    private static synchronized void sample(long[] maxUsed, long[] maxAfterGc) {
        maxUsed[0] = Math.max(maxUsed[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        long afterGc = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = pool.getCollectionUsage();
            if (pool.getType() == MemoryType.HEAP && u != null) {
                afterGc += u.getUsed();
            }
        }
        maxAfterGc[0] = Math.max(maxAfterGc[0], afterGc);
    }
}
