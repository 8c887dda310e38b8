package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A target with row-level security, loaded as a role the policies apply to (the other tests run as a superuser,
 * which bypasses them): MERGE writes through the policies; a record a policy refuses fails the load naming it; COPY,
 * which PostgreSQL refuses on such a table, is not used for an empty target, and APPEND says why it cannot load.
 */
@MdsPostgres
class RowLevelSecurityTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("region", FieldType.STRING)
            .add("name", FieldType.STRING).build();

    /** A data source of a role (not a superuser, not the owner) that may read and write {@code raw.<table>} only as its policy allows. */
    static DataSource asLoader(TestDatabase db, String table) {
        sql(db.dataSource(), "do $$ begin create role mds_rls_loader login password 'loader'; exception when duplicate_object"
                        + " then null; end $$",
                "create schema if not exists raw", "grant usage on schema raw to mds_rls_loader",
                "create table raw." + table + " (id bigint primary key, region text not null, name text)",
                "grant select, insert, update on raw." + table + " to mds_rls_loader",
                "alter table raw." + table + " enable row level security",
                "create policy eu_only on raw." + table + " using (region = 'eu') with check (region = 'eu')");
        return new RoleDataSource(db.jdbcUrl(), "mds_rls_loader", "loader");
    }

    /** Connections as one role, straight from the driver. */
    record RoleDataSource(String url, String user, String password) implements DataSource {
        @Override
        public java.sql.Connection getConnection() throws java.sql.SQLException {
            return java.sql.DriverManager.getConnection(url, user, password);
        }

        @Override
        public java.sql.Connection getConnection(String u, String p) throws java.sql.SQLException {
            return java.sql.DriverManager.getConnection(url, u, p);
        }

        @Override
        public java.io.PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public java.util.logging.Logger getParentLogger() {
            return java.util.logging.Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws java.sql.SQLException {
            throw new java.sql.SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }

    static RecordBatch batch(Record... records) {
        return RecordBatch.of(SCHEMA, List.of(records));
    }

    @Test
    void mergeLoadsWhatThePolicyAllowsAndNamesTheRecordsItRefuses(TestDatabase db) {
        DataSource loader = asLoader(db, "rls");
        sql(db.dataSource(), "insert into raw.rls values (1, 'eu', 'one'), (2, 'us', 'two')");
        MergeLoader merge = MergeLoader.into(loader, "raw.rls").key("id").build();
        LoadResult r = merge.load(batch(Record.of(1L, "eu", "uno"), Record.of(3L, "eu", "three")));
        assertThat(List.of(r.inserted(), r.updated())).containsExactly(1L, 1L);

        // a new row outside the policy: its WITH CHECK refuses it
        assertThatThrownBy(() -> merge.load(batch(Record.of(4L, "eu", "four"), Record.of(5L, "us", "five"))))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> {
                    assertThat(e.rows()).extracting(Object::toString).containsExactly("record 2 (key id=5)");
                    assertThat(e.getMessage()).startsWith("raw.rls record 2 (key id=5)").contains("row-level security");
                });
        // a row the role cannot see: the MERGE does not match it and its insert is refused
        assertThatThrownBy(() -> merge.load(batch(Record.of(2L, "eu", "dos"))))
                .isInstanceOfSatisfying(RefusedRowsException.class,
                        e -> assertThat(e.rows()).extracting(Object::toString).containsExactly("record 1 (key id=2)"));
        assertThatTable(db.dataSource(), "raw.rls").columns("id", "region", "name").containsExactlyInAnyOrder(
                row(1, "eu", "uno"), row(2, "us", "two"), row(3, "eu", "three"));
    }

    @Test
    void mergeIntoAnEmptyTableWithPoliciesGoesThroughThem(TestDatabase db) {
        // COPY straight into an empty target is refused by PostgreSQL under row-level security
        DataSource loader = asLoader(db, "rls_empty");
        LoadResult r = MergeLoader.into(loader, "raw.rls_empty").key("id").build()
                .load(batch(Record.of(1L, "eu", "one"), Record.of(2L, "eu", "two")));
        assertThat(r.inserted()).isEqualTo(2);
        assertThatTable(db.dataSource(), "raw.rls_empty").hasRowCount(2);
    }

    @Test
    void appendSaysWhyItCannotCopyIntoATableWithPolicies(TestDatabase db) {
        DataSource loader = asLoader(db, "rls_append");
        MergeLoader append = MergeLoader.into(loader, "raw.rls_append").mode(SyncMode.APPEND).build();
        assertThatThrownBy(() -> append.load(batch(Record.of(1L, "eu", "one"))))
                .isInstanceOf(MdsException.class)
                .hasMessageStartingWith("raw.rls_append: row-level security applies to this role")
                .hasMessageContaining("mode MERGE");
        assertThatTable(db.dataSource(), "raw.rls_append").isEmpty();
    }
}
