package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

@MdsPostgres
class DropDatabaseTest {
    /**
     * A change data capture client that was not stopped (a test failed before closing it) still streams from its slot
     * when the database is dropped: the slot must go with the database, or it keeps the server's WAL forever.
     */
    @Test
    void dropsADatabaseAndItsReplicationSlotWhileAClientStillStreamsFromIt(TestDatabase db) throws Exception {
        TestDatabase doomed = db.server().createDatabase(db.name() + "_doomed");
        String slot = doomed.name() + "_slot";
        try (Connection c = doomed.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("create table t (id int primary key)");
            st.execute("create publication p for table t");
        }
        Properties props = new Properties();
        PGProperty.USER.set(props, doomed.user());
        PGProperty.PASSWORD.set(props, doomed.password());
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        Connection replication = DriverManager.getConnection(doomed.jdbcUrl(), props);
        try {
            PGConnection pg = replication.unwrap(PGConnection.class);
            pg.getReplicationAPI().createReplicationSlot().logical().withSlotName(slot).withOutputPlugin("pgoutput").make();
            PGReplicationStream stream = pg.getReplicationAPI().replicationStream().logical().withSlotName(slot)
                    .withSlotOption("proto_version", 1).withSlotOption("publication_names", "p").start();
            stream.readPending();
            assertThat(slotActive(db, slot)).as("the client streams").isTrue();

            doomed.drop();

            assertThat(slotActive(db, slot)).as("slot dropped").isNull();
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select count(*) from pg_database where datname = '" + doomed.name() + "'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("database dropped").isZero();
            }
        } finally {
            try {
                replication.close();
            } catch (SQLException e) {
                // its server process was ended with the database
            }
        }
    }

    /** Whether the slot is active, or null when there is no such slot. */
    private static Boolean slotActive(TestDatabase db, String slot) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select active from pg_replication_slots where slot_name = '" + slot + "'")) {
            return rs.next() ? rs.getBoolean(1) : null;
        }
    }
}
