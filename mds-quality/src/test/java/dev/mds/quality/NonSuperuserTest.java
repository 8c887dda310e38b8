package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A suite run by a warehouse role that is not a superuser: it owns the database (its own schemas for failing rows and
 * history) and may only read the tables it checks, which another role owns.
 */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class NonSuperuserTest {

    /** {@code src.orders} and {@code src.customers}, owned by the server's user; the warehouse role may read them. */
    private static void sources(TestDatabase db) {
        sql(db.adminDataSource(), "create schema src",
                "create table src.customers (id int primary key)", "insert into src.customers values (1), (2)",
                "create table src.orders (id int primary key, customer int, status text, amount numeric,"
                        + " updated_at timestamptz default now())",
                "insert into src.orders (id, customer, status, amount) values (1, 1, 'paid', 10), (2, 2, 'paid', null),"
                        + " (3, 9, 'lost', 5), (4, 1, 'paid', 7)",
                "grant usage on schema src to " + db.user(), "grant select on all tables in schema src to " + db.user());
    }

    @Test
    void aSuiteStoresFailingRowsAndHistoryInTheRolesOwnSchemas(DataSource ds, TestDatabase db) {
        sources(db);
        sql(ds, "create schema audit");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("audit").history("dq.history")
                .table("src.orders", t -> t.notNull("amount").unique("id").acceptedValues("status", "paid", "refunded")
                        .relationships("customer", "src.customers", "id").range("amount", 0, 100)
                        .freshness("updated_at", Duration.ofHours(1)).rowCountAnomaly(3, 5));

        QualityReport first = suite.run();
        assertThat(first.check("src.orders", "not_null_amount").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(first.check("src.orders", "accepted_values_status").orElseThrow().status()).isEqualTo(Status.FAIL);
        assertThat(first.check("src.orders", "relationships_customer").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(first.check("src.orders", "unique_id").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(first.check("src.orders", "freshness_updated_at").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(first.withStatus(Status.ERROR)).isEmpty();
        assertThat(strings(ds, "select id from audit.orders__not_null_amount")).containsExactly("2");
        assertThat(strings(ds, "select id from audit.orders__relationships_customer")).containsExactly("3");

        // the failing rows are replaced, the history grows, inside the caller's transaction too
        sql(db.adminDataSource(), "update src.orders set amount = 1 where id = 2");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            QualityReport second = suite.run(c);
            c.commit();
            assertThat(second.check("src.orders", "not_null_amount").orElseThrow().status()).isEqualTo(Status.PASS);
            assertThat(second.withStatus(Status.ERROR)).isEmpty();
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'audit' and tablename = 'orders__not_null_amount'"))
                .containsExactly("0");
        assertThat(strings(ds, "select count(distinct run_id) from dq.history")).containsExactly("2");
        assertThat(strings(ds, "select distinct pg_get_userbyid(relowner) from pg_class c join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname in ('audit', 'dq') and c.relkind = 'r'")).containsExactly(db.user());
    }
}
