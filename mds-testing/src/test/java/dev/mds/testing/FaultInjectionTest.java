package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

@MdsPostgres
class FaultInjectionTest {
    @BeforeEach
    void table(DataSource ds) {
        TestSql.sql(ds, "drop table if exists t", "create table t (id int)");
    }

    /** Inserts 1 by a statement and 2 by COPY, then commits: 3 statements. */
    static void work(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("insert into t values (1)");
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy t from stdin", new StringReader("2\n"));
            c.commit();
        }
    }

    @Test
    void countsStatementsCopiesThroughTheUnwrappedConnectionAndCommits(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        work(faults.dataSource());
        assertThat(faults.statements()).containsExactly("insert into t values (1)", "copy t from stdin", "COMMIT");
        assertThat(faults.commits()).containsExactly(false, false, true);
        assertThatTable(ds, "t").columns("id").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void aKillBeforeACopyEndsTheSessionForRealAndNothingCommits(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(2, FaultInjection.Moment.BEFORE);
        assertThatThrownBy(() -> work(faults.dataSource()))   // pgjdbc meets the closed socket when it starts the COPY
                .hasMessageContaining("Database connection failed when starting copy");
        assertThat(faults.killed()).contains("statement 2 (BEFORE): copy t from stdin");
        assertThatTable(ds, "t").isEmpty();
        faults.countOnly();
        work(faults.dataSource());   // the dead connection left the pool
        assertThatTable(ds, "t").columns("id").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void aCommitWhoseReplyIsLostHappenedThoughTheCallerGetsTheDeadSessionsError(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(3, FaultInjection.Moment.LOST_REPLY);
        assertThatThrownBy(() -> work(faults.dataSource())).hasMessageContaining("terminating connection");
        assertThatTable(ds, "t").columns("id").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void aKillAfterTheLastStatementLeavesTheWorkDoneAndTheDeadConnectionOutOfThePool(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(3, FaultInjection.Moment.AFTER);
        work(faults.dataSource());
        assertThat(faults.killed()).isPresent();
        for (int i = 0; i < 10; i++) {   // more than the pool holds: none of them is the dead one
            assertThat(TestSql.strings(ds, "select 'alive'")).containsExactly("alive");
        }
    }

    @Test
    void aSweepFindsAnOperationThatIsNotAllOrNothing(DataSource ds) {
        assertThatThrownBy(() -> FaultSweep.on(ds)
                .setUp(d -> TestSql.sql(d, "truncate t"))
                .operation(d -> {
                    TestSql.sql(d, "insert into t values (1)");   // auto-commit: two transactions
                    TestSql.sql(d, "insert into t values (2)");
                })
                .run())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("kill at statement 1 (LOST_REPLY) [commits]")
                .hasMessageContaining("the operation failed but changed the database");
    }

    /** Serializable isolation, an empty commit, an insert committed by setAutoCommit(true). */
    static void isolationWork(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setAutoCommit(false);
            c.commit();   // nothing open: pgjdbc sends nothing
            c.rollback();
            try (Statement st = c.createStatement()) {
                st.executeUpdate("insert into t values (1)");
            }
            c.setAutoCommit(true);   // commits
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
    }

    @Test
    void setTransactionIsolationAndACommittingSetAutoCommitAreKillPointsACommitWithNothingOpenIsNot(DataSource ds)
            throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        isolationWork(faults.dataSource());
        assertThat(faults.statements()).containsExactly(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL (setTransactionIsolation(8))",
                "insert into t values (1)",
                "COMMIT (setAutoCommit(true))",
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL (setTransactionIsolation(2))");
        assertThat(faults.commits()).containsExactly(false, false, true, false);

        TestSql.sql(ds, "truncate t");
        faults.killAt(1, FaultInjection.Moment.BEFORE);
        assertThatThrownBy(() -> isolationWork(faults.dataSource())).isInstanceOf(java.sql.SQLException.class);
        assertThat(faults.killed()).contains("statement 1 (BEFORE): SET SESSION CHARACTERISTICS AS TRANSACTION"
                + " ISOLATION LEVEL (setTransactionIsolation(8))");
        assertThatTable(ds, "t").isEmpty();

        faults.killAt(3, FaultInjection.Moment.LOST_REPLY);   // the commit happened, the caller is told it failed
        assertThatThrownBy(() -> isolationWork(faults.dataSource())).hasMessageContaining("terminating connection");
        assertThatTable(ds, "t").columns("id").containsExactlyInAnyOrder(row(1));
    }
}
