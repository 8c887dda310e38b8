package dev.mds.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives progress of long work (loads, reads, model runs). Called from the working thread, possibly from
 * several threads at once, so implementations must be thread-safe and quick.
 *
 * <pre>{@code
 * loader.loadAll(batches, 2, ProgressListener.logging(Duration.ofSeconds(5)));
 * }</pre>
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores progress. */
    ProgressListener NONE = p -> { };

    /** Called after each unit of work with the totals so far. */
    void onProgress(Progress progress);

    /** Called once when the work is done; logs nothing by default. */
    default void onDone(Progress progress) {
        onProgress(progress);
    }

    /** Logs at INFO at most once per {@code interval}, and once at the end. */
    static ProgressListener logging(Duration interval) {
        return new Logging(interval);
    }

    /** Logs at INFO at most every 5 seconds, and once at the end. */
    static ProgressListener logging() {
        return logging(Duration.ofSeconds(5));
    }

    /** The default listener: {@link #logging()}. */
    final class Logging implements ProgressListener {
        private static final Logger LOG = LoggerFactory.getLogger(ProgressListener.class);
        private final long intervalNanos;
        private final AtomicLong lastLog = new AtomicLong(System.nanoTime());

        private Logging(Duration interval) {
            this.intervalNanos = Objects.requireNonNull(interval, "interval").toNanos();
        }

        @Override
        public void onProgress(Progress p) {
            long now = System.nanoTime();
            long last = lastLog.get();
            if (now - last >= intervalNanos && lastLog.compareAndSet(last, now)) {
                log("running", p);
            }
        }

        @Override
        public void onDone(Progress p) {
            log("done", p);
        }

        private static void log(String state, Progress p) {
            LOG.info("{} {}: {} rows, {} batches, {} MB, {} s, {} rows/s", p.task(), state, p.rows(), p.batches(),
                    p.bytes() / (1024 * 1024), p.elapsed().toSeconds(), Math.round(p.rowsPerSecond()));
        }
    }
}
