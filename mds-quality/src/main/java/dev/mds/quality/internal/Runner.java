package dev.mds.quality.internal;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.quality.CheckResult;
import dev.mds.quality.QualityReport;
import dev.mds.quality.Severity;
import dev.mds.quality.Status;
import dev.mds.quality.Threshold;
import dev.mds.quality.internal.CheckSpec.Kind;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the checks of a suite on one connection. Not thread-safe: one per run. */
public final class Runner {
    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

    private final Connection c;
    /** Cancels the run's statements when its thread is interrupted; {@link #c} is its connection. */
    private final InterruptWatch watch;
    /** Whether a failures table was replaced in a transaction of its own (auto-commit mode): it stays when the run stops. */
    private boolean committedAlone;
    /** Whether the run's transaction is its own ({@link #ownTransaction}), rolled back when the run stops. */
    private boolean ownTransaction;
    /**
     * The outermost of the scans' savepoints left open in the run's own transaction ({@link #queryRow(String, boolean)}),
     * or null: released, and with it those nested in it, before the run writes ({@link #releaseKept}).
     */
    private Savepoint kept;
    /** Whether the connection was in auto-commit mode when the run started (storing failures turns it off for a while). */
    private boolean autoCommitAtStart;
    private final int samples;
    private final Optional<TableName> history;
    /** Whether the history table has a where_condition column (one made by an earlier version may not). */
    private boolean historyHasWhere = true;
    private final Clock clock;
    private final Map<TableName, Optional<Schema>> schemas = new HashMap<>();
    /** Per table: what the catalog says about its text columns. */
    private final Map<TableName, TextColumns> textColumns = new HashMap<>();
    /** Per table (as the report names it): each column's declared type as PostgreSQL prints it ({@code character varying(20)}), for messages. */
    private final Map<String, Map<String, String>> declaredTypes = new HashMap<>();
    private int queries;

    /** Where failing rows are stored (storeFailures), if anywhere. */
    private final Optional<String> failuresSchema;
    /** The failure tables of this run's suite, once {@link #run} or {@link #statements} named them. */
    private StoredFailures stored;
    /** Whether the failures schema exists; read once per run, before the first check stores its rows. */
    private Boolean failuresSchemaExists;
    /**
     * The relations of the failures schema named as failure tables: name to the table's comment ("" for none), or
     * empty for a relation that is not a plain table.
     */
    private final Map<String, Optional<String>> failureTables = new HashMap<>();
    private final DataSource catalogNow;
    /** What the run is doing, for the error that stops it when its session is lost: "checking src.t". */
    private String step = "starting";

    public Runner(Connection connection, int samples, Optional<TableName> history, Clock clock) {
        this(connection, samples, history, clock, Optional.empty());
    }

    /** @param failuresSchema the schema that receives the failing rows of row-level checks that find any, if any */
    public Runner(Connection connection, int samples, Optional<TableName> history, Clock clock, Optional<String> failuresSchema) {
        this(connection, samples, history, clock, failuresSchema, null);
    }

    /**
     * @param catalogNow where to read the catalog as it is now when the run's own snapshot (REPEATABLE READ) cannot:
     *     the comment of a failures table another run made after that snapshot; {@code null}: nowhere
     */
    public Runner(Connection connection, int samples, Optional<TableName> history, Clock clock, Optional<String> failuresSchema,
            DataSource catalogNow) {
        this.watch = new InterruptWatch(connection);
        this.c = watch.connection();
        this.samples = samples;
        this.history = history;
        this.clock = clock;
        this.failuresSchema = failuresSchema;
        this.catalogNow = catalogNow;
    }

