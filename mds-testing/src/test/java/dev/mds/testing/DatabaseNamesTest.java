package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A database of any name PostgreSQL takes is the one its pools and JDBC URL connect to. pgjdbc reads the database in a
 * URL as URL-encoded text ({@code +} a space, {@code %41} an A) that ends at a {@code ?}.
 */
class DatabaseNamesTest {
    @Test
    void aDatabaseWhoseNameAUrlWouldReadOtherwiseIsTheOneItsPoolsConnectTo() {
        PostgresServer server = PostgresExtension.sharedServer();
        for (String name : List.of("db?x", "db+x", "db%41x", "db/x", "db#x", "Mixed Case", "ünï")) {
            TestDatabase db = server.createDatabase(name);
            try {
                assertThat(TestSql.strings(db.dataSource(), "select current_database()")).as(name).containsExactly(name);
                try (com.zaxxer.hikari.HikariDataSource own = db.newDataSource(1)) {
                    assertThat(TestSql.strings(own, "select current_database()")).as(name).containsExactly(name);
                }
            } finally {
                db.drop();
            }
        }
        // a plain name's URL is as it was
        assertThat(server.jdbcUrl("t1_abc")).isEqualTo("jdbc:postgresql://" + server.host() + ":" + server.port() + "/t1_abc");
    }

    @Test
    void anExternalServersDatabaseIsReadFromItsUrlAsPgjdbcReadsIt() {
        PostgresServer embedded = PostgresExtension.sharedServer();
        TestDatabase admin = embedded.createDatabase("admin db");
        try {
            PostgresServer external = PostgresServer.external("jdbc:postgresql://" + embedded.host() + ":" + embedded.port()
                    + "/admin%20db?ApplicationName=ext", embedded.user(), embedded.password());
            TestDatabase db = external.createDatabase("made via admin db?");
            try {
                assertThat(TestSql.strings(db.dataSource(), "select current_database() union all select current_setting('application_name')"))
                        .containsExactly("made via admin db?", "ext");
            } finally {
                db.drop();
            }
        } finally {
            admin.drop();
        }
    }
}
