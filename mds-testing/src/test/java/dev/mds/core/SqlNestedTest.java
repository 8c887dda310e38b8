package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class SqlNestedTest {
    /**
     * Work run inside a caller's transaction (in a savepoint) that caught the failure of one of its statements and
     * returned: its statements are undone and the caller's transaction goes on. It was refused with PostgreSQL's
     * 'current transaction is aborted, commands ignored until end of transaction block' (the savepoint's release,
     * run in the failed transaction), which says the caller's transaction is lost when it is not.
     */
    @Test
    void workInACallersTransactionThatCaughtAFailedStatementIsRefusedSayingSoAndTheTransactionGoesOn(DataSource ds)
            throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Sql.execute(c, "create table nested (i int)");
            Sql.execute(c, "insert into nested values (1)");
            assertThatThrownBy(() -> Sql.transaction(c, x -> {
                Sql.execute(x, "insert into nested values (2)");
                try {
                    Sql.execute(x, "select 1 / 0");
                } catch (MdsException caught) {
                    // the work goes on as if nothing happened
                }
                return null;
            })).isInstanceOf(SQLException.class)
                    .hasMessageContaining("a statement failed and its error was caught")
                    .hasMessageContaining("savepoint")
                    .hasMessageNotContaining("current transaction is aborted");
            Sql.execute(c, "insert into nested values (3)");   // the caller's transaction goes on
            c.commit();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select string_agg(i::text, ',' order by i) from nested")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("1,3");
            }
        }
    }
}
