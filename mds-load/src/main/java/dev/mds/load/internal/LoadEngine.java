package dev.mds.load.internal;

import static dev.mds.load.internal.LoadStatements.CHANGE;
import static dev.mds.load.internal.LoadStatements.COMMIT;
import static dev.mds.load.internal.LoadStatements.DELETED_AT;
import static dev.mds.load.internal.LoadStatements.STAGE;
import static dev.mds.load.internal.LoadStatements.STAGE_TABLE;
import static dev.mds.load.internal.LoadStatements.S_NUMBER;
import static dev.mds.load.internal.LoadStatements.S_READ;
import static dev.mds.load.internal.LoadStatements.UNCHANGED_PREFIX;
import static dev.mds.load.internal.RefusedWrites.APPLY;
import static dev.mds.load.internal.RefusedWrites.MAX_DEAD_LETTER_ROUNDS;
import static dev.mds.load.internal.RefusedWrites.RELEASE_APPLY;
import static dev.mds.load.internal.RefusedWrites.SAVEPOINT_APPLY;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.load.DeleteMode;
import dev.mds.load.LoadResult;
import dev.mds.load.OnBadRow;
import dev.mds.load.OverwriteMode;
import dev.mds.load.RefusedRowsException;
import dev.mds.load.SyncMode;
import dev.mds.load.internal.CopyBinary.Encoding;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs loads for a {@link dev.mds.load.MergeLoader}: prepares rows in Java (NULL keys, collapsing duplicates,
 * folding change events per key), COPYs them into a temporary stage and moves them into the target with
 * generated SQL. Works on a caller's connection inside the caller's transaction; never commits.
 */
public final class LoadEngine {
    private static final Logger LOG = LoggerFactory.getLogger(LoadEngine.class);
    private static final Pattern COPY_LINE = Pattern.compile(", line (\\d+)(?:, column (.*?)(?:: |$))?");
    private static final String CREATE_SCHEMA = "create schema if not exists ";

    private final LoadSpec spec;
    private final TableName target;
    private final LoadStatements statements;
    private final RefusedWrites onRefusal;
    private volatile boolean versionChecked;
    /** Whether a MERGE into an empty target COPYs straight into it (see {@link #LoadEngine(LoadSpec, boolean)}). */
    private final boolean copyIntoEmpty;

    public LoadEngine(LoadSpec spec) {
        this(spec, true);
    }

    /**
     * An engine whose MERGE into an empty target (without row-level security) COPYs the rows straight into it when
     * {@code copyIntoEmpty}; otherwise it always stages and merges, so its statements do not depend on whether an
     * earlier load of the transaction left rows ({@code loadAll} in OVERWRITE, whose plan is shown before).
     */
    public LoadEngine(LoadSpec spec, boolean copyIntoEmpty) {
        this.copyIntoEmpty = copyIntoEmpty;
        this.spec = spec;
        this.target = spec.target();
        this.statements = new LoadStatements(spec);
        this.onRefusal = new RefusedWrites(spec, target, statements);
    }

    // ------------------------------------------------------------------------------------------ record batches

    /** Loads a record batch on {@code c}, inside its current transaction. */
    public LoadResult load(Connection c, RecordBatch batch) {
        return load(c, batch, WriteTurn.NOW);
    }

    /**
     * Loads a record batch on {@code c}, inside its current transaction, starting its write step (the target's
     * load lock) only on its {@code turn}.
     */
    public LoadResult load(Connection c, RecordBatch batch, WriteTurn turn) {
        return load(c, batch, turn, true);
    }

    /**
     * Loads the first batch of a stream that {@code loadAll} in OVERWRITE replaces the table with: as {@link #load},
     * except that an overwrite whose every record is refused is not refused here (later batches may bring rows; the
     * stream as a whole is checked by {@link #everyRecordRefused}).
     */
    public LoadResult loadFirstOfStream(Connection c, RecordBatch batch) {
        return load(c, batch, WriteTurn.NOW, false);
    }

    private LoadResult load(Connection c, RecordBatch batch, WriteTurn turn, boolean wholeOverwrite) {
        if (spec.mode() == SyncMode.CDC) {
            throw new IllegalStateException("loader into " + target + " is in mode CDC: it applies ChangeBatches;"
                    + " load a RecordBatch with mode APPEND, OVERWRITE or MERGE");
        }
        long t0 = System.nanoTime();
        List<String> key = spec.key();
        Rejects rejects = new Rejects(batch.schema().names(), key);
        sourceRejects(batch, rejects);
        Optional<Map<String, TargetColumn>> seen = TargetColumn.read(c, target);
        Plan plan = Plan.of(spec, batch.schema(), key, seen, false, new BitSet(), batch.records());
        refuseRowsOfNoColumn(batch, plan);
        PinnedDateStyle dates = new PinnedDateStyle(spec);
        dates.pin(c, plan);   // before the key and cursor comparisons, which read text as the column's type
        batch = integralKeys(batch, plan);
        List<Row> rows = spec.mode() == SyncMode.APPEND || key.isEmpty()
                ? checked(batch, plan, rejects)
                : collapsed(batch, plan, canonicalKeys(c, batch, plan), cursorRanks(c, batch, plan), rejects);
        Planned planned = new Planned(batch, seen, plan, dates);
        long[] counts = noColumn(plan) ? withoutColumns(c, turn) : switch (spec.mode()) {
            case APPEND -> append(c, planned, rows, rejects, turn);
            case OVERWRITE -> overwrite(c, planned, rows, rejects, turn);
            default -> merge(c, planned, rows, rejects, turn);
        };
        if (wholeOverwrite && spec.mode() == SyncMode.OVERWRITE && counts[0] == 0 && rejects.size() > 0) {
            List<String> refusals = new ArrayList<>();
            for (Object[] r : rejects.rows) {
                refusals.add((r[0] == null ? "" : "record " + r[0]) + (r[1] == null ? "" : " (key " + r[1] + ")")
                        + (r[0] == null && r[1] == null ? "" : ": ") + r[2]);
            }
            throw everyRecordRefused(c, "batch", rejects.size(), batch.size() + batch.rejected().size(), refusals);
        }
        writeRejects(c, rejects);
        dates.restore(c);
        return result(counts, rows.size(), rejects, t0);
    }

    /**
     * Whether the batch gives the target no column to write: no field and no load timestamp (APPEND or OVERWRITE; such
     * a batch with records is refused, see {@link #refuseRowsOfNoColumn}).
     */
    private boolean noColumn(Plan plan) {
        return plan.columns.isEmpty() && spec.loadTimestamp().isEmpty() && spec.mode() != SyncMode.CDC;
    }

    /**
     * The write step of a batch of no column and no record (an empty input read without a declared schema): no table
     * is created, since it would have no column (and a table without columns reads as missing, so the next load would
     * try to create it again); an OVERWRITE empties an existing target, as a stream of no batch does.
     */
    private long[] withoutColumns(Connection c, WriteTurn turn) {
        turn.await();
        lock(c);
        long old = spec.mode() == SyncMode.OVERWRITE ? emptied(c, TargetColumn.read(c, target)) : 0;
        return new long[] {0, 0, old};
    }

    /**
     * Refuses, before anything is written, a batch whose records have no field to write while the loader has no load
     * timestamp: each record would be a row of no column (and the COPY's empty column list is PostgreSQL's syntax
     * error). Airbyte loads a stream without properties as rows holding only its meta columns; mds's one is the load
     * timestamp, with which such records load as rows holding only their load time. A batch without records passes (an
     * empty file's batch still empties an overwritten table). MERGE has refused the missing key already.
     */
    private void refuseRowsOfNoColumn(RecordBatch batch, Plan plan) {
        if (!plan.columns.isEmpty() || spec.loadTimestamp().isPresent() || batch.isEmpty()) {
            return;
        }
        String from = batch.position().map(p -> ", source " + p.source()
                + p.getLong("record").map(r -> " up to record " + r).orElse("")).orElse("");
        throw new dev.mds.core.SchemaMismatchException(target, List.of(), "the batch's " + batch.size() + " records have no field"
                + " (the batch's schema is empty" + from + "), so each would be a row of no column: give the loader a"
                + " loadTimestamp(...) column to load them as rows holding only their load time (as Airbyte keeps a stream"
                + " without properties as rows of its meta columns), or give the source the columns it should read;"
                + " nothing of this batch was loaded");
    }

    /**
     * The failure of an OVERWRITE whose every record was refused (set aside under {@link OnBadRow#DEAD_LETTER}): it
     * would leave the table empty, which one bad file (day-first dates, a wrong decimal separator) should not do. The
     * load's transaction is made to fail on the server (a caller's too, which must then roll back, as after any failed
     * load), so the truncate (or delete), the COPY and the dead letters are undone and the table keeps its rows. An
     * overwrite of no records at all still empties the table.
     *
     * @param what "batch" or "stream"
     * @param refusals the refused records with their reasons, as far as known (the first few are named)
     */
    public BadInputException everyRecordRefused(Connection c, String what, long refused, long records, List<String> refusals) {
        StringBuilder m = new StringBuilder("OVERWRITE refused every record of the ").append(what).append(" (")
                .append(refused).append(" refused of ").append(records).append(" records; onBadRow(")
                .append(spec.onBadRow()).append(spec.onBadRow() == OnBadRow.SKIP ? ") would have dropped them"
                        : ") would have set them aside in " + LoadStatements.suffixed(target, "_rejected"))
                .append(") and would have left the table empty, so"
                        + " nothing of this ").append(what).append(" was loaded: the table keeps its rows and no dead letter is stored"
                        + " (an overwrite with no records at all still empties the table)");
        int shown = Math.min(5, refusals.size());
        if (shown > 0) {
            m.append("; refused: ").append(String.join("; ", refusals.subList(0, shown)));
            if (refusals.size() > shown) {
                m.append("; and ").append(refusals.size() - shown).append(" more");
            }
        }
        SQLException cause = abort(c, "an overwrite whose every record was refused is rolled back");
        return new BadInputException(InputLocation.of(target.toString()), m.toString(), cause);
    }

    /**
     * The batch with its key and cursor values as an integer column stores them: a whole decimal or double as the long
     * the COPY writes ({@link CanonicalText#integral}), so that keys and cursors are compared in Java as the database
     * holds them ({@code 5} and {@code 5.0} are one bigint key; the database cannot read {@code '5.0'} as a bigint to
     * say so). The batch itself when no key or cursor column is such a column.
     */
    private RecordBatch integralKeys(RecordBatch batch, Plan plan) {
        List<String> names = new ArrayList<>(plan.key);
        spec.cursor().ifPresent(names::add);
        List<Integer> columns = new ArrayList<>();
        for (String name : names) {
            int i = plan.schema.indexOf(name);
            dev.mds.core.FieldType.Kind kind = plan.schema.field(i).type().kind();
            if (CanonicalText.INTEGER_COLUMNS.contains(plan.baseTypeNames.get(name))
                    && (kind == dev.mds.core.FieldType.Kind.DECIMAL || kind == dev.mds.core.FieldType.Kind.DOUBLE)) {
                columns.add(i);
            }
        }
        if (columns.isEmpty()) {
            return batch;
        }
        List<Record> out = new ArrayList<>(batch.size());
        for (Record r : batch.records()) {
            Record x = r;
            for (int i : columns) {
                Object v = r.get(i);
                Object w = CanonicalText.integral(v);
                if (w != v) {
                    x = x.with(i, w);
                }
            }
            out.add(x);
        }
        return new RecordBatch(batch.schema(), out, batch.position(), batch.rejected());
    }

    /**
     * A record batch's plan, made before the load lock against the target's columns as they were then ({@code seen}).
     */
    private record Planned(RecordBatch batch, Optional<Map<String, TargetColumn>> seen, Plan plan, PinnedDateStyle dates) {
    }

    /**
     * The plan for the target's columns as read under the load lock ({@code now}): the one made before when they are
     * unchanged, else one made again against them. Another load (or a person) may have created the table, or added,
     * widened or retyped a column, while this one waited for the lock: its batch is then checked (types, values that
     * would be rounded, new columns) against the table it will write, not the one it saw.
     */
    private Plan under(Connection c, Planned planned, Optional<Map<String, TargetColumn>> now) {
        if (now.equals(planned.seen())) {
            return planned.plan();
        }
        LOG.debug("{}: the table changed while the load waited for its lock; planning again", target);
        Plan plan = Plan.of(spec, planned.batch().schema(), planned.plan().key, now, false, new BitSet(), planned.batch().records());
        planned.dates().pin(c, plan);   // a date column made meanwhile
        return plan;
    }

    /**
     * Whether two plans stage the batch's columns in the same types, by catalog name and modifier (a table the load
     * planned to create spells {@code timestamptz} where the catalog writes {@code timestamp with time zone}).
     */
    private static boolean sameStage(Plan a, Plan b) {
        for (String col : a.columns) {
            if (!java.util.Objects.equals(a.typeNames.get(col), b.typeNames.get(col))
                    || !Arrays.equals(Widening.modifier(a.types.get(col)), Widening.modifier(b.types.get(col)))) {
                return false;
            }
        }
        return true;
    }

    private long[] append(Connection c, Planned planned, List<Row> rows, Rejects rejects, WriteTurn turn) {
        turn.await();
        lock(c);
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        Plan plan = under(c, planned, existing);
        ensureTarget(c, plan, existing);
        long n = directCopy(c, plan, statements.directCopySql(target, plan), rows, recordWriter(plan, loadTimestamp(c, plan)), rejects,
                existing);
        return new long[] {n, 0, 0};
    }

    /**
     * Replaces the target's rows in the caller's transaction: columns the batch adds, then {@code TRUNCATE} (or, with
     * {@link OverwriteMode#DELETE}, {@code DELETE}: see {@link #emptied}) and COPY. The relation stays, with its
     * grants, triggers, policies, owner, sequences, publications and the views on it; readers see the old rows until
     * the commit and then the new rows, never an empty or half-loaded table (TRUNCATE holds the table's ACCESS
     * EXCLUSIVE lock until then, so they wait; after a DELETE they read the old rows meanwhile). A failed load rolls
     * the truncate or delete back with the rest. The COPY goes straight into the target either way: a deleted row is
     * still in the table's pages until vacuum, but no statement of the load looks at pages (its emptiness checks,
     * {@code exists (select 1 …)}, see the transaction's own delete).
     */
    private long[] overwrite(Connection c, Planned planned, List<Row> rows, Rejects rejects, WriteTurn turn) {
        turn.await();
        lock(c);
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        Plan plan = under(c, planned, existing);
        ensureTarget(c, plan, existing);
        long old = emptied(c, existing);
        long n = directCopy(c, plan, statements.directCopySql(target, plan), rows, recordWriter(plan, loadTimestamp(c, plan)), rejects,
                existing);
        return new long[] {n, 0, old};
    }

    /**
     * Whether the target is empty and no row-level security applies to this role on it, in one query: then the
     * MERGE's rows are COPYed straight into it. COPY cannot write a table whose policies apply (PostgreSQL refuses
     * it), so such a table goes the stage and MERGE way, through its policies.
     */
    private boolean emptyWithoutRowSecurity(Connection c) {
        return queryLong(c, "select case when exists (select 1 from " + target.quoted() + ") or row_security_active("
                + PostgresDialect.INSTANCE.relationOid(target) + ") then 0 else 1 end") == 1;
    }

    /**
     * A COPY straight into the target ({@code existing}: its columns before this load). When the target has triggers
     * (foreign key checks are triggers) and bad rows fail the load, the COPY runs in the write step's savepoint:
     * such a check fails after the last row and names no line, and the refused records are then looked for as after
     * a refused MERGE ({@link RefusedWrites#byCopy}). Without triggers every refused row names its line, and no savepoint
     * is taken.
     */
    private long directCopy(Connection c, Plan plan, String sql, List<Row> rows, RowWriter writer, Rejects rejects,
            Optional<Map<String, TargetColumn>> existing) {
        boolean guarded = spec.onBadRow() == OnBadRow.FAIL && existing.isPresent()
                && existing.get().values().iterator().next().tableHasTriggers();
        try {
            if (!guarded) {
                return copy(c, plan, sql, rows, writer, rejects);
            }
            Sql.execute(c, "savepoint " + APPLY);
            long n;
            try {
                n = copy(c, plan, sql, rows, writer, rejects);
            } catch (MdsException e) {
                if (e instanceof BadInputException || !(e.getCause() instanceof SQLException x) || RefusedWrites.rowSecurity(x)
                        || !RefusedWrites.isRefusal(x)) {
                    throw e;
                }
                throw onRefusal.byCopy(c, plan, sql, rows, writer, stageWriter(plan), x, e);
            }
            Sql.execute(c, "release savepoint " + APPLY);
            return n;
        } catch (MdsException e) {
            if (e.getCause() instanceof SQLException x && RefusedWrites.rowSecurity(x)) {
                throw new MdsException(target + ": row-level security applies to this role on the table, and COPY cannot"
                        + " write such a table (mode " + spec.mode() + " COPYs straight into it): load it with mode MERGE,"
                        + " which writes through the table's policies, or as a role that bypasses row-level security;"
                        + " nothing of this batch was loaded: " + RefusedWrites.serverMessage(x), x);
            }
            throw e;
        }
    }

