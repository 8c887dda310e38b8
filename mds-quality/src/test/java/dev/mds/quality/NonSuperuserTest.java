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
    /**
     * A history table of an earlier version (no where_condition column) that another role owns and the warehouse role
     * may only read and write: it is left as it is, an unfiltered anomaly check judges from its runs, and one with a
     * where is an ERROR saying how to add the column.
     */
    @Test
    void aHistoryTableOfAnEarlierVersionThisRoleMayNotAlterKeepsWorkingForUnfilteredChecks(DataSource ds, TestDatabase db) {
        sql(db.adminDataSource(), "create schema if not exists src", "create table src.events (id int, grp int)",
                "insert into src.events select g, g % 2 from generate_series(1, 100) g",
                "grant usage on schema src to " + db.user(), "grant select on src.events to " + db.user(),
                "create schema old_dq", "create table old_dq.runs (run_id text not null, run_at timestamptz not null,"
                        + " table_name text not null, check_id text not null, kind text not null, severity text not null,"
                        + " status text not null, failing_rows bigint not null, checked_rows bigint not null,"
                        + " observed text not null, message text not null, primary key (run_id, table_name, check_id))",
                "insert into old_dq.runs select 'r' || g, now() - g * interval '1 day', 'src.events', 'row_count_anomaly',"
                        + " 'row_count_anomaly', 'ERROR', 'PASS', 0, 99 + g, '', '' from generate_series(1, 2) g",
                "grant usage on schema old_dq to " + db.user(), "grant select, insert on old_dq.runs to " + db.user());
        QualityReport r = QualitySuite.on(ds).history("old_dq.runs")
                .table("src.events", t -> t.rowCountAnomaly(3, 5))
                .table("src.events", t -> t.where("grp = 1").rowCountAnomaly(3, 5).id("odd_rows")).run();
        assertThat(r.check("src.events", "row_count_anomaly").orElseThrow().observed()).startsWith("100 rows; last 2 runs mean 100.5");
        CheckResult filtered = r.check("src.events", "odd_rows").orElseThrow();
        assertThat(filtered.status()).isEqualTo(Status.ERROR);
        assertThat(filtered.message()).contains("history old_dq.runs has no where_condition column",
                "alter table \"old_dq\".\"runs\" add column where_condition text");
        assertThat(strings(ds, "select count(*) from old_dq.runs")).containsExactly("4");
    }
}
