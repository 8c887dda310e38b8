package dev.mds.core;

import java.time.Duration;

/**
 * How far a long-running task has come.
 *
 * @param task what is running, for example {@code load data_lake.transactions}
 * @param rows rows done so far
 * @param batches batches (chunks) done so far
 * @param bytes bytes read or written so far, 0 when not known
 * @param elapsed time since the task started
 */
public record Progress(String task, long rows, long batches, long bytes, Duration elapsed) {
    /** Rows per second so far. */
    public double rowsPerSecond() {
        long ms = elapsed.toMillis();
        return ms == 0 ? 0 : rows * 1000.0 / ms;
    }
}
