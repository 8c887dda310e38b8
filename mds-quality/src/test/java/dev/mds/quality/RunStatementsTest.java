package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * What a run sends around its statements: in its own transaction ({@link QualitySuite#run()}) the catalog read is in
 * no savepoint (a failed catalog read stops the run, which rolls the whole transaction back), the scan is in one (a
 * failed scan is undone and its checks run one by one) that the run's COMMIT ends; in a caller's transaction
 * ({@link QualitySuite#run(Connection)}) both are in a savepoint released after them, so that a failed catalog read
 * leaves that transaction usable and the caller's transaction holds no savepoint of the run.
 */
@MdsPostgres
class RunStatementsTest {
    private static final String CATALOG = "select a.attname";

    private static QualitySuite checks(QualitySuite suite) {
        return suite.table("rs.t", t -> t.notNull("id").acceptedValues("code", "a", "b").rowCount(Bounds.atLeast(1)));
    }

    private static void table(DataSource ds) {
        sql(ds, "create schema if not exists rs", "drop table if exists rs.t",
                "create table rs.t (id int, code text)", "insert into rs.t values (1, 'a'), (2, 'b')");
    }

    @Test
    void ownTransactionReadsTheCatalogWithoutASavepointAndScansInOne(DataSource ds) {
        table(ds);
        List<String> calls = new ArrayList<>();
        QualityReport r = checks(QualitySuite.on(recording(ds, calls, false))).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsOnly(Status.PASS);
        assertThat(calls).containsExactly("execute SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "prepare " + CATALOG,
                "setSavepoint", "query select count(*) as n", "commit");
    }

    /**
     * In its own transaction a statement after the scan that fails (a relationships check whose parent condition
     * divides by zero) is still undone alone, in the scan's savepoint: the checks after it run, and the run commits
     * its history.
     */
    @Test
    void aStatementFailingAfterTheScanIsUndoneAloneAndTheRunCommits(DataSource ds) throws Exception {
        table(ds);
        sql(ds, "drop table if exists rs.p", "drop table if exists rs.h", "create table rs.p (code text)",
                "insert into rs.p values ('a'), ('b')");
        QualityReport r = QualitySuite.on(ds).history("rs.h").table("rs.t", t -> t.notNull("id")
                .relationships("code", "rs.p", "code").parentWhere("1 / 0 = 1").unique("id")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.ERROR, Status.PASS);
        assertThat(r.checks().get(1).message()).contains("division by zero");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select count(*) from rs.h where run_id = '" + r.runId() + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(3);
        }
    }

    /**
     * In its own transaction the scans' savepoints are left open, one nested in the other per table. Before the run
     * writes (its history, stored failures) they are released: otherwise the write gives each of them a transaction id
     * (a subtransaction's id needs its parents' first), and a suite over more tables than PostgreSQL caches
     * subtransaction ids of (64 per session) overflows the session's cache, which slows every other session's
     * snapshots until the run commits. A trigger on the history table records the session's subtransactions.
     */
    @Test
    void theScansSavepointsAreReleasedBeforeTheRunWrites(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists rs", "drop table if exists rs.hx", "drop table if exists rs.subxacts",
                "create table rs.subxacts (n int, overflowed boolean)");
        QualitySuite suite = QualitySuite.on(ds).history("rs.hx");
        for (int i = 0; i < 70; i++) {
            sql(ds, "drop table if exists rs.s" + i, "create table rs.s" + i + " (id int)", "insert into rs.s" + i + " values (1)");
            suite = suite.table("rs.s" + i, t -> t.notNull("id"));
        }
        suite.run();   // creates the history table
        sql(ds, "create or replace function rs.count_subxacts() returns trigger language plpgsql as $$ begin"
                + " insert into rs.subxacts select s.subxact_count, s.subxact_overflowed from pg_stat_get_backend_idset() b,"
                + " pg_stat_get_backend_subxact(b) s where pg_stat_get_backend_pid(b) = pg_backend_pid(); return null; end $$",
                "create trigger count_subxacts after insert on rs.hx for each statement execute function rs.count_subxacts()");
        QualityReport r = suite.run();
        assertThat(r.passed()).isTrue();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select n, overflowed from rs.subxacts")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(2)).as("subtransaction cache overflowed").isFalse();
            assertThat(rs.getInt(1)).as("subtransactions with an id while the history is written").isLessThan(5);
        }
    }

    @Test
    void callersTransactionReadsTheCatalogAndScansEachInASavepoint(DataSource ds) throws Exception {
        table(ds);
        List<String> calls = new ArrayList<>();
        try (Connection c = recording(ds, calls, false).getConnection()) {
            c.setAutoCommit(false);
            checks(QualitySuite.create()).run(c);
            c.rollback();
        }
        assertThat(calls).containsExactly("setSavepoint", "prepare " + CATALOG, "releaseSavepoint",
                "setSavepoint", "query select count(*) as n", "releaseSavepoint", "rollback");
    }

    /** The catalog read fails on the server (it is replaced by a division by zero): the run stops naming the table. */
    @Test
    void aFailedCatalogReadStopsTheRunAndRollsItsOwnTransactionBack(DataSource ds) throws Exception {
        table(ds);
        sql(ds, "create table rs.h (x int)");
        List<String> calls = new ArrayList<>();
        DataSource failing = recording(ds, calls, true);
        assertThatThrownBy(() -> checks(QualitySuite.on(failing)).run()).isInstanceOf(MdsException.class)
                .hasMessageContaining("cannot read the columns of rs.t").hasMessageContaining("division by zero");
        assertThat(calls).doesNotContain("setSavepoint", "commit").contains("rollback");
        // the connection goes back to the pool usable
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            assertThat(rs.next()).isTrue();
        }
    }

    /** In a caller's transaction the failed catalog read is undone to its savepoint: the transaction stays usable. */
    @Test
    void aFailedCatalogReadLeavesTheCallersTransactionUsable(DataSource ds) throws Exception {
        table(ds);
        List<String> calls = new ArrayList<>();
        try (Connection c = recording(ds, calls, true).getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into rs.t values (3, 'c')");
            }
            assertThatThrownBy(() -> checks(QualitySuite.create()).run(c)).isInstanceOf(MdsException.class)
                    .hasMessageContaining("cannot read the columns of rs.t");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from rs.t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(3);
            }
            c.rollback();
        }
        assertThat(calls).contains("setSavepoint", "rollback to savepoint");
    }

    /**
     * The data source's connections, recording savepoints, commits, rollbacks and the statements the run sends (their
     * first words); with {@code failCatalog}, the catalog read is replaced by a statement the server refuses.
     */
    private static DataSource recording(DataSource ds, List<String> calls, boolean failCatalog) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (p, m, args) -> {
                    Object out = invoke(ds, m, args);
                    return out instanceof Connection c ? connection(c, calls, failCatalog) : out;
                });
    }

    private static Connection connection(Connection real, List<String> calls, boolean failCatalog) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> {
                    switch (m.getName()) {
                        case "setSavepoint", "releaseSavepoint", "commit" -> calls.add(m.getName());
                        case "rollback" -> calls.add(args == null ? "rollback" : "rollback to savepoint");
                        case "prepareStatement" -> {
                            String sql = (String) args[0];
                            if (sql.startsWith(CATALOG)) {
                                calls.add("prepare " + CATALOG);
                                if (failCatalog) {
                                    args = args.clone();
                                    args[0] = "select 1 / 0";
                                }
                            } else {
                                calls.add("prepare " + sql);
                            }
                        }
                        case "createStatement" -> {
                            Statement st = (Statement) invoke(real, m, args);
                            return statement(st, calls);
                        }
                        default -> { }
                    }
                    return invoke(real, m, args);
                });
    }

    private static Statement statement(Statement real, List<String> calls) {
        return (Statement) Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {Statement.class},
                (p, m, args) -> {
                    if (m.getName().equals("execute") || m.getName().equals("executeQuery")) {
                        String sql = (String) args[0];
                        calls.add((m.getName().equals("execute") ? "execute " : "query ")
                                + (sql.startsWith("select count(*) as n") ? "select count(*) as n" : sql));
                    }
                    return invoke(real, m, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