    /**
     * Empties the target inside the current transaction, as an overwrite with no rows would: the load lock, then
     * {@code TRUNCATE} (or {@code DELETE}) if the target exists (a missing target stays missing: there is no schema to
     * create it from). For {@code loadAll} in OVERWRITE over a stream without any batch.
     */
    public LoadResult emptyTarget(Connection c) {
        long t0 = System.nanoTime();
        lock(c);
        long old = emptied(c, TargetColumn.read(c, target));
        return result(new long[] {0, 0, old}, 0, new Rejects(), t0);
    }

    /**
     * Empties the target when it exists ({@code existing}: its columns), as {@link LoadSpec#overwriteMode} says,
     * returning the rows it held; else 0.
     *
     * <p>{@link OverwriteMode#DELETE} first takes the table's EXCLUSIVE lock, which plain readers (ACCESS SHARE) pass
     * and writers wait for, as behind a truncate, so that no other session's row written meanwhile outlives the
     * overwrite and the count read before the delete is the delete's. One query then counts the rows and names the
     * foreign keys whose {@code ON DELETE} would change another table (cascade, set null, set default): such a table
     * is refused before anything is deleted, and a delete that leaves rows (a {@code BEFORE DELETE} trigger returning
     * NULL, a rule, a policy) fails the load, each making the transaction fail on the server (a caller's too, so that
     * columns the batch added cannot commit); a delete a foreign key refuses fails naming the table, the constraint
     * and the referencing table.
     */
    private long emptied(Connection c, Optional<Map<String, TargetColumn>> existing) {
        if (existing.isEmpty()) {
            return 0;
        }
        if (spec.overwriteMode() == OverwriteMode.TRUNCATE) {
            long old = queryLong(c, "select count(*) from " + target.quoted());
            try {
                Sql.execute(c, emptyTargetSql());
            } catch (MdsException e) {
                if (e.getCause() instanceof SQLException x && "0A000".equals(x.getSQLState())
                        && String.valueOf(x.getMessage()).contains("foreign key")) {
                    throw new MdsException(target + ": OVERWRITE cannot truncate the table: " + reason(x) + "; nothing of"
                            + " this batch was loaded: the table keeps its rows (overwriteMode(OverwriteMode.DELETE)"
                            + " overwrites a table that foreign keys reference)", x);
                }
                throw e;
            }
            return old;
        }
        Sql.execute(c, lockForDeleteSql());
        String oid = PostgresDialect.INSTANCE.relationOid(target);
        String sql = "select (select count(*) from " + target.quoted() + "), (select string_agg(format('%I on %s (on delete"
                + " %s)', conname, conrelid::regclass, case confdeltype when 'c' then 'cascade' when 'n' then 'set null'"
                + " else 'set default' end), ', ' order by conname) from pg_catalog.pg_constraint where contype = 'f'"
                + " and confrelid = " + oid + " and conrelid <> " + oid + " and confdeltype in ('c', 'n', 'd'))";
        long old;
        String actions;
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            old = rs.getLong(1);
            actions = rs.getString(2);
            Sql.logged(sql, t0);
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        String mode = ": OVERWRITE with overwriteMode(DELETE) ";
        if (actions != null) {
            // the columns the batch added are undone too, in a caller's transaction as well
            SQLException cause = abort(c, "an overwrite that would change other tables is rolled back");
            throw new MdsException(target + mode + "refuses a table whose rows other tables reference with an ON DELETE"
                    + " action: deleting its rows would change theirs (" + actions + "); nothing of this batch was loaded:"
                    + " the table keeps its rows (make the constraints ON DELETE NO ACTION or RESTRICT, or overwrite with"
                    + " TRUNCATE)", cause);
        }
        long deleted;
        try {
            deleted = Sql.update(c, emptyTargetSql());
        } catch (MdsException e) {
            if (e.getCause() instanceof SQLException x && "23503".equals(x.getSQLState())) {
                throw new MdsException(target + mode + "cannot delete the table's old rows: rows of another table"
                        + " still reference them: " + reason(x) + "; nothing of this batch was loaded: the table keeps its"
                        + " rows", x);
            }
            throw e;
        }
        if (deleted != old) {
            SQLException cause = abort(c, "an overwrite whose delete kept rows is rolled back");
            throw new MdsException(target + mode + "deleted " + deleted + " of the table's " + old + " rows (a BEFORE"
                    + " DELETE trigger returning NULL, a rule or a row-level security policy kept the others), so the"
                    + " table would not be replaced; nothing of this batch was loaded: the table keeps its rows", cause);
        }
        return deleted;
    }

    /** The statement that empties the target: {@code truncate table <t>} or {@code delete from <t>}. */
    private String emptyTargetSql() {
        return (spec.overwriteMode() == OverwriteMode.TRUNCATE ? "truncate table " : "delete from ") + target.quoted();
    }

    /** The lock {@link OverwriteMode#DELETE} takes before its delete: readers pass it, writers wait (see {@link #emptied}). */
    private String lockForDeleteSql() {
        return "lock table " + target.quoted() + " in exclusive mode";
    }

    /**
     * After a load into a caller's transaction failed: makes that transaction fail on the server, so that the caller
     * cannot commit what the load wrote before its failure (a CDC batch's deletes and tombstones run before the MERGE
     * a constraint refuses; a table or column the load created) while the exception says nothing of the batch was
     * loaded. The caller must roll back, as {@code load(batch, connection)} says; a transaction already failed stays so.
     */
    public static void abortCallersTransaction(Connection c) {
        abort(c, "the load into this transaction failed, so it must be rolled back");
    }

    /**
     * Makes the current transaction fail on the server ({@code why} is its error), so that nothing of it can commit,
     * a caller's transaction included; returns that error.
     */
    private static SQLException abort(Connection c, String why) {
        try (Statement st = c.createStatement()) {
            st.execute("do $$begin raise exception 'mds.load: " + why + "'; end$$");
        } catch (SQLException e) {
            return e;   // expected: the transaction is aborted
        }
        return null;
    }

    private long[] merge(Connection c, Planned planned, List<Row> rows, Rejects rejects, WriteTurn turn) {
        Plan plan = planned.plan();
        boolean locked = turn.ready() && tryLock(c);
        if (locked) {
            Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
            plan = under(c, planned, existing);
            ensureTarget(c, plan, existing);
            if (copyIntoEmpty && emptyWithoutRowSecurity(c)) {
                long n = directCopy(c, plan, statements.directCopySql(target, plan), rows, recordWriter(plan, loadTimestamp(c, plan)),
                        rejects, existing);
                return new long[] {n, 0, 0};
            }
        }
        Sql.execute(c, statements.dropStage());
        Sql.execute(c, statements.createStage(plan));
        stageChecks(c, plan).forEach(check -> Sql.execute(c, check));
        long staged = copy(c, plan, statements.stageCopySql(), rows, recordWriter(plan, null), rejects);
        if (!locked) {
            turn.await();
            lock(c);
            Optional<Map<String, TargetColumn>> now = TargetColumn.read(c, target);
            Plan staging = plan;
            plan = under(c, planned, now);
            ensureTarget(c, plan, now);
            if (!sameStage(plan, staging)) {
                // staged in the types of the table as it was: staged again in those it has now (only after such a change)
                Sql.execute(c, statements.dropStage());
                Sql.execute(c, statements.createStage(plan));
                stageChecks(c, plan).forEach(check -> Sql.execute(c, check));
                staged = copy(c, plan, statements.stageCopySql(), rows, recordWriter(plan, null), rejects);
            }
        }
        long[] counts = mergeCounts(c, plan, statements.mergeSql(plan), staged, new RefusedWrites.MergeShape(STAGE_TABLE, statements.mergeMatched(plan), rows, rejects,
                recordWriter(plan, null)));
        Sql.execute(c, statements.dropStage());
        LOG.debug("{}: {} staged, {} inserted, {} updated", target, staged, counts[0], counts[1]);
        return new long[] {counts[0], counts[1], 0};
    }

