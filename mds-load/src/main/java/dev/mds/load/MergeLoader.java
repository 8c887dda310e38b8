package dev.mds.load;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.Progress;
import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.SourcePosition;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.load.internal.LoadEngine;
import dev.mds.load.internal.LoadSpec;
import dev.mds.load.internal.StreamOrder;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * Loads batches into one PostgreSQL table: COPY into a temporary staging table, then generated set-based SQL
 * ({@code MERGE}) moves the rows into the target, in one transaction per batch.
 *
 * <pre>{@code
 * MergeLoader loader = MergeLoader.into(dataSource, "data_lake.transactions")
 *     .mode(SyncMode.MERGE)
 *     .key("customer_id", "transaction_date", "product_id")
 *     .cursor("updated_at")
 *     .loadTimestamp("load_timestamp")
 *     .build();
 * LoadResult r = loader.load(batch);          // r.inserted(), r.updated(), r.unchanged() ...
 * List<String> sql = loader.sql(batch.schema());
 * }</pre>
 *
 * <p>What each mode does is described on {@link SyncMode}. The target table is created from the batch's schema
 * when missing, with the key as primary key. Identifiers are always quoted; values never enter SQL text.
 *
 * <p><b>CDC bookkeeping.</b> In {@link SyncMode#CDC} the target gets two {@code bigint} columns,
 * {@code _mds_commit} and {@code _mds_change}, holding the {@link dev.mds.core.EventPosition} of the event the
 * row reflects (positions are compared as signed 64-bit numbers: PostgreSQL LSNs fit). Deleted keys are
 * remembered with their delete position in a tombstone table beside the target,
 * {@code <table>_mds_tombstones} (key columns, {@code _mds_commit}, {@code _mds_change}, {@code _deleted_at}),
 * so a replayed older insert of a deleted key stays deleted; a newer insert of the key removes its tombstone.
 * A snapshot read ({@link dev.mds.core.ChangeEvent.Operation#READ}) is the source's state when it was read: it
 * replaces a row stored at any other position and removes the key's tombstone (a re-snapshot after a lost
 * replication slot brings back what the stream missed); a read already stored at its own position changes nothing.
 * So replaying a batch of stream events changes nothing, but a snapshot batch replayed after the stream has moved on
 * would put its older rows back: a CDC source never replays one so (a restart resumes the stream from its stored
 * position; a re-snapshot reads the source anew).
 * A {@link dev.mds.core.ChangeEvent.Operation#TRUNCATE} removes every row stored at an older position (with
 * {@link DeleteMode#SOFT}: marks it deleted) before the batch's later events apply; the target remembers the
 * truncate's position in one row (table {@code <target>_mds_truncated}), so replayed events from before it stay
 * out, as a key's tombstone does after a delete. A {@link dev.mds.core.ChangeEvent.Operation#SNAPSHOT_COMPLETE} removes the rows that snapshot
 * did not read and that were stored before it began (see the README).
 * With {@link DeleteMode#SOFT} a delete sets {@code _deleted_at} on the row instead of removing it. Column names
 * starting with {@code _mds_} are reserved.
 *
 * <p>Thread-safe and immutable; one loader may be used from many threads. Concurrent loads into one target
 * (from any loader) are serialised around their write step by a transaction-level advisory lock on the target's
 * name; staging runs in parallel.
 */
public final class MergeLoader {
    private final DataSource dataSource;
    private final LoadSpec spec;
    private final LoadEngine engine;

    private MergeLoader(DataSource dataSource, LoadSpec spec) {
        this.dataSource = dataSource;
        this.spec = spec;
        this.engine = new LoadEngine(spec);
    }

    /** A builder of a loader into {@code table}. */
    public static Builder into(DataSource dataSource, TableName table) {
        return new Builder(Objects.requireNonNull(dataSource, "dataSource"), Objects.requireNonNull(table, "table"));
    }

    /** A builder of a loader into {@code table}, read as {@link TableName#parse(String)} reads it. */
    public static Builder into(DataSource dataSource, String table) {
        return into(dataSource, TableName.parse(table));
    }

    /** The target table. */
    public TableName table() {
        return spec.target();
    }

    /** The sync mode. */
    public SyncMode mode() {
        return spec.mode();
    }

    /**
     * Loads a batch of records in its own transaction (any mode but {@link SyncMode#CDC}).
     *
     * @throws dev.mds.core.BadInputException for a bad record (with {@link OnBadRow#FAIL}); nothing is committed
     * @throws RefusedRowsException for records the table refused when the load wrote them (a constraint, a trigger,
     *     a policy), naming them (with {@link OnBadRow#FAIL}); nothing is committed
     * @throws dev.mds.core.SchemaMismatchException for new columns with {@link SchemaChange#FAIL}, a column
     *     narrower than the batch's type without {@link SchemaChange#ADD_AND_WIDEN_COLUMNS}, or an incompatible
     *     column type; nothing is committed
     */
    public LoadResult load(RecordBatch batch) {
        Objects.requireNonNull(batch, "batch");
        try {
            return inTransaction(c -> engine.load(c, batch));
        } catch (BadInputException e) {
            throw placed(e, batch);
        } catch (SchemaMismatchException e) {
            throw placed(e, batch);
        }
    }

    /**
     * Loads a batch of records inside the caller's transaction: nothing is committed or rolled back here. When
     * the load throws, the caller's transaction is unusable and must be rolled back: the load makes it fail on the
     * server, so that a commit cannot keep what the load wrote before it failed. A connection in auto-commit
     * mode gets its own transaction, committed before this returns.
     */
    public LoadResult load(RecordBatch batch, Connection connection) {
        Objects.requireNonNull(batch, "batch");
        try {
            return joined(connection, c -> engine.load(c, batch));
        } catch (BadInputException e) {
            throw placed(e, batch);
        } catch (SchemaMismatchException e) {
            throw placed(e, batch);
        }
    }

    /**
     * Applies change events in its own transaction ({@link SyncMode#CDC} only).
     *
     * @throws dev.mds.core.BadInputException for an event with a NULL key or a value that does not fit, or
     *     ({@link RefusedRowsException}) events the table refused when the load wrote them; nothing is committed
     */
    public LoadResult load(ChangeBatch batch) {
        Objects.requireNonNull(batch, "batch");
        try {
            return inTransaction(c -> engine.load(c, batch));
        } catch (BadInputException e) {
            throw placed(e, batch);
        }
    }

    /**
     * Applies change events inside the caller's transaction, so the caller can commit source offsets with them.
     * Nothing is committed or rolled back here; see {@link #load(RecordBatch, Connection)}.
     */
    public LoadResult load(ChangeBatch batch, Connection connection) {
        Objects.requireNonNull(batch, "batch");
        try {
            return joined(connection, c -> engine.load(c, batch));
        } catch (BadInputException e) {
            throw placed(e, batch);
        }
    }

    /**
     * Forgets the remembered deletes ({@link SyncMode#CDC} tombstones, and the last truncate) of this target whose
     * delete committed more than {@code age} ago, in its own transaction, and returns how many. A tombstone stops a replayed older insert
     * of a deleted key from bringing the row back; once no replay can be that old (a CDC source resumes from its
     * committed offsets) it only takes space. Run it now and then, like Kafka's {@code delete.retention.ms}
     * (e.g. daily, with a day).
     */
    public long pruneTombstones(Duration age) {
        Objects.requireNonNull(age, "age");
        try (Connection c = dataSource.getConnection()) {
            return Sql.transaction(c, x -> engine.pruneTombstones(x, age));
        } catch (SQLException e) {
            throw new MdsException("pruning the tombstones of " + spec.target() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Loads many batches into the target, up to {@code parallelism} at once, each in its own transaction, and
     * commits them in stream order: staging runs in parallel, and a batch starts its write step (the target's load
     * lock) only once the batch before it in the stream has committed. Reports progress after each committed
     * batch. On the first failure (of a load, of the stream or of the listener) no new batch is started, and no
     * batch after the failed one commits: those still waiting for their turn roll back, those already writing
     * (before it in the stream) commit. Then a {@link PartialLoadException} is thrown, caused by the failure of the
     * earliest batch in the stream that failed (or of the stream, or of the listener), later failures suppressed on
     * it; an {@link Error} is rethrown as it is. So when this returns or throws, no load of it is still running,
     * and the committed batches are the stream's first {@link PartialLoadException#committedBatches()}: a re-run
     * can skip them and load the rest, in any mode. An interrupt stops the load the same way (the batches that have
     * not started writing roll back), and the interrupt flag is kept. Starts {@code parallelism} threads, stopped
     * before this returns; connections are taken from the data source in stream order.
     *
     * <p>In {@link SyncMode#OVERWRITE} the whole stream replaces the table's rows instead, in one transaction on one
     * connection (Airbyte's full refresh | overwrite of a file read in chunks): the first batch overwrites, each
     * later one is merged into it by the key (appended without a key), so a key in several batches ends as one row,
     * as in one batch; a stream without any batch empties an existing table. {@code parallelism} is not used,
     * progress is reported after each batch written (not yet committed), and readers of the table wait until the
     * end (the truncate's lock; with {@link OverwriteMode#DELETE} they read the old rows until the commit instead).
     * Deferred constraints are checked once, after the last batch and before the commit
     * ({@code set constraints all immediate}), so a row of one batch may refer to a row of a later one; one they
     * refuse fails the load with a {@link RefusedRowsException} naming the table, the constraint and PostgreSQL's
     * detail (the key: {@code Key (customer_id)=(5) is not present in table "customers"}), but no record (the
     * stream is read once), also with {@link OnBadRow#DEAD_LETTER}. The stream is closed before the commit, and a
     * failure to close it fails the load. On any failure nothing is committed: the {@link PartialLoadException}
     * says so. {@link #sqlAll} shows the statements before they run.
     *
     * @return the sum of the batches' results
     * @throws PartialLoadException when the load stopped before the end of the stream; it says how many batches
     *     and records of the stream are committed
     * @throws IllegalStateException in mode {@link SyncMode#CDC}, before anything is read
     */
    public LoadResult loadAll(Stream<RecordBatch> batches, int parallelism, ProgressListener listener) {
        Objects.requireNonNull(batches, "batches");
        Objects.requireNonNull(listener, "listener");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
        }
        if (spec.mode() == SyncMode.CDC) {
            throw new IllegalStateException("loader into " + spec.target() + " is in mode CDC: it applies ChangeBatches;"
                    + " loadAll loads RecordBatches with mode APPEND or MERGE");
        }
        if (spec.mode() == SyncMode.OVERWRITE) {
            return new OverwriteAll(dataSource, spec, engine).run(batches, listener);
        }
        long t0 = System.nanoTime();
        LoadResult total = new LoadResult(spec.target(), spec.mode(), 0, 0, 0, 0, 0, Duration.ZERO);
        long rows = 0;
        long done = 0;
        String task = "load " + spec.target();
        StreamOrder order = new StreamOrder();
        FirstFailure failure = new FirstFailure();
        boolean interrupted = false;
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "mds-load-" + spec.target());
            t.setDaemon(true);
            return t;
        });
        try {
            ExecutorCompletionService<Outcome> completion = new ExecutorCompletionService<>(pool);
            long submitted = 0;
            int running = 0;
            try {
                Iterator<RecordBatch> it = null;
                while (true) {
                    try {
                        if (it == null) {
                            it = batches.iterator();   // a stream already used fails here: a failure of the stream
                        }
                        while (!failure.any() && !interrupted && running < parallelism && it.hasNext()) {
                            RecordBatch b = it.next();
                            long index = submitted++;
                            completion.submit(() -> loadInTurn(b, index, order));
                            running++;
                        }
                    } catch (RuntimeException | Error e) {
                        // reading the stream failed: the batches already running come before it and still commit
                        failure.add(submitted, "reading batch " + (submitted + 1) + " of the stream failed", e);
                    }
                    if (running == 0) {
                        break;
                    }
                    Future<Outcome> f;
                    try {
                        f = completion.take();
                    } catch (InterruptedException e) {
                        interrupted = true;   // start nothing new, withdraw the batches not yet writing, wait for the rest
                        order.stop();
                        continue;
                    }
                    running--;
                    Outcome o = outcome(f);
                    if (o.failure() != null) {
                        if (!(o.failure() instanceof StreamOrder.Withdrawn)) {
                            failure.add(o.index(), "batch " + (o.index() + 1) + " of the stream failed" + o.ending(), o.failure());
                        }
                        continue;
                    }
                    total = total.plus(o.result());
                    rows += o.rows();
                    done++;
                    try {
                        listener.onProgress(new Progress(task, rows, done, 0, Duration.ofNanos(System.nanoTime() - t0)));
                    } catch (RuntimeException | Error e) {
                        order.stop();
                        failure.add(order.committedBatches(), "the progress listener failed", e);
                    }
                }
            } finally {
                try {
                    batches.close();
                } catch (RuntimeException | Error e) {
                    failure.add(Long.MAX_VALUE, "closing the stream failed", e);
                }
            }
        } finally {
            pool.shutdown();
        }
        String committed = "committed: the stream's first " + order.committedBatches() + " batch(es), "
                + order.committedRows() + " record(s), and nothing after them";
        if (interrupted) {
            Thread.currentThread().interrupt();
            PartialLoadException e = new PartialLoadException(task + " was interrupted; " + committed, null,
                    order.committedBatches(), order.committedRows());
            failure.first().ifPresent(e::addSuppressed);
            throw e;
        }
        if (failure.any()) {
            Throwable cause = failure.first().orElseThrow();
            if (cause instanceof Error err) {
                throw err;
            }
            String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            throw new PartialLoadException(task + ": " + failure.what() + ": " + reason + "; " + committed, cause,
                    order.committedBatches(), order.committedRows());
        }
        done(listener, new Progress(task, rows, done, 0, Duration.ofNanos(System.nanoTime() - t0)));
        return new LoadResult(total.table(), total.mode(), total.inserted(), total.updated(), total.deleted(),
                total.unchanged(), total.rejected(), Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * Tells {@code listener} that the whole stream is committed ({@link ProgressListener#onDone}). Its failure is
     * thrown as a {@link PartialLoadException} saying that everything is committed: read as a failed load, a bare
     * exception invited a re-run, which an APPEND load would store twice.
     */
    static void done(ProgressListener listener, Progress progress) {
        try {
            listener.onDone(progress);
        } catch (RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new PartialLoadException(progress.task() + ": the progress listener failed when the stream was done: "
                    + reason + "; committed: the whole stream, " + progress.batches() + " batch(es), " + progress.rows()
                    + " record(s)", e, progress.batches(), progress.rows());
        }
    }

    /** What became of one batch of {@link #loadAll}: its result, or the failure that rolled it back. */
    private record Outcome(long index, long rows, LoadResult result, Throwable failure, String ending) {
    }

    /**
     * Where a stream's batch ends in its source, for the failure of a batch (whose records a load error numbers within
     * the batch): {@code " (its records end at prices.csv record 6)"} from its position's {@code record} entry, else
     * the whole position; empty for a batch without one.
     */
    static String ending(RecordBatch b) {
        return b.position().map(p -> " (its records end at " + end(p) + ")").orElse("");
    }

    /** Where a batch of position {@code p} ends in its source: {@code prices.csv record 6}, else the whole position. */
    private static String end(SourcePosition p) {
        return p.getLong("record").map(r -> p.source() + " record " + r).orElse(p.toString());
    }

    /**
     * The loader's own bad-input failure of a {@link #load(RecordBatch)} (which numbers records within the batch) with
     * where the batch ends in its source added ({@code ...; the batch's records end at prices.csv record 60}), when it
     * has a position.
     */
    private BadInputException placed(BadInputException e, RecordBatch batch) {
        return batch.position().map(p -> placed(e, "the batch's records end at " + end(p))).orElse(e);
    }

    /**
     * The loader's own bad-input failure of a change batch with the position of the event its location names added
     * ({@code ...; record 2 is the event at 7000/7002}), the event number being the record number.
     */
    private BadInputException placed(BadInputException e, ChangeBatch batch) {
        long n = e.location().recordNumber().orElse(0);
        return n < 1 || n > batch.events().size() ? e
                : placed(e, "record " + n + " is the event at " + batch.events().get((int) (n - 1)).position());
    }

    /**
     * A batch's schema refused (a new column under {@link SchemaChange#FAIL}, a column too narrow for its values) with
     * where the batch ends in its source added, when it has a position: the batch that brought the change is found by
     * it.
     */
    private SchemaMismatchException placed(SchemaMismatchException e, RecordBatch batch) {
        String prefix = e.table() + ": ";
        if (batch.position().isEmpty() || e.getClass() != SchemaMismatchException.class
                || !String.valueOf(e.getMessage()).startsWith(prefix)
                || e.getMessage().contains("source " + batch.position().get().source())) {
            return e;   // not the loader's, or naming the source already (a batch of records without fields)
        }
        SchemaMismatchException placed = new SchemaMismatchException(e.table(), e.columns(),
                e.getMessage().substring(prefix.length()) + "; the batch's records end at " + end(batch.position().get()));
        if (e.getCause() != null) {
            placed.initCause(e.getCause());
        }
        placed.setStackTrace(e.getStackTrace());
        for (Throwable s : e.getSuppressed()) {
            placed.addSuppressed(s);
        }
        return placed;
    }

    /** {@code e} with {@code where} after its reason, as the same kind of exception, when the loader made it. */
    private BadInputException placed(BadInputException e, String where) {
        if (!e.location().source().equals(spec.target().toString())) {
            return e;   // the source's own location (a file, line and record)
        }
        BadInputException placed;
        if (e.getClass() == BadInputException.class) {
            placed = new BadInputException(e.location(), e.reason() + "; " + where, e.getCause());
        } else if (e instanceof RefusedRowsException r) {
            placed = new RefusedRowsException(r.location(), r.reason() + "; " + where, r.constraint().orElse(null),
                    r.rows(), r.together(), r.getCause());
        } else {
            return e;
        }
        placed.setStackTrace(e.getStackTrace());
        for (Throwable s : e.getSuppressed()) {
            placed.addSuppressed(s);
        }
        return placed;
    }

    /** Loads batch {@code index} of a stream in its own transaction, writing and committing on its turn. */
    private Outcome loadInTurn(RecordBatch b, long index, StreamOrder order) {
        try {
            LoadResult r = inTransaction(() -> {
                order.awaitConnectTurn(index);
                try {
                    return dataSource.getConnection();
                } finally {
                    order.connectTurnDone(index);
                }
            }, c -> engine.load(c, b, order.turn(index)), () -> order.committed(index, b.size()), c -> engine.load(c, b));
            return new Outcome(index, b.size(), r, null, "");
        } catch (RuntimeException | Error e) {
            order.failed(index);
            return new Outcome(index, b.size(), null, e, ending(b));
        }
    }

    private static Outcome outcome(Future<Outcome> done) {
        try {
            return done.get();   // done: does not wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("a completed load was interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a load task failed outside its load", e.getCause());
        }
    }

    /** The failure that stopped a {@link #loadAll}: the one earliest in the stream; the others suppressed on it. */
    private static final class FirstFailure {
        private Throwable first;
        private String what;
        private long position = Long.MAX_VALUE;

        void add(long at, String description, Throwable t) {
            if (first == null) {
                first = t;
                what = description;
                position = at;
            } else if (t != first) {
                if (at < position) {
                    t.addSuppressed(first);
                    first = t;
                    what = description;
                    position = at;
                } else {
                    first.addSuppressed(t);
                }
            }
        }

        boolean any() {
            return first != null;
        }

        Optional<Throwable> first() {
            return Optional.ofNullable(first);
        }

        String what() {
            return what;
        }
    }

    /**
     * The statements a load of a batch with this schema would run now, in order, given the target's current
     * state (read from the database; a MERGE into a missing or empty table COPYs straight into it). {@code COPY}
     * statements stand for the streamed rows (sent {@code (format binary)} when every value fits it). Queries that
     * only read (the catalog, the row counts) are not listed. In CDC mode a batch
     * holding a {@code TRUNCATE} first runs three more (tombstones for the rows older than it, then their delete;
     * one {@code UPDATE} with {@link DeleteMode#SOFT}), which depend on its position and are logged at DEBUG. In CDC
     * mode into a target with a unique index or exclusion constraint beyond its key, the list starts with the step a
     * batch that deletes keys it writes again (a key swap) runs first: the same statements over those deletes alone,
     * which delete (SOFT: mark) the stored rows of those keys; its first statement carries a {@code --} comment saying
     * so, and a batch that needs no such step skips it (a column the batch adds is then added in that step). CDC's
     * {@code MERGE} and tombstone clean-up are shown with every condition a batch may need (snapshot reads,
     * remembered deletes); a load leaves out those it does not need.
     * For the statements of {@link #loadAll} over many batches (in OVERWRITE, more than one batch's), see
     * {@link #sqlAll}.
     */
    public List<String> sql(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        try (Connection c = dataSource.getConnection()) {
            return engine.sql(c, schema);
        } catch (SQLException e) {
            throw new MdsException("cannot connect to plan a load into " + spec.target() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The statements {@link #loadAll} would run now for a stream of batches with this schema, in order, as
     * {@link #sql} shows them. In {@link SyncMode#OVERWRITE} (one transaction for the whole stream): the first
     * batch's statements (those {@link #sql} gives), then the statements each later batch runs, listed once (a stream
     * of n batches runs them n − 1 times), planned against the table as the first batch leaves it, then
     * {@code set constraints all immediate}; a stream without any batch runs only a {@code truncate} (with
     * {@link OverwriteMode#DELETE}, a {@code delete from}) of an existing table. In {@link SyncMode#APPEND} and
     * {@link SyncMode#MERGE} every batch is a load of its own: a batch's
     * statements, as {@link #sql} gives them.
     *
     * <p>Nothing is written and the target is not locked: when the first batch would create the table, or add or
     * widen columns, the columns it would leave are planned in a temporary table made in a transaction that is rolled
     * back at once. Columns that {@link SchemaChange#ADD_AND_WIDEN_COLUMNS} widens only for a value that needs it
     * (all but a declared decimal) cannot be foreseen from a schema: a batch holding such a value runs that
     * {@code alter table} too.
     *
     * @throws dev.mds.core.SchemaMismatchException when a batch with this schema would be refused (as {@link #sql})
     * @throws IllegalStateException in mode {@link SyncMode#CDC}, which {@link #loadAll} does not take
     */
    public List<String> sqlAll(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        if (spec.mode() == SyncMode.CDC) {
            throw new IllegalStateException("loader into " + spec.target() + " is in mode CDC: it applies ChangeBatches;"
                    + " loadAll (and sqlAll) load RecordBatches with mode APPEND, OVERWRITE or MERGE");
        }
        if (spec.mode() != SyncMode.OVERWRITE) {
            return sql(schema);
        }
        try (Connection c = dataSource.getConnection()) {
            return new OverwriteAll(dataSource, spec, engine).sql(c, schema);
        } catch (SQLException e) {
            throw new MdsException("cannot connect to plan a load into " + spec.target() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "MergeLoader[" + spec.target() + ", " + spec.mode() + ", key " + spec.key() + "]";
    }

    private LoadResult inTransaction(Function<Connection, LoadResult> work) {
        return inTransaction(dataSource::getConnection, work, () -> { }, work);
    }

    /** A source of one connection, as {@link DataSource#getConnection()}. */
    @FunctionalInterface
    private interface Connect {
        Connection get() throws SQLException;
    }

    /**
     * Runs {@code work} in a transaction of its own and commits it; {@code committed} runs right after the commit.
     * When the commit fails on a deferred constraint, {@code rerun} (the same load, not waiting for a turn) is run
     * again with every constraint immediate, in a transaction that is rolled back to name the records (or, with
     * {@link OnBadRow#DEAD_LETTER}, committed with them set aside).
     */
    private LoadResult inTransaction(Connect connect, Function<Connection, LoadResult> work, Runnable committed,
            Function<Connection, LoadResult> rerun) {
        try (Connection c = connect.get()) {
            LoadResult r;
            try {
                r = timedTransaction(c, work);
            } catch (SQLException e) {
                r = deadLettered(c, rerun, e);
            }
            committed.run();
            return r;
        } catch (SQLException e) {
            throw new MdsException("load into " + spec.target() + " failed: " + e.getMessage(), e);
        } catch (MdsException e) {
            throw named(e);
        }
    }

    private LoadResult joined(Connection connection, Function<Connection, LoadResult> work) {
        Objects.requireNonNull(connection, "connection");
        try {
            if (!connection.getAutoCommit()) {
                try {
                    return work.apply(connection);
                } catch (RuntimeException e) {
                    // what the load wrote before it failed must not commit with the caller's work
                    LoadEngine.abortCallersTransaction(connection);
                    throw e;
                }
            }
            try {
                return timedTransaction(connection, work);
            } catch (SQLException e) {
                return deadLettered(connection, work, e);
            }
        } catch (SQLException e) {
            throw new MdsException("load into " + spec.target() + " failed: " + e.getMessage(), e);
        } catch (MdsException e) {
            throw named(e);
        }
    }

    /**
     * A failed statement's plain {@link MdsException} (the server's message and the statement: a dead session's
     * "terminating connection" at the load's lock, its DDL or its COPY) as one naming the target, so that the caller
     * of a pipeline of many loads knows which failed. Exceptions of a kind of their own, and those already naming
     * the target, are kept as they are.
     */
    private MdsException named(MdsException e) {
        if (e.getClass() != MdsException.class || String.valueOf(e.getMessage()).contains(spec.target().toString())) {
            return e;
        }
        return new MdsException("load into " + spec.target() + " failed: " + e.getMessage(), e);
    }

    /**
     * After the load's own transaction failed with {@code failure}: with {@link OnBadRow#DEAD_LETTER}, a commit refused
     * by a deferred constraint (SQLSTATE class 23) is the load's rows refused at commit, so the load runs again on
     * {@code c} in a new transaction with every constraint immediate, where its write step sets the refused records
     * aside as for any constraint, and commits; otherwise (or when that fails too) throws as {@link #deferredRefusal}.
     */
    private LoadResult deadLettered(Connection c, Function<Connection, LoadResult> rerun, SQLException failure) {
        if (spec.onBadRow() == OnBadRow.FAIL || failure.getSQLState() == null
                || !failure.getSQLState().startsWith("23")) {
            throw deferredRefusal(c, rerun, failure);
        }
        try {
            return timedTransaction(c, x -> {
                Sql.execute(x, "set constraints all immediate");
                return rerun.apply(x);
            });
        } catch (RefusedRowsException refused) {
            refused.addSuppressed(failure);
            throw refused;
        } catch (SQLException | RuntimeException again) {
            MdsException plain = new MdsException("load into " + spec.target() + " failed: " + failure.getMessage(), failure);
            plain.addSuppressed(again);
            throw plain;
        }
    }

    /**
     * The exception for a load whose own transaction failed with {@code failure}. A commit refused by a deferred
     * constraint (SQLSTATE class 23: it is checked at commit, after the load's own look for refused rows) names no
     * record: the load is run again on {@code c} in a transaction with {@code set constraints all immediate}, always
     * rolled back, so that its write step fails where the refused records can be found; its
     * {@link RefusedRowsException} is returned, the commit's error suppressed on it. Otherwise the commit's error.
     */
    private MdsException deferredRefusal(Connection c, Function<Connection, LoadResult> rerun, SQLException failure) {
        MdsException plain = new MdsException("load into " + spec.target() + " failed: " + failure.getMessage(), failure);
        if (failure.getSQLState() == null || !failure.getSQLState().startsWith("23")) {
            return plain;
        }
        try {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("set constraints all immediate");
                }
                rerun.apply(c);
            } catch (RefusedRowsException refused) {
                refused.addSuppressed(failure);
                return refused;
            } catch (RuntimeException other) {
                plain.addSuppressed(other);
            } finally {
                c.rollback();
                c.setAutoCommit(auto);
            }
        } catch (SQLException again) {
            plain.addSuppressed(again);
        }
        return plain;
    }

    /** {@link Sql#transaction}, with the commit's time added to the load's duration. */
    private static LoadResult timedTransaction(Connection c, Function<Connection, LoadResult> work) throws SQLException {
        long[] commitStart = new long[1];
        LoadResult r = Sql.transaction(c, x -> {
            LoadResult done = work.apply(x);
            commitStart[0] = System.nanoTime();
            return done;
        });
        return withCommit(r, System.nanoTime() - commitStart[0]);
    }

    private static LoadResult withCommit(LoadResult r, long commitNanos) {
        return new LoadResult(r.table(), r.mode(), r.inserted(), r.updated(), r.deleted(), r.unchanged(),
                r.rejected(), r.duration().plusNanos(commitNanos));
    }

    /**
     * Settings of a {@link MergeLoader}. Defaults: mode {@link SyncMode#MERGE}, no key (required for MERGE; in
     * CDC the change batch's key columns), no cursor, no load timestamp column, {@link SchemaChange#FAIL},
     * {@link DeleteMode#HARD}, {@link OnBadRow#FAIL}, {@code work_mem} at least {@value #DEFAULT_WORK_MEM} for a large
     * batch's MERGE, {@link DateOrder#YEAR_FIRST}, {@link OverwriteMode#TRUNCATE}.
     */
    public static final class Builder {
        /** The least {@code work_mem} a large batch's MERGE runs with unless {@link #workMem} says otherwise. */
        public static final String DEFAULT_WORK_MEM = "64MB";
        private static final Pattern MEMORY_SIZE = Pattern.compile("[0-9]{1,9}(kB|MB|GB|TB)");
        private final DataSource dataSource;
        private final TableName table;
        private SyncMode mode = SyncMode.MERGE;
        private List<String> key = List.of();
        private String cursor;
        private String loadTimestamp;
        private SchemaChange schemaChange = SchemaChange.FAIL;
        private DeleteMode deleteMode = DeleteMode.HARD;
        private OnBadRow onBadRow = OnBadRow.FAIL;
        private String workMem = DEFAULT_WORK_MEM;
        private DateOrder dateOrder = DateOrder.YEAR_FIRST;
        private OverwriteMode overwriteMode = OverwriteMode.TRUNCATE;

        private Builder(DataSource dataSource, TableName table) {
            this.dataSource = dataSource;
            this.table = table;
        }

        /** The sync mode (default {@link SyncMode#MERGE}). */
        public Builder mode(SyncMode syncMode) {
            this.mode = Objects.requireNonNull(syncMode, "mode");
            return this;
        }

        /** The key columns (natural, possibly composite); the primary key of a table the loader creates. */
        public Builder key(String... columns) {
            return key(Arrays.asList(columns));
        }

        /** The key columns. */
        public Builder key(List<String> columns) {
            List<String> copy = List.copyOf(columns);
            for (String c : copy) {
                Identifiers.check(c);
            }
            if (new LinkedHashSet<>(copy).size() != copy.size()) {
                throw new IllegalArgumentException("key columns repeat: " + copy);
            }
            this.key = copy;
            return this;
        }

        /**
         * The column whose newest value wins among the records of a key: in MERGE among a batch's duplicates and against
         * the target; in OVERWRITE (with a key, as Airbyte's overwrite + deduped) among a batch's duplicates and, in
         * {@link MergeLoader#loadAll}, across the stream's batches. A NULL value loses to any other; ties go to the later
         * record.
         */
        public Builder cursor(String column) {
            this.cursor = Identifiers.check(column);
            return this;
        }

        /**
         * A {@code timestamptz} column the database sets to {@code now()} on insert and on real change; not a name
         * starting with {@code _mds_}, nor {@code _deleted_at} in CDC mode (the loader's own columns).
         */
        public Builder loadTimestamp(String column) {
            this.loadTimestamp = Identifiers.check(column);
            return this;
        }

        /**
         * What to do with batch columns the target lacks or has narrower than the batch's type (default
         * {@link SchemaChange#FAIL}).
         */
        public Builder onSchemaChange(SchemaChange policy) {
            this.schemaChange = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** What a CDC delete does (default {@link DeleteMode#HARD}). */
        public Builder deleteMode(DeleteMode delete) {
            this.deleteMode = Objects.requireNonNull(delete, "deleteMode");
            return this;
        }

        /** What to do with a bad record (default {@link OnBadRow#FAIL}). */
        public Builder onBadRow(OnBadRow policy) {
            this.onBadRow = Objects.requireNonNull(policy, "onBadRow");
            return this;
        }

        /**
         * The least {@code work_mem} the MERGE of a batch of more than 100,000 rows runs with (default
         * {@value #DEFAULT_WORK_MEM}), a PostgreSQL memory size with its unit ({@code kB}, {@code MB}, {@code GB},
         * {@code TB}). Such a MERGE joins the batch with the whole target by hashing the target's keys; with
         * PostgreSQL's default of 4MB (times {@code hash_mem_multiplier}) that hash spills to disk in batches from
         * about 150,000 target rows on, and the MERGE of 1M rows (half of them new) into 1M took 13–19% longer. The setting is raised
         * for that statement only ({@code set_config(…, true)}, set back right after, undone with the MERGE when
         * it fails) and never lowered: a session or role that has more keeps it, and {@code "0kB"} leaves the
         * setting as it is. A hash join may use this much memory times {@code hash_mem_multiplier} (2 by default).
         *
         * @throws IllegalArgumentException when {@code size} is not a number followed by one of those units
         */
        public Builder workMem(String size) {
            Objects.requireNonNull(size, "workMem");
            if (!MEMORY_SIZE.matcher(size).matches()) {
                throw new IllegalArgumentException("workMem \"" + size + "\" is not a PostgreSQL memory size with its"
                        + " unit, such as 64MB or 1GB (units kB, MB, GB, TB)");
            }
            this.workMem = size;
            return this;
        }

        /**
         * How text going into a {@code date}, {@code timestamp} or {@code timestamptz} column is read when its day
         * and month are both numbers (default {@link DateOrder#YEAR_FIRST}: {@code 2023-07-11}, and {@code 11-07-2023}
         * is a bad row). The load's statements run with the matching {@code DateStyle}, whatever the session's; the
         * session's own setting is set back after the load. Typed values ({@code LocalDate}, ...) are not affected.
         */
        public Builder dateOrder(DateOrder order) {
            this.dateOrder = Objects.requireNonNull(order, "dateOrder");
            return this;
        }

        /**
         * How {@link SyncMode#OVERWRITE} empties the table, in {@code load} and in {@code loadAll}'s full refresh
         * (default {@link OverwriteMode#TRUNCATE}). {@link OverwriteMode#DELETE} lets readers keep reading the old
         * rows until the commit instead of waiting for the whole load behind TRUNCATE's lock, and overwrites a table
         * referenced by foreign keys; it is slower and leaves the old rows as dead rows for autovacuum (the table
         * grows until then). Only for mode OVERWRITE.
         */
        public Builder overwriteMode(OverwriteMode how) {
            this.overwriteMode = Objects.requireNonNull(how, "overwriteMode");
            return this;
        }

        /**
         * The loader.
         *
         * @throws IllegalArgumentException naming the settings that do not go together
         */
        public MergeLoader build() {
            List<String> problems = new ArrayList<>();
            if (mode == SyncMode.MERGE && key.isEmpty()) {
                problems.add("mode MERGE needs key(...)");
            }
            if (cursor != null && mode != SyncMode.MERGE && mode != SyncMode.OVERWRITE) {
                problems.add("cursor(\"" + cursor + "\") only applies to mode MERGE or OVERWRITE, not " + mode);
            }
            if (cursor != null && mode == SyncMode.OVERWRITE && key.isEmpty()) {
                problems.add("cursor(\"" + cursor + "\") needs key(...): it picks the newest record of a key");
            }
            if (cursor != null && key.contains(cursor)) {
                problems.add("cursor \"" + cursor + "\" is a key column");
            }
            if (cursor != null && cursor.equals(loadTimestamp)) {
                problems.add("cursor \"" + cursor + "\" is the loadTimestamp column, which the loader sets itself"
                        + " (a batch carrying it is refused); the cursor is a column of the batch");
            }
            if (loadTimestamp != null && key.contains(loadTimestamp)) {
                problems.add("loadTimestamp \"" + loadTimestamp + "\" is a key column");
            }
            // the loader's bookkeeping columns, as refused in a batch: a load timestamp of that name made the
            // CREATE TABLE of a CDC target fail in PostgreSQL ('column "_mds_commit" specified more than once')
            if (loadTimestamp != null && LoadEngine.reservedColumn(loadTimestamp, mode == SyncMode.CDC)) {
                problems.add("loadTimestamp \"" + loadTimestamp + "\" is reserved for the loader's bookkeeping"
                        + " (names starting with _mds_, and _deleted_at in CDC mode)");
            }
            if (deleteMode == DeleteMode.SOFT && mode != SyncMode.CDC) {
                problems.add("deleteMode SOFT only applies to mode CDC, not " + mode);
            }
            if (overwriteMode != OverwriteMode.TRUNCATE && mode != SyncMode.OVERWRITE) {
                problems.add("overwriteMode " + overwriteMode + " only applies to mode OVERWRITE, not " + mode);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("MergeLoader into " + table + ": " + String.join("; ", problems));
            }
            return new MergeLoader(dataSource, new LoadSpec(table, mode, key, Optional.ofNullable(cursor),
                    Optional.ofNullable(loadTimestamp), schemaChange, deleteMode, onBadRow, workMem, dateOrder, overwriteMode));
        }
    }
}
