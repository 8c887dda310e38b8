package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@MdsPostgres
class PostgresExtensionTest {
    @Test
    void eachClassGetsItsOwnFreshDatabase(TestDatabase db, DataSource ds) throws Exception {
        assertThat(db.name()).contains("postgresextensiontest");
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.name());
        assertThat(ds).isSameAs(db.dataSource());
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_database(), (select count(*) from pg_tables where schemaname = 'public')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(db.name());
            assertThat(rs.getLong(2)).as("a fresh database has no tables").isZero();
        }
    }

    @Test
    void anExternalServerIsUsedThroughItsUrl(TestDatabase db) throws Exception {
        // the embedded server, addressed the way MDS_TEST_JDBC_URL addresses an existing one
        // with connection properties, which hold for every database it connects to
        PostgresServer external = PostgresServer.external("jdbc:postgresql://" + db.host() + ":" + db.port()
                + "/postgres?ApplicationName=mds-external-check", db.user(), db.password());
        TestDatabase other = external.createDatabase("mds_external_mode_check");
        try (Connection c = other.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_database(), current_setting('application_name')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("mds_external_mode_check");
            assertThat(rs.getString(2)).isEqualTo("mds-external-check");
        } finally {
            other.drop();
        }
    }

    @Nested
    class ANestedClass {
        @Test
        void worksInTheEnclosingClassesDatabase(TestDatabase db, DataSource ds) throws Exception {
            assertThat(db.name()).contains("postgresextensiontest");   // NestedClassDatabaseTest has more
            assertThat(ds).isSameAs(db.dataSource());
        }
    }

    @Test
    void theServerAllowsChangeDataCapture(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_setting('max_replication_slots')::int, current_setting('max_wal_senders')::int,"
                     + " rolreplication from pg_roles where rolname = current_user")) {
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(10);
            assertThat(rs.getInt(2)).isGreaterThanOrEqualTo(10);
            assertThat(rs.getBoolean(3)).isTrue();
        }
    }
}
