package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.core.MdsException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The session of a quality run dies at every statement it sends in turn ({@link FaultSweep}): the run throws an error
 * naming what it was checking or writing, the failures tables and the history hold exactly what they held before or
 * exactly what an uninterrupted run leaves (never a failures table dropped and not made again, never part of a run's
 * history), and a re-run gives what an uninterrupted run gives. A read-only run whose session dies throws naming the
 * table; it never reports checks as PASS or FAIL from a dead session.
 */
@MdsPostgres
class FaultInjectionQualityTest {
    /** How the run is given its connection. */
    enum Mode {
        /** {@link QualitySuite#run()}: the suite's own transaction. */
        SUITE_TRANSACTION,
        /** {@link QualitySuite#run(Connection)} inside the caller's transaction, which the caller then commits. */
        CALLER_TRANSACTION,
        /** {@link QualitySuite#run(Connection)} on a connection in auto-commit mode: each failures table on its own. */
        AUTO_COMMIT
    }

    static final Instant FIRST_RUN = Instant.parse("2024-01-01T00:00:00Z");
    static final Instant SECOND_RUN = Instant.parse("2024-01-02T00:00:00Z");

    /**
     * {@code src.t} as the run before saw it: v NULL in rows 1-2, codes x and y not accepted, n out of range in row 1
     * (so its failures tables exist), codes unique.
     */
    static final String BEFORE = "(1, null, 'a', 11), (2, null, 'b', 1), (3, 3, 'c', 1), (4, 4, 'd', 1), (5, 5, 'x', 1),"
            + " (6, 6, 'y', 1)";
    /**
     * {@code src.t} now: v NULL in row 3 (table replaced), code e not accepted (replaced), code a twice (a new table),
     * n in range (its table dropped).
     */
    static final String NOW = "(1, 1, 'a', 1), (2, 2, 'a', 1), (3, null, 'b', 1), (4, 4, 'c', 1), (5, 5, 'd', 1),"
            + " (6, 6, 'e', 1)";

    static QualitySuite suite(DataSource ds, Instant at, boolean store) {
        QualitySuite s = QualitySuite.on(ds).samples(0).clock(Clock.fixed(at, ZoneOffset.UTC))
                .table("src.t", t -> t.notNull("v").unique("code").acceptedValues("code", "a", "b", "c", "d")
                        .range("n", 0, 10).rowCount(Bounds.atLeast(1)));
        return store ? s.storeFailures("audit").history("qh.runs") : s;
    }

    /**
     * The suite with the checks of every way a check is run: the scan, a unique and a relationships query, a window, a
     * grouped query, a row count comparison, a cardinality comparison, the catalog (column type, columns), and samples
     * of each failed check.
     */
    static QualitySuite wide(DataSource ds) {
        return suite(ds, SECOND_RUN, false).samples(1).table("src.t", t -> t.relationships("code", "src.p", "code")
                .sequentialValues("id").atLeastOne("v").groupBy("code").notConstant("n").columnType("v", "integer")
                .columns("id", "v").equalRowCount("src.p").cardinalityEquality("code", "src.p", "code")
                .proportionOfUniqueValues("code", 1, null));
    }

    /** {@code src.t} as the run before saw it, {@code src.p}, schema audit; no history, no failures table. */
    static void tables(DataSource ds, String rows) {
        sql(ds, "drop schema if exists src cascade", "drop schema if exists audit cascade", "drop schema if exists qh cascade",
                "create schema src", "create schema audit",
                "create table src.t (id int primary key, v int, code text, n int)",
                "insert into src.t values " + rows, "create table src.p (code text)", "insert into src.p values ('a'), ('b')");
    }

    /** {@code src.t} as it is now, {@code src.p}, schema audit; no history, no failures table. */
    static void tables(DataSource ds) {
        tables(ds, NOW);
    }

    /** The run before's failures tables and history, and {@code src.t} as it is now. */
    static void setUp(DataSource ds) {
        tables(ds, BEFORE);
        QualityReport first = suite(ds, FIRST_RUN, true).run();
        assertThat(first.checks()).extracting(CheckResult::failuresTable).containsExactly("audit.t__not_null_v", "",
                "audit.t__accepted_values_code", "audit.t__range_n", "");
        sql(ds, "truncate src.t", "insert into src.t values " + NOW);
    }

