package dev.mds.testing;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Leaves transactions open on purpose, to see the pool end them: WARN also when MDS_TEST_LEFT_OPEN_TRANSACTIONS=fail. */
@MdsPostgres(leftOpenTransactions = MdsPostgres.LeftOpenTransactions.WARN)
class PooledConnectionTest {
    @Test
    void aFailedBeginCommitScriptLeavesNoAbortedTransactionForTheNextUserOfThePool(TestDatabase db) {
        try (HikariDataSource pool = db.newDataSource(1)) {
            sql(pool, "create table failed_script (id int primary key)");
            assertThatThrownBy(() -> sql(pool, "begin; insert into failed_script values (1);"
                    + " insert into failed_script values (1); commit"))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("duplicate key");

            // before: "current transaction is aborted, commands ignored until end of transaction block"
            assertThat(strings(pool, "select count(*) from failed_script")).containsExactly("0");
        }
    }

    @Test
    void aTransactionLeftOpenWithSqlIsRolledBackNotJoinedByTheNextUser(TestDatabase db) throws Exception {
        try (HikariDataSource pool = db.newDataSource(1)) {
            sql(pool, "create table left_open (id int)");
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("begin");
                st.execute("insert into left_open values (1)");
            }
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("insert into left_open values (2)");   // commits at once: it runs in no transaction
            }
            // the left-over insert is gone, the next user's is committed, and no other session waits or misses it
            assertThat(strings(db.dataSource(), "select string_agg(id::text, ',') from left_open")).containsExactly("2");
            assertThat(strings(pool, "select pg_current_xact_id_if_assigned()::text")).containsExactly((String) null);
        }
    }
}
