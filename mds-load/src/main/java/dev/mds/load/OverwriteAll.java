package dev.mds.load;

import dev.mds.core.Progress;
import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.core.Sql;
import dev.mds.load.internal.LoadEngine;
import dev.mds.load.internal.LoadSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Iterator;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * {@link MergeLoader#loadAll} in {@link SyncMode#OVERWRITE}: the whole stream replaces the table's rows, in one
 * transaction on one connection, as Airbyte's full refresh | overwrite of a stream. The first batch overwrites
 * (truncate, then COPY); each later batch is added to it: merged by the key, so a key in several batches ends as
 * one row (the newest cursor's, or else the later batch's), as duplicates within one batch do; appended without a
 * key. A stream without any batch empties an existing target. Either the whole stream is committed or nothing is.
 */
final class OverwriteAll {
    private final DataSource dataSource;
    private final LoadSpec spec;
    private final LoadEngine first;
    private final LoadEngine rest;

    OverwriteAll(DataSource dataSource, LoadSpec spec, LoadEngine first) {
        this.dataSource = dataSource;
        this.spec = spec;
        this.first = first;
        SyncMode then = spec.key().isEmpty() ? SyncMode.APPEND : SyncMode.MERGE;
        this.rest = new LoadEngine(new LoadSpec(spec.target(), then, spec.key(), spec.cursor(), spec.loadTimestamp(),
                spec.schemaChange(), spec.deleteMode(), spec.onBadRow()));
    }

    /** Where the load stopped, for the exception's message. */
    private static final class Step {
        String what = "opening a connection failed";
        long rows;
        long batches;
    }

    /** Thrown inside the transaction to roll it back when the calling thread is interrupted. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted() {
            super(null, null, false, false);
        }
    }

    LoadResult run(Stream<RecordBatch> batches, ProgressListener listener) {
        long t0 = System.nanoTime();
        String task = "load " + spec.target();
        Step step = new Step();
        LoadResult total;
        try (batches; Connection c = dataSource.getConnection()) {
            total = Sql.transaction(c, x -> {
                LoadResult sum = null;
                Iterator<RecordBatch> it = batches.iterator();
                while (true) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new Interrupted();
                    }
                    step.what = "reading batch " + (step.batches + 1) + " of the stream failed";
                    if (!it.hasNext()) {
                        break;
                    }
                    RecordBatch b = it.next();
                    step.what = "batch " + (step.batches + 1) + " of the stream failed";
                    LoadResult r = (sum == null ? first : rest).load(x, b);
                    sum = sum == null ? r : sum.plus(r);
                    step.rows += b.size();
                    step.batches++;
                    step.what = "the progress listener failed";
                    listener.onProgress(new Progress(task, step.rows, step.batches, 0, Duration.ofNanos(System.nanoTime() - t0)));
                }
                if (sum == null) {
                    step.what = "emptying the table failed";
                    sum = first.emptyTarget(x);
                }
                step.what = "the commit failed";
                return sum;
            });
        } catch (Interrupted e) {
            throw new PartialLoadException(task + " (OVERWRITE) was interrupted; nothing committed: the table is as it"
                    + " was", null, 0, 0);
        } catch (SQLException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof SQLException && !reason.contains(spec.target().toString())) {
                reason = "load into " + spec.target() + " failed: " + reason;
            }
            throw new PartialLoadException(task + " (OVERWRITE): " + step.what + ": " + reason + "; nothing committed:"
                    + " the table is as it was", e, 0, 0);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        listener.onDone(new Progress(task, step.rows, step.batches, 0, elapsed));
        return new LoadResult(total.table(), SyncMode.OVERWRITE, total.inserted(), total.updated(), total.deleted(),
                total.unchanged(), total.rejected(), elapsed);
    }
}
