package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A test that does not give its connections back drains the class's pool; the error a later test gets names the test
 * that took them and where. Runs a small class of its own (see {@link LeftOpenTransactionsTest#run}).
 */
class ConnectionLeakTest {
    @MdsPostgres
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Leaking {
        static final List<Connection> KEPT = new ArrayList<>();

        @Test
        @Order(1)
        void takesConnectionsAndKeepsThem(DataSource ds) throws Exception {
            for (int i = 0; i < 8; i++) {   // the shared pool's size
                KEPT.add(ds.getConnection());
            }
        }

        @Test
        @Order(2)
        void needsAConnection(DataSource ds) throws Exception {
            try (Connection c = ds.getConnection()) {
                c.isValid(1);
            }
        }

        @AfterAll
        static void giveBack() throws Exception {
            for (Connection c : KEPT) {
                c.close();
            }
            KEPT.clear();
        }
    }

    @Test
    void theErrorOfATestThatFindsThePoolDrainedNamesTheTestThatKeptItsConnections() throws Exception {
        // a short wait for a connection (Hikari's default is 30 s), for the pools made while the class runs
        Path config = Files.createTempFile("hikari", ".properties");
        Files.writeString(config, "connectionTimeout=500\n");
        Map<String, String> results;
        System.setProperty("hikaricp.configurationFile", config.toString());
        try {
            results = LeftOpenTransactionsTest.run(Leaking.class);
        } finally {
            System.clearProperty("hikaricp.configurationFile");
            Files.delete(config);
        }
        assertThat(results.get("takesConnectionsAndKeepsThem")).isEqualTo("passed");
        assertThat(results.get("needsAConnection"))
                .contains("Connection is not available, request timed out after")
                .contains("8 connections of the pool are in use, not given back: 8 taken by test "
                        + "dev.mds.testing.ConnectionLeakTest$Leaking#takesConnectionsAndKeepsThem (ended without giving them back)"
                        + " at dev.mds.testing.ConnectionLeakTest$Leaking.takesConnectionsAndKeepsThem(ConnectionLeakTest.java:32)");
    }
}
