package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs small test classes of its own (not run by themselves: Surefire leaves out nested classes) to see what fails. */
class LeftOpenTransactionsTest {
    /** Each test (by method name) of {@code testClass} run now, and its failure's message or "passed". */
    static Map<String, String> run(Class<?> testClass) {
        Map<String, String> out = new TreeMap<>();
        List<Throwable> classFailures = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                String message = result.getThrowable().map(Throwable::getMessage).orElse("passed");
                if (id.isTest()) {
                    out.put(id.getDisplayName().replaceAll("\\(.*", ""), message);
                } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    out.put("class " + id.getDisplayName(), message);
                }
            }
        };
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(),
                listener);
        return out;
    }

    static void leaveOpen(DataSource ds, String... statements) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    @MdsPostgres(leftOpenTransactions = MdsPostgres.LeftOpenTransactions.FAIL)
    static class Failing {
        @BeforeAll
        static void table(DataSource ds) {
            TestSql.sql(ds, "create table t (id int)");
        }

        @Test
        void leavesAnInsertOpen(DataSource ds) throws Exception {
            leaveOpen(ds, "begin", "insert into t values (1)");
        }

        @Test
        void leavesAFailedTransactionOnItsOwnPool(TestDatabase db) throws Exception {
            try (var pool = db.newDataSource(1)) {
                leaveOpen(pool, "begin", "select 1");
                try {
                    leaveOpen(pool, "begin; insert into t values ('x')");
                } catch (java.sql.SQLException expected) {
                    // invalid input syntax for type integer
                }
            }
        }

        @Test
        void commitsWhatItBegan(DataSource ds) throws Exception {
            leaveOpen(ds, "begin", "insert into t values (2)", "commit");
            try (Connection c = ds.getConnection()) {   // left open with auto-commit off: rolled back, as any pool does
                c.setAutoCommit(false);
                c.createStatement().execute("insert into t values (3)");
            }
            assertThat(TestSql.strings(ds, "select string_agg(id::text, ',') from t")).containsExactly("2");
        }
    }

    @Test
    void underFailATestThatLeavesATransactionOpenFailsNamingItsLastStatement() {
        Map<String, String> results = run(Failing.class);
        assertThat(results).hasSize(3).containsEntry("commitsWhatItBegan", "passed");
        assertThat(results.get("leavesAnInsertOpen"))
                .startsWith("dev.mds.testing.LeftOpenTransactionsTest$Failing#leavesAnInsertOpen left a transaction open"
                        + " on a pooled connection")
                .contains("opened with SQL in auto-commit mode and not ended (idle in transaction, last statement:"
                        + " insert into t values (1))");
        assertThat(results.get("leavesAFailedTransactionOnItsOwnPool"))
                .contains("#leavesAFailedTransactionOnItsOwnPool left 2 transactions open")
                .contains("(idle in transaction, last statement: select 1)")
                .contains("a transaction that failed, opened with SQL in auto-commit mode and not ended"
                        + " (idle in transaction (aborted), last statement: insert into t values ('x'))");
    }

    @MdsPostgres(leftOpenTransactions = MdsPostgres.LeftOpenTransactions.WARN)
    static class Warning {
        @Test
        void leavesAnInsertOpenWhichTheNextUserDoesNotJoin(DataSource ds) throws Exception {
            TestSql.sql(ds, "create table t (id int)");
            leaveOpen(ds, "begin", "insert into t values (1)");
            assertThat(TestSql.strings(ds, "select count(*) from t")).containsExactly("0");
            assertThat(TestSql.strings(ds, "select pg_current_xact_id_if_assigned()::text")).containsExactly((String) null);
        }
    }

    @Test
    void underWarnTheTransactionIsRolledBackAndTheTestPasses() {
        assertThat(run(Warning.class)).containsExactly(Map.entry("leavesAnInsertOpenWhichTheNextUserDoesNotJoin", "passed"));
    }

    @MdsPostgres
    static class NotChoosing {
        @Test
        void leavesAnInsertOpen(DataSource ds) throws Exception {
            leaveOpen(ds, "create table t (id int)", "begin", "insert into t values (1)");
        }
    }

    @MdsPostgres
    static class LeavingOneOpenInItsSetUp {
        @BeforeAll
        static void setUp(DataSource ds) throws Exception {
            leaveOpen(ds, "begin", "select 'set-up'");
        }

        @Test
        void doesNothing() {
            assertThat(1).isOne();
        }
    }

    /** Without the setting, a class that does not choose fails the test that left a transaction open. */
    @Test
    void aClassThatDoesNotChooseFailsByDefault() {
        assumeTrue(System.getenv(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE) == null
                && System.getProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE) == null, "the default is set");
        assertThat(run(NotChoosing.class).get("leavesAnInsertOpen"))
                .contains("#leavesAnInsertOpen left a transaction open")
                .contains("last statement: insert into t values (1)");
    }

    @Test
    void theSystemPropertyChoosesTheDefaultOfAClassThatDoesNotChoose() {
        String before = System.getProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE);
        System.setProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE, "fail");
        try {
            assertThat(run(NotChoosing.class).get("leavesAnInsertOpen"))
                    .contains("#leavesAnInsertOpen left a transaction open")
                    .contains("last statement: insert into t values (1)");
            assertThat(run(LeavingOneOpenInItsSetUp.class).get("doesNothing"))
                    .startsWith("the set-up of dev.mds.testing.LeftOpenTransactionsTest$LeavingOneOpenInItsSetUp"
                            + " (its constructor or @BeforeAll), run before")
                    .contains("last statement: select 'set-up'");
            if (System.getenv(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE) == null) {   // which comes first
                System.setProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE, "warn");
                assertThat(run(NotChoosing.class)).containsExactly(Map.entry("leavesAnInsertOpen", "passed"));
            }
        } finally {
            if (before == null) {
                System.clearProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE);
            } else {
                System.setProperty(PostgresExtension.LEFT_OPEN_TRANSACTIONS_VARIABLE, before);
            }
        }
    }
}
