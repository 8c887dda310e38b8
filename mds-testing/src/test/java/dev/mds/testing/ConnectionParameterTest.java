package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code Connection} parameter: one connection of the class's pool per test, shared by the test and its
 * {@code @BeforeEach}/{@code @AfterEach}, given back after it; for a constructor, {@code @BeforeAll} or
 * {@code @AfterAll}, one per class. Before, a test asking for one failed: "No ParameterResolver registered for
 * parameter [java.sql.Connection arg0]".
 */
class ConnectionParameterTest {
    static final Map<String, Integer> PIDS = new java.util.concurrent.ConcurrentHashMap<>();

    static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @MdsPostgres
    static class Injected {
        Injected(Connection c) throws SQLException {
            PIDS.merge("constructor", pid(c), (a, b) -> a.equals(b) ? a : -1);   // -1: another connection another time
        }

        @BeforeAll
        static void beforeAll(Connection c) throws SQLException {
            PIDS.put("beforeAll", pid(c));
            c.createStatement().execute("create table t (id int)");
        }

        @BeforeEach
        void beforeEach(Connection c) throws SQLException {
            PIDS.put("beforeEach", pid(c));
            c.setAutoCommit(false);
            c.createStatement().execute("insert into t values (1)");   // not committed: seen only on this connection
        }

        @Test
        void seesWhatItsBeforeEachDidOnTheSameConnection(Connection c, TestDatabase db) throws SQLException {
            PIDS.put("test", pid(c));
            assertThat(TestSql.strings(db.dataSource(), "select count(*) from t")).containsExactly("0");
            try (ResultSet rs = c.createStatement().executeQuery("select count(*) from t")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            assertThat(TestSql.strings(db.dataSource(), "select current_database()")).containsExactly(c.getCatalog());
        }

        @Test
        void aSecondTestGetsAConnectionWithNothingOpen(Connection c) throws SQLException {
            PIDS.put("second", pid(c));
            try (ResultSet rs = c.createStatement().executeQuery("select count(*) from t")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);   // its own @BeforeEach's row; the first test's was rolled back
            }
        }

        @AfterAll
        static void afterAll(Connection c) throws SQLException {
            PIDS.put("afterAll", pid(c));
        }
    }

    @Test
    void eachTestHasOneConnectionAndTheClassOneForItsSetUp() {
        assertThat(LeftOpenTransactionsTest.run(Injected.class)).containsOnly(
                Map.entry("aSecondTestGetsAConnectionWithNothingOpen", "passed"),
                Map.entry("seesWhatItsBeforeEachDidOnTheSameConnection", "passed"));
        assertThat(PIDS.get("test")).isEqualTo(PIDS.get("beforeEach"));
        assertThat(PIDS.get("beforeAll")).isEqualTo(PIDS.get("afterAll")).isEqualTo(PIDS.get("constructor"));
    }
}
