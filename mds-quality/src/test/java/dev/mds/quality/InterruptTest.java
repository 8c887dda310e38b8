package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A quality run whose thread is interrupted (Future.cancel(true), an executor's shutdownNow) stops: the statement
 * it waits on is cancelled on the server, nothing of the run is committed, and it throws with the interrupt flag set.
 */
@MdsPostgres
class InterruptTest {

    /** What a run on another thread ended with: its exception and whether its interrupt flag was set then. */
    private record Outcome(Throwable thrown, boolean interruptFlag) {
    }

    private DataSource ds;

    @AfterEach
    void cancelLeftovers() throws SQLException {
        // a run that did not honour the interrupt would sleep on for minutes: end it so the class finishes
        if (ds != null) {
            sql(ds, "select pg_cancel_backend(pid) from pg_stat_activity where datname = current_database()"
                    + " and pid <> pg_backend_pid() and query like '%pg_sleep%'");
        }
    }

    /** Waits (up to 30 s) until another session of this database runs a statement containing {@code text}. */
    private static void awaitRunning(DataSource ds, String text) throws Exception {
        awaitRunning(ds, text, "true");
    }

    /** Waits until another session runs a statement containing {@code text} and meeting {@code condition}. */
    private static void awaitRunning(DataSource ds, String text, String condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where datname = current_database()"
                        + " and pid <> pg_backend_pid() and state = 'active' and strpos(query, '" + text + "') > 0 and "
                        + condition)) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("no session ran a statement containing " + text + " within 30 s");
    }

    private static long scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long sleeping(DataSource ds) throws SQLException {
        return scalar(ds, "select count(*) from pg_stat_activity where datname = current_database()"
                + " and pid <> pg_backend_pid() and state = 'active' and query like '%pg_sleep(300)%'");
    }

    @Test
    void cancellingARunsFutureCancelsItsStatementAndWritesNoHistory(DataSource ds) throws Exception {
        this.ds = ds;
        sql(ds, "create table slow (id int, v int)", "insert into slow values (1, 1), (2, 2)");
        QualitySuite suite = QualitySuite.on(ds).history("audit_i.runs").table("slow", t -> t
                .notNull("id")
                .expression("sleeps", "pg_sleep(300) is not null")
                .unique("id"));
        AtomicBoolean flag = new AtomicBoolean();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<QualityReport> run = executor.submit(() -> {
                try {
                    return suite.run();
                } finally {
                    flag.set(Thread.currentThread().isInterrupted());
                }
            });
            awaitRunning(ds, "pg_sleep(300)");
            run.cancel(true);
            executor.shutdown();
            // promptly, not after the 300 s sleep (30 s is only the test's patience)
            assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).as("the run ended after its interrupt").isTrue();
        } finally {
            executor.shutdownNow();
        }
        assertThat(flag).as("interrupt flag set when run() returned").isTrue();
        assertThat(sleeping(ds)).as("the statement was cancelled on the server, not left running").isZero();
        // the history's schema and table were made in the run's transaction: rolled back with it
        assertThat(scalar(ds, "select count(*) from pg_namespace where nspname = 'audit_i'")).isZero();
    }

    @Test
    void anInterruptedRunThrowsWithTheFlagSetAndLeavesTheCallersTransactionUsable(DataSource ds) throws Exception {
        this.ds = ds;
        sql(ds, "create table slow2 (id int, v int)", "insert into slow2 values (1, 1)",
                "create schema audit_j", "create table audit_j.runs (run_id text not null, run_at timestamptz not null,"
                        + " table_name text not null, check_id text not null, kind text not null, severity text not null,"
                        + " status text not null, failing_rows bigint not null, checked_rows bigint not null,"
                        + " observed text not null, message text not null, primary key (run_id, table_name, check_id))");
        QualitySuite suite = QualitySuite.on(ds).history("audit_j.runs")
                .table("slow2", t -> t.notNull("id"))
                .table("slow2", t -> t.expression("sleeps", "pg_sleep(300) is not null"));
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                suite.run();
                outcome.set(new Outcome(null, Thread.currentThread().isInterrupted()));
            } catch (Throwable e) {
                outcome.set(new Outcome(e, Thread.currentThread().isInterrupted()));
            }
        });
        runner.start();
        awaitRunning(ds, "pg_sleep(300)");
        runner.interrupt();
        runner.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(runner.isAlive()).as("the run ended after its interrupt").isFalse();
        Outcome o = outcome.get();
        assertThat(o.thrown()).isInstanceOf(MdsException.class)
                .hasMessageContaining("interrupted").hasMessageContaining("slow2").hasMessageContaining("nothing");
        assertThat(o.thrown()).hasCauseInstanceOf(InterruptedException.class);
        assertThat(o.interruptFlag()).isTrue();
        assertThat(scalar(ds, "select count(*) from audit_j.runs")).as("no history rows of the run").isZero();
        assertThat(sleeping(ds)).isZero();

        // run(connection) in the caller's transaction: the caller's own work stays, the transaction usable
        sql(ds, "create table mine (x int)");
        AtomicReference<Outcome> inTx = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("insert into mine values (1)");
                }
                try {
                    suite.run(c);
                    inTx.set(new Outcome(null, Thread.currentThread().isInterrupted()));
                } catch (Throwable e) {
                    inTx.set(new Outcome(e, Thread.currentThread().isInterrupted()));
                }
                Thread.interrupted(); // the caller decides; here it commits its own row
                try (Statement st = c.createStatement()) {
                    st.execute("insert into mine values (2)");
                }
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        caller.start();
        awaitRunning(ds, "pg_sleep(300)");
        caller.interrupt();
        caller.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(caller.isAlive()).isFalse();
        assertThat(inTx.get().thrown()).isInstanceOf(MdsException.class).hasMessageContaining("interrupted")
                .hasMessageContaining("caller's open transaction");
        assertThat(inTx.get().interruptFlag()).isTrue();
        assertThat(scalar(ds, "select count(*) from mine")).as("the caller's rows, committed by the caller").isEqualTo(2);
        assertThat(scalar(ds, "select count(*) from audit_j.runs")).isZero();
    }

    @Test
    void anInterruptWhileReplacingAFailuresTableInAutoCommitModeKeepsTheRowsOfTheRunBefore(DataSource ds) throws Exception {
        this.ds = ds;
        // false for every row; sleeps only inside the statement that stores the failing rows (create table ... as)
        sql(ds, "create table st (id int)", "insert into st values (1), (2)", "create schema audit_s",
                "create function slow_when_storing(int) returns boolean language plpgsql as $$ begin"
                        + " if current_query() ilike 'create table%' then perform pg_sleep(300); end if; return false; end $$");
        QualitySuite suite = QualitySuite.create().storeFailures("audit_s").table("st", t -> t.expression("flag",
                "slow_when_storing(id)"));
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        AtomicBoolean autoCommitAfter = new AtomicBoolean();
        Thread runner = new Thread(() -> {
            try (Connection c = ds.getConnection()) {
                try (Statement st = c.createStatement()) {
                    // the first run stores its 2 rows without sleeping: the function sleeps from the second run on
                    st.execute("create or replace function slow_when_storing(int) returns boolean language sql as 'select false'");
                }
                suite.run(c);
                try (Statement st = c.createStatement()) {
                    st.execute("insert into st values (3)");
                    st.execute("create or replace function slow_when_storing(int) returns boolean language plpgsql as $$ begin"
                            + " if current_query() ilike 'create table%' then perform pg_sleep(300); end if; return false; end $$");
                }
                try {
                    suite.run(c);
                    outcome.set(new Outcome(null, Thread.currentThread().isInterrupted()));
                } catch (Throwable e) {
                    outcome.set(new Outcome(e, Thread.currentThread().isInterrupted()));
                }
                autoCommitAfter.set(c.getAutoCommit());
            } catch (SQLException e) {
                outcome.compareAndSet(null, new Outcome(e, false));
            }
        });
        runner.start();
        // the second run's: the first run's create table runs too, briefly, and does not sleep
        awaitRunning(ds, "create table", "wait_event = 'PgSleep'");
        runner.interrupt();
        runner.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(runner.isAlive()).as("the run ended after its interrupt").isFalse();
        assertThat(outcome.get().thrown()).isInstanceOf(MdsException.class).hasMessageContaining("interrupted")
                .hasMessageContaining("flag").hasMessageContaining("nothing of the run was committed")
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(outcome.get().interruptFlag()).isTrue();
        assertThat(autoCommitAfter).as("auto-commit put back").isTrue();
        // the drop that preceded the cancelled create is undone with it: the rows of the run before, not none
        assertThat(scalar(ds, "select count(*) from audit_s.st__flag")).isEqualTo(2);
        assertThat(scalar(ds, "select count(*) from pg_stat_activity where datname = current_database()"
                + " and pid <> pg_backend_pid() and state = 'active' and query ilike 'create table%'")).isZero();
    }
}
