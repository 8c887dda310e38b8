package dev.mds.load;

import dev.mds.core.InputLocation;
import dev.mds.core.Progress;
import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.load.internal.LoadEngine;
import dev.mds.load.internal.LoadSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * {@link MergeLoader#loadAll} in {@link SyncMode#OVERWRITE}: the whole stream replaces the table's rows, in one
 * transaction on one connection, as Airbyte's full refresh | overwrite of a stream. The first batch overwrites
 * (truncate, or delete with {@link OverwriteMode#DELETE}, then COPY); each later batch is added to it: merged by the key, so a key in several batches ends as
 * one row (the newest cursor's, or else the later batch's), as duplicates within one batch do; appended without a
 * key. A stream without any batch empties an existing target. Either the whole stream is committed or nothing is.
 */
final class OverwriteAll {
    /** The statement that checks the deferred constraints at the end of the stream, before the commit. */
    static final String CHECK_DEFERRED = "set constraints all immediate";

    private final DataSource dataSource;
    private final LoadSpec spec;
    private final LoadEngine first;
    private final LoadEngine rest;

    OverwriteAll(DataSource dataSource, LoadSpec spec, LoadEngine first) {
        this.dataSource = dataSource;
        this.spec = spec;
        this.first = first;
        SyncMode then = spec.key().isEmpty() ? SyncMode.APPEND : SyncMode.MERGE;
        // later batches always stage and merge (none COPYs straight into a table the first left empty), so their
        // statements do not depend on the first batch's rows and can be shown before (sql)
        this.rest = new LoadEngine(new LoadSpec(spec.target(), then, spec.key(), spec.cursor(), spec.loadTimestamp(),
                spec.schemaChange(), spec.deleteMode(), spec.onBadRow(), spec.workMem(), spec.dateOrder(),
                spec.overwriteMode()), false);
    }

    /**
     * The statements {@link #run} runs for a stream of batches of {@code schema}: the first batch's, then those each
     * later batch runs (planned against the table as the first leaves it), then {@value #CHECK_DEFERRED}.
     */
    List<String> sql(Connection c, Schema schema) {
        List<String> out = new ArrayList<>(first.sqlThen(c, schema, rest));
        out.add(CHECK_DEFERRED);
        return out;
    }

    /** Where the load stopped, for the exception's message. */
    private static final class Step {
        String what = "opening a connection failed";
        long rows;
        /** The stream's records, with those its source could not read. */
        long records;
        long batches;
    }

    /** Thrown inside the transaction to roll it back when the calling thread is interrupted. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted() {
            super(null, null, false, false);
        }
    }

    /**
     * Closes the stream after a failure (a no-op when it is closed already), its own failure suppressed on
     * {@code failure}, which is returned.
     */
    private static <T extends Throwable> T closing(Stream<RecordBatch> batches, T failure) {
        try {
            batches.close();
        } catch (RuntimeException | Error e) {
            if (e != failure) {
                failure.addSuppressed(e);
            }
        }
        return failure;
    }

    /**
     * Checks the deferred constraints now, before the commit ({@value #CHECK_DEFERRED}), so that a refusal is the
     * failure of a known statement: a {@link RefusedRowsException} naming the table, the constraint and PostgreSQL's
     * message with its detail (the key a foreign key misses: {@code Key (customer_id)=(5) is not present in table
     * "customers"}), which pgjdbc leaves out of its own message when {@code logServerErrorDetail} is off. A single
     * batch's load runs again with the constraints immediate to name its records; a stream is not read twice, so the
     * records stay unnamed.
     */
    private void checkDeferred(Connection c) {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.execute(CHECK_DEFERRED);
        } catch (SQLException x) {
            if (x.getSQLState() == null || !x.getSQLState().startsWith("23")) {
                throw Sql.failed(CHECK_DEFERRED, x);
            }
            ServerErrorMessage m = x instanceof PSQLException p ? p.getServerErrorMessage() : null;
            throw new RefusedRowsException(InputLocation.of(spec.target().toString()), "a deferred constraint refused"
                    + " the stream's rows: " + LoadEngine.reason(x) + "; which records is not known (the stream is read"
                    + " once)", m == null ? null : m.getConstraint(), List.of(), false, x);
        }
        Sql.logged(CHECK_DEFERRED, t0);
    }

    LoadResult run(Stream<RecordBatch> batches, ProgressListener listener) {
        long t0 = System.nanoTime();
        String task = "load " + spec.target();
        Step step = new Step();
        LoadResult total;
        try (Connection c = dataSource.getConnection()) {
            total = Sql.transaction(c, x -> {
                LoadResult sum = null;
                step.what = "reading batch 1 of the stream failed";
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
                    step.what = "batch " + (step.batches + 1) + " of the stream failed" + MergeLoader.ending(b);
                    LoadResult r = sum == null ? first.loadFirstOfStream(x, b) : rest.load(x, b);
                    sum = sum == null ? r : sum.plus(r);
                    step.rows += b.size();
                    step.records += b.size() + b.rejected().size();
                    step.batches++;
                    step.what = "the progress listener failed";
                    listener.onProgress(new Progress(task, step.rows, step.batches, 0, Duration.ofNanos(System.nanoTime() - t0)));
                }
                if (sum == null) {
                    step.what = "emptying the table failed";
                    sum = first.emptyTarget(x);
                } else if (sum.inserted() + sum.updated() == 0 && sum.rejected() > 0) {
                    // every record of the stream was set aside: the table keeps its rows (see LoadEngine.everyRecordRefused)
                    step.what = "every record was refused";
                    throw first.everyRecordRefused(x, "stream", sum.rejected(), step.records, List.of());
                }
                // before the commit: a stream that fails to close (a reader's last error) rolls back with the rest
                step.what = "closing the stream failed";
                batches.close();
                step.what = "checking the deferred constraints before the commit failed";
                checkDeferred(x);
                step.what = "the commit failed";
                return sum;
            });
        } catch (Interrupted e) {
            throw closing(batches, new PartialLoadException(task + " (OVERWRITE) was interrupted; nothing committed:"
                    + " the table is as it was", null, 0, 0));
        } catch (SQLException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof SQLException && !reason.contains(spec.target().toString())) {
                reason = "load into " + spec.target() + " failed: " + reason;
            }
            throw closing(batches, new PartialLoadException(task + " (OVERWRITE): " + step.what + ": " + reason
                    + "; nothing committed: the table is as it was", e, 0, 0));
        } catch (Error e) {
            throw closing(batches, e);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        MergeLoader.done(listener, new Progress(task, step.rows, step.batches, 0, elapsed));
        return new LoadResult(total.table(), SyncMode.OVERWRITE, total.inserted(), total.updated(), total.deleted(),
                total.unchanged(), total.rejected(), elapsed);
    }
}