    /** The statements of a run without a database: every table and column assumed to exist, nothing read. */
    public static List<String> plan(List<TableSpec> tables, Optional<String> failuresSchema) {
        List<String> out = new ArrayList<>();
        StoredFailures names = failuresSchema.map(s -> new StoredFailures(s, tables)).orElse(null);
        for (TableSpec t : tables) {
            List<CheckSpec> scan = t.checks().stream().filter(x -> x.inScan()).toList();
            if (!scan.isEmpty()) {
                out.add(new Render.Scan(t.table(), t.where(), scan, null).sql());
                out.addAll(failingValues(t, scan, null, TextColumns.NONE));
            }
            Set<List<Object>> groupedDone = new HashSet<>();
            for (CheckSpec x : t.checks()) {
                if (x.grouped()) {
                    if (groupedDone.add(Render.groupedKey(x))) {
                        out.add(groupedScan(t, x, t.checks(), null, TextColumns.NONE).sql());
                    }
                } else if (x.kind().countsDistinct()) {
                    if (groupedDone.add(List.of("distinct", x.columns()))) {
                        out.add(Render.distinctValues(t.table(), t.where(), x, TextColumns.NONE));
                    }
                } else if (x.kind() == Kind.UNIQUE) {
                    out.add(Render.uniqueFingerprints(t.table(), t.where(), x, null, TextColumns.NONE));
                } else if (x.kind() == Kind.RELATIONSHIPS) {
                    out.add(Render.relationships(t.table(), t.where(), x, true));
                } else if (x.ownQuery()) {
                    out.add(ownSql(t, x, null));
                }
            }
            if (names != null) {
                for (CheckSpec x : t.checks()) {
                    if (x.rowLevel()) {
                        TableName target = names.table(t.table(), x.id());
                        out.add(StoredFailures.lock(target));
                        out.addAll(StoredFailures.replace(target,
                                Render.failingRows(t.table(), t.where(), x, null, TextColumns.NONE), t.table(), x.id()));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The statements a run on this connection executes first, with the catalog read as a run reads it (column
     * types and collations, NOT NULL constraints, unique indexes that make a unique check's query unnecessary).
     * A check that would end as ERROR (missing table or column) adds none. The query of the distinct failing values of
     * an accepted values check that counts values follows the scan, though it runs only when the scan found failing
     * rows; the other follow-up queries that depend on results (grouping a unique check that found duplicates,
     * samples of failed checks) are not included.
     */
    public List<String> statements(List<TableSpec> tables) {
        List<String> out = new ArrayList<>();
        for (TableSpec t : tables) {
            Optional<Schema> found = schema(t.table());
            if (found.isEmpty()) {
                continue;
            }
            Schema schema = found.get();
            List<CheckSpec> scan = new ArrayList<>();
            List<String> own = new ArrayList<>();
            List<CheckSpec> runnable = t.checks().stream().filter(x -> problem(t.table(), x, schema) == null).toList();
            Set<List<Object>> groupedDone = new HashSet<>();
            for (CheckSpec check : runnable) {
                if (check.inScan()) {
                    scan.add(check);
                } else if (check.grouped()) {
                    if (groupedDone.add(Render.groupedKey(check))) {
                        own.add(groupedScan(t, check, runnable, schema, text(t.table())).sql());
                    }
                } else if (check.kind().countsDistinct()) {
                    if (groupedDone.add(List.of("distinct", check.columns()))) {
                        own.add(Render.distinctValues(t.table(), t.where(), check, text(t.table())));
                    }
                } else if (check.kind() == Kind.UNIQUE && uniqueIndex(t.table(), check, schema).isEmpty()) {
                    own.add(Render.uniqueFingerprints(t.table(), t.where(), check, schema, text(t.table())));
                } else if (check.kind() == Kind.RELATIONSHIPS) {
                    own.add(Render.relationships(t.table(), t.where(), check, sameType(t.table(), check)));
                } else if (check.ownQuery()) {
                    own.add(ownSql(t, check, schema));
                }
            }
            if (!scan.isEmpty()) {
                out.add(new Render.Scan(t.table(), t.where(), scan, schema, text(t.table())).sql());
                out.addAll(failingValues(t, scan, schema, text(t.table())));
            }
            out.addAll(own);
            if (failuresSchema.isPresent() && failuresSchemaExistsForPlan(tables)) {
                for (CheckSpec check : t.checks()) {
                    if (check.rowLevel() && problem(t.table(), check, schema) == null) {
                        out.addAll(storing(t, check, schema, true));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The queries of the distinct failing values of the scan's accepted values checks that count values, in the scan's
     * order: each runs after the scan only when its check found failing rows.
     */
    private static List<String> failingValues(TableSpec t, List<CheckSpec> scan, Schema schema, TextColumns text) {
        return scan.stream().filter(x -> x.kind() == Kind.ACCEPTED_VALUES && x.countValues())
                .map(x -> Render.failingValues(t.table(), t.where(), x, schema, text)).toList();
    }

    /** {@link #failuresSchemaExists}, for {@link #statements}: a catalog that cannot be read is the caller's error. */
    private boolean failuresSchemaExistsForPlan(List<TableSpec> tables) {
        stored(tables);
        try {
            return failuresSchemaExists();
        } catch (SQLException e) {
            throw new MdsException("cannot read the catalog of schema " + Identifiers.quote(failuresSchema.orElseThrow())
                    + " to show the statements that store failing rows: " + e.getMessage(), e);
        }
    }

    private StoredFailures stored(List<TableSpec> tables) {
        if (stored == null) {
            stored = new StoredFailures(failuresSchema.orElseThrow(), tables);
        }
        return stored;
    }

    /**
     * Says that the run's transaction is its own, which its caller rolls back when the run throws
     * ({@code QualitySuite.run()}), so that the error of an interrupted run can say nothing was committed.
     */
    public Runner ownTransaction() {
        this.ownTransaction = true;
        return this;
    }

    /**
     * Runs every table's checks and, when configured, records them in the history table. An interrupt of the calling
     * thread cancels the statement running and stops the run: that statement is undone (to its savepoint), no history
     * is written, and this throws {@link MdsException} (its cause an {@link InterruptedException}) with the interrupt
     * flag still set; what the run wrote before (a history table it made, failures tables) is left to the transaction
     * it ran in (in auto-commit mode, failures tables replaced before stay).
     */
    public QualityReport run(List<TableSpec> tables) {
        watch.start();
        try {
            return runWatched(tables);
        } finally {
            watch.close();
        }
    }

    private QualityReport runWatched(List<TableSpec> tables) {
        stopIfInterrupted(null);
        try {
            autoCommitAtStart = c.getAutoCommit();
        } catch (SQLException e) {
            throw new MdsException("quality run cannot start: cannot read the connection's auto-commit mode: " + e.getMessage(), e);
        }
        // to the microsecond, as the history's run_at holds it (PostgreSQL would round the rest)
        Instant startedAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
        long t0 = System.nanoTime();
        String runId = UUID.randomUUID().toString();
        history.ifPresent(h -> {
            step = "creating history " + h;
            undoneOnFailure(() -> createHistory(h));
        });
        if (failuresSchema.isPresent()) {
            stored(tables);
        }
        List<CheckResult> results = new ArrayList<>();
        List<String> wheres = new ArrayList<>();   // each result's table's where, for the history
        for (TableSpec t : tables) {
            List<CheckResult> of = runTable(t);
            results.addAll(of);
            of.forEach(r -> wheres.add(t.where().orElse(null)));
        }
        history.ifPresent(h -> {
            step = "writing history " + h;
            undoneOnFailure(() -> writeHistory(h, runId, startedAt, results, wheres));
        });
        QualityReport report = new QualityReport(runId, startedAt, results, queries, Duration.ofNanos(System.nanoTime() - t0));
        if (LOG.isInfoEnabled()) {   // its arguments are work of their own
            LOG.info("quality run {}: {}, {} failed, {}, {}, {} in {} ms", runId, Plural.count(results.size(), "check"),
                    report.withStatus(Status.FAIL).size(), Plural.count(report.withStatus(Status.ERROR).size(), "error"),
                    Plural.count(report.withStatus(Status.WARN).size(), "warning"), Plural.count(queries, "query", "queries"),
                    report.duration().toMillis());
        }
        return report;
    }

    private List<CheckResult> runTable(TableSpec t) {
        List<CheckSpec> checks = t.checks();
        CheckResult[] out = new CheckResult[checks.size()];
        String name = t.table().toString();
        step = "checking " + name;
        stopIfInterrupted(null);
        Optional<Schema> found = schema(t.table());
        if (found.isEmpty()) {
            for (int i = 0; i < out.length; i++) {
                out[i] = error(name, checks.get(i), "", "table " + name + " does not exist (or is not visible to this user)", Duration.ZERO);
            }
            return List.of(out);
        }
        Schema schema = found.get();
        List<Integer> scan = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            CheckSpec check = checks.get(i);
            String problem = problem(t.table(), check, schema);
            if (problem != null) {
                out[i] = error(name, check, "", problem, Duration.ZERO);
            } else if (check.inScan()) {
                scan.add(i);
            }
        }
        if (!scan.isEmpty()) {
            runScan(t, schema, scan, out);
        }
        for (int i = 0; i < out.length; i++) {
            CheckSpec check = checks.get(i);
            if (out[i] == null && check.kind() == Kind.UNIQUE) {
                out[i] = runUnique(t, check, schema);
            } else if (out[i] == null && check.kind() == Kind.RELATIONSHIPS) {
                out[i] = runOwnQuery(name, check, Render.relationships(t.table(), t.where(), check, sameType(t.table(), check)),
                        false);
            } else if (out[i] == null && check.kind() == Kind.EQUALITY) {
                out[i] = runEquality(name, check, ownSql(t, check, schema));
            } else if (out[i] == null && check.kind().countsDistinct()) {
                List<Integer> shared = new ArrayList<>();
                for (int j = i; j < out.length; j++) {
                    if (out[j] == null && checks.get(j).kind().countsDistinct()
                            && checks.get(j).columns().equals(check.columns())) {
                        shared.add(j);
                    }
                }
                runDistinct(t, shared, out);
            } else if (out[i] == null && check.kind() == Kind.CARDINALITY_EQUALITY) {
                out[i] = runCardinality(name, check, ownSql(t, check, schema));
            } else if (out[i] == null && check.grouped()) {
                List<Integer> shared = new ArrayList<>();
                for (int j = i; j < out.length; j++) {
                    if (out[j] == null && checks.get(j).grouped()
                            && Render.groupedKey(checks.get(j)).equals(Render.groupedKey(check))) {
                        shared.add(j);
                    }
                }
                runGrouped(t, schema, shared, out);
            } else if (out[i] == null && (check.kind() == Kind.EQUAL_ROW_COUNT || check.kind() == Kind.FEWER_ROWS_THAN)) {
                out[i] = runRowCounts(name, check, ownSql(t, check, schema));
            } else if (out[i] == null && check.ownQuery()) {
                out[i] = runOwnQuery(name, check, ownSql(t, check, schema), false);
            } else if (out[i] == null && check.kind() == Kind.COLUMNS) {
                out[i] = columns(name, check, schema);
            } else if (out[i] == null && check.kind() == Kind.COLUMN_TYPE) {
                out[i] = columnType(t.table(), check);
            }
        }
        if (samples > 0) {
            List<String> keys = null;
            List<String> missingKeys = t.keyColumns().stream().filter(k -> !schema.contains(k)).toList();
            String note = missingKeys.isEmpty() ? "" : " (samples without key column(s) "
                    + Identifiers.quoteAll(missingKeys) + ": not in " + name + ")";
            for (int i = 0; i < out.length; i++) {
                CheckSpec check = checks.get(i);
                if ((out[i].status() == Status.FAIL || out[i].status() == Status.WARN) && check.rowLevel()
                        && out[i].failingRows() > 0) {
                    if (keys == null) {
                        keys = keys(t, schema);
                    }
                    out[i] = withSamples(out[i], Render.samples(t.table(), t.where(), check, keys, schema,
                            text(t.table()), samples), note);
                }
            }
        }
        if (failuresSchema.isPresent()) {
            for (int i = 0; i < out.length; i++) {
                if (checks.get(i).rowLevel() && out[i].status() != Status.ERROR) {
                    out[i] = storeFailures(t, checks.get(i), schema, out[i]);
                }
            }
        }
        return List.of(out);
    }

    /**
     * dbt's store_failures for one check that ran: replaces its failures table with its failing rows when it found
     * any (whether it failed, warned or passed under its threshold), drops the table (of an earlier run) when it found
     * none; in a savepoint, so that a failure leaves the
     * caller's transaction usable and the other checks unaffected. A table this module did not make (its comment
     * says so) is never dropped or replaced. Problems go to the check's message, naming the check, table and schema.
     */
    private CheckResult storeFailures(TableSpec t, CheckSpec check, Schema schema, CheckResult r) {
        TableName target = stored.table(t.table(), check.id());
        // as dbt stores what its test query returned whatever error_if / warn_if decide: a check that passed under
        // its threshold keeps its failing rows too
        boolean failing = r.failingRows() > 0;
        String what = "failing rows of check " + check.id() + " on " + t.table();
        step = "storing the " + what + " in " + target;
        try {
            if (!failuresSchemaExists()) {
                String name = failuresSchema.orElseThrow();
                // unlike a table name (history, checks), the schema is taken exactly, as JdbcStateStore's: "Audit" is not audit
                String exactly = name.equals(name.toLowerCase(java.util.Locale.ROOT)) ? ""
                        : "; the name is taken exactly as given, not folded to lower case as an unquoted SQL name is";
                return failing ? noted(r, what + " not stored: schema " + Identifiers.quote(name)
                        + " does not exist (create it, or give QualitySuite.storeFailures an existing schema" + exactly + ")") : r;
            }
        } catch (SQLException e) {
            return failing ? noted(r, what + " not stored: cannot read the catalog of schema "
                    + Identifiers.quote(failuresSchema.orElseThrow()) + ": " + oneLine(e)) : r;
        }
        String owner = StoredFailures.comment(t.table(), check.id());
        Optional<String> found = failureTables.get(target.name());
        boolean ours = found != null && found.filter(owner::equals).isPresent();
        if (found != null && !ours) {
            if (!failing) {
                return r; // not this check's table: nothing of its own to drop
            }
            String why = found.filter(x -> x.startsWith(StoredFailures.MARK)).isPresent()
                    ? " holds the failing rows of another check ('" + found.get() + "'); give this check another id"
                            + " (.id(\"...\")) or store its failures in another schema"
                    : " exists and was not made by mds-quality (no '" + StoredFailures.MARK.strip() + "' comment)";
            return noted(r, what + " not stored: " + target + why + "; it is left as it is");
        }
        Optional<TableName> former = former(t, check);
        List<String> statements = storing(t, check, schema, failing);
        if (statements.isEmpty()) {
            return r; // nothing stored, nothing of an earlier run to drop
        }
        Savepoint sp = null;
        boolean autoCommit;
        try {
            autoCommit = c.getAutoCommit();
        } catch (SQLException e) {
            return noted(r, what + " not stored: " + oneLine(e));
        }
        try {
            // in auto-commit mode, a transaction of their own: the drop alone must not commit when the create then fails
            // (the rows of the last run were gone, none stored instead)
            if (autoCommit) {
                c.setAutoCommit(false);
            } else {
                releaseKept();
                sp = savepoint();
            }
            for (int i = 0; i < statements.size(); i++) {
                String sql = statements.get(i);
                long t0 = System.nanoTime();
                try (Statement st = c.createStatement()) {
                    st.execute(sql);
                }
                Sql.logged(sql, t0);
                if (i == 0) {
                    // the first statement is the lock, and the catalog was read before it: another run may have made
                    // the table meanwhile
                    Optional<String> now = madeMeanwhile(target, owner);
                    if (now != null) {
                        undo(sp, autoCommit);
                        failureTables.put(target.name(), now);
                        if (!failing) {
                            return r; // not this check's table (any more): nothing of its own to drop
                        }
                        return noted(r, what + " not stored: " + target + " was made meanwhile by another run, "
                                + now.filter(x -> x.startsWith(StoredFailures.MARK))
                                        .map(x -> "holding the failing rows of another check ('" + x + "')")
                                        .orElse("not by mds-quality for this check") + "; it is left as it is");
                    }
                }
            }
            if (autoCommit) {
                c.commit();
                committedAlone = true;
            } else {
                release(sp);
            }
        } catch (SQLException e) {
            try {
                if (autoCommit) {
                    // first: putting auto-commit back (finally) would commit the statements before the failed one
                    try {
                        c.rollback();
                    } catch (SQLException undo) {
                        e.addSuppressed(undo);
                    }
                }
                rollback(sp, e);   // stops the run when the session is lost or the thread interrupted
            } catch (SQLException undo) {
                e.addSuppressed(undo);
            }
            LOG.warn("cannot store the {}: {}", what, e.getMessage());
            return noted(r, (failing ? what + " not stored in " : "stale " + what + " not dropped from ") + target + ": "
                    + oneLine(e));
        } finally {
            if (autoCommit) {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException e) {
                    LOG.debug("cannot restore auto-commit: {}", e.getMessage());
                }
            }
        }
        former.ifPresent(a -> failureTables.remove(a.name()));
        if (!failing) {
            failureTables.remove(target.name());
            return r;
        }
        failureTables.put(target.name(), Optional.of(owner));
        return new CheckResult(r.table(), r.id(), r.kind(), r.columns(), r.severity(), r.status(), r.observed(),
                r.failingRows(), r.checkedRows(), r.failingPercent(), r.samples(), r.sql(), r.duration(), r.message(),
                r.decidedBy(), target.toString());
    }

    /**
     * What the catalog holds now (read under the table's lock) under {@code target} when it is not this check's
     * table: its comment for a table ({@code ""} for none), {@code Optional.empty()} for a relation that is not a
     * table; {@code null} when it is missing or is this very check's table ({@code owner} its comment). A relation
     * made after a REPEATABLE READ run's snapshot is found by name ({@code to_regclass} reads the catalog as it is
     * now) but its comment is not visible in that snapshot: it is read on another connection ({@code catalogNow}), and
     * without one it counts as another check's.
     */
    private Optional<String> madeMeanwhile(TableName target, String owner) throws SQLException {
        String sql = "select to_regclass(?)::oid, r.oid, r.relkind = 'r', coalesce(obj_description(r.oid, 'pg_class'), '')"
                + " from (select 1) one left join pg_catalog.pg_class r on r.oid = to_regclass(?)";
        Optional<String> now;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, target.quoted());
            ps.setString(2, target.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getObject(1) == null) {
                    return null;
                }
                if (rs.getObject(2) != null) {
                    now = rs.getBoolean(3) ? Optional.of(rs.getString(4)) : Optional.empty();
                } else if (catalogNow == null) {
                    return Optional.of("");
                } else {
                    now = commentNow(rs.getLong(1));
                }
            }
        }
        return now.filter(owner::equals).isPresent() ? null : now;
    }

    /** The comment of relation {@code oid} read on a connection of its own (its own snapshot), as {@link #madeMeanwhile}. */
    private Optional<String> commentNow(long oid) throws SQLException {
        try (Connection other = catalogNow.getConnection();
                PreparedStatement ps = other.prepareStatement("select relkind = 'r', coalesce(obj_description(oid, 'pg_class'), '')"
                        + " from pg_catalog.pg_class where oid = ?")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1) ? Optional.of(rs.getString(2)) : Optional.empty();
            }
        }
    }

    /** Rolls back the statements of one failures table: to {@code sp}, or the whole transaction in auto-commit mode. */
    private void undo(Savepoint sp, boolean autoCommit) throws SQLException {
        if (autoCommit) {
            c.rollback();
        } else {
            rollback(sp, null);
        }
    }

    /**
     * The statements that store the failing rows of {@code check} ({@code failing}) or drop its table of an earlier
     * run (not failing), in the order they run, as the failures schema's catalog stands; none when there is nothing
     * to do or the table of that name is not this check's (never touched). The run executes exactly these, and
     * {@link #statements} shows them ({@code failing}: the statements of a check that fails or warns).
     *
     * <p>First the advisory lock ({@link StoredFailures#lock}): two runs that both found the table missing would
     * each create it, and the second failed on the catalog's unique index ({@code duplicate key value violates unique
     * constraint "pg_type_typname_nsp_index"}) instead of replacing the first's rows; the lock is the transaction's
     * (held, as the table's own locks are, until it ends). Then the check's table under its other name, when the
     * catalog holds it ({@link #former}), and the replacement or the drop.
     */
    private List<String> storing(TableSpec t, CheckSpec check, Schema schema, boolean failing) {
        TableName target = stored.table(t.table(), check.id());
        Optional<String> found = failureTables.get(target.name());
        boolean ours = found != null && found.filter(StoredFailures.comment(t.table(), check.id())::equals).isPresent();
        Optional<TableName> former = former(t, check);
        if (found != null && !ours || !failing && !ours && former.isEmpty()) {
            return List.of();
        }
        List<String> statements = new ArrayList<>();
        statements.add(StoredFailures.lock(target));
        former.ifPresent(a -> statements.add(StoredFailures.drop(a)));
        if (failing) {
            statements.addAll(StoredFailures.replace(target, Render.failingRows(t.table(), t.where(), check, schema,
                    text(t.table())), t.table(), check.id()));
        } else if (ours) {
            statements.add(StoredFailures.drop(target));
        }
        return statements;
    }

    /**
     * The check's table under its other name (when the suite held, or did not hold, a same-named table of another
     * schema), when the catalog holds it with this very check's comment: stale rows, dropped as its own table of an
     * earlier run is.
     */
    private Optional<TableName> former(TableSpec t, CheckSpec check) {
        String owner = StoredFailures.comment(t.table(), check.id());
        return stored.alternate(t.table(), check.id()).filter(a -> {
            Optional<String> f = failureTables.get(a.name());
            return f != null && f.filter(owner::equals).isPresent();
        });
    }

    /** {@code r} with {@code note} added to its message. */
    private static CheckResult noted(CheckResult r, String note) {
        return new CheckResult(r.table(), r.id(), r.kind(), r.columns(), r.severity(), r.status(), r.observed(),
                r.failingRows(), r.checkedRows(), r.failingPercent(), r.samples(), r.sql(), r.duration(),
                r.message().isEmpty() ? note : r.message() + "; " + note, r.decidedBy(), r.failuresTable());
    }

    /**
     * Whether the failures schema exists, reading it (and which of the suite's failure tables are there, and whether
     * this module made them) on first use: one catalog query per run.
     */
    private boolean failuresSchemaExists() throws SQLException {
        if (failuresSchemaExists != null) {
            return failuresSchemaExists;
        }
        String sql = "select n.oid is not null, r.relname, r.relkind = 'r', coalesce(obj_description(r.oid, 'pg_class'), '')"
                + " from (select 1) one left join pg_catalog.pg_namespace n on n.nspname = ?"
                + " left join pg_catalog.pg_class r on r.relnamespace = n.oid and r.relname = any(?)";
        Savepoint sp = savepoint();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, stored.schema());
            ps.setArray(2, c.createArrayOf("text", stored.names().toArray()));
            boolean exists = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    exists = rs.getBoolean(1);
                    if (rs.getString(2) != null) {
                        failureTables.put(rs.getString(2), rs.getBoolean(3) ? Optional.of(rs.getString(4)) : Optional.empty());
                    }
                }
            }
            release(sp);
            failuresSchemaExists = exists;
            return exists;
        } catch (SQLException e) {
            rollback(sp, e);
            throw e;
        }
    }

