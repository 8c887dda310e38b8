package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A project run by a warehouse role that is not a superuser: it owns the database (so it may create schemas) and
 * reads sources another role owns.
 */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class NonSuperuserTest {
    private static final String INCREMENTAL = "{{ config(materialized='incremental', unique_key='id') }}\n";

    @Test
    void anIncrementalTableTheRoleMayWriteButDoesNotOwnIsNotWidenedAndTakesRowsThatFit(DataSource ds, TestDatabase db) {
        // widening a varchar column (dbt's expand_target_column_types) needs the table's ownership, writing rows does not
        sql(db.adminDataSource(), "create schema wsrc", "create table wsrc.w (id int, code varchar(10))",
                "insert into wsrc.w values (1, 'abc'), (2, 'xyz')", "grant usage on schema wsrc to " + db.user(),
                "grant select on wsrc.w to " + db.user(), "create schema wn", "grant usage on schema wn to " + db.user(),
                "create table wn.t (id int, code varchar(3))", "insert into wn.t values (1, 'abc')",
                "grant select, insert, update, delete on wn.t to " + db.user());
        String model = INCREMENTAL.replace("unique_key='id'", "unique_key='id', on_schema_change='ignore'")
                + "select id, code from wsrc.w";

        TransformProject.builder(ds).model("wn.t", model).build().run().assertSucceeded();

        assertThatTable(ds, "wn.t").containsExactlyInAnyOrder(row(1, "abc"), row(2, "xyz"));
        sql(db.adminDataSource(), "insert into wsrc.w values (3, 'too long')");
        assertThat(TransformProject.builder(ds).model("wn.t", model).build().run().model("wn.t").error()).hasValueSatisfying(
                e -> assertThat(e).contains("column code is character varying(3) in the table and a new row's value has 8"
                        + " characters (the new rows' column is character varying(10)); it is not widened, as dbt would widen"
                        + " it, because role ").contains(" owns the table (alter the column's type as that role, or run as it);"
                        + " the table is unchanged"));
    }

    @Test
    void seedTableIncrementalAndSnapshotModelsBuildAndRebuild(DataSource ds, TestDatabase db, @TempDir Path dir)
            throws Exception {
        // the source belongs to another role (the server's user here); the warehouse role may only read it
        sql(db.adminDataSource(), "create schema src", "create table src.orders (id int primary key, country text,"
                        + " amount numeric(10,2), updated_at timestamp)",
                "insert into src.orders values (1, 'FR', 10, '2024-01-01'), (2, 'DE', 20, '2024-01-01'),"
                        + " (3, 'FR', 5, '2024-01-01')",
                "grant usage on schema src to " + db.user(), "grant select on src.orders to " + db.user());
        Files.createDirectories(dir.resolve("seeds/ref"));
        Files.writeString(dir.resolve("seeds/ref/countries.csv"), "code,name\nFR,France\nDE,Germany\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir.resolve("seeds"))
                .model("stg.orders", "select * from src.orders")
                .model("mart.revenue", "{{ config(materialized='table') }}\n"
                        + "select c.name, sum(o.amount) as revenue from {{ ref('orders') }} o"
                        + " join {{ ref('countries') }} c on c.code = o.country group by c.name")
                .model("mart.orders_inc", INCREMENTAL + "select id, amount from {{ ref('orders') }}\n"
                        + "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}")
                .model("snap.orders_history", "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp',"
                        + " updated_at='updated_at') }}\nselect id, amount, updated_at from src.orders")
                .build();

        project.run().assertSucceeded();
        assertThatTable(ds, "ref.countries").columns("code", "name").containsExactlyInAnyOrder(
                row("FR", "France"), row("DE", "Germany"));
        assertThatTable(ds, "mart.revenue").columns("name", "revenue").containsExactlyInAnyOrder(
                row("France", new java.math.BigDecimal("15.00")), row("Germany", new java.math.BigDecimal("20.00")));
        assertThatTable(ds, "mart.orders_inc").hasRowCount(3);
        assertThatTable(ds, "snap.orders_history").hasRowCount(3);

        sql(db.adminDataSource(), "update src.orders set amount = 30, updated_at = '2024-02-01' where id = 2",
                "insert into src.orders values (4, 'DE', 1, '2024-02-01')");
        RunResults second = project.run();
        second.assertSucceeded();
        assertThat(second.model("mart.orders_inc").rows()).hasValue(1);
        assertThatTable(ds, "mart.revenue").columns("name", "revenue").containsExactlyInAnyOrder(
                row("France", new java.math.BigDecimal("15.00")), row("Germany", new java.math.BigDecimal("31.00")));
        assertThat(strings(ds, "select id || ':' || amount || ':' || (dbt_valid_to is null) from snap.orders_history"
                + " order by id, dbt_valid_from")).containsExactly("1:10.00:true", "2:20.00:false", "2:30.00:true",
                "3:5.00:true", "4:1.00:true");
        // everything the run made belongs to the warehouse role
        assertThat(strings(ds, "select distinct pg_get_userbyid(relowner) from pg_class c join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname in ('stg', 'mart', 'snap', 'ref')")).containsExactly(db.user());
    }

    /**
     * A table model whose relation another role owns cannot be rebuilt (the swap renames and drops it): the run says so
     * before it builds anything, naming the owner; an incremental model there only writes rows, and goes through.
     */
    @Test
    void aTableModelOwnedByAnotherRoleIsRefusedBeforeItIsBuilt(DataSource ds, TestDatabase db) {
        sql(db.adminDataSource(), "create schema shared", "create table shared.t (id int)",
                "create table shared.i (id int primary key)", "grant usage, create on schema shared to " + db.user(),
                "grant all on shared.t, shared.i to " + db.user());
        RunResults results = TransformProject.builder(ds)
                .model("shared.t", "{{ config(materialized='table') }}\nselect 1 as id, pg_sleep(0) as built")
                .model("shared.i", INCREMENTAL + "select 1 as id")
                .build().run();
        assertThat(results.model("shared.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("shared.t").error()).hasValueSatisfying(m -> assertThat(m)
                .contains("shared.t is owned by role \"" + db.server().user() + "\"", "needs its ownership",
                        "role \"" + db.user() + "\" is not a member", "the model is unchanged"));
        assertThat(results.model("shared.i").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThat(strings(ds, "select count(*) from shared.i")).containsExactly("1");
        assertThat(Db.columns(ds, "shared", "t")).containsExactly("id");
        assertThat(strings(ds, "select count(*) from pg_class where relname like 't\\_\\_mds%'")).containsExactly("0");
    }

    /**
     * A role that may create tables in the models' schemas but not schemas in the database: PostgreSQL refuses its
     * {@code create schema if not exists} even for a schema that exists, so the run must not send it then.
     */
    @Test
    void aRoleThatMayNotCreateSchemasRunsModelsInSchemasThatExist(DataSource ds, TestDatabase db) {
        sql(ds, "create schema analytics", "create table analytics.raw_events (id int)",
                "insert into analytics.raw_events values (1), (2)");
        try {
            sql(ds, "revoke create on database \"" + db.name() + "\" from public, " + db.user());
            TransformProject project = TransformProject.builder(ds)
                    .model("analytics.events", "{{ config(materialized='table') }}\nselect id from analytics.raw_events")
                    .build();
            assertThat(project.sql()).noneMatch(s -> s.startsWith("create schema"));   // shown as it runs: not at all
            RunResults results = project.run();
            results.assertSucceeded();
            assertThatTable(ds, "analytics.events").hasRowCount(2);
        } finally {
            sql(ds, "grant create on database \"" + db.name() + "\" to " + db.user());
        }
    }

    /**
     * The warehouse role keeps its own views over a table it rebuilds; a view another role owns it cannot give back
     * to that role, so the model fails naming the view and the server's reason, and nothing is changed.
     */
    @Test
    void ownViewsAreKeptAndAViewOfARoleItIsNotAMemberOfFailsTheModelNamingIt(DataSource ds, TestDatabase db) {
        TransformProject project = TransformProject.builder(ds)
                .model("ns.t", "{{ config(materialized='table') }}\nselect 1 as id").build();
        project.run().assertSucceeded();
        sql(ds, "create view ns.mine as select id from ns.t");

        assertThat(project.run().assertSucceeded().model("ns.t").keptViews()).extracting(Object::toString)
                .containsExactly("ns.mine");
        assertThatTable(ds, "ns.mine").containsExactlyInAnyOrder(row(1));

        sql(db.adminDataSource(), "create view ns.theirs as select id from ns.t");
        String admin = strings(db.adminDataSource(), "select current_user").get(0);
        RunResults refused = project.run();
        assertThat(refused.model("ns.t").error().orElseThrow()).contains("cannot keep view ns.theirs",
                "alter view \"ns\".\"theirs\" owner to \"" + admin + "\"", "nothing was changed");
        assertThat(strings(db.adminDataSource(), "select pg_get_userbyid(relowner) from pg_class"
                + " where oid = 'ns.theirs'::regclass")).containsExactly(admin);
        assertThatTable(ds, "ns.mine").containsExactlyInAnyOrder(row(1));
    }

    /**
     * A table in a publication of another role: the new relation could not be added to it, and the swap would drop the
     * old one out of it, so the model is refused before it is built, naming the publication and its owner.
     */
    @Test
    void aTableInAPublicationOfAnotherRoleIsRefusedRatherThanDroppedFromIt(DataSource ds, TestDatabase db) {
        TransformProject project = TransformProject.builder(ds)
                .model("np.t", "{{ config(materialized='table') }}\nselect 1 as id").build();
        project.run().assertSucceeded();
        sql(db.adminDataSource(), "create publication np_pub for table np.t");
        String oid = strings(ds, "select 'np.t'::regclass::oid").get(0);

        RunResults results = TransformProject.builder(ds)
                .model("np.t", "{{ config(materialized='table') }}\nselect 2 as id").build().run();

        assertThat(results.model("np.t").error().orElseThrow()).contains("np.t is in publication \"np_pub\"",
                "owned by role \"" + db.server().user() + "\"", "the model is unchanged");
        assertThat(strings(ds, "select 'np.t'::regclass::oid")).containsExactly(oid);
        assertThatTable(ds, "np.t").containsExactlyInAnyOrder(row(1));
        assertThat(strings(ds, "select tablename from pg_publication_tables where pubname = 'np_pub'"))
                .containsExactly("t");
    }
}
