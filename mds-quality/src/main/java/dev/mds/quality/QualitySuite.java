package dev.mds.quality;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.quality.internal.CheckSpec.Kind;
import dev.mds.quality.internal.Runner;
import dev.mds.quality.internal.TableSpec;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Data-quality checks pushed down to PostgreSQL: all row-level checks of a table run as one scan, unique and
 * relationships checks add one query each, and failing rows are sampled only for checks that failed.
 *
 * <pre>{@code
 * QualityReport report = QualitySuite.on(dataSource)
 *     .table("silver.transactions", t -> t
 *         .notNull("transaction_id", "customer_id")
 *         .unique("transaction_id")
 *         .acceptedValues("currency", "EUR", "USD", "GBP")
 *         .range("quantity", 1, null)
 *         .rowCount(Bounds.atLeast(1)))
 *     .run();
 * report.assertPassed();
 * }</pre>
 *
 * <p>Immutable and thread-safe: each method returns a new suite. Defaults: 5 samples per failed check, no
 * history, failing rows not stored. {@link #run()} takes a connection from the data source and reads all tables in one REPEATABLE READ
 * transaction (one consistent snapshot); {@link #run(Connection)} runs inside the caller's transaction instead
 * (write-audit-publish: check the data a loader just wrote, roll back if the report did not pass). A check that
 * cannot run (missing table or column, bad expression) is reported as {@link Status#ERROR} and the other checks
 * still run; when a table's scan fails for a reason about none of its checks (a statement or lock timeout, a
 * cancel from another session), its row-level checks are all ERROR with that reason instead of each being run again
 * alone. An interrupt of the thread running the suite is not a check's ERROR: it cancels the statement and stops the
 * run ({@link #run()}).
 */
public final class QualitySuite {
    private final DataSource dataSource;
    private final List<TableSpec> tables;
    private final int samples;
    private final Optional<TableName> history;
    private final Clock clock;
    private final Optional<String> failuresSchema;

    private QualitySuite(DataSource dataSource, List<TableSpec> tables, int samples, Optional<TableName> history,
            Clock clock, Optional<String> failuresSchema) {
        this.dataSource = dataSource;
        this.tables = List.copyOf(tables);
        this.samples = samples;
        this.history = history;
        this.clock = clock;
        this.failuresSchema = failuresSchema;
    }

    /** A suite that runs on connections from {@code dataSource}. */
    public static QualitySuite on(DataSource dataSource) {
        return new QualitySuite(Objects.requireNonNull(dataSource, "dataSource"), List.of(), 5, Optional.empty(),
                Clock.systemUTC(), Optional.empty());
    }

    /** A suite without a data source, to be run with {@link #run(Connection)}. */
    public static QualitySuite create() {
        return new QualitySuite(null, List.of(), 5, Optional.empty(), Clock.systemUTC(), Optional.empty());
    }

    /**
     * Adds checks on a table or view ({@code schema.name}, read as {@link TableName#parse(String)}). A table may
     * be given more than once (e.g. with different {@link TableChecks#where} conditions), but a check id names one
     * check of a table in the report and in the history, so it must not repeat across those calls.
     *
     * @throws IllegalArgumentException for a bad name, no checks, a check declared wrongly (naming it), or a check
     *     id an earlier call for the same table already used
     */
    public QualitySuite table(String table, Consumer<TableChecks> checks) {
        return table(TableName.parse(Objects.requireNonNull(table, "table")), checks);
    }

    private QualitySuite table(TableName table, Consumer<TableChecks> checks) {
        TableChecks t = new TableChecks(table);
        Objects.requireNonNull(checks, "checks").accept(t);
        TableSpec spec = t.spec();
        if (spec.checks().isEmpty()) {
            throw new IllegalArgumentException("table " + table + ": no checks declared");
        }
        for (TableSpec earlier : tables) {
            if (earlier.table().equals(spec.table())) {
                for (var c : spec.checks()) {
                    if (earlier.checks().stream().anyMatch(e -> e.id().equals(c.id()))) {
                        throw new IllegalArgumentException("table " + spec.table() + ": check id '" + c.id() + "' is already"
                                + " used by an earlier table(\"" + spec.table() + "\", ...) of this suite (report and history"
                                + " name a check by table and id); rename one with .id(\"...\")");
                    }
                }
            }
        }
        List<TableSpec> all = new ArrayList<>(tables);
        all.add(spec);
        return new QualitySuite(dataSource, all, samples, history, clock, failuresSchema);
    }

    /**
     * Adds the data tests of a dbt project's properties files, as {@code dbt test} would run them: {@code ymlFileOrDirectory}
     * is one {@code .yml} file or a directory read recursively for {@code *.yml} and {@code *.yaml} (dbt's
     * {@code models/}), {@code relations} says which table each model and source is. Same as
     * {@link #dbtTests(Path, DbtRelations, UnsupportedDbtTest)} with {@link UnsupportedDbtTest#FAIL}.
     *
     * <pre>{@code
     * QualityReport report = QualitySuite.on(dataSource)
     *     .dbtTests(Path.of("models"), DbtRelations.schema("analytics"))
     *     .run();
     * report.assertPassed();   // check ids are dbt's test names: not_null_orders_order_id, ...
     * }</pre>
     */
    public QualitySuite dbtTests(Path ymlFileOrDirectory, DbtRelations relations) {
        return dbtTests(ymlFileOrDirectory, relations, UnsupportedDbtTest.FAIL);
    }

    /**
     * Adds the data tests ({@code tests:} or {@code data_tests:}) of the models, seeds, snapshots and sources in dbt
     * properties files (config version 2), each as the check dbt's test is, with dbt's test name as its id
     * ({@code not_null_orders_order_id}, {@code source_unique_jaffle_raw_orders_id},
     * {@code relationships_orders_customer_id__customer_id__ref_customers_}; a test's {@code name:} when it has one):
     * {@code not_null}, {@code unique}, {@code accepted_values} ({@code values}, {@code quote}), {@code relationships}
     * ({@code to: ref('model')} or {@code source('source', 'table')}, {@code field}),
     * {@code dbt_utils.unique_combination_of_columns}, {@code dbt_utils.expression_is_true} (with or without
     * {@code column_name}), {@code dbt_utils.accepted_range} and {@code dbt_utils.recency}; arguments beside the test
     * name or under {@code arguments:}. Config (under {@code config:} or beside the arguments): {@code severity},
     * {@code warn_if}, {@code error_if} ({@code ">n"}, {@code ">=n"}, {@code "!=0"}), {@code where} and
     * {@code enabled}; {@code tags}, {@code meta}, {@code alias}, {@code store_failures(_as)}, {@code database} and
     * {@code schema} change nothing here. Unique, accepted values and unique combination count failing values, as dbt
     * does, so {@code error_if} decides the same; tests of one table with the same {@code where} share its scan.
     *
     * <p>Everything is read and checked here, before any SQL runs: a file that is not valid YAML, an unknown key of a
     * model, column or source, a test missing an argument ({@code values}), a {@code ref} to a model no file read
     * declares (nor {@link DbtRelations#model} maps), or two tests of one name on a table throw, naming the file and
     * line, the model (or source table), the column and the test. A test this cannot run as dbt would (an unknown test
     * kind, argument or config, Jinja in a value, a source's {@code freshness:}) throws too, unless
     * {@code unsupported} is {@link UnsupportedDbtTest#SKIP_WITH_WARNING}: then it is left out with a WARN log.
     *
     * @throws IllegalArgumentException as above
     * @throws java.io.UncheckedIOException when a file cannot be read
     */
    public QualitySuite dbtTests(Path ymlFileOrDirectory, DbtRelations relations, UnsupportedDbtTest unsupported) {
        List<DbtTests.Test> tests = DbtTests.read(ymlFileOrDirectory, relations, unsupported);
        Map<List<Object>, List<DbtTests.Test>> groups = new LinkedHashMap<>();
        for (DbtTests.Test t : tests) {
            groups.computeIfAbsent(List.of(t.table(), t.where()), k -> new ArrayList<>()).add(t);
        }
        QualitySuite suite = this;
        for (List<DbtTests.Test> group : groups.values()) {
            DbtTests.Test first = group.get(0);
            suite = suite.table(first.table(), t -> {
                first.where().ifPresent(t::where);
                for (DbtTests.Test test : group) {
                    try {
                        test.declare().accept(t);
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        throw new IllegalArgumentException(test.at() + ": " + test.id() + ": " + e.getMessage(), e);
                    }
                }
            });
        }
        return suite;
    }

    /** How many failing rows to fetch per failed check (0 for none; default 5). */
    public QualitySuite samples(int rowsPerCheck) {
        if (rowsPerCheck < 0 || rowsPerCheck > 10_000) {
            throw new IllegalArgumentException("samples must be between 0 and 10000, was " + rowsPerCheck);
        }
        return new QualitySuite(dataSource, tables, rowsPerCheck, history, clock, failuresSchema);
    }

    /**
     * Stores each run's results in {@code table} (created when missing), one row per check, in the same
     * transaction as the checks, with its table's {@code where} ({@code where_condition}, NULL for none);
     * {@link TableChecks#rowCountAnomaly} reads earlier runs from it. A history table of an earlier version gains the
     * {@code where_condition} column when the run's role owns it (its rows keep NULL: runs without a condition);
     * otherwise rows are written without it and an anomaly check with a {@code where} is an ERROR. On a connection in
     * auto-commit mode ({@link #run(Connection)}), the history's schema and table are made in one transaction and a
     * run's rows written in another: a run's rows are written all or none, though a run that fails after the first
     * may leave the table made and empty.
     */
    public QualitySuite history(String table) {
        return new QualitySuite(dataSource, tables, samples, Optional.of(TableName.parse(table)), clock, failuresSchema);
    }

    /** The clock that stamps runs (default: system UTC). */
    public QualitySuite clock(Clock runClock) {
        return new QualitySuite(dataSource, tables, samples, history, Objects.requireNonNull(runClock, "clock"),
                failuresSchema);
    }

    /**
     * dbt's {@code store_failures}: each run writes all failing rows of every row-level check that found any (one
     * that failed or warned, and, as in dbt, one that passed under its threshold) to a table of its own in
     * {@code schema} (which must exist; its name exactly as stored, as {@code JdbcStateStore.Builder.schema} takes it:
     * {@code "Audit"} is not the schema {@code create schema Audit} makes), replacing that table's rows of the run before; a check that finds no failing
     * row drops its table, so a table exists exactly while its check finds failing rows. The table is
     * {@code <table>__<check id>} (cut to 63 bytes and ended with a hash when longer or when two checks would share
     * it), holds the failing rows with all their columns ({@code select *} under the table's {@code where}; for
     * unique, the rows whose key is duplicated; for relationships, the orphans), and is named by
     * {@link CheckResult#failuresTable()}.
     *
     * <p>Set-based ({@code drop table if exists}, {@code create table … as select …}, then a {@code comment on table}
     * that marks it as this check's), in the run's transaction, each check in a savepoint, as the history is. A check
     * that could not run ({@link Status#ERROR}) leaves its table as it was; a relation of that name that this module did
     * not make for this very check (another suite's check of a same-named table in another schema, say) is never
     * dropped or replaced: the check's message says so. Two runs replacing the same table at once take turns (a
     * transaction-scoped advisory lock per failures table): the second waits for the first's transaction to end, then
     * reads the table's owner again, so a table another check's run made meanwhile is left as it is (in a caller's
     * REPEATABLE READ transaction, whose snapshot cannot see its comment, any table made after that snapshot is). On
     * a connection in auto-commit mode ({@link #run(Connection)}), each table is replaced in a transaction of its own, so a failed replacement keeps the
     * rows of the run before. When the suite gains or loses a same-named table of another schema (so a check's table
     * changes between its plain and its hashed name), the check's table under the other name is dropped with it. The
     * rows are read by a statement of their own after the count: {@link #run()} reads both in one snapshot, while under
     * {@link #run(Connection)} in a READ COMMITTED transaction rows that others commit in between can make the table
     * hold more or fewer rows than {@link CheckResult#failingRows()}. When the rows cannot be stored (the schema is missing, no CREATE privilege), the
     * check keeps its status and its message says why, naming the check and the schema; the other checks are
     * unaffected. These statements are not counted in {@link QualityReport#queries()}.
     *
     * @throws IllegalArgumentException when {@code schema} cannot be an identifier (empty, longer than 63 bytes)
     */
    public QualitySuite storeFailures(String schema) {
        Objects.requireNonNull(schema, "schema");
        try {
            Identifiers.check(schema);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("storeFailures: " + e.getMessage(), e);
        }
        return new QualitySuite(dataSource, tables, samples, history, clock, Optional.of(schema));
    }

    /**
     * The statements a run would execute, in the order it executes them (samples and history not included, nor the
     * {@code set_config('enable_presorted_aggregate', 'off', …)} a unique check's query runs under and the restore of
     * the setting after it, which change no data): per
     * table, the single scan, then the query of the distinct failing values of each accepted values check in it that
     * {@linkplain TableChecks#countValues() counts values} (run only when the scan found failing rows for it), then one
     * statement per check with a query of its own (unique, relationships, a window, a
     * comparison with another table; grouped checks that share a grouped query have one, where the first of them is
     * declared), then, with
     * {@link #storeFailures}, per row-level check the statements that replace its failures table as if it found failing rows:
     * {@code select pg_advisory_xact_lock(…)} (the lock that makes concurrent runs take turns), {@code drop table if
     * exists} of the check's table under its former name when the catalog holds one, {@code drop table if exists}
     * (all that runs, after the lock, when the check found no failing row and its table exists), {@code create table … as select …}
     * and {@code comment on table} (run only when it found failing rows). With a data source the catalog is read as a
     * run reads it, so this is exactly the SQL that runs (a unique check guaranteed by a unique index needs none; a
     * check on a missing table or column, reported as ERROR, has none; nothing is stored into a missing failures
     * schema, nor into a table of that name this module did not make for the check); without one ({@link #create()})
     * every table, column and the failures schema are assumed to exist and have no constraints.
     */
    public List<String> sql() {
        if (dataSource == null) {
            return Runner.plan(tables, failuresSchema);
        }
        try (Connection c = dataSource.getConnection()) {
            return sql(c);
        } catch (SQLException e) {
            throw new MdsException("cannot read the catalog to show the quality SQL: " + e.getMessage(), e);
        }
    }

    /** As {@link #sql()}, reading the catalog on the caller's connection. */
    public List<String> sql(Connection connection) {
        Objects.requireNonNull(connection, "connection");
        return new Runner(connection, samples, history, clock, failuresSchema).statements(tables);
    }

    /**
     * Runs every check in one transaction on a connection from the data source, and commits (only history rows
     * are written).
     *
     * <p>An interrupt of the calling thread ({@code Future.cancel(true)}, {@code ExecutorService.shutdownNow()}) stops
     * the run: the statement it waits on is cancelled on the server, the transaction rolled back (no history rows, no
     * failures tables), and this throws with the interrupt flag still set.
     *
     * @throws IllegalStateException when the suite was made with {@link #create()} or has no tables
     * @throws MdsException when the database cannot be reached at all, or the calling thread was interrupted (its
     *     cause then an {@link InterruptedException})
     */
    public QualityReport run() {
        if (dataSource == null) {
            throw new IllegalStateException("this suite has no DataSource: use QualitySuite.on(dataSource), or run(connection)");
        }
        validate();
        try (Connection c = dataSource.getConnection()) {
            return Sql.transaction(c, x -> {
                // every check of the run sees one snapshot; SET TRANSACTION leaves the session's own level as it was
                try {
                    Sql.execute(x, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                } catch (MdsException e) {
                    throw new MdsException("quality run of " + names() + " cannot start its transaction: " + e.getMessage(), e);
                }
                return new Runner(x, samples, history, clock, failuresSchema, dataSource).ownTransaction().run(tables);
            });
        } catch (SQLException e) {
            // connecting, or the commit: a commit whose connection broke may have been made (its reply was lost)
            throw new MdsException("quality run of " + names() + " failed: " + e.getMessage(), e);
        }
    }

    /** The tables of the suite, for a message: the first three, and how many more. */
    private String names() {
        List<String> names = tables.stream().map(t -> t.table().toString()).distinct().toList();
        return names.size() <= 3 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 3)) + " and " + (names.size() - 3) + " more";
    }

    /**
     * Runs every check on the caller's connection, inside the caller's transaction when one is open; neither
     * commits nor rolls back (statements that fail are undone to a savepoint so the transaction stays usable).
     * History rows, when configured, are part of the caller's transaction; when the history table cannot be created
     * or written, this throws {@link MdsException} with those statements undone and the transaction still usable. An
     * interrupt of the calling thread cancels the statement running and stops the run as in {@link #run()}: that
     * statement is undone to its savepoint, no history rows are written, what the run wrote before it (a history table
     * it made, failures tables) stays in the caller's transaction, which stays usable (in auto-commit mode, failures
     * tables replaced before the interrupt stay), and this throws with the interrupt flag still set.
     */
    public QualityReport run(Connection connection) {
        Objects.requireNonNull(connection, "connection");
        validate();
        return new Runner(connection, samples, history, clock, failuresSchema).run(tables);
    }

    private void validate() {
        if (tables.isEmpty()) {
            throw new IllegalStateException("no tables to check: add one with table(name, t -> t.notNull(...))");
        }
        if (history.isEmpty()) {
            for (TableSpec t : tables) {
                for (var c : t.checks()) {
                    if (c.kind() == Kind.ROW_COUNT_ANOMALY) {
                        throw new IllegalStateException(t.table() + ": rowCountAnomaly needs a history table; add .history(\"schema.table\") to the suite");
                    }
                }
            }
        }
    }
}