    /** Runs the suite on {@code ds} as {@code mode} says; returns its report. */
    static QualityReport run(QualitySuite suite, DataSource ds, Mode mode) throws Exception {
        switch (mode) {
            case SUITE_TRANSACTION -> {
                return suite.run();
            }
            case CALLER_TRANSACTION -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    QualityReport r = suite.run(c);
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        throw new CallerCommitFailed(e);
                    }
                    return r;
                }
            }
            default -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(true);
                    return suite.run(c);
                }
            }
        }
    }

    /** The caller's own commit failed (after the suite returned its report): not an error of the suite's. */
    static final class CallerCommitFailed extends RuntimeException {
        CallerCommitFailed(SQLException e) {
            super("the caller's commit failed: " + e.getMessage(), e);
        }
    }

    /** The suite's error names the table it checks, or the history table it writes; the caller's commit is its own. */
    static void namesTheTable(Throwable e) {
        if (!(e instanceof CallerCommitFailed)) {
            assertThat(e).isInstanceOf(MdsException.class);
            assertThat(e.getMessage()).containsAnyOf("src.t", "qh.runs");
        }
    }

    static Map<String, String> statuses(QualityReport r) {
        Map<String, String> m = new LinkedHashMap<>();
        r.checks().forEach(c -> m.put(c.id(), c.status() + " " + c.failingRows() + " " + c.failuresTable()));
        return m;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void storedFailuresAndHistoryAreOldOrNewWhereverTheSessionDies(Mode mode, DataSource ds) throws Exception {
        List<QualityReport> reports = new ArrayList<>();
        int points = FaultSweep.on(ds)
                .setUp(FaultInjectionQualityTest::setUp)
                .operation(d -> reports.add(run(suite(d, SECOND_RUN, true), d, mode)))
                .ignoreColumns("run_id")
                .idempotent(false) // history rows are appended: after a lost COMMIT reply the run is not repeated
                .failure(FaultInjectionQualityTest::namesTheTable)
                .check(o -> {
                    if (mode == Mode.AUTO_COMMIT) {
                        eachRelationOldOrNew(o);
                    } else {
                        FaultSweep.allOrNothing(o);
                    }
                })
                .run();
        assertThat(points).isGreaterThan(5);
        Map<String, String> uninterrupted = statuses(reports.get(0));
        assertThat(uninterrupted).containsExactly(Map.entry("not_null_v", "FAIL 1 audit.t__not_null_v"),
                Map.entry("unique_code", "FAIL 2 audit.t__unique_code"),
                Map.entry("accepted_values_code", "FAIL 1 audit.t__accepted_values_code"),
                Map.entry("range_n", "PASS 0 "), Map.entry("row_count", "PASS 0 "));
        // every run that returned a report (an uninterrupted one, a re-run) reports the same
        assertThat(reports).allSatisfy(r -> assertThat(statuses(r)).isEqualTo(uninterrupted));
    }

    /**
     * A first run on a connection in auto-commit mode makes the history schema and table, and the failures tables: the
     * history's schema and table are made in one transaction (never a schema without its table), and each failures table
     * in one of its own. The history table may be left made and empty (the run's rows are written in its last
     * statement); it never holds part of a run.
     */
    @Test
    void aFirstRunInAutoCommitModeMakesTheHistoryTableWithItsSchemaOrNeither(DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(FaultInjectionQualityTest::tables)
                .operation(d -> run(suite(d, SECOND_RUN, true), d, Mode.AUTO_COMMIT))
                .ignoreColumns("run_id")
                .idempotent(false)
                .failure(FaultInjectionQualityTest::namesTheTable)
                .check(o -> {
                    FaultSweep.Snapshot now = o.now();
                    List<String> history = now.relations().get("qh.runs (r)");
                    if (o.failed() && history != null && history.stream().noneMatch(l -> l.startsWith("row "))) {
                        // made, and no run written into it: the state before with an empty history table
                        Map<String, List<String>> without = new java.util.HashMap<>(now.relations());
                        without.remove("qh.runs (r)");
                        without.remove("qh (schema)");
                        now = new FaultSweep.Snapshot(without);
                    } else if (now.relations().containsKey("qh (schema)") && history == null) {
                        throw new AssertionError("schema qh was made without its history table: " + now.relations().keySet());
                    }
                    eachRelationOldOrNew(new FaultSweep.Outcome(o.kill(), o.failure(), o.before(), o.after(), now));
                })
                .run();
        assertThat(points).isGreaterThan(5);
    }

    /**
     * On a connection in auto-commit mode each failures table is replaced in a transaction of its own and the history
     * in another: each relation (and schema) holds what it held before or what an uninterrupted run leaves, never a mix.
     */
    static void eachRelationOldOrNew(FaultSweep.Outcome o) {
        if (!o.failed()) {
            FaultSweep.allOrNothing(o);
            return;
        }
        Set<String> names = new TreeSet<>(o.before().relations().keySet());
        names.addAll(o.after().relations().keySet());
        names.addAll(o.now().relations().keySet());
        for (String n : names) {
            List<String> now = o.now().relations().get(n);
            if (!java.util.Objects.equals(now, o.before().relations().get(n))
                    && !java.util.Objects.equals(now, o.after().relations().get(n))) {
                throw new AssertionError(n + " is neither as before nor as after an uninterrupted run: " + now
                        + "\n  before: " + o.before().relations().get(n) + "\n  after: " + o.after().relations().get(n));
            }
        }
    }

    /** In the suite's own transaction (a caller's transaction runs the same statements between savepoints: swept above). */
    @Test
    void aReadOnlyRunWhoseSessionDiesThrowsNamingTheTableNeverReportsPassOrFail(DataSource ds) throws Exception {
        Mode mode = Mode.SUITE_TRANSACTION;
        List<QualityReport> reports = new ArrayList<>();
        int points = FaultSweep.on(ds)
                .setUp(FaultInjectionQualityTest::tables)
                .operation(d -> reports.add(run(wide(d), d, mode)))
                .ignoreColumns("run_id")
                .failure(FaultInjectionQualityTest::namesTheTable)
                .run();
        assertThat(points).isGreaterThan(3);
        Map<String, String> uninterrupted = statuses(reports.get(0));
        assertThat(uninterrupted).containsEntry("not_null_v", "FAIL 1 ").containsEntry("relationships_code", "FAIL 3 ")
                .containsEntry("at_least_one_v", "FAIL 1 ").containsEntry("sequential_values_id", "PASS 0 ").containsEntry("not_constant_n", "FAIL 0 ")
                .containsEntry("equal_row_count_p", "FAIL 0 ").containsEntry("column_type_v", "PASS 0 ")
                .containsEntry("cardinality_equality_code", "FAIL 4 ").containsEntry("proportion_of_unique_values_code", "FAIL 0 ");
        assertThat(reports).allSatisfy(r -> {
            assertThat(statuses(r)).isEqualTo(uninterrupted);
            assertThat(r.withStatus(Status.FAIL)).filteredOn(c -> c.failingRows() > 0)
                    .allSatisfy(c -> assertThat(c.samples()).isNotEmpty());
        });
    }
}
