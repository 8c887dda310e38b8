package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A table model rebuilt by a swap stays in the publications that name it (with their column lists and row filters),
 * so a CDC reader of the publication (pgoutput, Debezium) keeps seeing its changes.
 */
@MdsPostgres
class PublicationsTest {
    private static final String TABLE = "{{ config(materialized='table') }}\n";

    /** The table's membership as pg_publication_tables shows it: publication, columns, row filter. */
    private static List<String> membership(DataSource ds, String schema, String table) {
        return TestSql.strings(ds, "select pubname || ' ' || coalesce(array_to_string(attnames, ','), '-') || ' '"
                + " || coalesce(rowfilter, '-') from pg_publication_tables where schemaname = '" + schema.replace("'", "''")
                + "' and tablename = '" + table.replace("'", "''") + "' order by pubname");
    }

    /** The publications naming the relation explicitly (not FOR ALL TABLES / FOR TABLES IN SCHEMA). */
    private static List<String> explicitMembers(DataSource ds, String regclass) {
        return TestSql.strings(ds, "select p.pubname from pg_publication_rel r join pg_publication p on p.oid = r.prpubid"
                + " where r.prrelid = '" + regclass.replace("'", "''") + "'::regclass order by 1");
    }

    @Test
    void aRebuiltTableStaysInItsPublicationsWithTheirColumnListsAndRowFilters(DataSource ds, TestDatabase db) {
        TransformProject project = TransformProject.builder(ds)
                .model("pb.orders", TABLE + "select 1 as id, 10 as amount, 'FR'::text as country")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create publication pb_all_columns for table pb.orders",
                "create publication pb_some for table pb.orders (id, amount) where (amount > 5)");
        // FOR ALL TABLES and FOR TABLES IN SCHEMA need a superuser; they follow the table by themselves
        TestSql.sql(db.adminDataSource(), "create publication pb_every for all tables",
                "create publication pb_schema for tables in schema pb");
        List<String> before = membership(ds, "pb", "orders");
        assertThat(before).containsExactly("pb_all_columns id,amount,country -", "pb_every id,amount,country -",
                "pb_schema id,amount,country -", "pb_some id,amount (amount > 5)");
        String oid = TestSql.strings(ds, "select 'pb.orders'::regclass::oid").get(0);
        try {
            project.run().assertSucceeded();

            assertThat(TestSql.strings(ds, "select 'pb.orders'::regclass::oid")).doesNotContain(oid);
            assertThat(membership(ds, "pb", "orders")).isEqualTo(before);
            assertThat(explicitMembers(ds, "pb.orders")).containsExactly("pb_all_columns", "pb_some");
            assertThat(TestSql.strings(ds, "select relname from pg_class where relname like '%__mds%'")).isEmpty();
        } finally {
            // the database is the class's: the other tests' tables are in no publication of theirs
            TestSql.sql(db.adminDataSource(), "drop publication pb_every", "drop publication pb_schema");
        }
    }

    @Test
    void aHostilePublicationAndTableNameAreQuotedAndShownBySql(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("\"Pub Schema\".\"Or\"\"ders T\"", TABLE
                        + "select 1 as \"Id\", 10 as \"Amount \"\"x\"\"\", 'a' as other")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create publication \"My \"\"Pub\"\" Name\" for table \"Pub Schema\".\"Or\"\"ders T\""
                + " (\"Id\", \"Amount \"\"x\"\"\") where (\"Amount \"\"x\"\"\" > 5)");
        List<String> before = membership(ds, "Pub Schema", "Or\"ders T");
        assertThat(before).containsExactly("My \"Pub\" Name Id,Amount \"x\" (\"Amount \"\"x\"\"\" > 5)");

        assertThat(project.sql()).containsSubsequence(
                "alter table \"Pub Schema\".\"Or\"\"ders T__mds_tmp\" rename to \"Or\"\"ders T\"",
                "alter publication \"My \"\"Pub\"\" Name\" add table \"Pub Schema\".\"Or\"\"ders T\""
                        + " (\"Id\", \"Amount \"\"x\"\"\") where ((\"Amount \"\"x\"\"\" > 5))",
                "drop table \"Pub Schema\".\"Or\"\"ders T__mds_backup\"");
        project.run().assertSucceeded();

        assertThat(membership(ds, "Pub Schema", "Or\"ders T")).isEqualTo(before);
    }

    /**
     * A column list naming a column the new build lacks cannot be carried over: the model fails naming the model, the
     * publication and the column, and the old table keeps its rows and its membership.
     */
    @Test
    void aColumnListNamingADroppedColumnFailsTheModelAndKeepsTheOldTableInThePublication(DataSource ds) {
        TransformProject.builder(ds).model("pc.t", TABLE + "select 1 as id, 'x'::text as gone").build().run()
                .assertSucceeded();
        TestSql.sql(ds, "create publication pc_pub for table pc.t (id, gone)");
        String oid = TestSql.strings(ds, "select 'pc.t'::regclass::oid").get(0);

        RunResults results = TransformProject.builder(ds).model("pc.t", TABLE + "select 2 as id").build().run();

        ModelResult t = results.model("pc.t");
        assertThat(t.status()).isEqualTo(ModelStatus.ERROR);
        assertThat(t.error().orElseThrow()).contains("pc.t", "publication \"pc_pub\"", "column \"gone\"",
                "nothing was changed");
        assertThat(TestSql.strings(ds, "select 'pc.t'::regclass::oid")).containsExactly(oid);
        assertThatTable(ds, "pc.t").containsExactlyInAnyOrder(row(1, "x"));
        assertThat(membership(ds, "pc", "t")).containsExactly("pc_pub id,gone -");
        assertThat(TestSql.strings(ds, "select relname from pg_class where relname like '%__mds%'")).isEmpty();
    }

    /** A row filter reading a column the new build lacks: the server refuses it, and the model says why. */
    @Test
    void aRowFilterReadingADroppedColumnFailsTheModelNamingThePublication(DataSource ds) {
        TransformProject.builder(ds).model("pf.t", TABLE + "select 1 as id, 10 as amount").build().run()
                .assertSucceeded();
        TestSql.sql(ds, "create publication pf_pub for table pf.t where (amount > 5)");

        RunResults results = TransformProject.builder(ds).model("pf.t", TABLE + "select 2 as id").build().run();

        assertThat(results.model("pf.t").error().orElseThrow()).contains("cannot keep pf.t in publication \"pf_pub\"",
                "column \"amount\" does not exist", "nothing was changed");
        assertThatTable(ds, "pf.t").containsExactlyInAnyOrder(row(1, 10));
        assertThat(membership(ds, "pf", "t")).containsExactly("pf_pub id,amount (amount > 5)");
    }

    @Test
    void aRebuiltTableKeepsItsReplicaIdentityFullOrNothing(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("ri.full_t", TABLE + "select 1 as id, 'a'::text as v")
                .model("ri.nothing_t", TABLE + "select 1 as id")
                .model("ri.default_t", TABLE + "select 1 as id")
                .build();
        project.run().assertSucceeded();
        // a table in a publication of updates and deletes without a primary key needs FULL, or its updates fail
        TestSql.sql(ds, "alter table ri.full_t replica identity full", "alter table ri.nothing_t replica identity nothing",
                "create publication ri_pub for table ri.full_t");
        assertThat(project.sql()).contains("alter table \"ri\".\"full_t\" replica identity full",
                "alter table \"ri\".\"nothing_t\" replica identity nothing");
        assertThat(project.sql()).noneMatch(s -> s.contains("\"default_t\" replica identity"));

        project.run().assertSucceeded();

        assertThat(TestSql.strings(ds, "select relname || ' ' || relreplident::text from pg_class where relnamespace = 'ri'::regnamespace"
                + " and relkind = 'r' order by 1")).containsExactly("default_t d", "full_t f", "nothing_t n");
        // the publication still sends the rebuilt table's updates: an update succeeds (it fails without an identity)
        TestSql.sql(ds, "update ri.full_t set v = 'b'");
        assertThatTable(ds, "ri.full_t").containsExactlyInAnyOrder(row(1, "b"));
    }
}