    /**
     * Runs the row-level checks in one query; if it fails, runs each alone to find the one(s) that cannot run, unless
     * the failure is about none of them ({@link #aboutNoCheck}).
     */
    private void runScan(TableSpec t, Schema schema, List<Integer> indexes, CheckResult[] out) {
        String name = t.table().toString();
        List<CheckSpec> checks = indexes.stream().map(i -> t.checks().get(i)).toList();
        Render.Scan scan = new Render.Scan(t.table(), t.where(), checks, schema, text(t.table()));
        long t0 = System.nanoTime();
        try {
            // in the run's own transaction the scan's savepoint is left to the COMMIT or ROLLBACK that ends the run
            // (see queryRow): one round trip less per table
            Map<String, Object> row = queryRow(scan.sql(), ownTransaction);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            for (int k = 0; k < checks.size(); k++) {
                out[indexes.get(k)] = evaluate(t, schema, checks.get(k), scan, row, took);
            }
        } catch (SQLException combined) {
            if (aboutNoCheck(combined)) {
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                for (int k = 0; k < checks.size(); k++) {
                    out[indexes.get(k)] = error(name, checks.get(k), scan.sql(), couldNotRun(name, checks.get(k), combined), took);
                }
                return;
            }
            LOG.debug("scan of {} failed ({}); running its checks one by one", name, combined.getMessage());
            for (int k = 0; k < checks.size(); k++) {
                CheckSpec check = checks.get(k);
                Render.Scan single = new Render.Scan(t.table(), t.where(), List.of(check), schema, text(t.table()));
                long t1 = System.nanoTime();
                try {
                    Map<String, Object> row = queryRow(single.sql());
                    out[indexes.get(k)] = evaluate(t, schema, check, single, row, Duration.ofNanos(System.nanoTime() - t1));
                } catch (SQLException e) {
                    out[indexes.get(k)] = error(name, check, single.sql(), couldNotRun(name, check, e),
                            Duration.ofNanos(System.nanoTime() - t1));
                }
            }
        }
    }

