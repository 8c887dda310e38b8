package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A test, or the code it tests, that closes the class's shared pool it was given, as one closes a pool of one's own,
 * does not close it for the tests after it; the pool is closed after the class. Runs a small class of its own (see
 * {@link LeftOpenTransactionsTest#run}).
 */
class SharedPoolCloseTest {
    @MdsPostgres
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Closing {
        static volatile HikariDataSource shared;

        @Test
        @Order(1)
        void closesThePoolItWasGiven(TestDatabase db, DataSource ds) {
            shared = db.dataSource();
            try (HikariDataSource pool = db.dataSource()) {   // as PostgresServer's example closes a pool of its own
                assertThat(TestSql.strings(pool, "select 1")).containsExactly("1");
            }
            ((HikariDataSource) ds).close();   // code under test closing the DataSource it was handed
            assertThat(TestSql.strings(db.adminDataSource(), "select 1")).containsExactly("1");
            db.adminDataSource().close();
        }

        @Test
        @Order(2)
        void usesItAfterwards(DataSource ds, TestDatabase db) {
            assertThat(ds).isSameAs(shared);
            assertThat(TestSql.strings(ds, "select 1")).containsExactly("1");
            assertThat(TestSql.strings(db.adminDataSource(), "select 1")).containsExactly("1");
        }
    }

    @Test
    void aTestThatClosesTheSharedPoolLeavesItOpenForTheNextTestsAndTheClassClosesIt() {
        Map<String, String> results = LeftOpenTransactionsTest.run(Closing.class);
        assertThat(results).containsEntry("closesThePoolItWasGiven", "passed").containsEntry("usesItAfterwards", "passed")
                .hasSize(2);
        assertThat(Closing.shared.isClosed()).as("closed after the class").isTrue();
    }

    @Test
    void aPoolOfADatabaseMadeOutsideATestClassClosesAsAnyPool() {
        TestDatabase db = PostgresExtension.sharedServer().createDatabase("shared_pool_close_" + ProcessHandle.current().pid());
        try {
            HikariDataSource pool = db.dataSource();
            try (HikariDataSource same = pool) {   // PostgresServer's example
                assertThat(TestSql.strings(same, "select 1")).containsExactly("1");
            }
            assertThat(pool.isClosed()).isTrue();
        } finally {
            db.drop();
        }
    }
}
