package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

@MdsPostgres
class ReadOnlyConnectionTest {
    /**
     * A connection the caller marked read-only (Connection.setReadOnly, a pool's readOnly: a monitoring job reading
     * positions) is a session that may not write, as a hot standby is: a read of a missing table finds no state. It failed instead: in auto-commit PostgreSQL's transaction_read_only
     * is off, so the store went on to create the schema, in a transaction pgjdbc began READ ONLY, and get threw
     * 'cannot create the table: cannot execute CREATE SCHEMA in a read-only transaction'.
     */
    @Test
    void aReadOnAConnectionMarkedReadOnlyOfAMissingTableFindsNoState(TestDatabase db) throws Exception {
        StateStore store = JdbcStateStore.builder(db.dataSource()).schema("marked_read_only").build();
        try (Connection c = db.dataSource().getConnection()) {
            c.setReadOnly(true);
            assertThat(store.get(c, "k")).isEmpty();
            assertThatThrownBy(() -> store.put(c, "k", "1")).isInstanceOf(MdsException.class)
                    .hasMessageContaining("state store marked_read_only.state, key 'k'")
                    .hasMessageContaining("read-only transaction");
            c.setReadOnly(false);
            assertThat(relationExists(c, "marked_read_only.state")).as("a read creates nothing").isFalse();
        }
        assertThat(store.put("k", "1")).isEqualTo(1);
        try (Connection c = db.dataSource().getConnection()) {
            c.setReadOnly(true);
            assertThat(store.get(c, "k").orElseThrow().json()).as("an existing table is read as before").isEqualTo("1");
            c.setReadOnly(false);
        }
    }

    private static boolean relationExists(Connection c, String name) throws Exception {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select to_regclass(" + Identifiers.literal(name) + ") is not null")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