    /**
     * Whether a failed scan says nothing about its checks' SQL: cancelled or timed out (57014), a lock not granted in
     * time (55P03), the server short of resources (class 53). Each check run alone would meet it again, each waiting
     * out the same timeout.
     */
    private static boolean aboutNoCheck(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("57014") || state.equals("55P03") || state.startsWith("53"));
    }

    private CheckResult evaluate(TableSpec t, Schema schema, CheckSpec check, Render.Scan scan, Map<String, Object> row,
            Duration took) {
        String table = t.table().toString();
        long n = number(row.get("n")).longValue();
        List<String> a = scan.aliases(check);
        String sql = scan.sql();
        long nonNull = scan.nonNull(check, row, n).orElse(n);
        switch (check.kind()) {
            case NOT_NULL -> {
                if (a.isEmpty()) {
                    return rows(table, check, 0, n, "0 of " + Plural.count(n, "row") + " are NULL (NOT NULL constraint)", n, sql, took);
                }
                long failing = n - scan.nonNull(a.get(0), row, n);
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " are NULL", n, sql, took);
            }
            case ACCEPTED_VALUES -> {
                long failing = number(row.get(a.get(0))).longValue();
                if (check.countValues()) {
                    return acceptedValues(t, schema, check, failing, number(row.get(a.get(1))).longValue(), n, sql, took);
                }
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " not in " + shown(check.values()), nonNull, sql, took);
            }
            case RANGE -> {
                long failing = sum(row, a);   // below min + above max, or one OR
                String range = bounds(check);
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " outside " + range, nonNull, sql, took);
            }
            case NOT_ACCEPTED_VALUES -> {
                long failing = number(row.get(a.get(0))).longValue();
                if (check.countValues()) {
                    long values = number(row.get(a.get(1))).longValue();
                    return rows(table, check, failing, values, failing + " of " + Plural.count(values, "distinct value")
                            + " in " + shown(check.values()) + " (" + Plural.count(n, "row") + ")", values, sql, took);
                }
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " in " + shown(check.values()), nonNull, sql, took);
            }
            case LENGTH -> {
                long failing = sum(row, a);   // too short + too long
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " with a length outside " + bounds(check),
                        nonNull, sql, took);
            }
            case NOT_CONSTANT -> {
                boolean constant = Boolean.TRUE.equals(row.get(a.get(0)));
                String value = a.size() > 1 && row.get(a.get(1)) != null ? " (" + row.get(a.get(1)) + ")" : "";
                return result(table, check, !constant, constant ? "one distinct value" + value : "not constant", 0, n, sql,
                        took, constant ? "every non-NULL " + check.columns().get(0) + " is the same value" + value : "");
            }
            case AT_LEAST_ONE -> {
                long values = a.isEmpty() ? n : scan.nonNull(a.get(0), row, n);
                return result(table, check, values > 0, values + " non-NULL of " + Plural.count(n, "row"), 0, n, sql, took,
                        values > 0 ? "" : "no non-NULL " + check.columns().get(0) + " in " + Plural.count(n, "row"));
            }
            case MATCHES -> {
                long failing = number(row.get(a.get(0))).longValue();
                // PostgreSQL compiles the pattern when a row first reaches it: when none did (no row, or only NULLs),
                // compile it once on its own, so that an invalid one is an ERROR now and not on the day a value arrives
                // (the scan counts a nullable column's NULLs for a matches check; a NOT NULL column's n rows all reach it)
                if (failing == 0 && (n == 0 || scan.knownNonNull(check, row, n).orElse(n) == 0)) {
                    CheckResult invalid = timedRow(table, check, "select '' ~ " + Identifiers.literal(check.text()) + " as compiles",
                            (ok, d) -> null);
                    if (invalid != null) {
                        return invalid;
                    }
                }
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " do not match " + check.text(), nonNull, sql, took);
            }
            case EXPRESSION -> {
                long failing = number(row.get(a.get(0))).longValue();
                return rows(table, check, failing, n, failing + " of " + Plural.count(n, "row") + " where not (" + check.text() + ")", n,
                        sql, took);
            }
            case ROW_COUNT -> {
                boolean ok = check.bounds().contains(n);
                return result(table, check, ok, Plural.count(n, "row"), 0, n, sql, took,
                        ok ? "" : Plural.count(n, "row") + ", expected " + check.bounds());
            }
            case FRESHNESS -> {
                Object newest = row.get(a.get(0));
                Object age = row.get(a.get(1));
                if (newest == null) {
                    // an empty table and rows whose column is NULL are two incidents: the observed value tells which
                    String col = check.columns().get(0);
                    String none = n == 0 ? "no rows" : n == 1 ? "1 row, its " + col + " NULL" : n + " rows, every " + col + " NULL";
                    return result(table, check, false, none, 0, n, sql, took,
                            "no rows with a " + check.columns().get(0) + ": cannot tell freshness");
                }
                double seconds = number(age).doubleValue();
                Duration ageD = Duration.ofMillis(Math.round(seconds * 1000));
                boolean ok = seconds < 0 || ageD.compareTo(check.maxAge()) <= 0;
                // 'infinity' / '-infinity' give an infinite age; a value in the future counts as fresh, as in dbt
                String ageText = Double.isInfinite(seconds) ? (seconds > 0 ? "infinite" : "in the infinite future")
                        : seconds < 0 ? human(ageD.negated()) + " in the future"
                        // too old, but as old as the maximum to the unit shown: in full, so the message reads past it
                        : !ok && human(ageD).equals(human(check.maxAge())) ? precise(ageD) : human(ageD);
                return result(table, check, ok, "newest " + newest + " (age " + ageText + ")", 0, n, sql, took,
                        ok ? "" : "newest " + check.columns().get(0) + " is " + (Double.isInfinite(seconds)
                                ? newest + ", older than " : ageText + " old, more than ") + human(check.maxAge()));
            }
            case ROW_COUNT_ANOMALY -> {
                return anomaly(table, t.where(), check, n, sql, took);
            }
            case STATISTIC -> {
                return statistic(table, check, (String) row.get(a.get(0)), n, sql, took);
            }
            default -> throw new IllegalStateException(check.kind() + " is not part of a scan");
        }
    }

    /**
     * An accepted values check that counts values, from the table's scan: its failing rows and the accepted values
     * found. Only when rows fail does a second query ({@link Render#failingValues}) count their distinct values; the
     * distinct values of the column are those and the accepted ones found. The result is what counting both in the
     * scan gave ({@code count(distinct …)}, which sorts the column and keeps the whole scan from running in parallel).
     * That query failing makes the check an ERROR naming it.
     */
    private CheckResult acceptedValues(TableSpec t, Schema schema, CheckSpec check, long failingRows, long found, long n,
            String scanSql, Duration took) {
        String table = t.table().toString();
        long failing = 0;
        String sql = scanSql;
        Duration total = took;
        if (failingRows > 0) {
            String own = Render.failingValues(t.table(), t.where(), check, schema, text(t.table()));
            sql = scanSql + ";\n" + own;
            long t0 = System.nanoTime();
            try {
                failing = number(queryRow(own).get("failing_values")).longValue();
            } catch (SQLException e) {
                return error(table, check, sql, couldNotRun(table, check, e), took.plusNanos(System.nanoTime() - t0));
            }
            total = took.plusNanos(System.nanoTime() - t0);
        }
        long values = found + failing;
        return rows(table, check, failing, values, failing + " of " + Plural.count(values, "distinct value")
                + " not in " + shown(check.values()) + " (" + Plural.count(n, "row") + ")", values, sql, total);
    }

    /**
     * The unique value count and proportion of unique values checks (the indexes {@code shared} of the table's checks)
     * on one column: one query ({@link Render#distinctValues}) for all of them; when it fails, each is an ERROR naming
     * itself (they run the same statement on the same column).
     */
    private void runDistinct(TableSpec t, List<Integer> shared, CheckResult[] out) {
        String name = t.table().toString();
        CheckSpec first = t.checks().get(shared.get(0));
        String sql = Render.distinctValues(t.table(), t.where(), first, text(t.table()));
        long t0 = System.nanoTime();
        try {
            Map<String, Object> row = queryRow(sql);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            for (int i : shared) {
                out[i] = distinct(name, t.checks().get(i), row, sql, took);
            }
        } catch (SQLException e) {
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            for (int i : shared) {
                out[i] = error(name, t.checks().get(i), sql, couldNotRun(name, t.checks().get(i), e), took);
            }
        }
    }

    /** A unique value count or proportion of unique values check's result from its distinct values query's row. */
    private static CheckResult distinct(String table, CheckSpec check, Map<String, Object> row, String sql, Duration took) {
        long n = number(row.get("n")).longValue();
        long distinct = number(row.get("distinct_values")).longValue();
        if (check.kind() == Kind.UNIQUE_VALUE_COUNT) {
            boolean ok = within(check, BigDecimal.valueOf(distinct), BigDecimal.ONE);
            return result(table, check, ok, Plural.count(distinct, "distinct value") + " in " + Plural.count(n, "row"), 0, n,
                    sql, took, ok ? "" : "unique value count of " + check.columns().get(0) + " is " + distinct
                            + ", expected within " + bounds(check));
        }
        long values = number(row.get("non_null")).longValue();
        // Great Expectations' unique proportion: 0 when there is no non-NULL value; compared as Great Expectations
        // compares it, the quotient as a double (correctly rounded, as Python's division) against the bounds as
        // doubles, so that 2 of 3 values lie within a bound of 2.0 / 3 (exactly, 2 is above 0.666…6 * 3)
        long of1 = values == 0 ? 1 : values;
        double proportion = values == 0 ? 0 : (double) distinct / values;
        String shown = proportionText(distinct, of1, proportion, check);
        boolean ok = (check.min() == null || proportion >= ((BigDecimal) check.min()).doubleValue())
                && (check.max() == null || proportion <= ((BigDecimal) check.max()).doubleValue());
        String of = Plural.count(distinct, "distinct value") + " of " + Plural.count(values, "non-NULL value");
        return result(table, check, ok, "proportion " + shown + " (" + of + ")", 0, n, sql, took, ok ? ""
                : "proportion of unique values of " + check.columns().get(0) + " is " + shown + " (" + of
                        + "), expected within " + bounds(check));
    }

    /**
     * A proportion of unique values with 4 decimals, or as many more (up to 17) as it takes to stand on the side of
     * each bound the check found it on: 2 of 3 against a minimum of 0.66667 is 0.666667, not 0.6667, which read as
     * within the bound it failed. Without trailing zeros.
     */
    private static String proportionText(long distinct, long of, double proportion, CheckSpec check) {
        BigDecimal exact = BigDecimal.valueOf(distinct);
        BigDecimal four = exact.divide(BigDecimal.valueOf(of), 4, java.math.RoundingMode.HALF_EVEN);
        for (int scale = 4; scale <= 17; scale++) {
            BigDecimal shown = exact.divide(BigDecimal.valueOf(of), scale, java.math.RoundingMode.HALF_EVEN);
            if (asFound(shown, proportion, check.min()) && asFound(shown, proportion, check.max())) {
                return shown.stripTrailingZeros().toPlainString();
            }
        }
        return four.stripTrailingZeros().toPlainString();
    }

    /** Whether {@code shown} stands on the side of {@code bound} (none: null) that {@code found} was compared on. */
    private static boolean asFound(BigDecimal shown, double found, Object bound) {
        return bound == null || Integer.signum(shown.compareTo((BigDecimal) bound))
                == Integer.signum(Double.compare(found, ((BigDecimal) bound).doubleValue()));
    }

    /** A range's or statistic's bounds as the messages show them: {@code [1, ∞]}. */
    private static String bounds(CheckSpec check) {
        return (check.exclusive() ? "(" : "[") + (check.min() == null ? "-∞" : shown(check.min())) + ", "
                + (check.max() == null ? "∞" : shown(check.max())) + (check.exclusive() ? ")" : "]");
    }

    /**
     * A bound or listed value as a message shows it: a number as the numeric literal the check's SQL compares with
     * (a double its shortest decimal), as PostgreSQL prints a numeric ({@code 10000000000}, not Java's {@code 1.0E10} or
     * BigDecimal's {@code 1.0E+10}).
     */
    private static Object shown(Object v) {
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Double || v instanceof Float) {
            String text = v instanceof Double d ? PgFloats.text(d) : PgFloats.text((Float) v);
            return Double.isFinite(((Number) v).doubleValue()) ? new BigDecimal(text).toPlainString() : text;
        }
        return v;
    }

    private static String shown(List<Object> values) {
        return values.stream().map(v -> String.valueOf(shown(v))).toList().toString();
    }

    /**
     * Whether the fraction {@code numerator / denominator} (a positive denominator) lies within the check's inclusive
     * bounds ({@code min} and {@code max}, BigDecimal or null), compared exactly: the numerator against each bound times
     * the denominator.
     */
    private static boolean within(CheckSpec check, BigDecimal numerator, BigDecimal denominator) {
        return (check.min() == null || numerator.compareTo(((BigDecimal) check.min()).multiply(denominator)) >= 0)
                && (check.max() == null || numerator.compareTo(((BigDecimal) check.max()).multiply(denominator)) <= 0);
    }

    /** A statistic's check: its value (PostgreSQL's text of it, null when there is none) within the bounds. */
    private static CheckResult statistic(String table, CheckSpec check, String value, long n, String sql, Duration took) {
        String name = dev.mds.quality.Statistic.valueOf(check.text()).label();
        String column = check.columns().get(0);
        String range = bounds(check);
        if (value == null || value.equals("NaN")) {
            String why = value == null ? "no " + name + " (no non-NULL value" + (name.equals("stddev") ? ", or only one" : "") + ")"
                    : name + " is NaN";
            return result(table, check, false, value == null ? "none" : "NaN", 0, n, sql, took,
                    name + " of " + column + ": " + why + ", expected within " + range);
        }
        java.math.BigDecimal v = value.equals("Infinity") || value.equals("-Infinity") ? null : new java.math.BigDecimal(value);
        boolean belowMin = check.min() != null && (v == null ? value.startsWith("-") : v.compareTo((java.math.BigDecimal) check.min()) < 0);
        boolean aboveMax = check.max() != null && (v == null ? !value.startsWith("-") : v.compareTo((java.math.BigDecimal) check.max()) > 0);
        boolean ok = !belowMin && !aboveMax;
        // a float's text in exponent notation (1e+20) is PostgreSQL's shortest already
        String shown = v == null || !computed(check) || value.contains("e") ? value : concise(v, check);
        return result(table, check, ok, name + " " + shown, 0, n, sql, took,
                ok ? "" : name + " of " + column + " is " + shown + ", expected within " + range);
    }

    /** Whether the statistic is computed (mean, median, stddev) rather than one of the column's values or their sum. */
    private static boolean computed(CheckSpec check) {
        dev.mds.quality.Statistic s = dev.mds.quality.Statistic.valueOf(check.text());
        return s == dev.mds.quality.Statistic.MEAN || s == dev.mds.quality.Statistic.MEDIAN
                || s == dev.mds.quality.Statistic.STDDEV;
    }

    /**
     * A computed statistic as a reader wants it: 6 significant digits (more when its whole part has more), or as many
     * more as it takes to stand on the same side of each bound as the exact value (9.99999999995 is not shown as 10
     * against a minimum of 10), without trailing zeros. PostgreSQL gives an avg of numeric with 16 to 20 decimals
     * (1.44444444444444444444, a median of 1.5000000000000000), which the check compares exactly.
     */
    static String concise(BigDecimal v, CheckSpec check) {
        int whole = v.precision() - v.scale();
        for (int p = Math.max(6, whole); p < v.precision(); p++) {
            BigDecimal r = v.round(new java.math.MathContext(p, java.math.RoundingMode.HALF_EVEN));
            if (sameSide(r, v, check.min()) && sameSide(r, v, check.max())) {
                return r.stripTrailingZeros().toPlainString();
            }
        }
        return v.stripTrailingZeros().toPlainString();
    }

    private static boolean sameSide(BigDecimal shown, BigDecimal exact, Object bound) {
        return bound == null || Integer.signum(shown.compareTo((BigDecimal) bound)) == Integer.signum(exact.compareTo((BigDecimal) bound));
    }

    /**
     * A row-count anomaly check: the count against the earlier runs of the same table, check id and {@code where}
     * (none: a NULL {@code where_condition}, as in the rows of a history table made before the column was added). On
     * a history table without that column (made by an earlier version, which this run may not alter) a check with a
     * {@code where} is an ERROR: its earlier runs cannot be told from those under another condition.
     */
    private CheckResult anomaly(String table, Optional<String> where, CheckSpec check, long n, String scanSql, Duration took) {
        TableName h = history.orElseThrow();
        if (!historyHasWhere && where.isPresent()) {
            return error(table, check, scanSql, "history " + h + " has no where_condition column (made by an earlier"
                    + " version of mds-quality), so runs under where(\"" + where.get() + "\") cannot be told from runs"
                    + " under another condition; its owner can add it: alter table " + h.quoted()
                    + " add column where_condition text", took);
        }
        String sql = "select checked_rows from " + h.quoted() + " where table_name = ? and check_id = ?"
                + (historyHasWhere ? " and where_condition is not distinct from ?" : "")
                + " and status <> 'ERROR' and checked_rows >= 0 order by run_at desc, run_id desc limit ?";
        List<Long> earlier = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            queries++;
            Savepoint sp = savepoint();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int p = 1;
                ps.setString(p++, table);
                ps.setString(p++, check.id());
                if (historyHasWhere) {
                    ps.setString(p++, where.orElse(null));
                }
                ps.setInt(p, check.lastRuns());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        earlier.add(rs.getLong(1));
                    }
                }
                release(sp);
            } catch (SQLException e) {
                rollback(sp, e);
                throw e;
            }
        } catch (SQLException e) {
            return error(table, check, sql, "cannot read history " + h + ": " + oneLine(e), took);
        }
        Duration total = took.plusNanos(System.nanoTime() - t0);
        if (earlier.size() < 2) {
            return result(table, check, true, Plural.count(n, "row") + "; " + Plural.count(earlier.size(), "earlier run") + ", needs 2 to judge", 0, n,
                    scanSql + ";\n" + sql, total, "");
        }
        double mean = earlier.stream().mapToLong(Long::longValue).average().orElse(0);
        double var = earlier.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / (earlier.size() - 1);
        double sd = Math.sqrt(var);
        double dev = Math.abs(n - mean);
        int side = comparedWithStandardDeviations(n, earlier, check.k());
        boolean ok = side <= 0;
        String observed = String.format(Locale.ROOT, "%s; last %d runs mean %.1f, stddev %.1f (%s)", Plural.count(n, "row"),
                earlier.size(), mean, sd, sd == 0 ? "no spread" : deviations(dev / sd, check.k(), side) + " sd away");
        return result(table, check, ok, observed, 0, n, scanSql + ";\n" + sql, total,
                ok ? "" : String.format(Locale.ROOT, "row count %d is more than %s standard deviations from the mean %.1f of the last %d runs",
                        n, fmt(check.k()), mean, earlier.size()));
    }

    /**
     * The standard deviations a count lies from the mean ({@code away}, in doubles), with 2 decimals or as many more
     * (up to 12) as it takes to stand on the same side of {@code k} as the exact comparison ({@code side}): 4.041,
     * not 4.04, for a count failing against k = 4.04.
     */
    private static String deviations(double away, double k, int side) {
        BigDecimal exact = new BigDecimal(away);
        BigDecimal limit = BigDecimal.valueOf(k);
        BigDecimal shown = null;
        for (int scale = 2; scale <= 12; scale++) {
            shown = exact.setScale(scale, java.math.RoundingMode.HALF_UP);
            if (Integer.signum(shown.compareTo(limit)) == side) {
                break;
            }
        }
        return shown.toPlainString();
    }

    /**
     * The sign of |n - mean| - k * sd: n's distance from the mean of {@code earlier} (two or more counts) against
     * {@code k} sample standard deviations (at most k away: 0 or less), decided exactly. With m counts summing to S
     * whose squares sum to Q, |n - S/m| <= k * sd is (n*m - S)^2 * (m - 1) <= k^2 * m * (m*Q - S^2), in integers but
     * for k, read as the decimal it prints as (0.29, not the double below it). In doubles a count exactly k standard
     * deviations away could fail: 0.29 * 100 is 28.999999999999996. A spread of 0 leaves only the mean itself.
     */
    static int comparedWithStandardDeviations(long n, List<Long> earlier, double k) {
        BigDecimal m = BigDecimal.valueOf(earlier.size());
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal squares = BigDecimal.ZERO;
        for (long x : earlier) {
            BigDecimal v = BigDecimal.valueOf(x);
            sum = sum.add(v);
            squares = squares.add(v.multiply(v));
        }
        BigDecimal off = BigDecimal.valueOf(n).multiply(m).subtract(sum);
        BigDecimal left = off.multiply(off).multiply(m.subtract(BigDecimal.ONE));
        BigDecimal kk = BigDecimal.valueOf(k);
        BigDecimal right = kk.multiply(kk).multiply(m).multiply(m.multiply(squares).subtract(sum.multiply(sum)));
        return Integer.signum(left.compareTo(right));
    }

    /**
     * Unique: first counts distinct key fingerprints (a sort of 8-byte values); only when that finds a possible
     * duplicate does the exact grouping query run.
     */
    private CheckResult runUnique(TableSpec t, CheckSpec check, Schema schema) {
        String name = t.table().toString();
        Optional<String> index = uniqueIndex(t.table(), check, schema);
        if (index.isPresent()) {
            return new CheckResult(name, check.id(), check.kind().label(), check.columns(), check.severity(), Status.PASS,
                    "guaranteed by unique index " + index.get(), 0, -1, 0, List.of(), "", Duration.ZERO, "");
        }
        String sql = Render.uniqueFingerprints(t.table(), t.where(), check, schema, text(t.table()));
        long t0 = System.nanoTime();
        try {
            Map<String, Object> row = withPlannerSetting("enable_presorted_aggregate", "off", () -> queryRow(sql));
            long n = number(row.get("n")).longValue();
            long complete = number(row.get("complete")).longValue();
            long distinct = number(row.get("distinct_fp")).longValue();
            if (distinct == complete) {
                // no duplicate: the distinct keys are the compared rows (what countValues counts)
                long checked = check.countValues() ? complete : n;
                return rows(name, check, 0, checked, "0 duplicated keys in " + Plural.count(n, "row") + nullsNote(check), complete,
                        sql, Duration.ofNanos(System.nanoTime() - t0));
            }
        } catch (SQLException e) {
            if (aboutNoCheck(e)) {
                return error(name, check, sql, couldNotRun(name, check, e), Duration.ofNanos(System.nanoTime() - t0));
            }
            LOG.debug("fingerprint pass of {} {} failed ({}); grouping instead", name, check.id(), e.getMessage());
        }
        return runOwnQuery(name, check, Render.unique(t.table(), t.where(), check), true);
    }

    /** For the observed value of a unique check that compares NULLs as values: says so. */
    private static String nullsNote(CheckSpec check) {
        return switch (check.nullKeys()) {
            case SKIPPED_IF_ANY_NULL -> "";
            case SKIPPED_IF_ALL_NULL -> " (NULLs compared as values, keys of NULLs alone skipped)";
            case COMPARED -> " (NULLs compared as values)";
        };
    }

    /**
     * A valid, immediate (not deferrable), non-partial unique index whose key columns are all among
     * {@code columns}: it already guarantees the check (a superset of a unique key is unique), so no scan is
     * needed. Deferrable constraints are not trusted: inside a transaction they may be violated until commit. Nor is
     * any index of a table with inheritance children (not partitions): a query of the table reads their rows too, and
     * its indexes do not cover them. For a check that {@link CheckSpec#nullKeys compares NULLs as values}, only
     * an index over NOT NULL columns (a plain unique index lets NULL keys repeat).
     */
    private Optional<String> uniqueIndex(TableName table, CheckSpec check, Schema schema) {
        List<String> columns = check.columns();
        Savepoint sp = null;
        try {
            sp = savepoint();
            if (hasInheritanceChildren(table)) {
                release(sp);
                return Optional.empty();
            }
            List<PostgresDialect.UniqueKey> keys = PostgresDialect.INSTANCE.uniqueKeys(c, table);
            release(sp);
            for (PostgresDialect.UniqueKey k : keys) {
                boolean nullsExcluded = check.nullKeys() == dev.mds.quality.NullKeys.SKIPPED_IF_ANY_NULL || k.columns().stream()
                        .allMatch(col -> schema.field(col).map(f -> !f.nullable()).orElse(false));
                if (!k.columns().isEmpty() && columns.containsAll(k.columns()) && nullsExcluded) {
                    return Optional.of(k.index());
                }
            }
        } catch (SQLException e) {
            LOG.debug("cannot read the unique indexes of {}: {}", table, e.getMessage());
            try {
                rollback(sp, e);
            } catch (SQLException ignored) {
                // scanning instead is always correct
            }
        }
        return Optional.empty();
    }

    /** Whether tables inherit from {@code table} other than as its partitions (legacy partitioning, hypertables). */
    private boolean hasInheritanceChildren(TableName table) throws SQLException {
        String sql = "select exists (select 1 from pg_catalog.pg_inherits i join pg_catalog.pg_class k on k.oid = i.inhrelid"
                + " where i.inhparent = " + PostgresDialect.INSTANCE.relationOid(table) + " and not k.relispartition)";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /**
     * Runs {@code work} with a planner setting changed for this transaction only, then puts the old value back
     * (so a caller's transaction keeps its settings). PostgreSQL 16+ would otherwise sort whole rows below a
     * count(distinct) instead of sorting only the 8-byte values.
     */
    private <T> T withPlannerSetting(String setting, String value, SqlWork<T> work) throws SQLException {
        String old;
        Savepoint sp = savepoint();
        try (PreparedStatement ps = c.prepareStatement("select current_setting(?, true), set_config(?, ?, ?)")) {
            ps.setString(1, setting);
            ps.setString(2, setting);
            ps.setString(3, value);
            ps.setBoolean(4, !c.getAutoCommit());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                old = rs.getString(1);
            }
            release(sp);
        } catch (SQLException e) {
            rollback(sp, e);
            return work.run(); // an older server without the setting: run as is
        }
        T out;
        try {
            out = work.run();
        } catch (SQLException | RuntimeException e) {
            // the work's failure is the one to report (when the session died, putting the setting back fails too)
            try {
                setConfig(setting, old);
            } catch (SQLException restore) {
                e.addSuppressed(restore);
            }
            throw e;
        }
        setConfig(setting, old);
        return out;
    }

    /** Sets {@code setting} back to {@code old} (nothing when it had none), for the transaction or the session. */
    private void setConfig(String setting, String old) throws SQLException {
        if (old == null) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select set_config(?, ?, ?)")) {
            ps.setString(1, setting);
            ps.setString(2, old);
            ps.setBoolean(3, !c.getAutoCommit());
            ps.executeQuery().close();
        }
    }

    /** Work that may throw SQLException. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private CheckResult runOwnQuery(String table, CheckSpec check, String sql, boolean unique) {
        return timedRow(table, check, sql, (row, took) -> {
            long n = number(row.get("n")).longValue();
            long failing = number(row.get("failing")).longValue();
            // present only when a threshold is a percentage of the non-NULL rows (see CheckSpec#countsNonNull)
            long nonNull = row.containsKey("non_null") ? number(row.get("non_null")).longValue() : n;
            if (unique && failing == 0) {
                // as the fingerprint pass says it when no two keys share a hash (two distinct jsonb keys can)
                long checked = check.countValues() ? number(row.get("distinct_keys")).longValue() : n;
                return rows(table, check, 0, checked, "0 duplicated keys in " + Plural.count(n, "row") + nullsNote(check), nonNull,
                        sql, took);
            }
            if (unique && check.countValues()) {
                // dbt's count: the duplicated keys, of the distinct keys compared
                long keys = number(row.get("keys")).longValue();
                long distinct = number(row.get("distinct_keys")).longValue();
                return rows(table, check, keys, distinct, Plural.count(keys, "duplicated key") + " of " + Plural.count(distinct,
                        "distinct key") + " (" + failing + " of " + Plural.count(n, "row") + ")" + nullsNote(check), distinct, sql, took);
            }
            String observed = switch (check.kind()) {
                case UNIQUE -> Plural.count(number(row.get("keys")).longValue(), "duplicated key") + " in " + failing + " of "
                        + Plural.count(n, "row") + nullsNote(check);
                case SEQUENTIAL_VALUES -> failing + " of " + Plural.count(n, "row") + (check.groupBy().isEmpty() ? ""
                        : " in " + Plural.count(number(row.get("failing_groups")).longValue(), "group") + " by " + String.join(", ", check.groupBy()))
                        + " do not follow the previous value by " + step(check);
                case MUTUALLY_EXCLUSIVE_RANGES -> failing + " of " + Plural.count(n, "row") + " have "
                        + (check.zeroLengthRangeAllowed() ? "a reversed range" : "an empty range")
                        + ", a NULL bound or one " + switch (check.gaps()) {
                            case NOT_ALLOWED -> "not ending where the next range begins";
                            case REQUIRED -> "not ending before the next range begins";
                            case ALLOWED -> "overlapping the next range";
                        };
                default -> failing + " of " + Plural.count(n, "row") + " have no " + check.refColumn() + " in " + check.refTable()
                        + check.parentWhere().map(w -> " where " + w).orElse("");
            };
            return rows(table, check, failing, n, observed, nonNull, sql, took);
        });
    }

    /**
     * Runs a check's query of its own and makes its result from the first row and the time it took; a query that
     * fails gives the check's ERROR.
     */
    private CheckResult timedRow(String table, CheckSpec check, String sql,
            java.util.function.BiFunction<Map<String, Object>, Duration, CheckResult> result) {
        long t0 = System.nanoTime();
        try {
            Map<String, Object> row = queryRow(sql);
            return result.apply(row, Duration.ofNanos(System.nanoTime() - t0));
        } catch (SQLException e) {
            return error(table, check, sql, couldNotRun(table, check, e),
                    Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** A sequential values check's step as the report shows it: {@code 1}, {@code P1D}, {@code PT1H}. */
    private static String step(CheckSpec check) {
        return check.min() instanceof BigDecimal d ? d.toPlainString() : String.valueOf(check.min());
    }

    /**
     * The grouped query of {@code check} and of the checks among {@code candidates} that share it
     * ({@link Render#groupedKey}), in their order.
     */
    private static Render.GroupedScan groupedScan(TableSpec t, CheckSpec check, List<CheckSpec> candidates, Schema schema,
            TextColumns text) {
        List<Object> key = Render.groupedKey(check);
        return new Render.GroupedScan(t.table(), t.where(), candidates.stream()
                .filter(x -> x.grouped() && Render.groupedKey(x).equals(key)).toList(), schema, text);
    }

    /** The statement of a check that runs a query of its own, other than unique, relationships and grouped checks. */
    private static String ownSql(TableSpec t, CheckSpec check, Schema schema) {
        return switch (check.kind()) {
            case SEQUENTIAL_VALUES, MUTUALLY_EXCLUSIVE_RANGES -> Render.windowed(t.table(), t.where(), check, schema);
            case EQUAL_ROW_COUNT, FEWER_ROWS_THAN -> Render.rowCounts(t.table(), t.where(), check);
            case EQUALITY -> Render.equality(t.table(), t.where(), check, schema);
            case CARDINALITY_EQUALITY -> Render.cardinality(t.table(), t.where(), check);
            default -> throw new IllegalArgumentException(check.kind() + " has no query of its own here");
        };
    }

    /**
     * Grouped checks (the indexes {@code shared} of the table's checks) that share one grouped query
     * ({@link Render.GroupedScan}): their failing "rows" are the failing groups, their checked rows the groups, and the
     * observed value names the first failing groups. When the shared query fails for a reason about one of its checks
     * (a column type without equality, a group column whose type the other table's cannot meet in a union), each runs
     * alone, as the table's scan does, so that only the one that cannot run is an ERROR.
     */
    private void runGrouped(TableSpec t, Schema schema, List<Integer> shared, CheckResult[] out) {
        String name = t.table().toString();
        List<CheckSpec> checks = shared.stream().map(i -> t.checks().get(i)).toList();
        Render.GroupedScan scan = new Render.GroupedScan(t.table(), t.where(), checks, schema, text(t.table()));
        long t0 = System.nanoTime();
        try {
            Map<String, Object> row = queryRow(scan.sql());
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            for (int k = 0; k < checks.size(); k++) {
                out[shared.get(k)] = grouped(name, checks.get(k), scan, row, took);
            }
        } catch (SQLException combined) {
            if (checks.size() == 1 || aboutNoCheck(combined)) {
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                for (int k = 0; k < checks.size(); k++) {
                    out[shared.get(k)] = error(name, checks.get(k), scan.sql(), couldNotRun(name, checks.get(k), combined), took);
                }
                return;
            }
            LOG.debug("grouped query of {} failed ({}); running its checks one by one", name, combined.getMessage());
            for (int k = 0; k < checks.size(); k++) {
                CheckSpec check = checks.get(k);
                Render.GroupedScan single = new Render.GroupedScan(t.table(), t.where(), List.of(check), schema,
                        text(t.table()));
                out[shared.get(k)] = timedRow(name, check, single.sql(), (row, took) -> grouped(name, check, single, row, took));
            }
        }
    }

    /** A grouped check's result from its grouped query's row. */
    private CheckResult grouped(String table, CheckSpec check, Render.GroupedScan scan, Map<String, Object> row,
            Duration took) {
        long n = number(row.get("n")).longValue();
        long failing = number(row.get(scan.failing(check))).longValue();
        String by = "by " + String.join(", ", check.groupBy());
        if (check.kind() == Kind.FRESHNESS && n == 0) {
            // as the ungrouped check: no rows, no freshness to tell (not a pass for want of groups)
            return result(table, check, false, "no rows", 0, 0, scan.sql(), took,
                    "no rows with a " + check.columns().get(0) + ": cannot tell freshness of any group " + by);
        }
        String observed = failing + " of " + Plural.count(n, "group") + " " + by + switch (check.kind()) {
            case AT_LEAST_ONE -> " have no non-NULL " + check.columns().get(0);
            case NOT_CONSTANT -> " have one distinct " + check.columns().get(0);
            case FRESHNESS -> " have no " + check.columns().get(0) + " in the last " + human(check.maxAge());
            case EQUAL_ROW_COUNT -> " differ in rows from " + check.refTable();
            default -> " have no fewer rows than " + check.refTable();
        };
        if (row.containsKey("rows_here")) {
            observed += " (" + Plural.count(number(row.get("rows_here")).longValue(), "row") + ", " + check.refTable() + " "
                    + Plural.count(number(row.get("rows_there")).longValue(), "row") + ")";
        }
        if (failing > 0) {
            observed += ": " + row.get(scan.failingGroups(check)) + (failing > 5 ? ", …" : "");
        }
        return rows(table, check, failing, n, observed, n, scan.sql(), took);
    }

    /**
     * equality: one query counting both sides and the rows each lacks of the other; the failing rows are both
     * differences, the checked rows both tables' rows.
     */
    private CheckResult runEquality(String table, CheckSpec check, String sql) {
        return timedRow(table, check, sql, (row, took) -> {
            long n = number(row.get("n")).longValue();
            long other = number(row.get("other_n")).longValue();
            long here = number(row.get("only_here")).longValue();
            long there = number(row.get("only_there")).longValue();
            String observed = Plural.count(here + there, "row differs", "rows differ") + ": " + here + " of " + n + " only in "
                    + table + ", " + there + " of " + other + " only in " + check.refTable();
            return rows(table, check, here + there, n + other, observed, n + other, sql, took);
        });
    }

    /**
     * cardinality_equality: one query grouping both columns' values; the failing "rows" are the values whose counts
     * differ, the checked rows the distinct values of both sides.
     */
    private CheckResult runCardinality(String table, CheckSpec check, String sql) {
        return timedRow(table, check, sql, (row, took) -> {
            long n = number(row.get("n")).longValue();
            long failing = number(row.get("failing")).longValue();
            String observed = failing + " of " + Plural.count(n, "value") + " of " + check.columns().get(0)
                    + " differ in rows from " + check.refTable() + "." + Identifiers.quote(check.refColumn()) + " ("
                    + Plural.count(number(row.get("rows_here")).longValue(), "row") + ", " + check.refTable() + " "
                    + Plural.count(number(row.get("rows_there")).longValue(), "row") + ")"
                    + (failing > 0 ? ": " + row.get("failing_values") + (failing > 5 ? ", …" : "") : "");
            return rows(table, check, failing, n, observed, n, sql, took);
        });
    }

    /** equal_rowcount / fewer_rows_than: one query counting both tables. */
    private CheckResult runRowCounts(String table, CheckSpec check, String sql) {
        return timedRow(table, check, sql, (row, took) -> {
            long n = number(row.get("n")).longValue();
            long other = number(row.get("other_n")).longValue();
            boolean equal = check.kind() == Kind.EQUAL_ROW_COUNT;
            boolean ok = equal ? n == other : n < other;
            String observed = Plural.count(n, "row") + ", " + check.refTable() + " " + Plural.count(other, "row");
            return result(table, check, ok, observed, 0, n, sql, took, ok ? "" : Plural.count(n, "row") + ", expected "
                    + (equal ? "as many as " : "fewer than ") + check.refTable() + "'s " + other);
        });
    }

    /** The columns check, from the catalog already read: missing, unexpected and misplaced columns. */
    private static CheckResult columns(String table, CheckSpec check, Schema schema) {
        List<String> expected = check.values().stream().map(String::valueOf).toList();
        List<String> actual = schema.names();
        dev.mds.quality.ColumnMatch match = dev.mds.quality.ColumnMatch.valueOf(check.text());
        List<String> missing = expected.stream().filter(x -> !actual.contains(x)).toList();
        List<String> unexpected = match == dev.mds.quality.ColumnMatch.OTHERS_ALLOWED ? List.of()
                : actual.stream().filter(x -> !expected.contains(x)).toList();
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("missing " + Identifiers.quoteAll(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + Identifiers.quoteAll(unexpected));
        }
        if (problems.isEmpty() && match == dev.mds.quality.ColumnMatch.IN_ORDER && !actual.equals(expected)) {
            problems.add("in another order: expected " + Identifiers.quoteAll(expected));
        }
        boolean ok = problems.isEmpty();
        String observed = "columns " + Identifiers.quoteAll(actual);
        return result(table, check, ok, observed, 0, -1, "", Duration.ZERO, ok ? "" : "columns of " + table + ": "
                + String.join("; ", problems) + " (" + switch (match) {
                    case IN_ORDER -> "exactly these, in this order";
                    case ANY_ORDER -> "exactly these, in any order";
                    case OTHERS_ALLOWED -> "at least these";
                } + ")");
    }

    /**
     * The column type check: the column's declared type against the given one as PostgreSQL reads it
     * ({@code to_regtype}), and its modifier ({@code (12,2)}) when one is given. A catalog read, not counted as a query.
     */
    private CheckResult columnType(TableName table, CheckSpec check) {
        String sql = "select format_type(a.atttypid, a.atttypmod), to_regtype(?) is not null, a.atttypid = to_regtype(?)"
                + " from pg_catalog.pg_attribute a where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(table)
                + " and a.attname = ? and a.attnum > 0 and not a.attisdropped";
        String name = table.toString();
        String expected = check.text();
        long t0 = System.nanoTime();
        Savepoint sp = null;
        try {
            sp = savepoint();
            String actual;
            boolean known;
            boolean sameType;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, expected);
                ps.setString(2, expected);
                ps.setString(3, check.columns().get(0));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        release(sp);
                        return error(name, check, sql, "column " + Identifiers.quote(check.columns().get(0))
                                + " does not exist in " + name, Duration.ofNanos(System.nanoTime() - t0));
                    }
                    actual = rs.getString(1);
                    known = rs.getBoolean(2);
                    sameType = rs.getBoolean(3);
                }
            }
            release(sp);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (!known) {
                return error(name, check, sql, "columnType(" + check.columns().get(0) + "): PostgreSQL knows no type '"
                        + expected + "'", took);
            }
            String wanted = modifier(expected);
            boolean ok = sameType && (wanted.isEmpty() || wanted.equals(modifier(actual)));
            return result(name, check, ok, actual, 0, -1, sql, took, ok ? "" : "column "
                    + Identifiers.quote(check.columns().get(0)) + " of " + name + " is " + actual + ", expected " + expected);
        } catch (SQLException e) {
            try {
                rollback(sp, e);
            } catch (SQLException ignored) {
                // the original failure is the one to report
            }
            return error(name, check, sql, "columnType(" + check.columns().get(0) + "): cannot read type '" + expected + "': "
                    + oneLine(e), Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** A type's modifier without blanks: {@code 12,2} of {@code numeric(12, 2)}; empty for none. */
    private static String modifier(String type) {
        int open = type.indexOf('(');
        int close = type.indexOf(')', open + 1);
        return open < 0 || close < 0 ? "" : type.substring(open + 1, close).replaceAll("\\s+", "");
    }

    /**
     * A row-level check's result, its status decided as dbt decides it: FAIL when the severity is ERROR and the
     * failing rows exceed error_if, else WARN when they exceed warn_if, else PASS.
     *
     * @param nonNull the checked rows whose column(s) are not NULL (what a percentOfNonNull threshold divides by)
     */
    private CheckResult rows(String table, CheckSpec check, long failing, long n, String observed, long nonNull, String sql,
            Duration took) {
        Threshold warnIf = effective(check, check.warnIf());
        Threshold errorIf = effective(check, check.errorIf());
        boolean errors = check.severity() == Severity.ERROR;
        // one threshold in play (threshold(...) set both, or severity WARN never consults error_if): the plain wording
        boolean one = !errors || warnIf.equals(errorIf);
        Status status = Status.PASS;
        String decidedBy = "";
        String message = "";
        if (errors && errorIf.exceededBy(failing, n, nonNull)) {
            status = Status.FAIL;
            decidedBy = "error_if " + errorIf;
            // concatenation, not String.format (the same text): a run's code runs mostly interpreted, where each
            // format call costs tens of microseconds
            message = Plural.count(failing, "failing row") + " (" + share(check, failing, n, nonNull, errorIf)
                    + "), more than " + (one ? "the threshold " + plain(errorIf) : decidedBy);
        } else if (warnIf.exceededBy(failing, n, nonNull)) {
            status = Status.WARN;
            decidedBy = "warn_if " + warnIf;
            message = Plural.count(failing, "failing row") + " (" + share(check, failing, n, nonNull, warnIf)
                    + "), more than " + (one ? "the threshold " + plain(warnIf) : decidedBy + ", within error_if " + errorIf);
        } else if (failing > 0) {
            message = Plural.count(failing, "failing row") + " (" + share(check, failing, n, nonNull, warnIf)
                    + "), within " + (one ? "the threshold " + warnIf : "warn_if " + warnIf + " and error_if " + errorIf);
        }
        if (check.grouped()) {
            // the failing units of a grouped check are its groups, and its thresholds count them
            message = message.replaceAll("\\brow(s?)\\b", "group$1");
            decidedBy = decidedBy.replaceAll("\\brow(s?)\\b", "group$1");
        } else if (check.countValues() || check.kind() == Kind.CARDINALITY_EQUALITY) {
            // so are the values (keys) of a check that counts values, as dbt's tests count them, and the values whose
            // counts differ
            String unit = check.kind() == Kind.UNIQUE ? "key" : "value";
            message = message.replaceAll("\\brow(s?)\\b", unit + "$1");
            decidedBy = decidedBy.replaceAll("\\brow(s?)\\b", unit + "$1");
        }
        return new CheckResult(table, check.id(), check.kind().label(), check.allColumns(), check.severity(), status,
                observed, failing, n, percent(failing, n), List.of(), sql, took, message, decidedBy, "");
    }

    /**
     * The threshold as the check applies it: a percentage of the non-NULL rows is one of all rows checked for a not
     * null check (whose failing rows are the NULLs) and an expression (which has no column), as Threshold documents;
     * the report then words it so ({@code > 5.0%}, not {@code > 5.0% of non-null rows}).
     */
    private static Threshold effective(CheckSpec check, Threshold t) {
        boolean ofAll = check.kind() == Kind.NOT_NULL || check.kind() == Kind.EXPRESSION
                || check.kind() == Kind.MUTUALLY_EXCLUSIVE_RANGES || check.kind() == Kind.EQUALITY
                || check.kind() == Kind.CARDINALITY_EQUALITY || check.grouped();
        return ofAll && t.percentOf() == Threshold.PercentOf.NON_NULL_ROWS ? Threshold.percent(t.maxPercent()) : t;
    }

    /**
     * {@code 5.00%}, or {@code 6.25% of 80 non-null rows} when {@code t} is a percentage of those (and the check
     * counts them: for not null and expression the denominator is all rows checked either way).
     */
    private static String share(CheckSpec check, long failing, long n, long nonNull, Threshold t) {
        if (t.percentOf() == Threshold.PercentOf.NON_NULL_ROWS && t.maxRows() < 0 && check.countsNonNull()) {
            return shareText(failing, nonNull, t) + "% of " + Plural.count(nonNull, "non-null row");
        }
        return shareText(failing, n, t) + "%";
    }

    /**
     * {@code failing} of {@code of} as a percentage with 2 decimals, or as many more (up to 12) as it takes to stand
     * on the same side of a percentage threshold {@code t} as the exact share, to read more than 0 when a row fails
     * and less than 100 when one passes: 33.333 against a threshold of 33.33, 0.001 for 1 row in 100,000 (99.999 for
     * all but one), where 2 decimals read 33.33, 0.00 and 100.00 and contradicted the decision or the count beside them.
     */
    static String shareText(long failing, long of, Threshold t) {
        return shareText(failing, of, t.maxRows() < 0 ? BigDecimal.valueOf(t.maxPercent()) : null);
    }

    /**
     * {@link #shareText(long, long, Threshold)} against a percentage bound {@code limit}, or none (null): the report's %
     * column shows a check's share so, and its messages so against their threshold.
     */
    static String shareText(long failing, long of, BigDecimal limit) {
        if (of <= 0) {
            return "0.00";
        }
        BigDecimal hundredfold = BigDecimal.valueOf(failing).movePointRight(2);
        BigDecimal rows = BigDecimal.valueOf(of);
        int side = limit == null ? 0 : hundredfold.compareTo(limit.multiply(rows));
        BigDecimal shown = null;
        for (int scale = 2; scale <= 12; scale++) {
            shown = hundredfold.divide(rows, scale, java.math.RoundingMode.HALF_UP);
            if ((failing == 0 || shown.signum() > 0) && (failing >= of || shown.compareTo(BigDecimal.valueOf(100)) < 0)
                    && (limit == null || shown.compareTo(limit) == side)) {
                break;
            }
        }
        return shown.toPlainString();
    }

    /** A threshold as the failure message words it: {@code of 0 rows} for {@link Threshold#NONE}. */
    private static String plain(Threshold t) {
        return t.maxRows() == 0 ? "of 0 rows" : t.toString();
    }

    private static CheckResult result(String table, CheckSpec check, boolean ok, String observed, long failing, long n,
            String sql, Duration took, String message) {
        Status status = ok ? Status.PASS : check.severity() == Severity.WARN ? Status.WARN : Status.FAIL;
        return new CheckResult(table, check.id(), check.kind().label(), check.allColumns(), check.severity(), status,
                observed, failing, n, percent(failing, n), List.of(), sql, took, message);
    }

    private static CheckResult error(String table, CheckSpec check, String sql, String message, Duration took) {
        return new CheckResult(table, check.id(), check.kind().label(), check.allColumns(), check.severity(), Status.ERROR,
                "", 0, -1, 0, List.of(), sql, took, message);
    }

    /**
     * The message of a check whose statement the server refused: which check, of which kind, on which columns (with
     * their declared types) of which table, then the server's reason: {@code check range_name (range on column "name"
     * of type text) of public.t could not run: ERROR: operator does not exist: text < integer}.
     */
    private String couldNotRun(String table, CheckSpec check, SQLException e) {
        Map<String, String> declared = declaredTypes.getOrDefault(table, Map.of());
        List<String> columns = check.allColumns().stream().map(col -> Identifiers.quote(col)
                + Optional.ofNullable(declared.get(col)).map(type -> " of type " + type).orElse("")).toList();
        String on = columns.isEmpty() ? "" : (columns.size() == 1 ? " on column " : " on columns ") + String.join(", ", columns);
        String to = check.kind() == Kind.RELATIONSHIPS || check.kind() == Kind.CARDINALITY_EQUALITY
                ? " to " + check.refTable() + "." + Identifiers.quote(check.refColumn())
                : check.refTable() != null ? " against " + check.refTable() : "";
        return "check " + check.id() + " (" + check.kind().label() + on + to + ") of " + table + " could not run: " + oneLine(e);
    }

    /** {@code r} with the samples {@code sql} fetches, and {@code note} added to its message. */
    private CheckResult withSamples(CheckResult r, String sql, String note) {
        List<Map<String, Object>> rows = new ArrayList<>();
        try {
            queries++;
            Savepoint sp = savepoint();
            long t0 = System.nanoTime();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        m.put(md.getColumnLabel(i), sampleValue(rs, md, i));
                    }
                    rows.add(Collections.unmodifiableMap(m));
                }
                release(sp);
                Sql.logged(sql, t0);
            } catch (SQLException e) {
                rollback(sp, e);
                throw e;
            }
        } catch (SQLException e) {
            LOG.warn("cannot fetch samples of {} {}: {}", r.table(), r.id(), e.getMessage());
            return new CheckResult(r.table(), r.id(), r.kind(), r.columns(), r.severity(), r.status(), r.observed(),
                    r.failingRows(), r.checkedRows(), r.failingPercent(), List.of(), r.sql(), r.duration(),
                    r.message() + note + " (samples unavailable: " + oneLine(e) + ")", r.decidedBy(), r.failuresTable());
        }
        return new CheckResult(r.table(), r.id(), r.kind(), r.columns(), r.severity(), r.status(), r.observed(),
                r.failingRows(), r.checkedRows(), r.failingPercent(), rows, r.sql(), r.duration(), r.message() + note,
                r.decidedBy(), r.failuresTable());
    }

    /** Why a check cannot run against this schema, or null. */
    private String problem(TableName table, CheckSpec check, Schema schema) {
        for (String col : check.allColumns()) {
            if (!schema.contains(col)) {
                return "column " + Identifiers.quote(col) + " does not exist in " + table + " (columns: "
                        + String.join(", ", schema.names()) + ")";
            }
        }
        if (check.kind() == Kind.MATCHES && text(table).nondeterministic().containsKey(check.columns().get(0))) {
            // PostgreSQL refuses it with SQLSTATE 0A000 (feature not supported), on which a connection pool such as
            // HikariCP closes the connection: sent, it stopped the whole run as if the session were lost
            return "column " + Identifiers.quote(check.columns().get(0)) + " of " + table + " has the nondeterministic"
                    + " collation " + Identifiers.quote(text(table).nondeterministic().get(check.columns().get(0)))
                    + ", under which PostgreSQL matches no regular expression; check it with an expression that names a"
                    + " deterministic collation (" + Identifiers.quote(check.columns().get(0)) + " collate \"C\" ~ '...')";
        }
        if (check.kind() == Kind.STATISTIC) {
            FieldType.Kind type = schema.field(check.columns().get(0)).orElseThrow().type().kind();
            if (type != FieldType.Kind.INT && type != FieldType.Kind.LONG && type != FieldType.Kind.DECIMAL
                    && type != FieldType.Kind.DOUBLE) {
                return "column " + Identifiers.quote(check.columns().get(0)) + " of " + table + " is not a number: the "
                        + dev.mds.quality.Statistic.valueOf(check.text()).label() + " check needs one";
            }
        }
        if (check.kind() == Kind.FRESHNESS) {
            // the age is a difference of epochs: a time of day, a time with offset or an interval has one too (seconds
            // from midnight, or its length), so it read as 1970 and failed as 20000 days old; dbt-utils' recency
            // (max(field) < a timestamp) is refused by PostgreSQL for them, as for numbers
            String col = check.columns().get(0);
            FieldType.Kind type = schema.field(col).orElseThrow().type().kind();
            if (type != FieldType.Kind.DATE && type != FieldType.Kind.TIMESTAMP && type != FieldType.Kind.TIMESTAMPTZ) {
                return "column " + Identifiers.quote(col) + " of " + table + Optional.ofNullable(declaredTypes
                        .getOrDefault(table.toString(), Map.of()).get(col)).map(x -> " is of type " + x + ",").orElse(" is")
                        + " not a date or timestamp: the freshness check needs one";
            }
        }
        if (check.kind() == Kind.LENGTH && schema.field(check.columns().get(0)).orElseThrow().type().kind() != FieldType.Kind.STRING) {
            return "column " + Identifiers.quote(check.columns().get(0)) + " of " + table + " is not text: the length check"
                    + " needs one (check the length of its text with an expression: char_length(" + Identifiers.quote(
                            check.columns().get(0)) + "::text) <= n)";
        }
        if (check.kind() == Kind.SEQUENTIAL_VALUES) {
            FieldType.Kind type = schema.field(check.columns().get(0)).orElseThrow().type().kind();
            String column = "column " + Identifiers.quote(check.columns().get(0)) + " of " + table;
            if (check.min() instanceof BigDecimal step) {
                boolean number = type == FieldType.Kind.INT || type == FieldType.Kind.LONG || type == FieldType.Kind.DECIMAL
                        || type == FieldType.Kind.DOUBLE;
                if (type == FieldType.Kind.DATE && step.stripTrailingZeros().scale() > 0) {
                    return column + " is a date: its step must be a whole number of days, was " + step.toPlainString();
                }
                if (!number && type != FieldType.Kind.DATE) {
                    return column + " is not a number or a date: give its step as a Period or a Duration"
                            + " (sequentialValues(column, Period.ofDays(1)))";
                }
            } else if (type != FieldType.Kind.DATE && type != FieldType.Kind.TIMESTAMP && type != FieldType.Kind.TIMESTAMPTZ) {
                return column + " is not a date or timestamp: a step of " + check.min() + " needs one";
            }
        }
        if (check.kind() == Kind.EQUAL_ROW_COUNT || check.kind() == Kind.FEWER_ROWS_THAN) {
            Optional<Schema> other = schema(check.refTable());
            if (other.isEmpty()) {
                return "table to compare with " + check.refTable() + " does not exist (or is not visible to this user)";
            }
            for (String col : check.groupBy()) {
                if (!other.get().contains(col)) {
                    return "group column " + Identifiers.quote(col) + " does not exist in the table to compare with "
                            + check.refTable() + " (columns: " + String.join(", ", other.get().names()) + ")";
                }
            }
        }
        if (check.kind() == Kind.CARDINALITY_EQUALITY) {
            Optional<Schema> other = schema(check.refTable());
            if (other.isEmpty()) {
                return "table to compare with " + check.refTable() + " does not exist (or is not visible to this user)";
            }
            if (!other.get().contains(check.refColumn())) {
                return "column " + Identifiers.quote(check.refColumn()) + " does not exist in the table to compare with "
                        + check.refTable() + " (columns: " + String.join(", ", other.get().names()) + ")";
            }
        }
        if (check.kind() == Kind.EQUALITY) {
            Optional<Schema> other = schema(check.refTable());
            if (other.isEmpty()) {
                return "table to compare with " + check.refTable() + " does not exist (or is not visible to this user)";
            }
            List<String> missing = Render.equalityColumns(check, schema).stream().filter(x -> !other.get().contains(x)).toList();
            if (!missing.isEmpty()) {
                return "column(s) " + Identifiers.quoteAll(missing) + " of " + table + " do not exist in the table to compare"
                        + " with " + check.refTable() + " (columns: " + String.join(", ", other.get().names()) + ")";
            }
        }
        if (check.kind() == Kind.RELATIONSHIPS) {
            Optional<Schema> parent = schema(check.refTable());
            // the child column(s) too: one table may have several relationships checks
            String child = " (referenced by " + String.join(", ", check.columns().stream().map(Identifiers::quote).toList())
                    + " of " + table + ")";
            if (parent.isEmpty()) {
                return "referenced table " + check.refTable() + " does not exist (or is not visible to this user)" + child;
            }
            if (!parent.get().contains(check.refColumn())) {
                return "column " + Identifiers.quote(check.refColumn()) + " does not exist in referenced table "
                        + check.refTable() + child;
            }
        }
        return null;
    }

    /**
     * Whether a relationships check's column and the parent's column have the same type (domains read as their base
     * type) and collation, so that the parent's distinct keys meet each child row at most once (read after
     * {@link #problem}, which reads both tables' columns). Under another collation they may not: a comparison of a
     * column under the default collation with one under a nondeterministic collation takes the latter, so 'a' and
     * 'A', distinct parent keys, both met a child's 'a'.
     */
    private boolean sameType(TableName table, CheckSpec check) {
        String child = text(table).types().get(check.columns().get(0));
        return child != null && child.equals(text(check.refTable()).types().get(check.refColumn()));
    }

    private Optional<Schema> schema(TableName table) {
        return schemas.computeIfAbsent(table, name -> {
            Savepoint sp = null;
            try {
                // a failed catalog read stops the run (this throws): in the run's own transaction, which is then rolled
                // back as a whole, a savepoint would undo nothing more, and it costs two round trips (SAVEPOINT,
                // RELEASE) per table; in a caller's transaction it keeps that transaction usable
                if (ownTransaction) {
                    stopIfInterrupted(null);
                } else {
                    sp = savepoint();
                }
                // one cheap pg_attribute query (JDBC's getColumns is several times slower and refuses nothing less);
                // a column of a type mds has no logical type for (interval, inet, point…) must not stop the checks
                Optional<Schema> s = catalogColumns(name);
                release(sp);
                return s;
            } catch (SQLException | MdsException e) {
                try {
                    rollback(sp, e);
                } catch (SQLException ignored) {
                    // the original failure is the one to report
                }
                throw e instanceof MdsException m ? m : new MdsException("cannot read the columns of " + name + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * The columns of a table from pg_attribute (unlike {@link PostgresDialect#readSchema}, it accepts any type): types mds
     * cannot map are treated as opaque (not text, compared through hashes), which is all the checks need.
     */
    private Optional<Schema> catalogColumns(TableName table) throws SQLException {
        // PostgreSQL does not enforce a foreign table's NOT NULL (the data lives elsewhere): its columns count as nullable,
        // and so do those of a table with a foreign partition or inheritance child at any depth, whose rows it reads too
        // a domain is read as its base type (through domains over domains), as PostgreSQL computes with it: a domain
        // over numeric is a number (statistic), one over timestamp a timestamp (freshness and bounds read as UTC)
        String sql = "select a.attname, a.attnotnull and r.relkind <> 'f' and not exists (with recursive d(oid) as (select"
                + " i.inhrelid from pg_inherits i where i.inhparent = r.oid union select i.inhrelid from d join pg_inherits i"
                + " on i.inhparent = d.oid) select from d join pg_class k on k.oid = d.oid where k.relkind = 'f'),"
                + " t.typname, coalesce(co.collisdeterministic, false),"
                + " co.oid is not null and not co.collisdeterministic, co.collname, t.typtype = 'c', tn.nspname,"
                + " t.typcategory = 'A', t.oid || '/' || a.attcollation, format_type(a.atttypid, a.atttypmod)"
                + " from pg_attribute a join pg_class r on r.oid = a.attrelid"
                + " join pg_type t on t.oid = (with recursive d(oid, typtype, typbasetype) as (select x.oid, x.typtype,"
                + " x.typbasetype from pg_type x where x.oid = a.atttypid union all select y.oid, y.typtype, y.typbasetype"
                + " from d join pg_type y on y.oid = d.typbasetype where d.typtype = 'd') select oid from d where typtype <> 'd')"
                + " join pg_namespace tn on tn.oid = t.typnamespace left join pg_collation co on co.oid = a.attcollation"
                + " where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(table)
                + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        List<Field> fields = new ArrayList<>();
        Set<String> textTyped = new HashSet<>();
        Set<String> bytewise = new HashSet<>();
        Set<String> blankPadded = new HashSet<>();
        Map<String, String> nondeterministic = new HashMap<>();
        Map<String, String> composite = new HashMap<>();
        Set<String> arrays = new HashSet<>();
        Map<String, String> types = new HashMap<>();
        Map<String, String> declared = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    FieldType type;
                    try {
                        type = PostgresDialect.INSTANCE.fieldType(Types.OTHER, rs.getString(3), 0, 0);
                    } catch (MdsException e) {
                        type = FieldType.JSON;
                    }
                    fields.add(new Field(rs.getString(1), type, !rs.getBoolean(2)));
                    String name = rs.getString(1);
                    String typname = rs.getString(3);
                    if (rs.getBoolean(5)) {
                        nondeterministic.put(name, rs.getString(6));
                    }
                    if (rs.getBoolean(7)) {
                        composite.put(name, Identifiers.quote(rs.getString(8), typname));
                    }
                    if (rs.getBoolean(9)) {
                        arrays.add(name);
                    }
                    types.put(name, rs.getString(10));
                    declared.put(name, rs.getString(11));
                    if (typname.equals("text") || typname.equals("varchar") || typname.equals("bpchar")) {
                        textTyped.add(name);
                        if (rs.getBoolean(4)) {
                            bytewise.add(name);
                        }
                        if (typname.equals("bpchar")) {
                            blankPadded.add(name);
                        }
                    }
                }
            }
        }
        declaredTypes.put(table.toString(), Map.copyOf(declared));
        textColumns.put(table, new TextColumns(textTyped, bytewise, blankPadded, nondeterministic, composite, arrays,
                types));
        if (fields.isEmpty() && !exists(table)) {
            return Optional.empty();
        }
        return Optional.of(Schema.of(fields)); // a table of no columns (create table t ()) still has rows to count
    }

    private boolean exists(TableName table) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select " + PostgresDialect.INSTANCE.relationOid(table) + " is not null")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private TextColumns text(TableName table) {
        return textColumns.getOrDefault(table, TextColumns.NONE);
    }

    private List<String> keys(TableSpec t, Schema schema) {
        if (!t.keyColumns().isEmpty()) {
            return t.keyColumns().stream().filter(schema::contains).toList();
        }
        List<String> pk = List.of();
        Savepoint sp = null;
        try {
            sp = savepoint();
            pk = PostgresDialect.INSTANCE.primaryKey(c, t.table());
            release(sp);
        } catch (SQLException e) {
            LOG.debug("no primary key of {}: {}", t.table(), e.getMessage());
            try {
                rollback(sp, e);
            } catch (SQLException ignored) {
                // nothing more to undo
            }
        }
        return pk;
    }

    private Map<String, Object> queryRow(String sql) throws SQLException {
        return queryRow(sql, false);
    }

    /**
     * @param keepSavepoint whether the statement's savepoint, once it succeeded, is left as it is instead of released:
     *     only in the run's own transaction, whose COMMIT (or ROLLBACK) ends it; no statement goes back to it, and the
     *     savepoints of later statements nest in it, each undoing only its own statement as before
     */
    private Map<String, Object> queryRow(String sql, boolean keepSavepoint) throws SQLException {
        queries++;
        Savepoint sp = savepoint();
        long t0 = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            Map<String, Object> row = new HashMap<>();
            if (rs.next()) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
            }
            if (!keepSavepoint) {
                release(sp);
            } else if (kept == null) {
                kept = sp;
            }
            Sql.logged(sql, t0);
            return row;
        } catch (SQLException e) {
            rollback(sp, e);
            throw e;
        }
    }

    /**
     * A savepoint before a statement, or null in auto-commit mode. When the session ended while idle since the last
     * statement, this is where that shows: the run stops as in {@link #rollback}.
     */
    private Savepoint savepoint() throws SQLException {
        stopIfInterrupted(null);
        try {
            return c.getAutoCommit() ? null : c.setSavepoint();
        } catch (SQLException e) {
            rollback(null, e);
            throw e;
        }
    }

    /**
     * Releases the scans' savepoints left open ({@link #kept}) before the run writes: a write gives its subtransaction
     * a transaction id, and every enclosing one its own first, so with more open savepoints than PostgreSQL caches
     * subtransaction ids of (64 per session) the cache would overflow, slowing every other session's snapshots until
     * the run commits. One round trip, only in a run that writes (history, stored failures).
     */
    private void releaseKept() throws SQLException {
        if (kept != null) {
            Savepoint outermost = kept;
            kept = null;
            release(outermost);
        }
    }

    private void release(Savepoint sp) throws SQLException {
        if (sp != null) {
            c.releaseSavepoint(sp);
        }
    }

    /**
     * Undoes a statement that failed with {@code failure} to its savepoint. When the session itself is gone (the
     * server ended it, or the connection broke), no other check can run either: the run stops with the server's
     * reason, instead of reporting every remaining check as ERROR with "connection closed" (and then failing on
     * that at commit).
     */
    private void rollback(Savepoint sp, Exception failure) throws SQLException {
        if (sessionLost(failure)) {
            if (failure instanceof MdsException stopped) {
                throw stopped; // already stopped the run, or a history statement's failure, naming the server's reason
            }
            String state = failure instanceof SQLException e ? e.getSQLState() : null;
            if (state != null && !state.startsWith("08") && !state.startsWith("57P")) {
                // the server kept the session: the pool closed the connection on this error (HikariCP does on 0A000)
                throw new MdsException("quality run stopped while " + step + ", its connection was closed after a statement failed with SQLSTATE "
                        + state + " (a connection pool such as HikariCP closes a connection on 0A000, feature not"
                        + " supported): " + failure.getMessage(), failure);
            }
            throw new MdsException("quality run stopped while " + step + ", its database session was lost: "
                    + failure.getMessage(), failure);
        }
        if (sp != null) {
            c.rollback(sp);
        }
        stopIfInterrupted(failure);
    }

    /**
     * Stops the run when its thread was interrupted ({@link InterruptWatch} cancelled the statement it waited on, which
     * failed with {@code failure}, or it is between statements): throws {@link MdsException} whose cause is an
     * {@link InterruptedException}, leaving the interrupt flag set.
     */
    private void stopIfInterrupted(Exception failure) {
        if (failure instanceof MdsException m && m.getCause() instanceof InterruptedException) {
            throw m;   // the run already stopped for the interrupt; undone to this savepoint too on its way out
        }
        if (!Thread.currentThread().isInterrupted()) {
            return;
        }
        InterruptedException cause = new InterruptedException("quality run interrupted while " + step);
        if (failure != null) {
            cause.initCause(failure);
        }
        boolean cancelled = failure instanceof SQLException e && "57014".equals(e.getSQLState());
        String left = ownTransaction ? "its transaction is rolled back, nothing of the run was committed"
                : !autoCommitAtStart ? "what it wrote before is in the caller's open transaction, to commit or roll back"
                : committedAlone ? "failures tables replaced before, each in a transaction of its own, stay"
                : "nothing of the run was committed";
        throw new MdsException("quality run interrupted while " + step + (cancelled ? " (its statement was cancelled)" : "")
                + ": no history rows were written; " + left, cause);
    }

    /**
     * Whether {@code failure} ended the session: a connection error (SQLSTATE class 08), the server ending it
     * (57P: shutdown, terminated, database dropped, idle timeout), or a connection that is closed now. A cancelled
     * statement (57014, a statement_timeout) is not: the other checks can still run.
     */
    private boolean sessionLost(Exception failure) {
        String state = failure instanceof SQLException e ? e.getSQLState() : null;
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            return true;
        }
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /**
     * Runs {@code work} (history statements, which throw {@link MdsException}) in a savepoint: when it fails, its
     * statements are undone before the exception goes on, so a caller's transaction is not left aborted.
     */
    private void undoneOnFailure(Runnable work) {
        Savepoint sp;
        try {
            releaseKept();
            sp = savepoint();
        } catch (SQLException e) {
            throw new MdsException("cannot set a savepoint for the quality history: " + e.getMessage(), e);
        }
        try {
            work.run();
            release(sp);
        } catch (MdsException | SQLException e) {
            try {
                rollback(sp, e);
            } catch (SQLException undo) {
                e.addSuppressed(undo);
            }
            throw e instanceof MdsException m ? m : new MdsException("quality history: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the history table if it is missing. Only then: {@code create … if not exists} still needs the CREATE
     * privilege, which a role that may only write the history table (a loader auditing its own writes) lacks.
     */
    private void createHistory(TableName h) {
        boolean[] at = historyFound(h);
        if (at[0] && at[2]) {
            return;
        }
        if (at[0]) {
            addWhereColumn(h, at[3]);
            return;
        }
        // in auto-commit mode, schema and table in a transaction of their own: never a schema made without its table.
        // Runs that found the table missing take turns (a lock of the transaction) and look again once they hold it:
        // a second create would wait for the first's transaction and then fail on pg_type's unique index.
        try {
            Sql.transaction(c, x -> {
                Sql.execute(x, "select pg_advisory_xact_lock(hashtext('mds-quality history'), hashtext("
                        + Identifiers.literal(h.quoted()) + "))");
                boolean[] found = historyFound(h);
                if (found[0]) {
                    historyHasWhere = found[2];
                    return null;
                }
                if (!found[1]) {
                    PostgresDialect.INSTANCE.createSchemaIfMissing(x, h.schema());
                }
                Sql.execute(x, "create table if not exists " + h.quoted() + " (run_id text not null, run_at timestamptz"
                        + " not null, table_name text not null, check_id text not null, kind text not null, severity text"
                        + " not null, status text not null, failing_rows bigint not null, checked_rows bigint not null,"
                        + " observed text not null, message text not null, where_condition text,"
                        + " primary key (run_id, table_name, check_id))");
                return null;
            });
        } catch (MdsException | SQLException e) {
            throw new MdsException("cannot create the quality history table " + h + ": " + e.getMessage(), e);
        }
    }

    /**
     * A history table of an earlier version, without {@code where_condition}: its owner adds the column (its rows
     * keep a NULL there, no condition), in a transaction of its own in auto-commit mode and taking turns with other
     * runs as creating it does. Another role leaves the table as it is, and its rows are written without a condition.
     */
    private void addWhereColumn(TableName h, boolean owner) {
        if (!owner) {
            historyHasWhere = false;
            LOG.warn("quality history {} has no where_condition column and this role does not own it: row-count anomaly"
                    + " checks with a where are errors until its owner adds it", h);
            return;
        }
        try {
            Sql.transaction(c, x -> {
                Sql.execute(x, "select pg_advisory_xact_lock(hashtext('mds-quality history'), hashtext("
                        + Identifiers.literal(h.quoted()) + "))");
                Sql.execute(x, "alter table " + h.quoted() + " add column if not exists where_condition text");
                return null;
            });
        } catch (MdsException | SQLException e) {
            throw new MdsException("cannot add the where_condition column to the quality history table " + h + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Whether the history table exists, whether its schema does, whether the table has a {@code where_condition}
     * column and whether this role owns the table (may alter it).
     */
    private boolean[] historyFound(TableName h) {
        String oid = PostgresDialect.INSTANCE.relationOid(h);
        String sql = "select " + oid + " is not null, exists (select 1 from pg_catalog.pg_namespace where nspname = "
                + Identifiers.literal(h.schema()) + "), exists (select 1 from pg_catalog.pg_attribute where attrelid = "
                + oid + " and attname = 'where_condition' and not attisdropped), coalesce((select"
                + " pg_catalog.pg_has_role(relowner, 'USAGE') from pg_catalog.pg_class where oid = " + oid + "), false)";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return new boolean[] {rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4)};
        } catch (SQLException e) {
            throw new MdsException("cannot look up the quality history table " + h + ": " + e.getMessage(), e);
        }
    }

    private void writeHistory(TableName h, String runId, Instant at, List<CheckResult> results, List<String> wheres) {
        String sql = "insert into " + h.quoted() + " (run_id, run_at, table_name, check_id, kind, severity, status,"
                + " failing_rows, checked_rows, observed, message" + (historyHasWhere ? ", where_condition" : "")
                + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + (historyHasWhere ? ", ?" : "") + ")";
        // in auto-commit mode, a transaction of its own: pgjdbc sends a long batch in parts, each ending in a Sync that
        // commits it, so a row that failed late left the run's earlier rows written
        try {
            Sql.transaction(c, x -> {
                try (PreparedStatement ps = x.prepareStatement(sql)) {
                    for (int i = 0; i < results.size(); i++) {
                        CheckResult r = results.get(i);
                        ps.setString(1, runId);
                        ps.setObject(2, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
                        ps.setString(3, r.table());
                        ps.setString(4, r.id());
                        ps.setString(5, r.kind());
                        ps.setString(6, r.severity().name());
                        ps.setString(7, r.status().name());
                        ps.setLong(8, r.failingRows());
                        ps.setLong(9, r.checkedRows());
                        ps.setString(10, r.observed());
                        ps.setString(11, r.message());
                        if (historyHasWhere) {
                            ps.setString(12, wheres.get(i));
                        }
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return null;
            });
        } catch (SQLException e) {
            // a batch's error names only its first failing row's values; the next exception says why
            SQLException why = e.getNextException() != null ? e.getNextException() : e;
            throw new MdsException("cannot write the quality run's results to history " + h + ": " + e.getMessage()
                    + (why == e ? "" : " (" + why.getMessage() + ")"), e);
        }
    }

    /** Types whose sample values are Java numbers or booleans: pgjdbc reads each of their values exactly. */
    private static final Set<String> TYPED_SAMPLES = Set.of("int2", "int4", "int8", "oid", "float4", "float8", "bool");

    /**
     * Column {@code i} of a sample row: an integer, float or boolean as pgjdbc reads it, a {@code numeric} as a
     * {@code BigDecimal} (its {@code NaN} and infinities as text), anything else as PostgreSQL prints it
     * ({@link #shortened}). Only these types are read with {@code getObject}: pgjdbc reads a {@code money} as a double
     * and fails on {@code $1,000.50}, which lost every sample of the check.
     */
    private static Object sampleValue(ResultSet rs, ResultSetMetaData md, int i) throws SQLException {
        String type = md.getColumnTypeName(i);
        if (TYPED_SAMPLES.contains(type)) {
            return rs.getObject(i);
        }
        String text = rs.getString(i);
        if (text == null) {
            return null;
        }
        if (type.equals("numeric")) {
            try {
                return new BigDecimal(text);
            } catch (NumberFormatException e) {
                return text; // NaN, Infinity, -Infinity
            }
        }
        return shortened(text);
    }

    /** The longest sample value kept, in characters; a longer one is cut and says how long it was. */
    static final int MAX_SAMPLE_CHARS = 1000;

    /**
     * A sample value as PostgreSQL prints it (a {@code bytea} as {@code \x…} hex, not Java's {@code [B@1f2e}; a
     * timestamp with its offset, not in the JVM's zone), cut to {@link #MAX_SAMPLE_CHARS} at a character boundary.
     */
    static String shortened(String s) {
        if (s.length() <= MAX_SAMPLE_CHARS) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(MAX_SAMPLE_CHARS - 1)) ? MAX_SAMPLE_CHARS - 1 : MAX_SAMPLE_CHARS;
        return s.substring(0, end) + "… (" + s.length() + " characters)";
    }

    private static Number number(Object v) {
        return v == null ? 0 : (Number) v;
    }

    /** The sum of the counts a check's aliases hold in the scan's row (NULL counts as 0). */
    private static long sum(Map<String, Object> row, List<String> aliases) {
        long total = 0;
        for (String alias : aliases) {
            total += number(row.get(alias)).longValue();
        }
        return total;
    }

    private static double percent(long failing, long n) {
        return n <= 0 ? 0 : failing * 100.0 / n;
    }

    private static String oneLine(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /**
     * A duration in every unit from its largest down to seconds ({@code 1h 0m 30s}), with milliseconds under a
     * minute ({@code 1.5s}): for an age that {@link #human} shows as the maximum age it exceeds.
     */
    static String precise(Duration d) {
        long s = d.getSeconds();
        if (s < 60) {
            return BigDecimal.valueOf(d.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString() + "s";
        }
        String secs = (s % 60) + "s";
        if (s < 3600) {
            return (s / 60) + "m " + secs;
        }
        if (s < 86_400) {
            return (s / 3600) + "h " + (s % 3600 / 60) + "m " + secs;
        }
        return (s / 86_400) + "d " + (s % 86_400 / 3600) + "h " + (s % 3600 / 60) + "m " + secs;
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m " + (s % 60) + "s";
        }
        if (s < 86_400) {
            return (s / 3600) + "h " + (s % 3600 / 60) + "m";
        }
        return (s / 86_400) + "d " + (s % 86_400 / 3600) + "h";
    }
}
