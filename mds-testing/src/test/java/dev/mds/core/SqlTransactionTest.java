package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class SqlTransactionTest {

    private static long rows(DataSource ds, String table) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void commitsWhatTheWorkDidAndPutsAutoCommitBack(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table committed (id int)");
            long n = Sql.transaction(c, x -> Sql.update(x, "insert into committed values (1), (2)"));
            assertThat(n).isEqualTo(2);
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(rows(ds, "committed")).isEqualTo(2);
    }

    /**
     * An Error is rolled back like an exception: putting auto-commit back first would commit the half-done work.
     */
    @Test
    void rollsBackOnAnErrorAsOnAnExceptionAndRethrowsIt(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table half_done (id int)");
            assertThatThrownBy(() -> Sql.transaction(c, x -> {
                Sql.execute(x, "insert into half_done values (1)");
                throw new AssertionError("the work broke");
            })).isInstanceOf(AssertionError.class).hasMessage("the work broke");
            assertThatThrownBy(() -> Sql.transaction(c, x -> {
                Sql.execute(x, "insert into half_done values (2)");
                return Sql.update(x, "insert into half_done values ('not a number')");
            })).isInstanceOf(MdsException.class).hasMessageContaining("not a number");
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(rows(ds, "half_done")).isZero();
    }

    /** A connection already out of auto-commit keeps its mode; the work is committed as its transaction. */
    @Test
    void putsBackAManualCommitConnectionAsItWas(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table manual (id int)");
            c.setAutoCommit(false);
            Sql.transaction(c, x -> Sql.update(x, "insert into manual values (1)"));
            assertThat(c.getAutoCommit()).isFalse();
            c.rollback();
        }
        assertThat(rows(ds, "manual")).isEqualTo(1);
    }
}
