package dev.mds.testing;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The shared pool resets a session given back to it; a test's own pool and a held connection keep their settings. */
@MdsPostgres
class SessionResetTest {
    private static final String STATE = "select pg_backend_pid() || ' ' || current_setting('TimeZone') || ' '"
            + " || current_user || ' ' || session_user || ' ' || current_setting('default_transaction_isolation') || ' '"
            + " || (current_setting('mds.flag', true) is not distinct from 'on')::text";

    /** The session's state, as read on {@code c}: pid, time zone, current and session user, isolation, mds.flag set. */
    static String state(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(STATE)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void change(Connection c) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("set timezone = 'Pacific/Chatham'");
            st.execute("set session characteristics as transaction isolation level serializable");
            st.execute("select set_config('mds.flag', 'on', false)");
            st.execute("set role mds_reset_reader");
        }
    }

    @Test
    void aSettingOrRoleLeftByOneUseOfTheSharedPoolDoesNotReachTheNext(DataSource ds, TestDatabase db) throws Exception {
        sql(ds, "do $$ begin create role mds_reset_reader; exception when duplicate_object then null; end $$",
                "grant mds_reset_reader to current_user");
        String pristine;
        try (Connection c = ds.getConnection()) {
            pristine = state(c);
            change(c);
            String changed = state(c);   // held: the test's own settings hold for as long as it holds the connection
            assertThat(changed).isEqualTo(pid(pristine) + " Pacific/Chatham mds_reset_reader " + db.user() + " serializable true");
        }
        try (Connection c = ds.getConnection()) {
            assertThat(state(c)).isEqualTo(pristine);   // the same session (same pid), as it started
        }
        try (Connection c = ds.getConnection()) {   // with auto-commit off, the reset is not rolled back with the transaction
            c.setAutoCommit(false);
            change(c);
            c.commit();
            assertThat(TestSql.strings(ds, "select 1")).containsExactly("1");   // another connection meanwhile
            c.createStatement().execute("select 1");   // a transaction left open: rolled back on close
        }
        try (Connection c = ds.getConnection()) {
            assertThat(state(c)).isEqualTo(pristine);
        }
    }

    @Test
    void aPoolOfTheTestsOwnKeepsItsSessionsSettings(TestDatabase db) throws Exception {
        try (HikariDataSource own = db.newDataSource(1)) {
            sql(own, "set timezone = 'America/New_York'");
            assertThat(strings(own, "show timezone")).containsExactly("America/New_York");
        }
    }

    @Test
    void aNonSuperuserOwnersSessionIsResetToo(TestDatabase db) throws Exception {
        TestDatabase owned = db.server().createOwnedDatabase(db.name() + "_owned");
        try {
            DataSource ds = owned.dataSource();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("set timezone = 'Asia/Kathmandu'");
                st.execute("set search_path = nowhere");
            }
            assertThat(strings(ds, "select current_setting('TimeZone') <> 'Asia/Kathmandu' and current_setting('search_path') <> 'nowhere'"))
                    .containsExactly("t");
        } finally {
            owned.drop();
        }
    }

    private static String pid(String state) {
        return state.substring(0, state.indexOf(' '));
    }
}