    /** Rows of the batch as they come, NULL keys rejected. */
    private List<Row> checked(RecordBatch batch, Plan plan, Rejects rejects) {
        List<Row> rows = new ArrayList<>(batch.size());
        List<Record> records = batch.records();
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            if (plan.keyIndex.length > 0 && nullKeyColumn(r, plan) != null) {
                reject(rejects, r, i + 1, plan.keyText(r), nullKeyColumn(r, plan), "key column '" + nullKeyColumn(r, plan) + "' is NULL", null);
                continue;
            }
            rows.add(new Row(r, i + 1));
        }
        return rows;
    }

    /**
     * One row per key: the newest by cursor (NULL loses to any value), ties to the later record. Keys are equal as
     * the database compares them (see {@link #normalize} and {@link #canonicalKeys}).
     */
    private List<Row> collapsed(RecordBatch batch, Plan plan, List<Map<String, String>> canonical,
            Map<String, Long> cursorRanks, Rejects rejects) {
        List<Record> records = batch.records();
        if (canonical.isEmpty() && strictlyIncreasingKey(records, plan)) {
            // sorted input (extracts by key often are): no key repeats, no NULL key, no map needed
            List<Row> rows = new ArrayList<>(records.size());
            for (int i = 0; i < records.size(); i++) {
                rows.add(new Row(records.get(i), i + 1));
            }
            return rows;
        }
        int cursor = spec.cursor().map(plan.schema::indexOf).orElse(-1);
        boolean deadLetter = spec.onBadRow() != OnBadRow.FAIL;   // DEAD_LETTER or SKIP: set aside
        // with DEAD_LETTER and a cursor: the records that lost to a key's row, by its index (see fallbacks)
        Map<Integer, List<Row>> losers = deadLetter && cursor >= 0 ? new HashMap<>() : null;
        HashMap<Object, Integer> seen = new HashMap<>(Math.max(16, records.size() * 4 / 3 + 1));
        List<Row> rows = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            String nullKey = nullKeyColumn(r, plan);
            if (nullKey != null) {
                reject(rejects, r, i + 1, plan.keyText(r), nullKey, "key column '" + nullKey + "' is NULL", null);
                continue;
            }
            Object k = canonical.isEmpty() ? keyOf(r, plan.keyIndex) : keyOf(r, plan.keyIndex, canonical);
            Integer prev = seen.putIfAbsent(k, rows.size());
            if (prev == null) {
                rows.add(new Row(r, i + 1));
            } else if (cursor < 0 || wins(r.get(cursor), rows.get(prev).values.get(cursor), cursorRanks, i + 1, r, plan)) {
                rows.set(prev, new Row(r, i + 1, deadLetter ? rows.get(prev) : null));
            } else if (losers != null) {
                losers.computeIfAbsent(prev, x -> new ArrayList<>()).add(new Row(r, i + 1));
            }
        }
        if (losers != null) {
            losers.forEach((at, lost) -> rows.set(at, fallbacks(rows.get(at), lost, cursor, cursorRanks, plan)));
        }
        return rows;
    }

    /**
     * A key's row whose {@link Row#before} chain holds every other record of the key, newest by cursor first (a NULL
     * cursor last, ties to the later record): what the batch keeps when DEAD_LETTER sets the row aside is then the record
     * it would have kept without it, wherever that stands in the batch. {@code lost}: the records that came after the
     * row and lost to it; the chain holds those it replaced.
     */
    private Row fallbacks(Row row, List<Row> lost, int cursor, Map<String, Long> ranks, Plan plan) {
        List<Row> others = new ArrayList<>(lost);
        for (Row x = row.before; x != null; x = x.before) {
            others.add(x);
        }
        others.sort((a, b) -> {
            int newer = compareCursor(b.values.get(cursor), a.values.get(cursor), ranks, b.recordNumber, b.values, plan);
            return newer != 0 ? newer : Long.compare(b.recordNumber, a.recordNumber);
        });
        Row chain = null;
        for (int k = others.size() - 1; k >= 0; k--) {
            chain = others.get(k).withBefore(chain);
        }
        return row.withBefore(chain);
    }

    /** Catalog types whose equality is Java's {@code String.equals} for the text of a value. */
    private static final Set<String> TEXT_TYPES = Set.of("text", "varchar");

    /**
     * For a key column where Java's equality of the batch's values is not the database's, one
     * representative of the values the database finds equal, read in one query; otherwise Java's string equality
     * would stage both and the MERGE would fail on a key it meets twice. That is the case for strings in a column
     * whose type is not text ({@code '01'} and {@code '1'} are one int8, an upper- and a lower-case uuid one uuid,
     * {@code '1.0'} and {@code '1.00'} one numeric, any case one citext) and, for every value, in a column whose type
     * rounds ({@code numeric(10,1)} stores 1.54 and 1.5 as one value, {@code timestamptz(0)} two instants of one
     * second), whose collation is nondeterministic, or whose batch values are of several Java classes (a Long and a
     * BigDecimal of one numeric). Per key position a map from a value's text to its representative, or null where
     * the values are compared as they are; empty when no key column needs it. A value the database cannot read
     * leaves the values as they are (the COPY then reports it with its record). A key column the load creates (a
     * first load) is compared as the type it is created with: its first COPY would refuse a second row of one key.
     */
    private List<Map<String, String>> canonicalKeys(Connection c, RecordBatch batch, Plan plan) {
        List<List<Object>> columns = new ArrayList<>(plan.keyIndex.length);
        for (int k = 0; k < plan.keyIndex.length; k++) {
            int index = plan.keyIndex[k];
            columns.add(new java.util.AbstractList<>() {
                @Override
                public Object get(int i) {
                    return batch.records().get(i).get(index);
                }

                @Override
                public int size() {
                    return batch.size();
                }
            });
        }
        return canonicalKeys(c, columns, plan);
    }

    /**
     * As {@link #canonicalKeys(Connection, RecordBatch, Plan)}, for a change batch: the key values of its events (the
     * event's key when it gives the plan's key columns, and the key columns of its before and after images), so that its
     * fold takes keys the database finds equal ({@code 'a'} and {@code 'a  '} in a {@code char(3)} key, a uuid given as
     * text in either case) for one key, as MERGE does, instead of staging both and failing on the table's unique key.
     * Costs nothing (no query) unless a key column is such a column.
     */
    private List<Map<String, String>> canonicalKeys(Connection c, ChangeBatch batch, Plan plan) {
        boolean keyFromEvent = plan.key.equals(batch.keyColumns());
        int width = batch.schema().size();
        List<List<Object>> columns = new ArrayList<>(plan.keyIndex.length);
        for (int k = 0; k < plan.keyIndex.length; k++) {
            columns.add(new ArrayList<>());
        }
        for (ChangeEvent e : batch.events()) {
            for (int k = 0; k < plan.keyIndex.length; k++) {
                if (keyFromEvent && e.key().size() == plan.keyIndex.length) {
                    columns.get(k).add(e.key().get(k));
                }
                for (Optional<Record> image : List.of(e.before(), e.after())) {
                    if (image.isPresent() && image.get().size() == width) {
                        columns.get(k).add(image.get().get(plan.keyIndex[k]));
                    }
                }
            }
        }
        return canonicalKeys(c, columns, plan);
    }

    /** {@link #canonicalKeys(Connection, RecordBatch, Plan)} over each key column's values ({@code columns}, by key position). */
    private List<Map<String, String>> canonicalKeys(Connection c, List<List<Object>> columns, Plan plan) {
        List<Map<String, String>> out = new ArrayList<>();
        boolean any = false;
        for (int k = 0; k < plan.keyIndex.length; k++) {
            String col = plan.key.get(k);
            Map<String, String> canonical = null;
            String collation = plan.nondeterministic.get(col);
            boolean every = collation != null || rounds(plan.types.get(col)) || mixedClasses(columns.get(k));
            boolean strings = !TEXT_TYPES.contains(plan.baseTypeNames.get(col));
            Set<String> values = new LinkedHashSet<>();
            for (Object v : columns.get(k)) {
                if (Unchanged.is(v)) {
                    continue;
                }
                if (v instanceof String t && (strings || every)) {
                    values.add(t);
                } else if (v != null && every) {
                    values.add(CopyText.valueText(v));
                }
            }
            if (!values.isEmpty()) {
                canonical = databaseText(c, values, plan.types.get(col) + (collation == null ? "" : " COLLATE " + collation));
            }
            any |= canonical != null;
            out.add(canonical);
        }
        return any ? out : List.of();
    }

    /** Whether a column type rounds or cuts the values it stores: a numeric with a scale, a time with a precision. */
    private static boolean rounds(String sqlType) {
        return sqlType.startsWith("numeric(") || sqlType.startsWith("timestamp(") || sqlType.startsWith("time(")
                || sqlType.startsWith("interval");
    }

    /** Whether the non-null values of a batch column are of more than one Java class. */
    private static boolean mixedClasses(List<Object> column) {
        Class<?> first = null;
        for (Object v : column) {
            if (v != null && !Unchanged.is(v)) {
                if (first == null) {
                    first = v.getClass();
                } else if (v.getClass() != first) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * For each value, one value of those the database finds equal to it as {@code type} (the least of them): by the
     * type's equality, not its text, since equal values can print differently ({@code numeric} 1.0 and 1.00, an
     * {@code interval} of a day and of 24 hours). Null when the database cannot read one of them as that type.
     */
    private Map<String, String> databaseText(Connection c, Set<String> values, String sqlType) {
        String sql = "select u.v, min(u.v) over (partition by u.v::" + sqlType + ") from unnest(?::text[]) u(v)";
        Map<String, String> canonical = new HashMap<>(Math.max(16, values.size() * 4 / 3 + 1));
        return readable(c, sql, values, rs -> canonical.put(rs.getString(1), rs.getString(2))) ? canonical : null;
    }

    /** One row of a query over a text array. */
    private interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    /**
     * Runs {@code sql} with {@code values} as its text-array parameter inside a savepoint, handing each row to
     * {@code reader}; false (the savepoint undone) when the database cannot read one of the values as the type the
     * query casts them to.
     */
    private boolean readable(Connection c, String sql, Set<String> values, RowReader reader) {
        long t0 = System.nanoTime();
        Savepoint sp = null;
        try {
            sp = c.setSavepoint();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setArray(1, c.createArrayOf("text", values.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        reader.read(rs);
                    }
                }
            }
            c.releaseSavepoint(sp);
            Sql.logged(sql + " [" + values.size() + " values]", t0);
            return true;
        } catch (SQLException e) {
            if (sp == null) {
                throw Sql.failed(sql, e);
            }
            try {
                c.rollback(sp);
                c.releaseSavepoint(sp);
            } catch (SQLException r) {
                e.addSuppressed(r);
                throw Sql.failed(sql, e);
            }
            LOG.debug("{}: values not all readable as the column's type ({}); comparing them as given", target, reason(e));
            return false;
        }
    }

    /** Whether a one-column key holds integers or strings in strictly increasing order (so each key once). */
    private static boolean strictlyIncreasingKey(List<Record> records, Plan plan) {
        if (plan.keyIndex.length != 1) {
            return false;
        }
        int k = plan.keyIndex[0];
        Object prev = null;
        for (Record r : records) {
            Object v = r.get(k);
            if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                if (prev != null && (!(prev instanceof Long p) || p >= ((Number) v).longValue())) {
                    return false;
                }
                prev = ((Number) v).longValue();
            } else if (v instanceof String t) {
                if (prev != null && (!(prev instanceof String p) || p.compareTo(t) >= 0)) {
                    return false;
                }
                prev = t;
            } else {
                return false;
            }
        }
        return true;
    }

    /**
     * The rank, in the database's order of the cursor column's type, of each distinct string the batch gives as a
     * cursor value ({@code "10"} after {@code "9"} in a {@code bigint} column, which Java's string order puts first),
     * and, when the batch mixes strings with values of other classes ({@code "3"} and {@code 3L}), of those values'
     * text ({@link CopyText#valueText}) too, read in one query. The same when the batch's cursor values are of classes
     * Java cannot compare with each other ({@code 5L} and {@code 4.5} of a decimal or double column, as a JSON source
     * gives whole numbers and others): ranked as the database orders them. Null when there is no cursor, no string
     * cursor value to compare with another and a single class, or the database cannot read one of them as that type
     * (the COPY then reports it with its record).
     */
    private Map<String, Long> cursorRanks(Connection c, RecordBatch batch, Plan plan) {
        if (spec.cursor().isEmpty() || spec.mode() == SyncMode.APPEND || plan.key.isEmpty()) {
            return null;
        }
        String col = spec.cursor().get();
        int cursor = plan.schema.indexOf(col);
        Set<String> values = new LinkedHashSet<>();
        Set<String> others = new LinkedHashSet<>();
        Class<?> first = null;
        boolean mixed = false;
        for (Record r : batch.records()) {
            Object v = r.get(cursor);
            if (v instanceof String s) {
                values.add(s);
            } else if (v != null) {
                others.add(CopyText.valueText(v));
                Class<?> k = comparedClass(v);
                mixed |= first != null && k != first;
                first = first == null ? k : first;
            }
        }
        if (!mixed && (values.isEmpty() || values.size() < 2 && others.isEmpty())) {
            return null;
        }
        values.addAll(others);
        String sql = "select u.v, dense_rank() over (order by u.v::" + plan.types.get(col) + ") from unnest(?::text[]) u(v)";
        Map<String, Long> ranks = new HashMap<>(Math.max(16, values.size() * 4 / 3 + 1));
        return readable(c, sql, values, rs -> ranks.put(rs.getString(1), rs.getLong(2))) ? ranks : null;
    }

    /** Whether a later record's cursor {@code newer} wins over {@code older}: it is not older (ties go to the later). */
    private boolean wins(Object newer, Object older, Map<String, Long> ranks, long recordNumber, Record r, Plan plan) {
        return compareCursor(newer, older, ranks, recordNumber, r, plan) >= 0;
    }

    /** Cursor values in the database's order of the column's type, NULL before any value. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private int compareCursor(Object newer, Object older, Map<String, Long> ranks, long recordNumber, Record r, Plan plan) {
        if (newer == null) {
            return older == null ? 0 : -1;
        }
        if (older == null) {
            return 1;
        }
        if (ranks != null && (newer instanceof String || older instanceof String
                || comparedClass(newer) != comparedClass(older))) {
            // a string, or values of classes Java does not compare with each other (a Long and a BigDecimal): compared
            // as the database orders the column's type
            return Long.compare(ranks.get(cursorText(newer)), ranks.get(cursorText(older)));
        }
        try {
            return ((Comparable) normalize(newer)).compareTo(normalize(older));
        } catch (ClassCastException e) {
            throw bad(recordNumber, plan.keyText(r), spec.cursor().orElse(null),
                    "cursor values " + Shown.value(newer) + " and " + Shown.value(older) + " cannot be compared", e);
        }
    }

    /** The class of {@link #normalize}'s result for {@code v}: values of one such class compare with each other. */
    private static Class<?> comparedClass(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return Long.class;
        }
        if (v instanceof Float) {
            return Double.class;
        }
        if (v instanceof OffsetDateTime || v instanceof ZonedDateTime) {
            return Instant.class;
        }
        return v.getClass();
    }

    /** A cursor value as {@link #cursorRanks} ranks it. */
    private static String cursorText(Object v) {
        return v instanceof String s ? s : CopyText.valueText(v);
    }

    private static String nullKeyColumn(Record r, Plan plan) {
        for (int i = 0; i < plan.keyIndex.length; i++) {
            if (r.get(plan.keyIndex[i]) == null) {
                return plan.key.get(i);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------ change batches

    /** Applies a change batch on {@code c}, inside its current transaction. */
    public LoadResult load(Connection c, ChangeBatch batch) {
        PinnedDateStyle dates = new PinnedDateStyle(spec);
        LoadResult r = apply(c, batch, dates);
        dates.restore(c);
        return r;
    }

    private LoadResult apply(Connection c, ChangeBatch batch, PinnedDateStyle dates) {
        if (spec.mode() != SyncMode.CDC) {
            throw new IllegalStateException("loader into " + target + " is in mode " + spec.mode()
                    + ": a ChangeBatch needs mode CDC");
        }
        long t0 = System.nanoTime();
        List<String> key = spec.key().isEmpty() ? batch.keyColumns() : spec.key();
        Rejects rejects = new Rejects(batch.schema().names(), key);
        // the lock first: when it is free (one CDC stream per table, the usual case) the columns read now stay
        // true for the whole load, so the catalog is read once per batch
        boolean locked = tryLock(c);
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        if (locked && existing.isEmpty() && onlySnapshotCompletes(batch)) {
            // an empty table's snapshot ended: its target gets the table's columns (the batch's schema is the one its
            // reads would have had), as a first read would have created it; nothing stored, nothing to remove. Without
            // the lock, the usual way below creates it under the lock, or sweeps what another load stored meanwhile
            ensureTarget(c, Plan.of(spec, batch.schema(), key, existing, true, new BitSet()), existing);
            return result(new long[3], 0, rejects, t0);
        }
        Plan probe = Plan.of(spec, batch.schema(), key, existing, true, new BitSet(), afterImages(batch));
        Folded folded = folded(batch, probe, canonicalKeys(c, batch, probe), rejects);
        LoadResult replaced = null;   // the stored rows deleted (marked) first, whose keys the MERGE writes again
        if (!folded.replacedDeletes().isEmpty()) {
            // whether they are deleted first depends on the target's unique indexes, which may change until the load
            // holds its lock and a lock on the table that keeps them from changing (a person's CREATE INDEX waits for
            // it, or it for that CREATE INDEX's commit): such a batch takes both before it stages, then reads again
            if (!locked) {
                lock(c);
                locked = true;
                existing = TargetColumn.read(c, target);
            }
            if (existing.isPresent()) {
                Sql.execute(c, lockIndexesSql());
                existing = TargetColumn.read(c, target);
            }
        }
        if (!folded.replacedDeletes().isEmpty() && existing.isPresent() && uniqueBeyondKey(c, key)) {
            // keys deleted and written again in this batch (a key swap through a temporary value, a delete and
            // re-insert) in a table unique on another column too: their stored rows are deleted first, as the source
            // did, so that the MERGE writing the new rows does not meet the old rows' values. Only then: a delete
            // reaches foreign keys and triggers the update it replaces would not. With SOFT deletes the rows are
            // marked deleted first, which helps a unique index that leaves marked rows out (where _deleted_at is null)
            replaced = load(c, new ChangeBatch(batch.table(), batch.schema(), batch.keyColumns(), folded.replacedDeletes(),
                    batch.position()));
        }
        List<Row> rows = folded.rows();
        BitSet unchanged = new BitSet();
        boolean deletes = false;
        boolean reads = false;
        for (Row last : rows) {
            // with DEAD_LETTER a refused row's earlier fold may be staged instead: it counts as well
            for (Row r = last; r != null; r = r.before) {
                deletes |= r.delete;
                reads |= r.read;
                if (!r.delete || r.withValues) {
                    for (int i = 0; i < r.values.size(); i++) {
                        if (Unchanged.is(r.values.get(i))) {
                            unchanged.set(i);
                        }
                    }
                }
            }
        }
        Plan plan = Plan.of(spec, batch.schema(), key, existing, true, unchanged, afterImages(batch));
        dates.pin(c, plan);
        TableName tombstones = statements.tombstones();
        Remembered remembered = null;
        long truncated = 0;
        long dropped = 0;   // replays from before the target's last truncate, reported as unchanged
        if (locked) {
            ensureTarget(c, plan, existing);
            if (folded.truncate().isPresent()) {
                truncated = truncate(c, folded.truncate().get(), tombstones);
            }
            remembered = remembered(c, tombstones, plan);
            if (remembered.truncatedAt().isPresent()) {
                List<Row> newer = newerThan(rows, remembered.truncatedAt().get());
                dropped = rows.size() - newer.size();
                rows = newer;
            }
            // the stage is needed to sweep: the keys of this batch
            boolean direct = folded.snapshotComplete().isEmpty() && unchanged.isEmpty() && !deletes
                    && remembered.tombstones() != Tombstones.SOME;
            if (direct && remembered.targetEmpty() && !remembered.rowSecurity()) {
                // a snapshot into an empty table (and no remembered deletes): COPY straight into it
                long n = directCopy(c, plan, statements.directCdcCopySql(plan), rows, directChangeWriter(plan, loadTimestamp(c, plan)),
                        rejects, existing);
                writeRejects(c, rejects);
                return result(new long[] {n, 0, truncated}, n + dropped, rejects, t0);
            }
            if (direct && !remembered.rowSecurity() && !rows.isEmpty() && onlyCreates(batch) && hasUniqueIndexOnKey(c, plan)) {
                // inserts of new keys (a stream of INSERTs): COPY straight into the target inside a savepoint; a key
                // that is there already (a replay) or a bad value undoes it and the batch goes the usual way. Only a
                // unique index on the key tells a replayed key: without one (a table the user created) the COPY
                // would insert it again
                long n = tryInsertOnly(c, plan, rows);
                if (n >= 0) {
                    writeRejects(c, rejects);
                    return result(new long[] {n, 0, truncated}, n + dropped, rejects, t0);
                }
            }
        }
        Sql.execute(c, statements.dropStage() + "; " + statements.createStage(plan));
        long staged = copy(c, plan, statements.stageCopySql(), rows, changeWriter(plan), rejects);
        if (!locked) {
            lock(c);
            Optional<Map<String, TargetColumn>> now = TargetColumn.read(c, target);
            if (!now.equals(existing)) {
                // another load (or a person) created the table or changed a column while this one waited for the
                // lock: the batch is checked against the table it will write (as a record batch is, see under)
                LOG.debug("{}: the table changed while the load waited for its lock; planning again", target);
                Plan staging = plan;
                plan = Plan.of(spec, batch.schema(), key, now, true, unchanged, afterImages(batch));
                dates.pin(c, plan);
                ensureTarget(c, plan, now);
                if (!sameStage(plan, staging)) {
                    // staged in the types of the table as it was: staged again in those it has now
                    Sql.execute(c, statements.dropStage() + "; " + statements.createStage(plan));
                    staged = copy(c, plan, statements.stageCopySql(), rows, changeWriter(plan), rejects);
                }
            } else {
                ensureTarget(c, plan, now);
            }
            if (folded.truncate().isPresent()) {
                truncated = truncate(c, folded.truncate().get(), tombstones);
            }
            remembered = remembered(c, tombstones, plan);
            if (remembered.truncatedAt().isPresent()) {
                // as newerThan, for the rows staged before the lock
                Sql.update(c, "delete from " + STAGE_TABLE + " s where not s." + Identifiers.quote(S_READ) + " and "
                        + LoadStatements.position("s") + " <= " + LoadStatements.positionLiteral(remembered.truncatedAt().get()));
            }
        }
        // Under the lock only mds loads of this target write its tombstones: statements that cannot change
        // anything (no deletes in the batch, no remembered deletes) are left out.
        boolean useTombstones = remembered.tombstones() == Tombstones.SOME;
        if (!plan.unchanged.isEmpty()) {
            staged -= refuseUnchangedInserts(c, plan, tombstones, useTombstones, reads, rows, rejects);
        }
        if (deletes && remembered.tombstones() == Tombstones.NO_TABLE) {
            Sql.execute(c, statements.createTombstones(plan, tombstones));
        }
        // Deletes before upserts: after the fold a key is either deleted or upserted, so the order changes no key's
        // outcome, but a primary-key update (a delete of the old key, an insert of the new) into a target unique on
        // another column too must lose its old row before the new one is written
        long deleted = deletes ? cdcDeletes(c, plan, rows, tombstones, rejects) : 0;
        int rejectedBefore = rejects.size();
        long[] counts = mergeCounts(c, plan, statements.cdcUpsertSql(plan, tombstones, useTombstones, reads), staged,
                new RefusedWrites.MergeShape(statements.cdcUpsertSource(plan, tombstones, useTombstones, reads), LoadStatements.cdcMatched(reads), rows, rejects,
                        changeWriter(plan)));
        staged -= counts[2];
        if (deletes && rejects.size() > rejectedBefore) {
            // DEAD_LETTER staged a refused upsert's earlier events in its place, which may be a delete (counts[2], the
            // rows the stage lost, is 0 when each refused row has such a fallback: it cannot tell)
            deleted += cdcDeletes(c, plan, rows, tombstones, rejects);
        }
        if (useTombstones) {
            Sql.update(c, statements.cdcForgetTombstonesSql(plan, tombstones, reads));
        }
        if (folded.snapshotComplete().isPresent()) {
            deleted += Sql.update(c, statements.sweepSql(plan, folded.snapshotComplete().get()));
        }
        // the stage goes at commit (on commit drop); a later load in this transaction drops it first
        if (replaced != null && replaced.deleted() > 0) {
            // a row deleted first and written again by the MERGE was updated, as the same batch reports into a target
            // without the index (under SOFT the MERGE counted it so); one whose new row was set aside stays deleted
            long setAside = rejects.size() == 0 ? 0 : setAside(folded.replacedKeys(), rows, plan, folded.canonical());
            long stayDeleted = Math.min(replaced.deleted(), setAside);
            long moved = spec.deleteMode() == DeleteMode.HARD ? Math.min(replaced.deleted() - stayDeleted, counts[0]) : 0;
            counts[0] -= moved;
            counts[1] += moved;
            deleted += stayDeleted;
        }
        LOG.debug("{}: {} events staged, {} inserted, {} updated, {} deleted", target, staged, counts[0], counts[1], deleted);
        writeRejects(c, rejects);
        return result(new long[] {counts[0], counts[1], deleted + truncated}, staged + dropped, rejects, t0);
    }

    /**
     * Applies the staged deletes (SOFT: marks the rows) in the write step's savepoint, then records their tombstones.
     * With SOFT and {@link OnBadRow#DEAD_LETTER}, values a delete carried that the table refuses are set aside and the
     * delete runs again (see {@link RefusedWrites#byDelete(Connection, Plan, List, Rejects, RowWriter, SQLException,
     * MdsException)}).
     *
     * @return rows deleted or marked
     */
    private long cdcDeletes(Connection c, Plan plan, List<Row> rows, TableName tombstones, Rejects rejects) {
        String sql = SAVEPOINT_APPLY + statements.cdcDeleteSql(plan);
        long deleted = 0;
        for (boolean done = false; !done; ) {
            long t0 = System.nanoTime();
            try (Statement st = c.createStatement()) {
                boolean results = st.execute(sql);   // the savepoint's result, then the delete's
                while (results || st.getLargeUpdateCount() != -1) {
                    if (!results) {
                        deleted = st.getLargeUpdateCount();
                    }
                    results = st.getMoreResults();
                }
                Sql.logged(sql, t0);
                done = true;
            } catch (SQLException x) {
                MdsException e = Sql.failed(sql, x);
                if (!RefusedWrites.isRefusal(x)) {
                    throw e;
                }
                // SOFT with DEAD_LETTER: the values a delete carried may be set aside, the delete staged again
                Optional<RefusedRowsException> refused = onRefusal.byDelete(c, plan, rows, rejects, changeWriter(plan), x, e);
                if (refused.isPresent()) {
                    throw refused.get();
                }
            }
        }
        Sql.update(c, RELEASE_APPLY + statements.cdcTombstoneSql(plan, tombstones));
        return deleted;
    }

    /**
     * The rows newer than the target's last truncate: replays from before it stay out, as a tombstone keeps out a
     * deleted key's (a snapshot read is the source's state: it stays in).
     */
    private static List<Row> newerThan(List<Row> rows, EventPosition truncatedAt) {
        List<Row> newer = new ArrayList<>(rows.size());
        for (Row r : rows) {
            Row kept = newerThan(r, truncatedAt);
            if (kept != null) {
                newer.add(kept);
            }
        }
        return newer;
    }

    /**
     * The row, its {@link Row#before} chain cut where it reaches back before the truncate; null when it is older.
     * Iterative: a key updated many times in one batch has a long chain.
     */
    private static Row newerThan(Row r, EventPosition truncatedAt) {
        List<Row> kept = new ArrayList<>(r.before == null ? 1 : 4);
        for (Row x = r; x != null && (x.read || new EventPosition(x.commit, x.change).compareTo(truncatedAt) > 0); x = x.before) {
            kept.add(x);
        }
        Row out = null;   // rebuilt from the oldest kept; unchanged rows are reused (withBefore)
        for (int i = kept.size() - 1; i >= 0; i--) {
            out = kept.get(i).withBefore(out);
        }
        return out;
    }

    private static boolean onlySnapshotCompletes(ChangeBatch batch) {
        for (ChangeEvent e : batch.events()) {
            if (e.operation() != ChangeEvent.Operation.SNAPSHOT_COMPLETE) {
                return false;
            }
        }
        return true;
    }

    private static boolean onlyCreates(ChangeBatch batch) {
        for (ChangeEvent e : batch.events()) {
            if (e.operation() != ChangeEvent.Operation.CREATE) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the target has a valid, immediate, non-partial unique index (or primary key) on exactly the key
     * columns, so that a COPY of a key already there fails instead of inserting it a second time.
     */
    private boolean hasUniqueIndexOnKey(Connection c, Plan plan) {
        try {
            for (PostgresDialect.UniqueKey k : PostgresDialect.INSTANCE.uniqueKeys(c, target)) {
                if (k.columns().size() == plan.key.size() && k.columns().containsAll(plan.key)) {
                    return true;
                }
            }
            return false;
        } catch (SQLException e) {
            throw new MdsException(target + ": cannot read its unique indexes: " + e.getMessage(), e);
        }
    }

    /**
     * The lock a change batch that deletes keys and writes them again takes on the target before it reads its unique
     * indexes ({@link #uniqueBeyondKey}): the one its DELETE and MERGE take, which no index can be created or dropped
     * under (and which waits for an index being created to commit).
     */
    private String lockIndexesSql() {
        return "lock table " + target.quoted() + " in row exclusive mode";
    }

    /**
     * Whether the target has a unique index checked at each row (partial and on expressions too) or an exclusion
     * constraint, other than a plain unique index on exactly the key columns.
     */
    private boolean uniqueBeyondKey(Connection c, List<String> key) {
        String sql = "select i.indexprs is not null or i.indpred is not null or i.indisexclusion, array(select a.attname::text"
                + " from generate_series(0, i.indnkeyatts - 1) k join pg_catalog.pg_attribute a on a.attrelid = i.indrelid"
                + " and a.attnum = i.indkey[k]) from pg_catalog.pg_index i where i.indrelid = "
                + PostgresDialect.INSTANCE.relationOid(target) + " and (i.indisunique and i.indimmediate or i.indisexclusion)";
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            boolean beyond = false;
            while (rs.next() && !beyond) {
                List<String> columns = List.of((String[]) rs.getArray(2).getArray());
                beyond = rs.getBoolean(1) || columns.size() != key.size() || !columns.containsAll(key);
            }
            Sql.logged(sql, t0);
            return beyond;
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * COPYs the upserts straight into the target inside a savepoint, for a batch of inserts only; the target has a
     * unique index on the key (see {@link #hasUniqueIndexOnKey}).
     *
     * @return rows inserted, or -1 when the COPY failed (a key already there, a bad value) and was undone
     */
    private long tryInsertOnly(Connection c, Plan plan, List<Row> rows) {
        RowWriter writer = directChangeWriter(plan, loadTimestamp(c, plan));
        if (!writer.binaryFits(rows)) {
            return -1;
        }
        try {
            return writer.copy(c, statements.directCdcCopySql(plan), rows, true);
        } catch (SQLException e) {
            LOG.debug("{}: inserts-only COPY undone ({}), merging instead", target, reason(e));
            return -1;
        }
    }

    /**
     * Deletes the target's tombstones whose delete committed more than {@code age} ago, under the target's load
     * lock (so no CDC batch is deciding with them meanwhile); tombstones without a commit time stay.
     *
     * @return tombstones deleted (0 when the target has no tombstone table)
     */
    public long pruneTombstones(Connection c, java.time.Duration age) {
        if (age.isNegative()) {
            throw new IllegalArgumentException("age must not be negative: " + age);
        }
        lock(c);
        long pruned = 0;
        for (TableName remembered : List.of(statements.tombstones(), statements.truncated())) {
            if (exists(c, remembered)) {
                pruned += Sql.update(c, "delete from " + remembered.quoted() + " where " + Identifiers.quote(DELETED_AT)
                        + " < now() - make_interval(secs => " + age.toMillis() / 1000.0 + ")");
            }
        }
        return pruned;
    }

    /** What the tombstone table of a target holds. */
    private enum Tombstones { NO_TABLE, EMPTY, SOME }

    /**
     * What a target remembers of deletes: its tombstones, whether it is empty, and the position of the last
     * {@code TRUNCATE} applied; whether row-level security applies to this role on the
     * target (COPY cannot write it then).
     */
    private record Remembered(Tombstones tombstones, boolean targetEmpty, Optional<EventPosition> truncatedAt,
            boolean rowSecurity) {
    }

    /**
     * Reads what the target remembers, in one round trip when it has seen no truncate. A tombstone key column of another
     * type than the target's key column (a person widened the key, integer to bigint, as a refused wider key asks) is
     * given the target's type first: the tombstone of a key beyond the old type could not be stored, so every batch
     * deleting one failed ("integer out of range").
     */
    private Remembered remembered(Connection c, TableName tombstones, Plan plan) {
        long v = queryLong(c, "select case when " + PostgresDialect.INSTANCE.relationOid(tombstones) + " is null"
                + " then 0 else 2 end + case when exists (select 1 from " + target.quoted() + ") then 0 else 1 end"
                + " + case when " + PostgresDialect.INSTANCE.relationOid(statements.truncated()) + " is null then 0 else 4 end"
                + " + case when row_security_active(" + PostgresDialect.INSTANCE.relationOid(target) + ") then 8 else 0 end"
                + " + case when exists (select 1" + tombstoneKeyMismatch(tombstones, plan) + ") then 16 else 0 end");
        if ((v & 16) != 0) {
            alignTombstoneKeys(c, tombstones, plan).ifPresent(alter -> {
                LOG.info("{}: giving the tombstones' key columns the target's types: {}", target, alter);
                Sql.execute(c, alter);
            });
        }
        Tombstones t = (v & 2) == 0 ? Tombstones.NO_TABLE : isEmpty(c, tombstones) ? Tombstones.EMPTY : Tombstones.SOME;
        Optional<EventPosition> truncatedAt = Optional.empty();
        if ((v & 4) != 0) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select " + Identifiers.quote(COMMIT) + ", " + Identifiers.quote(CHANGE)
                         + " from " + statements.truncated().quoted())) {
                if (rs.next()) {
                    truncatedAt = Optional.of(new EventPosition(rs.getLong(1), rs.getLong(2)));
                }
            } catch (SQLException e) {
                throw new MdsException("cannot read the last truncate of " + target + ": " + e.getMessage(), e);
            }
        }
        return new Remembered(t, (v & 1) != 0, truncatedAt, (v & 8) != 0);
    }

    /**
     * From and where of the tombstones' key columns ({@code a}, joined to the target's column {@code b} of the name)
     * whose type differs from the target's; none when the tombstone table is missing.
     */
    private String tombstoneKeyMismatch(TableName tombstones, Plan plan) {
        StringJoiner keys = new StringJoiner(", ");
        for (String k : plan.key) {
            keys.add(Identifiers.literal(k));
        }
        return " from pg_catalog.pg_attribute a join pg_catalog.pg_attribute b on b.attname = a.attname"
                + " where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(tombstones) + " and b.attrelid = "
                + PostgresDialect.INSTANCE.relationOid(target) + " and a.attname in (" + keys + ") and not a.attisdropped"
                + " and not b.attisdropped and (a.atttypid, a.atttypmod) is distinct from (b.atttypid, b.atttypmod)";
    }

    /**
     * The ALTER giving the tombstones' key columns the target's key column types, each keeping its own collation;
     * empty when they have them.
     */
    private Optional<String> alignTombstoneKeys(Connection c, TableName tombstones, Plan plan) {
        String sql = "select string_agg('alter column \"' || replace(a.attname, '\"', '\"\"') || '\" type '"
                + " || format_type(b.atttypid, b.atttypmod)"
                + " || case when a.attcollation <> 0 and b.attcollation <> 0 then ' collate '"
                + " || a.attcollation::regcollation::text else '' end, ', ' order by a.attnum)" + tombstoneKeyMismatch(tombstones, plan);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            String alter = rs.next() ? rs.getString(1) : null;
            return alter == null ? Optional.empty() : Optional.of("alter table " + tombstones.quoted() + " " + alter);
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * The rows of a change batch, one per key; the batch's last {@code TRUNCATE} (the rows come after it) and its
     * last {@code SNAPSHOT_COMPLETE}.
     */
    private record Folded(List<Row> rows, Optional<ChangeEvent> truncate, Optional<ChangeEvent> snapshotComplete,
            List<ChangeEvent> replacedDeletes, List<Object> replacedKeys, List<Map<String, String>> canonical) {
    }

    /** How many of {@code keys} (as the fold keys them) have no upsert among {@code rows} any more. */
    private static long setAside(List<Object> keys, List<Row> rows, Plan plan, List<Map<String, String>> canonical) {
        java.util.Set<Object> written = new java.util.HashSet<>();
        for (Row r : rows) {
            if (!r.delete) {
                Object[] keyValues = new Object[plan.keyIndex.length];
                for (int k = 0; k < keyValues.length; k++) {
                    keyValues[k] = r.values.get(plan.keyIndex[k]);
                }
                written.add(keyOf(keyValues, canonical));
            }
        }
        return keys.stream().filter(k -> !written.contains(k)).count();
    }

    /**
     * One row per key: the events of a key folded in position order; unchanged markers filled from earlier events.
     * A {@code TRUNCATE} drops what the events before it folded: only what follows it is staged.
     */
    private Folded folded(ChangeBatch batch, Plan plan, List<Map<String, String>> canonical, Rejects rejects) {
        boolean keyFromEvent = plan.key.equals(batch.keyColumns());
        KeyMoves moves = keyMoves(batch.events(), plan, keyFromEvent);
        List<ChangeEvent> events = moves == null ? batch.events() : moves.events();
        int[] origin = moves == null ? null : moves.origin();   // null: events are the batch's; else each one's index in it
        int count = events.size();
        int[] order = null;   // null: the events are already in position order (the usual case), no sort needed
        for (int i = 1; i < count; i++) {
            if (events.get(i - 1).position().compareTo(events.get(i).position()) > 0) {
                Integer[] boxed = new Integer[count];
                for (int j = 0; j < count; j++) {
                    boxed[j] = j;
                }
                Arrays.sort(boxed, Comparator.comparing(j -> events.get(j).position()));   // stable
                order = new int[count];
                for (int j = 0; j < count; j++) {
                    order[j] = boxed[j];
                }
                break;
            }
        }
        boolean deadLetter = spec.onBadRow() != OnBadRow.FAIL;   // DEAD_LETTER or SKIP: set aside
        boolean soft = spec.deleteMode() == DeleteMode.SOFT;
        int width = batch.schema().size();
        int keyWidth = plan.keyIndex.length;
        HashMap<Object, Row> byKey = new LinkedHashMap<>(Math.max(16, count * 4 / 3 + 1));
        HashMap<Object, ChangeEvent> lastDelete = new HashMap<>();
        // a DEFERRABLE key: the key's other rows, beside the one in byKey, inside the transaction of that one (rare)
        HashMap<Object, List<Row>> beside = new HashMap<>();
        HashMap<Object, ChangeEvent> storedDeletes = new HashMap<>();   // deletes of the stored row left out of the fold
        Boolean fullImages = null;   // whether the batch's before images hold whole rows (REPLICA IDENTITY FULL), lazily
        ChangeEvent truncate = null;
        ChangeEvent snapshotComplete = null;
        for (int n = 0; n < count; n++) {
            int i = order == null ? n : order[n];
            ChangeEvent e = events.get(i);
            long number = (origin == null ? i : origin[i]) + 1L;
            if (e.operation().isTableWide()) {
                if (e.position().commit() < 0 || e.position().change() < 0) {
                    throw new IllegalArgumentException(target + " event " + number + ": " + e.operation() + " position "
                            + e.position() + " is beyond 2^63, which the loader cannot store");
                }
                if (e.operation() == ChangeEvent.Operation.TRUNCATE) {
                    byKey.clear();
                    lastDelete.clear();
                    beside.clear();
                    storedDeletes.clear();
                    truncate = e;
                } else {
                    snapshotComplete = e;
                }
                continue;
            }
            Object[] keyValues = new Object[keyWidth];
            Record image = e.after().or(e::before).orElse(null);
            boolean eventKey = keyFromEvent && e.key().size() == keyWidth;
            for (int k = 0; k < keyWidth; k++) {
                if (eventKey) {
                    keyValues[k] = e.key().get(k);
                } else if (image != null) {
                    keyValues[k] = image.get(plan.keyIndex[k]);
                } else {
                    throw new IllegalArgumentException(target + " event " + number + ": a " + e.operation()
                            + " event without a before image cannot give key column '" + plan.key.get(k) + "'");
                }
            }
            String nullKey = null;
            for (int k = 0; k < keyWidth && nullKey == null; k++) {
                if (keyValues[k] == null || Unchanged.is(keyValues[k])) {
                    nullKey = plan.key.get(k);
                }
            }
            if (nullKey != null) {
                reject(rejects, e.after().orElse(Record.of(keyValues)), number, plan.keyText(keyValues), nullKey,
                        "key column '" + nullKey + "' is NULL", null);
                continue;
            }
            if (e.position().commit() < 0 || e.position().change() < 0) {
                reject(rejects, e.after().orElse(Record.of(keyValues)), number, plan.keyText(keyValues), null,
                        "event position " + e.position() + " is beyond 2^63, which the loader cannot store", null);
                continue;
            }
            if (!e.isDelete() && e.after().get().size() != width) {
                reject(rejects, e.after().get(), number, plan.keyText(keyValues), null, "after image has "
                        + e.after().get().size() + " values but the schema has " + width + " columns", null);
                continue;
            }
            Object k = keyOf(keyValues, canonical);
            Row prev = byKey.get(k);
            Record folded;
            if (!beside.isEmpty() && prev != null && prev.commit != e.position().commit()) {
                beside.remove(k);   // prev's transaction committed with one row of the key at most: prev's
            }
            boolean sameTransaction = prev != null && !prev.delete && !prev.read && prev.commit == e.position().commit();
            List<Row> others = sameTransaction ? beside.get(k) : null;
            if (sameTransaction && (prev.besideStored || others != null) && e.before().isPresent()
                    && e.before().get().size() == width && (e.isDelete() || e.operation() == ChangeEvent.Operation.UPDATE)) {
                // a DEFERRABLE key holds two rows inside a transaction: which one does this event change?
                Record b = e.before().get();
                if (!sameRow(b, prev.values, plan)) {
                    int at = others == null ? -1 : indexOfSameRow(others, b, plan);
                    boolean stored = false;
                    if (at < 0 && prev.besideStored) {
                        if (fullImages == null && !wholeRow(b, plan)) {
                            fullImages = wholeRows(batch, plan);
                        }
                        stored = wholeRow(b, plan) || Boolean.TRUE.equals(fullImages);
                    }
                    if (at >= 0 || stored) {
                        // the event is about another row of the key: prev stays the key's row, as of this event
                        if (e.operation() == ChangeEvent.Operation.UPDATE) {
                            Row changed = new Row(filledFrom(e.after().get(), b, keyValues, plan), number, false, false,
                                    e.position().commit(), e.position().change(), e.commitTime(), null);
                            if (at >= 0) {
                                others.set(at, changed);
                            } else {
                                beside.computeIfAbsent(k, x -> new ArrayList<>()).add(changed);
                            }
                        } else if (at >= 0) {
                            others.remove(at);
                        } else {
                            storedDeletes.put(k, e);
                        }
                        byKey.put(k, prev.asOf(e.position().commit(), e.position().change(), e.commitTime(),
                                prev.besideStored && !stored));
                        continue;
                    }
                } else if (e.isDelete() && (prev.besideStored || !others.isEmpty())) {
                    // the delete removes prev: the key falls back to its other row
                    if (others != null && !others.isEmpty()) {
                        byKey.put(k, others.remove(others.size() - 1).asOf(e.position().commit(), e.position().change(),
                                e.commitTime(), prev.besideStored));
                    } else {
                        byKey.remove(k);   // the row the target stores, if there is one, is the key's row again
                    }
                    continue;
                }
            }
            boolean besideStored = false;
            if (e.operation() == ChangeEvent.Operation.CREATE) {
                // an insert over a key the batch has not touched: the target's row may still be there beside it
                // until the commit (a DEFERRABLE key), and an insert over a live row of the key is a second row
                besideStored = prev == null ? truncate == null : sameTransaction && prev.besideStored;
                if (prev != null && !prev.delete && !prev.read) {
                    (sameTransaction && others != null ? others : beside.computeIfAbsent(k, x -> new ArrayList<>()))
                            .add(prev.asOf(prev.commit, prev.change, prev.at, false));
                }
            } else if (e.operation() == ChangeEvent.Operation.UPDATE) {
                besideStored = sameTransaction && prev.besideStored;
            } else if (!beside.isEmpty()) {
                beside.remove(k);
            }
            long valuesFrom = 0;   // > 0: a SOFT delete carrying the values of this event (Row.withValues)
            if (e.isDelete() && soft && prev != null && (!prev.delete || prev.withValues)) {
                // SOFT: the row marked deleted holds what the key's earlier events of the batch left it, as it would
                // when the batch were cut between them and the delete (the marked row holds the last values)
                folded = prev.values;
                valuesFrom = prev.delete ? prev.valuesFrom : prev.recordNumber;
            } else if (e.isDelete()) {
                Object[] values = new Object[width];
                for (int j = 0; j < keyWidth; j++) {
                    values[plan.keyIndex[j]] = keyValues[j];
                }
                folded = Record.of(values);
            } else {
                Record after = e.after().get();
                boolean fill = false;
                if (prev != null) {
                    for (int j = 0; j < width && !fill; j++) {
                        fill = Unchanged.is(after.get(j)) && knownAfter(prev, j, soft);
                    }
                }
                boolean sameKey = true;
                for (int j = 0; j < keyWidth && sameKey; j++) {
                    Object v = after.get(plan.keyIndex[j]);
                    sameKey = v == keyValues[j] || keyValues[j].equals(v);
                }
                if (!fill && sameKey) {
                    folded = after;   // records are immutable: STAGE_TABLE the event's own after image
                } else {
                    Object[] values = after.values().toArray();
                    if (fill) {
                        // after an earlier event of this batch the value is known: the earlier one, or none after a
                        // HARD delete (a SOFT delete's marked row holds the value: see knownAfter)
                        for (int j = 0; j < width; j++) {
                            if (Unchanged.is(values[j]) && knownAfter(prev, j, soft)) {
                                values[j] = prev.delete && !soft ? null : prev.values.get(j);
                            }
                        }
                    }
                    for (int j = 0; j < keyWidth; j++) {
                        values[plan.keyIndex[j]] = keyValues[j];
                    }
                    folded = Record.of(values);
                }
            }
            if (e.isDelete()) {
                lastDelete.put(k, e);
            }
            byKey.put(k, new Row(folded, number, e.isDelete(), e.operation() == ChangeEvent.Operation.READ,
                    e.position().commit(), e.position().change(), e.commitTime(), deadLetter ? prev : null, besideStored,
                    valuesFrom));
        }
        List<ChangeEvent> replacedDeletes = new ArrayList<>();
        List<Object> replacedKeys = new ArrayList<>();
        if (!lastDelete.isEmpty() || !storedDeletes.isEmpty()) {
            for (Map.Entry<Object, Row> r : byKey.entrySet()) {
                ChangeEvent d = lastDelete.get(r.getKey());
                ChangeEvent stored = storedDeletes.get(r.getKey());
                EventPosition at = new EventPosition(r.getValue().commit, r.getValue().change);
                if (r.getValue().delete) {
                    continue;
                }
                if (stored != null && (d == null || stored.position().compareTo(d.position()) > 0)) {
                    // the stored row deleted within a DEFERRABLE key's transaction: the key's row carries that delete's
                    // position, so the delete run first goes just before it (its tombstone goes with the upsert)
                    EventPosition p = stored.position().compareTo(at) < 0 ? stored.position()
                            : new EventPosition(at.commit(), at.change() - 1);
                    replacedDeletes.add(new ChangeEvent(stored.operation(), stored.source(), stored.key(), stored.before(),
                            stored.after(), p, stored.commitTime()));
                    replacedKeys.add(r.getKey());
                } else if (d != null && d.position().compareTo(at) < 0) {
                    replacedDeletes.add(d);
                    replacedKeys.add(r.getKey());
                }
            }
        }
        return new Folded(new ArrayList<>(byKey.values()), Optional.ofNullable(truncate),
                Optional.ofNullable(snapshotComplete), replacedDeletes, replacedKeys, canonical);
    }

    /**
     * Whether the fold knows column {@code j}'s value after {@code prev}, the key's earlier event of the batch, for a
     * later event that leaves it unsent ({@link Unchanged#VALUE}): an upsert's own value when it sent one; after a HARD
     * delete, none (NULL, as when the batch is cut after the delete: the row is gone). After a SOFT delete the row
     * marked deleted holds the value, so only a delete carrying the values the key's earlier events left
     * ({@link Row#withValues}) knows it; otherwise the value stays unsent and the write keeps the stored one, as it does
     * when the batch is cut after the delete.
     */
    private static boolean knownAfter(Row prev, int j, boolean soft) {
        if (prev.delete && !soft) {
            return true;
        }
        return (!prev.delete || prev.withValues) && !Unchanged.is(prev.values.get(j));
    }

    /** A batch's events with its key-moving updates split ({@link #keyMoves}); {@code origin}: each one's index in the batch. */
    private record KeyMoves(List<ChangeEvent> events, int[] origin) {
    }

    /**
     * The batch's events with each UPDATE that moves its row to another key given as Debezium sends a key change: a
     * DELETE of the old key (with the update's before image) and a CREATE of the new key, at the update's position, its
     * unsent values taken from a whole before image. The old key is the before image's (when it carries one), else the
     * event's key; the new key is the after image's. Without this the fold keyed such an update by one of the two keys
     * only: its values were written under the old key and the new key never appeared, or the new key was written and
     * the old key's row stayed. Null when no update moves its key (every Debezium batch: it splits key changes itself).
     */
    private static KeyMoves keyMoves(List<ChangeEvent> events, Plan plan, boolean keyFromEvent) {
        int width = plan.schema.size();
        int keyWidth = plan.keyIndex.length;
        List<ChangeEvent> out = null;
        int[] origin = null;
        for (int i = 0; i < events.size(); i++) {
            ChangeEvent e = events.get(i);
            Object[] oldKey = null;
            Object[] newKey = null;
            if (e.operation() == ChangeEvent.Operation.UPDATE && e.after().get().size() == width) {
                Record after = e.after().get();
                Record before = e.before().filter(b -> b.size() == width).orElse(null);
                newKey = new Object[keyWidth];
                oldKey = new Object[keyWidth];
                for (int k = 0; k < keyWidth && newKey != null; k++) {
                    newKey[k] = after.get(plan.keyIndex[k]);
                    oldKey[k] = before != null ? before.get(plan.keyIndex[k])
                            : keyFromEvent && e.key().size() == keyWidth ? e.key().get(k) : null;
                    if (newKey[k] == null || Unchanged.is(newKey[k]) || oldKey[k] == null || Unchanged.is(oldKey[k])) {
                        newKey = null;   // a key the event does not tell: the fold names it, or takes the event's
                    }
                }
                if (newKey != null && sameKey(oldKey, newKey, plan)) {
                    newKey = null;
                }
            }
            if (newKey == null) {
                if (out != null) {
                    out.add(e);
                    origin[out.size() - 1] = i;
                }
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(events.size() + 8);
                origin = new int[events.size() * 2];
                for (int j = 0; j < i; j++) {
                    out.add(events.get(j));
                    origin[j] = j;
                }
            }
            Record after = e.after().get();
            Object[] values = after.values().toArray();
            if (e.before().isPresent() && e.before().get().size() == width) {
                Record before = e.before().get();
                for (int j = 0; j < width; j++) {
                    if (Unchanged.is(values[j])) {
                        values[j] = before.get(j);
                    }
                }
            }
            Record eventKeyOld = keyFromEvent ? Record.of(oldKey) : e.key();
            Record eventKeyNew = keyFromEvent ? Record.of(newKey) : e.key();
            out.add(new ChangeEvent(ChangeEvent.Operation.DELETE, e.source(), eventKeyOld, e.before(), Optional.empty(),
                    e.position(), e.commitTime()));
            origin[out.size() - 1] = i;
            out.add(new ChangeEvent(ChangeEvent.Operation.CREATE, e.source(), eventKeyNew, Optional.empty(),
                    Optional.of(Record.of(values)), e.position(), e.commitTime()));
            origin[out.size() - 1] = i;
        }
        return out == null ? null : new KeyMoves(out, Arrays.copyOf(origin, out.size()));
    }

    /**
     * Whether two key values are one key to the database as far as Java tells: equal as {@link #normalize} makes them
     * or by their COPY text, or, for a uuid, citext or nondeterministic column, as text ignoring case (a change of case
     * there is no change of key: it is written as an update of the key it has).
     */
    private static boolean sameKey(Object[] a, Object[] b, Plan plan) {
        for (int k = 0; k < a.length; k++) {
            if (a[k] == b[k] || normalize(a[k]).equals(normalize(b[k]))) {
                continue;
            }
            String ta = CopyText.valueText(a[k]);
            String tb = CopyText.valueText(b[k]);
            String col = plan.key.get(k);
            String base = plan.baseTypeNames.get(col);
            boolean caseless = "uuid".equals(base) || "citext".equals(base) || plan.nondeterministic.containsKey(col);
            if (!(caseless ? ta.equalsIgnoreCase(tb) : ta.equals(tb))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a before image is the row {@code row} of its key: equal in every non-key column, a column either does
     * not carry counting as equal. Values are compared as the database compares them ({@link #normalize}), or by their
     * COPY text when their Java types differ.
     */
    private static boolean sameRow(Record before, Record row, Plan plan) {
        for (int j = 0; j < before.size(); j++) {
            Object b = before.get(j);
            Object r = row.get(j);
            if (b == r || Unchanged.is(b) || Unchanged.is(r) || plan.key.contains(plan.schema.field(j).name())) {
                continue;
            }
            if (b == null || r == null) {
                return false;
            }
            Object nb = normalize(b);
            Object nr = normalize(r);
            if (!nb.equals(nr) && (nb.getClass() == nr.getClass() || !CopyText.valueText(b).equals(CopyText.valueText(r)))) {
                return false;
            }
        }
        return true;
    }

    private static int indexOfSameRow(List<Row> rows, Record before, Plan plan) {
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (sameRow(before, rows.get(i).values, plan)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether a before image evidently holds a whole row (REPLICA IDENTITY FULL): a non-key column holds a value other
     * than NULL and the defaults Debezium (and mds's converter) fill the NOT NULL columns of a before image of the key
     * alone with (REPLICA IDENTITY DEFAULT): {@code ""}, 0, false, no bytes, an empty array, and day, time or instant 0
     * (1970-01-01, midnight, its first instant). Before, a date or timestamp filler read as a value, so a delete of a
     * key inserted earlier in its transaction was taken for the delete of a stored row and the inserted row stayed.
     */
    private static boolean wholeRow(Record before, Plan plan) {
        for (int j = 0; j < before.size(); j++) {
            Object v = before.get(j);
            if (v == null || Unchanged.is(v) || plan.key.contains(plan.schema.field(j).name())) {
                continue;
            }
            if (!filler(v)) {
                return true;
            }
        }
        return false;
    }

    private static final LocalDateTime EPOCH_LOCAL = LocalDateTime.of(1970, 1, 1, 0, 0);

    /** Whether {@code v} is a value Debezium fills a NOT NULL column of a key-only before image with. */
    private static boolean filler(Object v) {
        return v instanceof String t ? t.isEmpty() : v instanceof Boolean f ? !f
                : v instanceof byte[] bytes ? bytes.length == 0
                : v instanceof BigDecimal d ? d.signum() == 0
                : v instanceof Number n ? n.doubleValue() == 0
                : v instanceof Collection<?> c ? c.isEmpty()
                : v instanceof Object[] a ? a.length == 0
                : v instanceof LocalDate d ? d.toEpochDay() == 0
                : v instanceof LocalDateTime t ? t.equals(EPOCH_LOCAL)
                : v instanceof LocalTime t ? t.equals(LocalTime.MIDNIGHT)
                : v instanceof OffsetDateTime t ? t.toInstant().equals(Instant.EPOCH)
                : v instanceof Instant i && i.equals(Instant.EPOCH);
    }

    /** Whether some before image of the batch evidently holds a whole row: the source table's are whole rows. */
    private static boolean wholeRows(ChangeBatch batch, Plan plan) {
        for (ChangeEvent e : batch.events()) {
            if (e.before().isPresent() && e.before().get().size() == plan.schema.size() && wholeRow(e.before().get(), plan)) {
                return true;
            }
        }
        return false;
    }

    /** An UPDATE's after image with its unsent values taken from its before image, and the key's values. */
    private static Record filledFrom(Record after, Record before, Object[] keyValues, Plan plan) {
        Object[] values = after.values().toArray();
        for (int j = 0; j < values.length; j++) {
            if (Unchanged.is(values[j]) && !Unchanged.is(before.get(j))) {
                values[j] = before.get(j);
            }
        }
        for (int j = 0; j < keyValues.length; j++) {
            values[plan.keyIndex[j]] = keyValues[j];
        }
        return Record.of(values);
    }

    /** The after images of a change batch's events, one per event (null for an event without one), lazily. */
    private static Iterable<Record> afterImages(ChangeBatch batch) {
        return () -> batch.events().stream().map(e -> e.after().orElse(null)).iterator();
    }

    // ------------------------------------------------------------------------------------------ plan (sql())

    /** The statements a load of a batch of {@code schema} would run now, given the target's state. */
    public List<String> sql(Connection c, Schema schema) {
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        List<String> key = spec.key();
        if (spec.mode() == SyncMode.CDC && key.isEmpty()) {
            throw new IllegalStateException("loader into " + target + " takes its key from each ChangeBatch;"
                    + " set key(...) to plan without a batch");
        }
        return sql(c, Plan.of(spec, schema, key, existing, spec.mode() == SyncMode.CDC, new BitSet()), existing);
    }

    /**
     * The statements of a whole stream of batches of {@code schema} loaded in one transaction, this engine loading
     * the first ({@code loadAll} in OVERWRITE): the first batch's, then those each later batch runs with
     * {@code later}, planned against the table as the first batch leaves it. Nothing is written: when the first
     * batch would create the table or add or widen columns, the columns it would leave are read from a temporary
     * table made with them in a transaction rolled back at once (no statement touches the target).
     */
    public List<String> sqlThen(Connection c, Schema schema, LoadEngine later) {
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        Plan plan = Plan.of(spec, schema, spec.key(), existing, false, new BitSet());
        List<String> out = new ArrayList<>(sql(c, plan, existing));
        Optional<Map<String, TargetColumn>> after = columnsAfter(c, plan, existing);
        out.addAll(later.sql(c, Plan.of(later.spec, schema, later.spec.key(), after, false, new BitSet()), after));
        return out;
    }

    private List<String> sql(Connection c, Plan plan, Optional<Map<String, TargetColumn>> existing) {
        List<String> out = new ArrayList<>(PinnedDateStyle.shown(spec, plan));   // as load() pins it, before all else
        if (noColumn(plan) && spec.mode() != SyncMode.MERGE) {
            // see withoutColumns: no table made, no COPY; an overwrite empties an existing target
            if (spec.mode() == SyncMode.OVERWRITE && existing.isPresent()) {
                if (spec.overwriteMode() == OverwriteMode.DELETE) {
                    out.add(lockForDeleteSql());
                }
                out.add(emptyTargetSql());
            }
            return out;
        }
        switch (spec.mode()) {
            case APPEND -> {
                out.addAll(targetDdl(c, plan, existing));
                out.add(statements.directCopySql(target, plan));
            }
            case OVERWRITE -> {
                out.addAll(targetDdl(c, plan, existing));
                if (existing.isPresent()) {
                    if (spec.overwriteMode() == OverwriteMode.DELETE) {
                        out.add(lockForDeleteSql());
                    }
                    out.add(emptyTargetSql());
                }
                out.add(statements.directCopySql(target, plan));
            }
            case MERGE -> {
                // as merge() runs them holding the lock at once (waiting for it, it stages first, then alters)
                out.addAll(targetDdl(c, plan, existing));
                if (copyIntoEmpty && (existing.isEmpty() || emptyWithoutRowSecurity(c))) {
                    out.add(statements.directCopySql(target, plan));
                } else {
                    out.add(statements.dropStage());
                    out.add(statements.createStage(plan));
                    out.addAll(stageChecks(c, plan));
                    out.add(statements.stageCopySql());
                    out.add(statements.mergeSql(plan));
                    out.add(statements.dropStage());
                }
            }
            case CDC -> {
                TableName tombstones = statements.tombstones();
                List<String> apply = new ArrayList<>(List.of(statements.createStage(plan), statements.stageCopySql(),
                        statements.createTombstones(plan, tombstones), statements.cdcDeleteSql(plan),
                        statements.cdcTombstoneSql(plan, tombstones), statements.cdcUpsertSql(plan, tombstones, true, true),
                        statements.cdcForgetTombstonesSql(plan, tombstones, true), statements.dropStage()));
                if (existing.isPresent()) {
                    // as remembered(…) runs it, when a person changed the type of the target's key (widened it)
                    alignTombstoneKeys(c, tombstones, plan).ifPresent(alter -> apply.add(3, alter));
                }
                if (existing.isPresent()) {
                    out.add("-- for a batch that deletes keys it writes again (a key swap): taken before it stages (it"
                            + " waits for the load lock first), so that the target's unique indexes do not change while"
                            + " the load decides whether the stored rows of those keys go first\n" + lockIndexesSql());
                }
                if (existing.isPresent() && uniqueBeyondKey(c, plan.key)) {
                    // as load(c, batch) runs it first for the keys a batch deletes and writes again: a load of their
                    // deletes as a batch of their own
                    out.add("-- only for a batch that deletes keys it writes again (a key swap): the target is unique"
                            + " beyond its key, so the stored rows of those keys are "
                            + (spec.deleteMode() == DeleteMode.HARD ? "deleted" : "marked deleted")
                            + " first, by these statements over those deletes alone\n" + apply.get(0));
                    out.addAll(apply.subList(1, apply.size()));
                }
                out.add(apply.get(0));
                out.add(apply.get(1));
                out.addAll(targetDdl(c, plan, existing));
                out.addAll(apply.subList(2, apply.size()));
            }
        }
        return out;
    }

    /** The temporary table {@link #columnsAfter} reads the columns a load would leave from. */
    private static final String PLANNED = "_mds_planned";

    /**
     * The target's columns as a load of {@code plan} leaves them ({@code existing}: as they are now). When its DDL
     * creates the table or adds or widens columns, those columns are made as the DDL makes them in a temporary table,
     * in a transaction rolled back at once, and read from the catalog there (so their types are spelled, and their
     * equality and collation known, as the database will have them); the target itself is neither altered nor locked.
     */
    private Optional<Map<String, TargetColumn>> columnsAfter(Connection c, Plan plan,
            Optional<Map<String, TargetColumn>> existing) {
        if (targetDdl(c, plan, existing).isEmpty()) {
            return existing;
        }
        Map<String, TargetColumn> have = existing.orElse(Map.of());
        StringJoiner cols = new StringJoiner(", ");
        for (String col : plan.columns) {
            if (existing.isEmpty()) {
                boolean notNull = plan.notNull.get(col) || plan.key.contains(col);   // the key: the primary key
                cols.add(Identifiers.quote(col) + " " + plan.types.get(col) + (notNull ? " not null" : ""));
            } else if (!have.containsKey(col)) {
                cols.add(Identifiers.quote(col) + " " + plan.types.get(col));
            } else if (plan.widened.containsKey(col)) {
                String collation = have.get(col).collation();
                cols.add(Identifiers.quote(col) + " " + plan.widened.get(col) + (collation == null ? "" : " collate " + collation)
                        + (have.get(col).notNull() ? " not null" : ""));
            }
        }
        spec.loadTimestamp().filter(ts -> !have.containsKey(ts))
                .ifPresent(ts -> cols.add(Identifiers.quote(ts) + " timestamptz" + (existing.isEmpty() ? " not null" : "")));
        Map<String, TargetColumn> made;
        try {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                Sql.execute(c, "create temp table " + Identifiers.quote(PLANNED) + " (" + cols + ")");
                made = TargetColumn.readTemporary(c, PLANNED);
            } finally {
                c.rollback();
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new MdsException("cannot plan the later batches of a load into " + target + ": " + e.getMessage(), e);
        }
        boolean triggers = !have.isEmpty() && have.values().iterator().next().tableHasTriggers();
        Map<String, TargetColumn> after = new LinkedHashMap<>();
        for (TargetColumn tc : have.values()) {
            after.put(tc.name(), made.containsKey(tc.name()) ? made.get(tc.name()).on(triggers) : tc);
        }
        for (TargetColumn tc : made.values()) {
            after.putIfAbsent(tc.name(), tc.on(triggers));
        }
        return Optional.of(after);
    }

    // ------------------------------------------------------------------------------------------ DDL

    /**
     * Creates the target or adds what it lacks (new columns, load timestamp, CDC bookkeeping), under the lock.
     *
     * @return the target's columns as they were before (empty: it did not exist)
     */
    private Optional<Map<String, TargetColumn>> ensureTarget(Connection c, Plan plan) {
        Optional<Map<String, TargetColumn>> existing = TargetColumn.read(c, target);
        ensureTarget(c, plan, existing);
        return existing;
    }

    /**
     * As {@link #ensureTarget(Connection, Plan)}, with the target's columns read under the lock. The schema is
     * created only when it is missing: PostgreSQL checks {@code create schema if not exists} against the role's
     * CREATE privilege on the database before it looks for the schema, so a role that may only create tables in
     * the schema would be refused.
     */
    private void ensureTarget(Connection c, Plan plan, Optional<Map<String, TargetColumn>> existing) {
        for (String s : targetDdl(c, plan, existing)) {
            if (s.startsWith(CREATE_SCHEMA)) {
                createSchema(c);
                continue;
            }
            try {
                Sql.execute(c, s);
            } catch (MdsException e) {
                if (existing.isEmpty() && e.getCause() instanceof SQLException x && "42P07".equals(x.getSQLState())) {
                    // the columns were read under the load lock: a relation of the name whose columns it found none of
                    throw new dev.mds.core.SchemaMismatchException(target, List.of(), "a relation of this name exists, but"
                            + " the loader finds no column of it (a table without columns, or a sequence or index of that"
                            + " name), so it tried to create the table: drop or rename that relation, or load into another"
                            + " table; nothing of this batch was loaded");
                }
                if (!s.contains(" alter column ") || !(e.getCause() instanceof SQLException x)) {
                    throw e;
                }
                List<String> columns = new ArrayList<>();
                for (dev.mds.core.Field f : plan.schema.fields()) {
                    TargetColumn tc = existing.get().get(f.name());
                    if (tc != null && plan.widened.containsKey(f.name())) {
                        columns.add(f.name());
                    }
                }
                throw new dev.mds.core.SchemaMismatchException(target, columns, "cannot widen column(s) " + columns
                        + " to hold the batch's types (" + s + "): " + RefusedWrites.serverMessage(x)
                        + "; widen them yourself; nothing of this batch was loaded");
            }
        }
    }

    /**
     * Creates the target's missing schema, as every mds module does ({@link PostgresDialect#createSchemaIfMissing}).
     * Loads into different tables of a schema that does not exist yet (the streams of a first sync, loaded in
     * parallel) each create it, and {@code create schema if not exists} alone waits for another transaction's
     * uncommitted schema, then fails with a unique violation of {@code pg_namespace}: creators take turns on an
     * advisory lock of the schema's name (held until the load commits) and look for the schema again once they hold
     * it.
     */
    private void createSchema(Connection c) {
        PostgresDialect.INSTANCE.createSchemaIfMissing(c, target.schema());
    }

    /** The target's DDL: for a missing target its schema (only if missing too) and table, else what widens it. */
    private List<String> targetDdl(Connection c, Plan plan, Optional<Map<String, TargetColumn>> existing) {
        List<String> out = new ArrayList<>();
        if (existing.isEmpty()) {
            if (!PostgresDialect.INSTANCE.schemaExists(c, target.schema())) {
                out.add(CREATE_SCHEMA + Identifiers.quote(target.schema()));
            }
            StringJoiner cols = new StringJoiner(", ");
            for (String col : plan.columns) {
                boolean notNull = plan.notNull.get(col) && !plan.key.contains(col);
                cols.add(Identifiers.quote(col) + " " + plan.types.get(col) + (notNull ? " not null" : ""));
            }
            spec.loadTimestamp().ifPresent(ts -> cols.add(Identifiers.quote(ts) + " timestamptz not null default now()"));
            if (plan.cdc) {
                cols.add(Identifiers.quote(COMMIT) + " bigint");
                cols.add(Identifiers.quote(CHANGE) + " bigint");
                if (spec.deleteMode() == DeleteMode.SOFT) {
                    cols.add(Identifiers.quote(DELETED_AT) + " timestamptz");
                }
            }
            if (!plan.key.isEmpty()) {
                cols.add("primary key (" + Identifiers.quoteAll(plan.key) + ")");
            }
            out.add("create table " + target.quoted() + " (" + cols + ")");
            return out;
        }
        Map<String, TargetColumn> have = existing.get();
        List<String> newColumns = new ArrayList<>();
        for (String col : plan.columns) {
            if (!have.containsKey(col)) {
                newColumns.add(col);
            }
        }
        if (!newColumns.isEmpty() && spec.schemaChange() == dev.mds.load.SchemaChange.FAIL) {
            throw new dev.mds.core.SchemaMismatchException(target, newColumns, "the batch has column(s) " + newColumns
                    + " that the table lacks; add them yourself or use onSchemaChange(SchemaChange.ADD_COLUMNS)");
        }
        List<String> adds = new ArrayList<>();
        List<String> after = new ArrayList<>();
        List<Widening> narrower = new ArrayList<>();
        boolean widen = spec.schemaChange() == dev.mds.load.SchemaChange.ADD_AND_WIDEN_COLUMNS;
        for (dev.mds.core.Field f : plan.schema.fields()) {
            TargetColumn tc = have.get(f.name());
            Optional<Widening> w = tc == null ? Optional.empty() : Widening.any(f.name(), f.type(), tc);
            if (w.isEmpty()) {
                continue;
            }
            if (!widen) {
                // read again under the lock: the table may have changed since the plan (values were checked there)
                w.filter(x -> x.check() == Widening.Check.TYPE).ifPresent(narrower::add);
                continue;
            }
            if (!plan.widened.containsKey(f.name())) {
                continue;   // the batch's values fit the column as it is
            }
            // wide enough for the column as it is now: another load may have widened it since the plan (numeric(6,2)
            // to numeric(10,4)), and the plan's type (numeric(12,2)) would narrow it again
            String wider = w.get().widerType();
            // without COLLATE the column would take the new type's default collation (a case-insensitive key would
            // become case-sensitive)
            String type = " type " + wider + (tc.collation() == null ? "" : " collate " + tc.collation());
            adds.add("alter column " + Identifiers.quote(f.name()) + type);
            LOG.info("{}: widening column '{}' from {} to {} ({} in the batch)", target, f.name(), tc.sqlType(), wider,
                    f.type());
            if (plan.cdc && plan.key.contains(f.name())) {
                after.add("alter table if exists " + statements.tombstones().quoted() + " alter column " + Identifiers.quote(f.name())
                        + type);
            }
        }
        if (!narrower.isEmpty()) {
            throw Plan.narrower(target, narrower);
        }
        for (String col : newColumns) {
            adds.add("add column " + Identifiers.quote(col) + " " + plan.types.get(col));
        }
        spec.loadTimestamp().filter(ts -> !have.containsKey(ts))
                .ifPresent(ts -> adds.add("add column " + Identifiers.quote(ts) + " timestamptz"));
        if (plan.cdc) {
            for (String col : List.of(COMMIT, CHANGE)) {
                if (!have.containsKey(col)) {
                    adds.add("add column " + Identifiers.quote(col) + " bigint");
                }
            }
            if (spec.deleteMode() == DeleteMode.SOFT && !have.containsKey(DELETED_AT)) {
                adds.add("add column " + Identifiers.quote(DELETED_AT) + " timestamptz");
            }
        }
        if (!adds.isEmpty()) {
            out.add("alter table " + target.quoted() + " " + String.join(", ", adds));
        }
        out.addAll(after);
        return out;
    }

    /**
     * The target's CHECK constraints over batch columns only, as statements adding them to the stage: a row one of
     * them refuses is then refused by the COPY into the stage, which names its record and key (and sets it aside
     * under DEAD_LETTER), instead of failing the MERGE as a whole with PostgreSQL's message.
     */
    private List<String> stageChecks(Connection c, Plan plan) {
        if (!plan.targetExists) {
            return List.of();
        }
        String sql = "select pg_get_constraintdef(k.oid), array(select a.attname::text from unnest(k.conkey) u(n)"
                + " join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n), k.conname::text"
                + " from pg_catalog.pg_constraint k where k.conrelid = " + PostgresDialect.INSTANCE.relationOid(target)
                + " and k.contype = 'c' order by k.conname";
        List<String> out = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                List<String> columns = List.of((String[]) rs.getArray(2).getArray());
                if (!columns.isEmpty() && plan.columns.containsAll(columns)) {
                    // under the target's name, which the COPY's refusal then names (not "_mds_stage_amount_check")
                    out.add("alter table " + STAGE_TABLE + " add constraint " + Identifiers.quote(rs.getString(3)) + " "
                            + rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        Sql.logged(sql, t0);
        return out;
    }

    // ------------------------------------------------------------------------------------------ DML

    /**
     * The staged upserts that would insert a new row although a column carries {@link Unchanged#VALUE}: the source
     * did not send the value (a TOASTed column the update did not touch) and the target has no row of the key to
     * keep it from, so inserting would store NULL in its place (or fail a NOT NULL column naming no record). Each is
     * a bad row: with {@link OnBadRow#FAIL} a {@link BadInputException} naming its event and key, with
     * {@link OnBadRow#DEAD_LETTER} written to the dead-letter table and taken out of the stage.
     *
     * @return upserts taken out of the stage
     */
    private long refuseUnchangedInserts(Connection c, Plan plan, TableName tombstones, boolean useTombstones, boolean reads,
            List<Row> rows, Rejects rejects) {
        StringJoiner flags = new StringJoiner(" or ");
        StringJoiner flagList = new StringJoiner(", ");
        for (int i = plan.unchanged.nextSetBit(0); i >= 0; i = plan.unchanged.nextSetBit(i + 1)) {
            flags.add("s." + Identifiers.quote(UNCHANGED_PREFIX + i));
            flagList.add("s." + Identifiers.quote(UNCHANGED_PREFIX + i));
        }
        String noRow = ") and not exists (select 1 from " + target.quoted() + " t where " + statements.keyJoin(plan, "t", "s") + ")";
        String sql = "select s." + Identifiers.quote(S_NUMBER) + ", " + flagList + " from "
                + statements.cdcUpsertSource(plan, tombstones, useTombstones, reads) + " s where (" + flags + noRow;
        if (spec.deleteMode() == DeleteMode.SOFT) {
            // a SOFT delete carrying such a value from the key's earlier events of the batch (Row.withValues) would
            // insert the row marked deleted with NULL in its place: the event that wrote it is as bad as its upsert
            // alone would be (the batch cut before the delete), and the delete, stripped of it, leaves no row
            sql += " union all select s." + Identifiers.quote(S_NUMBER) + ", " + flagList + " from " + STAGE_TABLE + " s where s."
                    + Identifiers.quote(LoadStatements.S_DELETE) + " and s." + Identifiers.quote(LoadStatements.S_VALUES)
                    + (useTombstones ? " and not exists (select 1 from " + tombstones.quoted() + " d where "
                            + statements.keyJoin(plan, "d", "s") + " and " + LoadStatements.position("d") + " >= "
                            + LoadStatements.position("s") + ")" : "")
                    + " and (" + flags + noRow;
        }
        sql += " order by 1";
        Map<Long, String> refused = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                int flag = 2;
                for (int i = plan.unchanged.nextSetBit(0); i >= 0; i = plan.unchanged.nextSetBit(i + 1), flag++) {
                    if (rs.getBoolean(flag)) {
                        refused.put(rs.getLong(1), plan.columns.get(i));
                        break;
                    }
                }
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        Sql.logged(sql, t0);
        if (refused.isEmpty()) {
            return 0;
        }
        Map<Long, Row> byNumber = new HashMap<>();
        for (Row r : rows) {
            byNumber.put(r.recordNumber, r);
        }
        List<Long> upserts = new ArrayList<>();
        Map<Long, Row> stripped = new HashMap<>();   // carried deletes, by number, as plain deletes
        for (Map.Entry<Long, String> e : refused.entrySet()) {
            Row r = byNumber.get(e.getKey());
            long number = r.delete ? r.valuesFrom : r.recordNumber;
            reject(rejects, r.values, number, plan.keyText(r.values), e.getValue(), "column '" + e.getValue()
                    + "' is unchanged (a value the source did not send, such as an untouched TOASTed column) and the target"
                    + " has no row of this key to keep it from" + (r.delete ? " (the key's delete, record " + r.recordNumber
                    + ", would leave it marked deleted)" : ""), null);
            if (r.delete) {
                Object[] key = new Object[r.values.size()];
                for (int k : plan.keyIndex) {
                    key[k] = r.values.get(k);
                }
                stripped.put(r.recordNumber, new Row(Record.of(key), r.recordNumber, true, false, r.commit, r.change, r.at,
                        null, false, 0));
            } else {
                upserts.add(r.recordNumber);
            }
        }
        if (!stripped.isEmpty()) {
            Sql.update(c, "update " + STAGE_TABLE + " s set " + Identifiers.quote(LoadStatements.S_VALUES) + " = false where s."
                    + Identifiers.quote(S_NUMBER) + " in (" + stripped.keySet().stream().map(String::valueOf)
                    .collect(Collectors.joining(", ")) + ")");
            rows.replaceAll(r -> stripped.getOrDefault(r.recordNumber, r));
        }
        if (upserts.isEmpty()) {
            return 0;
        }
        return Sql.update(c, "delete from " + STAGE_TABLE + " s where s." + Identifiers.quote(S_NUMBER) + " in ("
                + upserts.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * Applies a {@code TRUNCATE} at {@code e}'s position, under the load lock, before the batch's later events: every
     * row stored at an older position goes. The target remembers the truncate's position in one row (the
     * {@code _mds_truncated} table), so that later batches drop replayed events from before it, as a tombstone does
     * for one key. With {@link DeleteMode#HARD} the rows are deleted and the tombstones it makes redundant go; with
     * {@link DeleteMode#SOFT} the rows are marked deleted. Rows at a newer position (a truncate replayed after them)
     * stay.
     *
     * @return rows removed or marked
     */
    private long truncate(Connection c, ChangeEvent e, TableName tombstones) {
        List<String> truncateSql = statements.truncateSql(e, tombstones,
                queryLong(c, "select count(" + PostgresDialect.INSTANCE.relationOid(tombstones) + ")") > 0);
        long removed = 0;
        for (String sql : truncateSql) {
            if (sql.startsWith("create table if not exists ") && exists(c, statements.truncated())) {
                continue;   // see exists: a role that may only write the table could not run it
            }
            removed = Sql.update(c, sql);
        }
        LOG.debug("{}: TRUNCATE at {} removed {} rows", target, e.position(), removed);
        return removed;
    }

    /**
     * Runs a MERGE and returns {inserted, updated}, exactly and without materialising a row per action: the
     * difference of the transaction's own insert and update counters of the target (of its leaf partitions when it
     * is partitioned) ({@code pg_stat_get_xact_tuples_inserted/updated}) around the MERGE, checked against its row count
     * (exact unless a trigger on the target writes the target too).
     * (This beat {@code WITH m AS (MERGE … RETURNING merge_action()) SELECT count(*) …}, which stores one row
     * per action, and works on PostgreSQL 15 and 16 too.)
     *
     * <p>A stage that is small next to the target ({@code staged} rows, at most {@link #INDEX_JOIN_MAX_ROWS}, and
     * the target at least 1 KiB per staged row, about ten times the rows) is joined by probing the target's index
     * on the key instead of hashing the whole target: the unanalysed stage leads the planner to a hash join whose
     * cost grows with the target, not with the batch (10,000 CDC updates into 150,000 rows: 156 ms hashed, 85 ms
     * probed for neighbouring keys, 198 against 158 ms for scattered ones; at 20,000 scattered the two are even). The
     * hint is {@code set_config(…, true)} around the MERGE only, read and restored in the counter queries (no
     * extra round trip); it needs a valid index whose first column is a key column.
     *
     * <p>The MERGE runs inside the savepoint {@value RefusedWrites#APPLY}, set in the round trip of the counter query before it
     * and released in the one after. When
     * the table refuses a row, the MERGE is undone to it and the refused records are looked for
     * ({@link RefusedWrites#byMerge}); with {@link OnBadRow#DEAD_LETTER} they are set aside and the MERGE runs again.
     *
     * @return {inserted, updated, staged rows taken out (DEAD_LETTER)}
     */
    private long[] mergeCounts(Connection c, Plan plan, String merge, long staged, RefusedWrites.MergeShape shape) {
        if (!versionChecked) {
            PostgresDialect.INSTANCE.features(c);   // throws, saying what is needed, before PostgreSQL 15
            versionChecked = true;
        }
        long removed = 0;
        while (true) {
            long rows = staged - removed;
            boolean probe = rows <= INDEX_JOIN_MAX_ROWS && !plan.key.isEmpty();
            // the savepoint goes in the counter query's round trip: a MERGE the table refuses is undone to it, and
            // the rows it refused are looked for in the same transaction (see RefusedWrites#byMerge)
            // a larger stage is hash joined with the whole target: its work_mem is raised for the MERGE (never
            // lowered) so that the hash of the target's keys stays in memory instead of spilling in batches
            Object[] before = probe ? countersAndHint(c, plan, rows) : countersAndWorkMem(c);
            long[] b = {(Long) before[0], (Long) before[1]};
            boolean hinted = probe && before[4] != null;
            boolean raised = !probe && before[3] != null;
            long total;
            try {
                total = Sql.update(c, merge);
            } catch (MdsException e) {
                if (!(e.getCause() instanceof SQLException x)) {
                    throw e;
                }
                if (!RefusedWrites.isRefusal(x)) {
                    throw e;   // not a row the table refused (a timeout, a deadlock): nothing to look for
                }
                removed += onRefusal.byMerge(c, plan, merge, shape, x, e);   // throws unless DEAD_LETTER took them out
                continue;
            }
            if (total > rows) {
                // more rows written than staged: a staged row matched several target rows of its key
                throw severalRowsOfAKey(c, plan, total, rows);
            }
            Map<String, String> restore = hinted ? Map.of("enable_hashjoin", (String) before[2], "enable_mergejoin", (String) before[3])
                    : raised ? Map.of("work_mem", (String) before[2]) : Map.of();
            long[] after = xactCounters(c, restore, RELEASE_APPLY);
            long inserted = after[0] - b[0];
            long updated = after[1] - b[1];
            if (inserted + updated != total || inserted < 0 || updated < 0) {
                // a trigger wrote the table as well: the MERGE's own row count stays exact, the split is best effort
                LOG.warn("{}: insert/update counters ({} + {}) disagree with the MERGE row count {} (triggers?)", target,
                        inserted, updated, total);
                inserted = Math.max(0, Math.min(total, inserted));
                updated = total - inserted;
            }
            return new long[] {inserted, updated, removed};
        }
    }

    /**
     * The failure of a MERGE that wrote more rows ({@code total}) than it had staged ({@code rows}): the target (made
     * beforehand, without a primary key or unique index on the key) holds several rows of a staged key, each of which
     * the MERGE overwrote with the one record. Names such a key, found by one query (only on this path).
     */
    private MdsException severalRowsOfAKey(Connection c, Plan plan, long total, long rows) {
        StringJoiner cols = new StringJoiner(", ");
        for (String k : plan.key) {
            String text = "t." + Identifiers.quote(k) + "::text";
            cols.add("left(" + text + ", " + Shown.MAX_CHARS + "), length(" + text + ")");
        }
        String sql = "select " + cols + ", count(distinct t.ctid) from " + target.quoted() + " t join " + STAGE_TABLE
                + " s on " + statements.keyJoin(plan, "t", "s") + " group by " + Identifiers.quoteAll("t", plan.key)
                + " having count(distinct t.ctid) > 1 limit 1";
        String found = "";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (rs.next()) {
                StringJoiner key = new StringJoiner(", ");
                for (int i = 0; i < plan.key.size(); i++) {
                    key.add(plan.key.get(i) + "=" + Shown.cutAt(rs.getString(2 * i + 1), rs.getLong(2 * i + 2)));
                }
                found = ": key " + key + " has " + rs.getLong(2 * plan.key.size() + 1) + " rows in the table";
            }
        } catch (SQLException e) {
            LOG.debug("{}: looking for a key of several rows failed: {}", target, e.getMessage());
        }
        String on = "(" + String.join(", ", plan.key) + ")";
        return new MdsException(target + ": the MERGE by key " + on + " wrote " + total + " rows for " + rows
                + " staged record(s): the table holds several rows of a key of the batch" + found + ", and has no primary"
                + " key or unique index on " + on + ", so each of them would have been overwritten with the one record;"
                + " nothing of this batch was loaded: remove the duplicate rows and create a unique index on " + on);
    }

    /** Most staged rows for which a MERGE may be steered to probe the target's key index. */
    static final long INDEX_JOIN_MAX_ROWS = 100_000;

    /**
     * The transaction's insert and update counters of the table {@code r} (of its leaf partitions when it is
     * partitioned: a partitioned table's own counters stay 0), as the columns {@code x.i, x.u}.
     */
    private static final String COUNTERS = " lateral (select sum(pg_stat_get_xact_tuples_inserted(l.relid))::int8 i,"
            + " sum(pg_stat_get_xact_tuples_updated(l.relid))::int8 u from (select r::oid relid union select p.relid::oid"
            + " from pg_partition_tree(r) p where p.isleaf) l) x";

    private static final String COUNTERS_AND_HINT = "select x.i, x.u,"
            + " o.h, o.m, case when ? * 1024 <= pg_relation_size(r) and exists (select 1 from pg_index i join pg_attribute a"
            + " on a.attrelid = i.indrelid and a.attnum = i.indkey[0] where i.indrelid = r and i.indisvalid and i.indpred is null"
            + " and a.attname = any(?)) then set_config('enable_hashjoin', 'off', true) || set_config('enable_mergejoin', 'off', true) end"
            + " from to_regclass(?) r, (select current_setting('enable_hashjoin') h, current_setting('enable_mergejoin') m offset 0) o,"
            + COUNTERS;

    /**
     * As {@link #COUNTERS_AND_HINT} for a stage joined by hashing: {@code work_mem} raised to the first parameter
     * when it is lower (the second, the same), for the target's keys to be hashed in memory.
     */
    private static final String COUNTERS_AND_WORK_MEM = "select x.i, x.u, o.w, case when pg_size_bytes(o.w) < pg_size_bytes(?)"
            + " then set_config('work_mem', ?, true) end from to_regclass(?) r,"
            + " (select current_setting('work_mem') w offset 0) o," + COUNTERS;

    /**
     * {inserted, updated, old enable_hashjoin, old enable_mergejoin, non-null when the index probe hint was set};
     * sets the write step's savepoint first, in the same round trip (before the hint, so undoing it undoes the hint).
     */
    private Object[] countersAndHint(Connection c, Plan plan, long staged) {
        long t0 = System.nanoTime();
        String sql = SAVEPOINT_APPLY + COUNTERS_AND_HINT;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, staged);
            ps.setArray(2, c.createArrayOf("text", plan.key.toArray()));
            ps.setString(3, target.quoted());
            try (ResultSet rs = resultOf(ps)) {
                rs.next();
                Object[] v = {rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5)};
                Sql.logged(sql, t0);
                return v;
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * {inserted, updated, old work_mem, non-null when work_mem was raised to {@link LoadSpec#workMem()}}; sets the
     * write step's savepoint first, in the same round trip (before the setting, so undoing it undoes the setting).
     */
    private Object[] countersAndWorkMem(Connection c) {
        long t0 = System.nanoTime();
        String sql = SAVEPOINT_APPLY + COUNTERS_AND_WORK_MEM;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, spec.workMem());
            ps.setString(2, spec.workMem());
            ps.setString(3, target.quoted());
            try (ResultSet rs = resultOf(ps)) {
                rs.next();
                Object[] v = {rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4)};
                Sql.logged(sql, t0);
                return v;
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * The transaction's insert and update counters of the target, after the statement {@code before} (a savepoint
     * or its release) in the same round trip; sets the settings in {@code restore} back (transaction-local).
     */
    private long[] xactCounters(Connection c, Map<String, String> restore, String before) {
        StringBuilder sql = new StringBuilder(before).append("select x.i, x.u");
        List<String> values = new ArrayList<>();
        restore.forEach((setting, value) -> {
            sql.append(", set_config(").append(Identifiers.literal(setting)).append(", ?, true)");
            values.add(value);
        });
        sql.append(" from to_regclass(?) r,").append(COUNTERS);
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (String value : values) {
                ps.setString(p++, value);
            }
            ps.setString(p, target.quoted());
            try (ResultSet rs = resultOf(ps)) {
                rs.next();
                long[] v = {rs.getLong(1), rs.getLong(2)};
                Sql.logged(sql.toString(), t0);
                return v;
            }
        } catch (SQLException e) {
            throw Sql.failed(sql.toString(), e);
        }
    }

    /** The result set of a statement whose first results are update counts (a savepoint before a query). */
    private static ResultSet resultOf(PreparedStatement ps) throws SQLException {
        boolean rows = ps.execute();
        while (!rows) {
            if (ps.getUpdateCount() == -1) {
                throw new SQLException("the statement returned no rows");
            }
            rows = ps.getMoreResults();
        }
        return ps.getResultSet();
    }

    // ------------------------------------------------------------------------------------------ COPY

    private static Encoding[] encodings(Plan plan, Encoding... extra) {
        Encoding[] e = new Encoding[plan.columns.size() + extra.length];
        for (int i = 0; i < plan.columns.size(); i++) {
            // a domain's value in its base type's form (see Encoding.forType)
            e[i] = Encoding.forType(plan.baseTypeNames.get(plan.columns.get(i)));
        }
        System.arraycopy(extra, 0, e, plan.columns.size(), extra.length);
        return e;
    }

    private RowWriter recordWriter(Plan plan, Object loadTimestamp) {
        int n = plan.columns.size();
        boolean ts = loadTimestamp != null && spec.loadTimestamp().isPresent();
        Encoding[] enc = ts ? encodings(plan, loadTimestampEncoding(plan)) : encodings(plan);
        UnaryOperator<Object>[] convert = CanonicalText.conversions(plan);
        return new RowWriter(enc, (out, row) -> {
            Record r = row.values;
            for (int i = 0; i < n; i++) {
                Object v = r.get(i);
                if (v == Unchanged.VALUE) {
                    throw new UnsentValue(row, i);   // the writers would store NULL in its place
                }
                out.value(convert == null || convert[i] == null ? v : convert[i].apply(v));
            }
            if (ts) {
                out.value(loadTimestamp);
            }
            out.endRow();
        });
    }

    /**
     * A record of a record batch holding {@link Unchanged#VALUE} (a value a change event did not send), met by the
     * record writer: only a CDC load keeps the stored value in its place, so it is a bad record (the COPY is cancelled
     * at it, and {@link #copy} takes it as a row the COPY refused).
     */
    private static final class UnsentValue extends SQLException {
        private static final long serialVersionUID = 1L;
        final transient Row row;
        final int column;

        UnsentValue(Row row, int column) {
            super("the value was not sent (Unchanged.VALUE, which a change event carries for a value it did not send):"
                    + " only a CDC load keeps the stored value in its place; this load would store NULL");
            this.row = row;
            this.column = column;
        }
    }

    private static Encoding loadTimestampEncoding(Plan plan) {
        return plan.loadTimestampWithoutZone ? Encoding.TIMESTAMP : Encoding.TIMESTAMPTZ;
    }

    /** Upserts of a snapshot COPYed straight into the target: values, position, load timestamp. */
    private RowWriter directChangeWriter(Plan plan, Object loadTimestamp) {
        int n = plan.columns.size();
        boolean ts = loadTimestamp != null;
        Encoding[] enc = ts ? encodings(plan, Encoding.INT8, Encoding.INT8, loadTimestampEncoding(plan))
                : encodings(plan, Encoding.INT8, Encoding.INT8);
        UnaryOperator<Object>[] convert = CanonicalText.conversions(plan);
        return new RowWriter(enc, (out, row) -> {
            Record r = row.values;
            for (int i = 0; i < n; i++) {
                out.value(convert == null || convert[i] == null ? r.get(i) : convert[i].apply(r.get(i)));
            }
            out.value(row.commit);
            out.value(row.change);
            if (ts) {
                out.value(loadTimestamp);
            }
            out.endRow();
        });
    }

    /** The writer of the plan's rows into the stage (without the load timestamp, which the MERGE sets). */
    private RowWriter stageWriter(Plan plan) {
        return plan.cdc ? changeWriter(plan) : recordWriter(plan, null);
    }

    private RowWriter changeWriter(Plan plan) {
        int n = plan.columns.size();
        int[] flags = plan.unchanged.stream().toArray();
        boolean numbered = flags.length > 0;
        boolean soft = spec.deleteMode() == DeleteMode.SOFT;
        Encoding[] extra = new Encoding[5 + (soft ? 1 : 0) + flags.length + (numbered ? 1 : 0)];
        Arrays.fill(extra, Encoding.BOOL);
        extra[1] = Encoding.INT8;
        extra[2] = Encoding.INT8;
        extra[3] = Encoding.TIMESTAMPTZ;
        if (numbered) {
            extra[extra.length - 1] = Encoding.INT8;
        }
        UnaryOperator<Object>[] convert = CanonicalText.conversions(plan);
        return new RowWriter(encodings(plan, extra), (out, row) -> {
            Record r = row.values;
            for (int i = 0; i < n; i++) {
                out.value(convert == null || convert[i] == null ? r.get(i) : convert[i].apply(r.get(i)));
            }
            out.value(row.delete);
            out.value(row.commit);
            out.value(row.change);
            out.value(row.at);
            out.value(row.read);
            if (soft) {
                out.value(row.withValues);
            }
            for (int i : flags) {
                out.value((!row.delete || row.withValues) && Unchanged.is(r.get(i)));
            }
            if (numbered) {
                out.value(row.recordNumber);
            }
            out.endRow();
        });
    }

    /**
     * The transaction's {@code now()}, for the load timestamp of rows COPYed straight into a table, as the column
     * stores it: an {@link OffsetDateTime}, or for a {@code timestamp} column the session's {@code localtimestamp}
     * (a {@link LocalDateTime}), which is what {@code now()} assigned to it by the MERGE gives.
     */
    private Object loadTimestamp(Connection c, Plan plan) {
        if (spec.loadTimestamp().isEmpty()) {
            return null;
        }
        String sql = plan.loadTimestampWithoutZone ? "select localtimestamp" : "select now()";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return plan.loadTimestampWithoutZone ? rs.getObject(1, LocalDateTime.class)
                    : rs.getObject(1, OffsetDateTime.class);
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * COPYs the rows; a row the database refuses becomes a {@link BadInputException} naming its record and key,
     * or with {@link OnBadRow#DEAD_LETTER} a rejected row. The COPY stops at the refused row, so the rows before
     * it are known to fit: they are sent again on their own, and the COPY goes on after the refused row. Each
     * row is thus sent at most twice, however many rows are refused (not once per refused row).
     *
     * <p>With DEAD_LETTER a refused row that replaced earlier records or events of its key in this batch (a
     * collapsed duplicate, a folded change event: {@link Row#before}) gives way to what those came to, copied after
     * the rest: the batch loads as it would without the refused record (a delete followed by a refused insert still
     * deletes).
     *
     * @return rows copied; with DEAD_LETTER, {@code rows} is left holding the rows that were copied
     */
    private long copy(Connection c, Plan plan, String sql, List<Row> rows, RowWriter writer, Rejects rejects) {
        boolean deadLetter = spec.onBadRow() != OnBadRow.FAIL;   // DEAD_LETTER or SKIP: set aside
        List<Row> all = rows;
        List<Row> copied = new ArrayList<>(rows.size());
        List<Row> retry = new ArrayList<>();
        boolean refused = false;
        long n = 0;
        int start = 0;
        while (start < rows.size()) {
            List<Row> rest = rows.subList(start, rows.size());
            try {
                n += writer.copy(c, sql, rest, deadLetter);
                copied.addAll(rest);
                start = rows.size();
            } catch (SQLException e) {
                int at = e instanceof UnsentValue u ? indexOf(rest, u.row) : badIndex(e, sql, rest.size());
                if (at < 0 && deadLetter && RefusedWrites.isRefusal(e) && !sql.equals(statements.stageCopySql())) {
                    // refused after the last row (a foreign key, an AFTER trigger): the rows to blame are looked for,
                    // set aside, and the COPY goes on with the others (the part was undone to its savepoint)
                    Map<Long, Row> byNumber = RefusedWrites.byNumber(rest);
                    Refusals.Found found = onRefusal.inCopy(c, plan, sql, rest, byNumber, writer, stageWriter(plan), e,
                            Integer.MAX_VALUE);
                    if (found.records().isEmpty() || found.together() || ++rejects.rounds > MAX_DEAD_LETTER_ROUNDS) {
                        throw onRefusal.exception(plan, "the COPY", e, found, byNumber);
                    }
                    String reason = "the table refused it when the COPY wrote it (" + found.how() + "): " + RefusedWrites.serverMessage(e);
                    Set<Long> gone = new HashSet<>(found.records());
                    List<Row> left = new ArrayList<>(rest.size() - gone.size());
                    for (Row r : rest) {
                        if (gone.contains(r.recordNumber)) {
                            rejects.add(r.recordNumber, plan.keyText(r.values), reason, r.values);
                            if (r.before != null) {
                                retry.add(r.before);
                            }
                        } else {
                            left.add(r);
                        }
                    }
                    refused = true;
                    rows = left.isEmpty() && !retry.isEmpty() ? retry : left;
                    if (rows == retry) {
                        retry = new ArrayList<>();
                    }
                    start = 0;
                    continue;
                }
                if (at < 0) {
                    throw Sql.failed(sql, e);
                }
                Row bad = rest.get(at);
                String reason = reason(e);
                String column = e instanceof UnsentValue u ? plan.schema.field(u.column).name() : copyColumn(e, sql);
                if (("22007".equals(e.getSQLState()) || "22008".equals(e.getSQLState()))
                        && PinnedDateStyle.readsText(plan, column)) {
                    reason += PinnedDateStyle.hint(spec);
                }
                if ("22021".equals(e.getSQLState())) {
                    Optional<String[]> unencodable = unencodableColumn(plan, bad.values);
                    if (unencodable.isPresent() && (column == null || column.equals(unencodable.get()[0]))) {
                        column = unencodable.get()[0];
                        reason += " (the value holds " + unencodable.get()[1] + ")";
                    }
                }
                if (!deadLetter) {
                    throw bad(bad.recordNumber, plan.keyText(bad.values), column, reason, e);
                }
                List<Row> before = rest.subList(0, at);
                if (!before.isEmpty()) {
                    try {
                        n += writer.copy(c, sql, before, true);
                    } catch (SQLException again) {
                        again.addSuppressed(e);
                        throw Sql.failed(sql, again);   // rows that fitted a moment ago: not a bad row
                    }
                    copied.addAll(before);
                }
                rejects.add(bad.recordNumber, plan.keyText(bad.values), reason, bad.values);
                refused = true;
                if (bad.before != null) {
                    // the key's earlier records or events of this batch, without the refused one
                    retry.add(bad.before);
                }
                start += at + 1;
            }
            if (start >= rows.size() && !retry.isEmpty()) {
                rows = retry;
                retry = new ArrayList<>();
                start = 0;
            }
        }
        if (refused) {
            all.clear();
            all.addAll(copied);
        }
        return n;
    }

    /**
     * The first column of {@code values} whose text (a string, or an element of a list) PostgreSQL refuses as 'invalid
     * byte sequence for encoding "UTF8"', and what it holds: a NUL character (U+0000), or a lone surrogate (which UTF-8
     * cannot carry: such a value goes by text COPY). A text COPY checks the encoding of the whole line, so its error
     * names no column (a binary COPY names it).
     */
    private static Optional<String[]> unencodableColumn(Plan plan, Record values) {
        for (int i = 0; i < values.size() && i < plan.schema.size(); i++) {
            String what = unencodable(values.get(i));
            if (what != null) {
                return Optional.of(new String[] {plan.schema.field(i).name(), what});
            }
        }
        return Optional.empty();
    }

    /** What in {@code v} PostgreSQL's text cannot hold, or null. */
    private static String unencodable(Object v) {
        if (v instanceof CharSequence text) {
            for (int i = 0, n = text.length(); i < n; i++) {
                char c = text.charAt(i);
                if (c == 0) {
                    return "a NUL character, U+0000, which PostgreSQL's text cannot hold";
                }
                if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                        i++;
                    } else {
                        return "a lone surrogate, U+" + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
                                + " at character " + (i + 1) + ", which UTF-8 cannot carry";
                    }
                }
            }
            return null;
        }
        if (v instanceof java.util.Collection<?> list) {
            for (Object o : list) {
                String what = unencodable(o);
                if (what != null) {
                    return what;
                }
            }
        }
        return null;
    }

    /** The index of {@code row} itself in {@code rows}, or -1. */
    private static int indexOf(List<Row> rows, Row row) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i) == row) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the row the COPY refused (its line minus one), or -1 when the error names no line of it. */
    private int badIndex(SQLException e, String sql, int rows) {
        Matcher m = copyWhere(e, copied(sql));
        if (m == null) {
            return -1;
        }
        int line = Integer.parseInt(m.group(1));
        return line >= 1 && line <= rows ? line - 1 : -1;
    }

    private String copyColumn(SQLException e, String sql) {
        Matcher m = copyWhere(e, copied(sql));
        return m == null ? null : m.group(2);
    }

    /** The name of the relation a COPY statement of this load writes, as PostgreSQL names it in the COPY's context. */
    private String copied(String sql) {
        return sql.equals(statements.stageCopySql()) ? STAGE : target.name();
    }

    /**
     * The line (and column) of the COPY's own context in the error's "where": its line {@code COPY <relation>, line N},
     * which comes last (it is the outermost context). An inner context may name a line too, of something else (a jsonb
     * value's "JSON data, line 1", a trigger's function), which is not the row's.
     */
    private static Matcher copyWhere(SQLException e, String relation) {
        if (!(e instanceof PSQLException p) || p.getServerErrorMessage() == null || p.getServerErrorMessage().getWhere() == null) {
            return null;
        }
        String where = p.getServerErrorMessage().getWhere();
        String own = "COPY " + relation + ", line ";
        int at = where.lastIndexOf(own);
        int from;
        if (at == 0 || at > 0 && where.charAt(at - 1) == '\n') {
            from = at + own.length() - ", line ".length();
        } else {
            // named otherwise (not expected): the last COPY line
            int last = where.lastIndexOf("\nCOPY ");
            from = last >= 0 ? last + 1 : where.startsWith("COPY ") ? 0 : -1;
        }
        Matcher m = COPY_LINE.matcher(where);
        return from >= 0 && m.find(from) ? m : null;
    }

    /** Whether a column name is the loader's own (starting with {@code _mds_}, or {@code _deleted_at} in CDC mode). */
    public static boolean reservedColumn(String column, boolean cdc) {
        return Plan.reserved(column, cdc);
    }

    /**
     * The server's message with its detail in parentheses ({@code Key (id)=(5) is not present ...}), else the driver's,
     * with a long value they quote cut ({@link Shown#serverText}).
     */
    public static String reason(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            return Shown.serverText(m.getMessage()) + (m.getDetail() == null ? "" : " (" + Shown.serverText(m.getDetail()) + ")");
        }
        return Shown.serverText(e.getMessage());
    }

    // ------------------------------------------------------------------------------------------ bad rows

    private void reject(Rejects rejects, Record r, long number, String key, String column, String reason, Throwable cause) {
        if (spec.onBadRow() == OnBadRow.FAIL) {
            throw bad(number, key, column, reason, cause);
        }
        rejects.add(number, key, reason, r);
    }

    /**
     * The records the batch's source could not read: under FAIL the first fails the load before anything is written,
     * naming its file, line and column; under DEAD_LETTER they go to the dead-letter table with the batch's rows.
     */
    private void sourceRejects(RecordBatch batch, Rejects rejects) {
        List<BadRecord> bad = batch.rejected();
        if (bad.isEmpty()) {
            return;
        }
        if (spec.onBadRow() == OnBadRow.FAIL) {
            BadRecord first = bad.get(0);
            throw new BadInputException(first.location(), first.reason() + " (the source found " + bad.size()
                    + " bad record(s) in this batch's range; onBadRow(OnBadRow.DEAD_LETTER) writes them to "
                    + LoadStatements.suffixed(target, "_rejected") + "); nothing of this batch was loaded");
        }
        bad.forEach(rejects::addFromSource);
    }

    private BadInputException bad(long recordNumber, String key, String column, String reason, Throwable cause) {
        InputLocation where = InputLocation.of(target.toString()).withRecordNumber(recordNumber);
        if (key != null) {
            where = where.withKey(key);
        }
        if (column != null) {
            where = where.withColumn(column);
        }
        return new BadInputException(where, reason + "; nothing of this batch was loaded", cause);
    }

    private void writeRejects(Connection c, Rejects rejects) {
        if (rejects.size() == 0) {
            return;
        }
        if (spec.onBadRow() == OnBadRow.SKIP) {
            StringJoiner first = new StringJoiner("; ");
            for (Object[] r : rejects.rows.subList(0, Math.min(3, rejects.size()))) {
                first.add((r[0] == null ? "" : "record " + r[0] + " ") + (r[1] == null ? "" : "(key " + r[1] + ") ") + r[2]);
            }
            LOG.warn("{}: {} bad record(s) dropped (OnBadRow.SKIP), the first: {}", target, rejects.size(), first);
            return;
        }
        TableName rejected = LoadStatements.suffixed(target, "_rejected");
        if (!exists(c, rejected)) {
            Sql.execute(c, "create table if not exists " + rejected.quoted() + " (rejected_at timestamptz not null default now(),"
                    + " record_number bigint, key text, reason text, record text)");
        }
        String sql = "insert into " + rejected.quoted() + " (record_number, key, reason, record) values (?, ?, ?, ?)";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (Object[] r : rejects.rows) {
                if (r[0] == null) {
                    ps.setNull(1, java.sql.Types.BIGINT);
                } else {
                    ps.setLong(1, (Long) r[0]);
                }
                ps.setString(2, r[1] == null ? null : ((String) r[1]).replace("\0", "\\0"));
                ps.setString(3, ((String) r[2]).replace("\0", "\\0"));
                ps.setString(4, ((String) r[3]).replace("\0", "\\0"));
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        Sql.logged(sql + " [" + rejects.size() + " rows]", t0);
        LOG.warn("{}: {} bad record(s) written to {}", target, rejects.size(), rejected);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private LoadResult result(long[] counts, long rows, Rejects rejects, long t0) {
        long unchanged = Math.max(0, rows - counts[0] - counts[1] - counts[2]);
        if (spec.mode() == SyncMode.OVERWRITE) {
            unchanged = 0;
        }
        return new LoadResult(target, spec.mode(), counts[0], counts[1], counts[2], unchanged, rejects.size(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    private void lock(Connection c) {
        lockQuery(c, "select pg_advisory_xact_lock(hashtextextended(?, 0))", "mds.load " + target.quoted());
    }

    private boolean tryLock(Connection c) {
        return lockQuery(c, "select pg_try_advisory_xact_lock(hashtextextended(?, 0))", "mds.load " + target.quoted());
    }

    private static boolean lockQuery(Connection c, String sql, String key) {
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Object v = rs.getObject(1);
                Sql.logged(sql, t0);
                return !(v instanceof Boolean b) || b;
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /**
     * Whether {@code table} exists. Asked before a {@code create table if not exists} of a bookkeeping table: PostgreSQL
     * checks that statement against the role's CREATE privilege on the schema before it looks for the table, so a
     * role that may only write a table created for it would be refused.
     */
    private static boolean exists(Connection c, TableName table) {
        return queryLong(c, "select (" + PostgresDialect.INSTANCE.relationOid(table) + " is not null)::int") != 0;
    }

    private static boolean isEmpty(Connection c, TableName table) {
        return queryLong(c, "select count(*) from (select 1 from " + table.quoted() + " limit 1) x") == 0;
    }

    private static long queryLong(Connection c, String sql) {
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            long v = rs.getLong(1);
            Sql.logged(sql, t0);
            return v;
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /** The key of key values, as {@link #keyOf(Record, int[])}. */
    private static Object keyOf(Object[] keyValues) {
        if (keyValues.length == 1) {
            return normalize(keyValues[0]);
        }
        Object[] k = new Object[keyValues.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = normalize(keyValues[i]);
        }
        return Arrays.asList(k);
    }

    /**
     * The key of key values as the CDC fold keys them: as {@link #keyOf(Object[])}, or with {@code canonical} (see
     * {@link #canonicalKeys(Connection, ChangeBatch, Plan)}) as {@link #keyOf(Record, int[], List)}.
     */
    private static Object keyOf(Object[] keyValues, List<Map<String, String>> canonical) {
        if (canonical.isEmpty()) {
            return keyOf(keyValues);
        }
        Object[] k = new Object[keyValues.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = canonicalValue(keyValues[i], canonical.get(i));
        }
        return k.length == 1 ? k[0] : Arrays.asList(k);
    }

    /** As {@link #keyOf(Record, int[])}, with values of some key columns replaced by the database's representative. */
    private static Object keyOf(Record r, int[] keyIndex, List<Map<String, String>> canonical) {
        Object[] k = new Object[keyIndex.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = canonicalValue(r.get(keyIndex[i]), canonical.get(i));
        }
        return k.length == 1 ? k[0] : Arrays.asList(k);
    }

    /** A key value as its database representative in {@code text} (null: none for its column), else as it is compared. */
    private static Object canonicalValue(Object v, Map<String, String> text) {
        String representative = text == null || v == null ? null : text.get(v instanceof String t ? t : CopyText.valueText(v));
        return representative != null ? representative : v instanceof String t ? t : normalize(v);
    }

    /** The key as a value with Java equality matching the database's for the key types. */
    private static Object keyOf(Record r, int[] keyIndex) {
        if (keyIndex.length == 1) {
            return normalize(r.get(keyIndex[0]));
        }
        Object[] k = new Object[keyIndex.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = normalize(r.get(keyIndex[i]));
        }
        return Arrays.asList(k);
    }

    /**
     * A value with Java equality and order as the database's for the value as stored: integers as longs, decimals
     * without trailing zeros, timestamps as instants rounded to the microsecond as PostgreSQL stores them (an instant and
     * an offset date-time of it are one {@code timestamptz}; the infinities are {@link Instant#MAX} and
     * {@link Instant#MIN}), times as rounded microseconds of the day.
     */
    private static Object normalize(Object v) {
        if (v instanceof Long) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (v instanceof Double || v instanceof Float) {
            // -0.0 = 0.0 in PostgreSQL, not to Double.equals; a float widens exactly
            double d = ((Number) v).doubleValue();
            return d == 0.0 ? 0.0 : d;
        }
        if (v instanceof Instant || v instanceof OffsetDateTime || v instanceof ZonedDateTime) {
            int infinity = Infinity.sign(v);
            if (infinity != 0) {
                return infinity > 0 ? Instant.MAX : Instant.MIN;   // OffsetDateTime.MAX is not Instant.MAX's instant
            }
            Instant i = v instanceof Instant t ? t : v instanceof OffsetDateTime o ? o.toInstant()
                    : ((ZonedDateTime) v).toInstant();
            return i.getNano() % 1000 == 0 || i.getEpochSecond() == Instant.MAX.getEpochSecond() ? i
                    : i.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
        }
        if (v instanceof LocalDateTime t) {
            return t.getNano() % 1000 == 0 || t.getYear() == Year.MAX_VALUE ? t
                    : t.plusNanos(500).truncatedTo(ChronoUnit.MICROS);
        }
        if (v instanceof LocalTime t) {
            return Duration.ofNanos(CopyBinary.timeMicros(t));   // 24:00:00 when rounded up at the day's end
        }
        if (v instanceof byte[] b) {
            return ByteBuffer.wrap(b);
        }
        return v;
    }


}
