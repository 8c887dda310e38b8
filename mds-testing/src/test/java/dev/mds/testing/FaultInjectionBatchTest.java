package dev.mds.testing;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batches are killed inside, where pgjdbc ends a part with a Sync (which commits it in auto-commit mode); the
 * transaction ids of the rows show where pgjdbc really ends its parts.
 */
@MdsPostgres
class FaultInjectionBatchTest {
    @BeforeEach
    void table(DataSource ds) {
        sql(ds, "drop table if exists b",
                "create table b (id int, s text, x xid8 not null default pg_current_xact_id())");
    }

    /** Inserts ids 1..n by a prepared batch, with s set once for every entry (parameters persist between entries). */
    static int[] preparedBatch(DataSource ds, int n, boolean autoCommit) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(autoCommit);
            int[] counts;
            try (PreparedStatement ps = c.prepareStatement("insert into b (id, s) values (?, ?)")) {
                ps.setString(2, "same");
                for (int i = 1; i <= n; i++) {
                    ps.setInt(1, i);
                    ps.addBatch();
                }
                counts = ps.executeBatch();
            }
            if (!autoCommit) {
                c.commit();
            }
            return counts;
        }
    }

    /** The rows' ids grouped by the transaction that inserted them, as "first-last" ranges in order. */
    static java.util.List<String> transactions(DataSource ds) {
        return strings(ds, "select min(id) || '-' || max(id) from b group by x order by min(id)");
    }

    /** As pgjdbc reports a batch of {@code n} entries that failed after {@code ok}: 1 for each of those, then failed. */
    static void assertCounts(BatchUpdateException e, int ok, int n) {
        int[] counts = e.getUpdateCounts();
        assertThat(counts).hasSize(n);
        assertThat(java.util.Arrays.copyOfRange(counts, 0, ok)).containsOnly(1);
        assertThat(java.util.Arrays.copyOfRange(counts, ok, n)).containsOnly(Statement.EXECUTE_FAILED);
    }

    @Test
    void aLongBatchCountsOneStatementForEachPartPgjdbcCommitsOnItsOwnInAutoCommit(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        assertThat(preparedBatch(faults.dataSource(), 600, true)).hasSize(600).containsOnly(1);
        assertThat(faults.statements()).containsExactly(
                "insert into b (id, s) values (?, ?) [batch part 1 of 3: entries 1-255]",
                "insert into b (id, s) values (?, ?) [batch part 2 of 3: entries 256-510]",
                "insert into b (id, s) values (?, ?) [batch part 3 of 3: entries 511-600]");
        assertThat(faults.commits()).containsExactly(true, true, true);
        // what pgjdbc did: one transaction for each part counted
        assertThat(transactions(ds)).containsExactly("1-255", "256-510", "511-600");
    }

    @Test
    void aBatchOfOnePartIsOneStatementNamedByItsSqlAsBefore(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        preparedBatch(faults.dataSource(), 255, true);
        assertThat(faults.statements()).containsExactly("insert into b (id, s) values (?, ?)");
        assertThat(transactions(ds)).containsExactly("1-255");
    }

    @Test
    void aKillBeforeTheSecondPartLeavesTheFirstCommittedAndReportsItsCounts(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(2, FaultInjection.Moment.BEFORE);
        assertThatThrownBy(() -> preparedBatch(faults.dataSource(), 600, true))
                .isInstanceOfSatisfying(BatchUpdateException.class, e -> assertCounts(e, 255, 600));
        assertThat(faults.killed()).contains("statement 2 (BEFORE): insert into b (id, s) values (?, ?)"
                + " [batch part 2 of 3: entries 256-510]");
        assertThat(transactions(ds)).containsExactly("1-255");
        assertThat(strings(ds, "select count(*) from b where s = 'same'")).containsExactly("255");
    }

    @Test
    void aLostReplyOfTheSecondPartLeavesTwoPartsCommittedThoughTheCallerIsToldTheBatchFailed(DataSource ds)
            throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(2, FaultInjection.Moment.LOST_REPLY);
        assertThatThrownBy(() -> preparedBatch(faults.dataSource(), 600, true))
                .isInstanceOfSatisfying(BatchUpdateException.class, e -> {
                    assertCounts(e, 255, 600);
                    assertThat((Throwable) e.getNextException()).hasMessageContaining("terminating connection");
                });
        assertThat(transactions(ds)).containsExactly("1-255", "256-510");
    }

    @Test
    void aKillInsideABatchInATransactionLeavesNothing(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        preparedBatch(faults.dataSource(), 600, false);
        assertThat(faults.statements()).hasSize(4).last().isEqualTo("COMMIT");
        assertThat(faults.commits()).containsExactly(false, false, false, true);
        assertThat(transactions(ds)).containsExactly("1-600");
        for (int k = 1; k <= 3; k++) {
            sql(ds, "truncate b");
            faults.killAt(k, FaultInjection.Moment.AFTER);
            assertThatThrownBy(() -> preparedBatch(faults.dataSource(), 600, false)).isInstanceOf(java.sql.SQLException.class);
            assertThat(faults.killed()).isPresent();
            assertThat(strings(ds, "select count(*) from b")).as("kill after part %d", k).containsExactly("0");
        }
    }

    @Test
    void aPlainStatementsBatchIsKilledBetweenItsPartsToo(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds).killAt(2, FaultInjection.Moment.AFTER);
        assertThatThrownBy(() -> {
            try (Connection c = faults.dataSource().getConnection(); Statement st = c.createStatement()) {
                for (int i = 1; i <= 600; i++) {
                    st.addBatch("insert into b (id) values (" + i + ")");
                }
                st.executeBatch();
            }
        }).isInstanceOfSatisfying(BatchUpdateException.class, e -> assertCounts(e, 510, 600));
        assertThat(faults.killed()).contains("statement 2 (AFTER): batch of 600: insert into b (id) values (1); …"
                + " [batch part 2 of 3: entries 256-510]");
        assertThat(transactions(ds)).containsExactly("1-255", "256-510");
    }

    @Test
    void aBatchReturningATextColumnIsSentAndCountedOneEntryAtATime(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        try (Connection c = faults.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("insert into b (id, s) values (?, 'a')",
                        Statement.RETURN_GENERATED_KEYS)) {
            for (int i = 1; i <= 4; i++) {
                ps.setInt(1, i);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        assertThat(faults.count()).isEqualTo(4);
        assertThat(transactions(ds)).containsExactly("1-1", "2-2", "3-3", "4-4");
    }

    @Test
    void aSweepFindsALongAutoCommitBatchIsNotAllOrNothingAndPassesItInATransaction(DataSource ds) throws Exception {
        assertThatThrownBy(() -> FaultSweep.on(ds)
                .setUp(d -> sql(d, "truncate b"))
                .operation(d -> preparedBatch(d, 300, true))
                .ignoreColumns("x")
                .idempotent(false)
                .run())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("kill at statement 1 (LOST_REPLY) [commits]")
                .hasMessageContaining("the operation failed but changed the database");

        int statements = FaultSweep.on(ds)
                .setUp(d -> sql(d, "truncate b"))
                .operation(d -> preparedBatch(d, 300, false))
                .ignoreColumns("x")
                .idempotent(false)
                .moments(FaultInjection.Moment.values())
                .run();
        assertThat(statements).isEqualTo(3);   // two parts and the COMMIT
    }
}
