package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class MaterializationsTest {

    static RunResults run(DataSource ds, String name, String sql) {
        return TransformProject.builder(ds).model(name, sql).build().run();
    }

    static final String INCREMENTAL = "{{ config(materialized='incremental', unique_key='id') }}\n";

    @Test
    void incrementalSchemaDriftIsAnErrorNamingTheColumnAndLeavesTheTargetUnchanged(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.i").columns("id int", "v int", "w int").rows(row(1, 1, 1));
        run(ds, "inc.t", INCREMENTAL + "select id, v from raw.i").assertSucceeded();
        TestSql.sql(ds, "insert into raw.i values (2, 2, 2)");

        RunResults added = run(ds, "inc.t", INCREMENTAL + "select id, v, w from raw.i");

        assertThat(added.model("inc.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(added.model("inc.t").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("inc.t (model inc.t): the new rows have column(s) [w] that the table lacks (on_schema_change=fail"));
        RunResults dropped = run(ds, "inc.t", INCREMENTAL + "select id from raw.i");
        assertThat(dropped.model("inc.t").error()).hasValueSatisfying(e -> assertThat(e)
                .contains("the table has column(s) [v] that the new rows lack"));
        assertThatTable(ds, "inc.t").containsExactlyInAnyOrder(row(1, 1));
        assertThat(Db.columns(ds, "inc", "t")).containsExactly("id", "v");
    }

    @Test
    void duplicateUniqueKeyInNewRowsIsAnErrorNamingTheKeyAndLeavesTheTargetUnchanged(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.dup").columns("id int", "v int").rows(row(1, 1), row(2, 2));
        run(ds, "dup.t", INCREMENTAL + "select id, v from raw.dup").assertSucceeded();
        TestSql.sql(ds, "insert into raw.dup values (2, 20), (3, 3)");

        RunResults results = run(ds, "dup.t", INCREMENTAL + "select id, v from raw.dup");

        assertThat(results.model("dup.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("dup.t").error()).hasValue(
                "dup.t (model dup.t): duplicate unique_key in the new rows: id=2 appears 2 times; the table is unchanged");
        assertThatTable(ds, "dup.t").containsExactlyInAnyOrder(row(1, 1), row(2, 2));
    }

    @Test
    void viewIsReplacedWhenItsColumnsChange(DataSource ds) throws Exception {
        run(ds, "v.x", "select 1 as a, 2 as b").assertSucceeded();
        assertThat(Db.columns(ds, "v", "x")).containsExactly("a", "b");

        run(ds, "v.x", "select 'z' as c").assertSucceeded();

        assertThat(Db.columns(ds, "v", "x")).containsExactly("c");
        assertThatTable(ds, "v.x").containsExactlyInAnyOrder(row("z"));
        assertThat(TestSql.strings(ds, "select table_name from information_schema.tables where table_schema = 'v'"))
                .containsExactly("x");
    }

    /**
     * A view another session creates on the table while its new version is being built is not dropped by the swap's
     * CASCADE: the dependents are read again, under the lock, before the old table is renamed away, and one that was
     * not there when the build started is kept as the others are (before, the model failed naming it).
     */
    @Test
    void aViewCreatedOnTheTableDuringItsRebuildIsKept(DataSource ds) throws Exception {
        TransformProject project = TransformProject.builder(ds)
                .model("race.t", "{{ config(materialized='table') }}\nselect 2 as a from (select pg_advisory_xact_lock(4242)) l")
                .build();
        TestSql.sql(ds, "create schema race", "create table race.t as select 1 as a");
        try (java.sql.Connection holder = ds.getConnection(); java.sql.Statement st = holder.createStatement()) {
            st.execute("select pg_advisory_lock(4242)");   // the rebuild waits inside its new table's query
            java.util.concurrent.CompletableFuture<RunResults> run = java.util.concurrent.CompletableFuture.supplyAsync(project::run);
            assertThat(dev.mds.testing.Sessions.awaitLockWait(ds, run)).isTrue();
            TestSql.sql(ds, "create schema report2", "create view report2.mine as select a from race.t");
            st.execute("select pg_advisory_unlock(4242)");
            RunResults kept = run.join().assertSucceeded();
            assertThat(kept.model("race.t").keptViews()).extracting(Object::toString).containsExactly("report2.mine");
        }
        assertThatTable(ds, "report2.mine").containsExactlyInAnyOrder(row(2));
        assertThat(TestSql.strings(ds, "select relname from pg_class where relname like 't__mds%'")).isEmpty();
    }

    @Test
    void viewChainIsRebuiltAndAHandMadeViewOverItIsKept(DataSource ds) throws Exception {
        TransformProject chain = TransformProject.builder(ds)
                .model("vc.base", "select 1 as a")
                .model("vc.top", "select a + 1 as a from {{ ref('vc.base') }}")
                .build();
        chain.run().assertSucceeded();
        chain.run().assertSucceeded();   // vc.top depends on the old vc.base: kept over the new one, then rebuilt
        assertThatTable(ds, "vc.top").containsExactlyInAnyOrder(row(2));

        // a view that is not a model, over vc.top: vc.base keeps both as they are, then vc.top's build keeps it again
        TestSql.sql(ds, "create schema report", "create view report.mine as select a from vc.top");
        RunResults kept = chain.run().assertSucceeded();

        // vc.top was kept too, until its own build: keptViews lists the views no model rebuilds after vc.base
        assertThat(kept.model("vc.base").keptViews()).extracting(Object::toString).containsExactly("report.mine");
        assertThat(kept.model("vc.top").keptViews()).extracting(Object::toString).containsExactly("report.mine");
        assertThatTable(ds, "report.mine").containsExactlyInAnyOrder(row(2));
    }

    @Test
    void foreignKeyOfAnotherTableIsNotDroppedByTheCascadeForDownstreamViews(DataSource ds) throws Exception {
        TransformProject project = TransformProject.builder(ds)
                .model("fk.parent", "{{ config(materialized='table') }} select 1 as id")
                .model("fk.view", "select id from {{ ref('fk.parent') }}")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "alter table fk.parent add primary key (id)",
                "create table fk.child (parent_id int references fk.parent (id))", "insert into fk.child values (1)");

        RunResults results = project.run();

        assertThat(results.model("fk.parent").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("fk.parent").error()).hasValueSatisfying(e -> assertThat(e)
                .contains("cannot replace fk.parent: [fk.child] depend(s) on it"));
        assertThat(TestSql.strings(ds, "select count(*) from pg_constraint where contype = 'f'"
                + " and conrelid = 'fk.child'::regclass")).containsExactly("1");
        assertThatTable(ds, "fk.view").containsExactlyInAnyOrder(row(1));
    }

    @Test
    void tableSwapKeepsTheOldTableWhenTheRebuildFailsAndReplacesItWhenItSucceeds(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.s").columns("id int").rows(row(1), row(2));
        run(ds, "sw.t", "{{ config(materialized='table') }} select id from raw.s").assertSucceeded();

        RunResults failed = run(ds, "sw.t", "{{ config(materialized='table') }} select id / (id - 2) as id from raw.s");
        assertThat(failed.model("sw.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThatTable(ds, "sw.t").containsExactlyInAnyOrder(row(1), row(2));

        RunResults ok = run(ds, "sw.t", "{{ config(materialized='table') }} select id * 3 as x from raw.s");
        assertThat(ok.model("sw.t").rows()).hasValue(2);
        assertThatTable(ds, "sw.t").containsExactlyInAnyOrder(row(3), row(6));
        assertThat(TestSql.strings(ds, "select table_name from information_schema.tables where table_schema = 'sw'"))
                .containsExactly("t");
    }

    @Test
    void readersSeeTheOldOrTheNewTableDuringRebuildsNeverAMissingOrEmptyOne(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.r").columns("id int").rows(row(1), row(2), row(3));
        TransformProject project = TransformProject.builder(ds)
                .model("rd.t", "{{ config(materialized='table') }} select id from raw.r").build();
        project.run().assertSucceeded();
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> counts = new CopyOnWriteArrayList<>();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                while (!stop.get()) {
                    try (ResultSet rs = st.executeQuery("select count(*) from rd.t")) {
                        rs.next();
                        counts.add(rs.getLong(1));
                    }
                }
            } catch (Exception e) {
                errors.add(e);
            }
        });
        reader.start();
        try {
            for (int i = 0; i < 20; i++) {
                project.run().assertSucceeded();
            }
        } finally {
            stop.set(true);
            reader.join();
        }

        assertThat(errors).isEmpty();
        assertThat(counts).isNotEmpty().containsOnly(3L);
    }

    @Test
    void oddNamesAreQuotedEverywhere(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.odd").columns("\"Key Col\" int", "\"v\"\"q\" int").rows(row(1, 1), row(2, 2));
        TransformProject project = TransformProject.builder(ds)
                .model("\"Odd Schema\".\"My \"\"Model\"", "{{ config(materialized='incremental', unique_key='Key Col') }}"
                        + " select * from raw.odd")
                .model("\"Odd Schema\".after", "select count(*) as n from {{ ref('\"Odd Schema\".\"My \"\"Model\"') }}")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "update raw.odd set \"v\"\"q\" = 20 where \"Key Col\" = 2");

        RunResults second = project.run().assertSucceeded();

        assertThat(second.models()).extracting(ModelResult::name)
                .containsExactly("\"Odd Schema\".\"My \"\"Model\"", "\"Odd Schema\".after");
        assertThatTable(ds, "\"Odd Schema\".\"My \"\"Model\"").containsExactlyInAnyOrder(row(1, 1), row(2, 20));
        assertThatTable(ds, "\"Odd Schema\".after").containsExactlyInAnyOrder(row(2));
    }

    @Test
    void materializationCanChangeBetweenRuns(DataSource ds) throws Exception {
        run(ds, "mc.x", "select 1 as a").assertSucceeded();
        run(ds, "mc.x", "{{ config(materialized='table') }} select 2 as a").assertSucceeded();
        assertThat(TestSql.strings(ds, "select table_type from information_schema.tables where table_schema = 'mc'"))
                .containsExactly("BASE TABLE");
        run(ds, "mc.x", "select 3 as a").assertSucceeded();
        assertThat(TestSql.strings(ds, "select table_type from information_schema.tables where table_schema = 'mc'"))
                .containsExactly("VIEW");
        assertThatTable(ds, "mc.x").containsExactlyInAnyOrder(row(3));
    }

    @Test
    void sqlListsTheCompiledStatementsWithoutCreatingAnything(DataSource ds) throws Exception {
        List<String> before = TestSql.strings(ds, "select table_schema || '.' || table_name from information_schema.tables"
                + " where table_schema not in ('pg_catalog', 'information_schema')");
        TransformProject project = TransformProject.builder(ds)
                .model("sq.a", "{{ config(materialized='table') }}\nselect 1 as id;")
                .model("sq.b", "select id from {{ ref('a') }}")
                .build();

        List<String> sql = project.sql();

        assertThat(sql).containsExactly(
                "select pg_advisory_xact_lock(hashtextextended('mds.schema \"sq\"', 0))",
                "create schema if not exists \"sq\"",
                "select pg_advisory_xact_lock(hashtextextended('mds.model \"sq\".\"a\"', 0))",
                "create table \"sq\".\"a__mds_tmp\" as\n\nselect 1 as id",
                "alter table \"sq\".\"a__mds_tmp\" rename to \"a\"",
                "select pg_advisory_xact_lock(hashtextextended('mds.model \"sq\".\"b\"', 0))",
                "create view \"sq\".\"b__mds_tmp\" as\nselect id from \"sq\".\"a\"",
                "alter view \"sq\".\"b__mds_tmp\" rename to \"b\"");
        assertThat(TestSql.strings(ds, "select table_schema || '.' || table_name from information_schema.tables"
                + " where table_schema not in ('pg_catalog', 'information_schema')")).isEqualTo(before);
        assertThat(TestSql.strings(ds, "select schema_name from information_schema.schemata")).doesNotContain("sq");

        project.run().assertSucceeded();
        assertThat(project.sql()).contains("drop table \"sq\".\"a__mds_backup\" cascade",
                "drop view \"sq\".\"b__mds_backup\"");
    }

    @Test
    void incrementalSqlShowsStageDeleteAndInsert(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.q").columns("id int", "v int").rows(row(1, 1));
        TransformProject project = TransformProject.builder(ds)
                .model("iq.t", INCREMENTAL + "select id, v from raw.q\n{% if is_incremental() %}where id > 1{% else %}where true{% endif %}")
                .build();
        assertThat(project.sql()).contains("create table \"iq\".\"t__mds_tmp\" as\n"
                + "{{ placeholder }}".replace("{{ placeholder }}", "\nselect id, v from raw.q\nwhere true"));
        project.run().assertSucceeded();

        assertThat(project.sql()).containsExactly(                  // the schema exists now: no create schema
                "select pg_advisory_xact_lock(hashtextextended('mds.model \"iq\".\"t\"', 0))",
                "lock table \"iq\".\"t\" in share row exclusive mode",
                "create temporary table \"pg_temp\".\"t__mds_stage\" on commit drop as\n\nselect id, v from raw.q\nwhere id > 1",
                "delete from \"iq\".\"t\" t using \"pg_temp\".\"t__mds_stage\" s where t.\"id\" = s.\"id\"",
                "insert into \"iq\".\"t\" (\"id\", \"v\")\nselect \"id\", \"v\" from \"pg_temp\".\"t__mds_stage\"");
    }

    /** The table's indexes as "unique method (columns)", sorted. */
    private static List<String> indexes(DataSource ds, String schema, String table) {
        return TestSql.strings(ds, "select case when i.indisunique then 'unique ' else '' end || am.amname || ' ('"
                + " || (select string_agg(a.attname, ',' order by k.n) from unnest(i.indkey) with ordinality k(attnum, n)"
                + " join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) || ')'"
                + " from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace"
                + " join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam"
                + " where n.nspname = '" + schema + "' and c.relname = '" + table + "' order by 1");
    }

    /**
     * dbt-postgres' indexes config: created on a table model's new table before the swap, every run (the old table's
     * go with it), and on an incremental model when it is built anew; sql() shows them. Rows that break a unique
     * index fail the model and leave the table as it was.
     */
    @Test
    void indexesAreBuiltWithTheTableAndAUniqueOneGuardsIt(DataSource ds) {
        TableFixture.on(ds, "raw.ix").columns("id int", "a text", "b int").rows(row(1, "x", 1), row(2, "y", 2));
        String config = "{{ config(materialized='table', indexes=[{'columns': ['id'], 'unique': True},"
                + " {'columns': ['a', 'b']}, {'columns': 'a', 'type': 'hash'}]) }}\n";
        TransformProject project = TransformProject.builder(ds).model("ix.t", config + "select id, a, b from raw.ix").build();
        assertThat(project.sql()).contains("create unique index \"t_id_idx__mds_tmp\" on \"ix\".\"t__mds_tmp\" (\"id\")",
                "create index \"t_a_b_idx__mds_tmp\" on \"ix\".\"t__mds_tmp\" (\"a\", \"b\")",
                "create index \"t_a_idx__mds_tmp\" on \"ix\".\"t__mds_tmp\" using hash (\"a\")",
                "alter index \"ix\".\"t_a_idx__mds_tmp\" rename to \"t_a_idx\"");
        for (int run = 0; run < 2; run++) {
            project.run().assertSucceeded();
            assertThat(indexes(ds, "ix", "t")).containsExactly("btree (a,b)", "hash (a)", "unique btree (id)");
            assertThat(TestSql.strings(ds, "select indexname from pg_indexes where schemaname = 'ix' and tablename = 't'"
                    + " order by 1")).containsExactly("t_a_b_idx", "t_a_idx", "t_id_idx");
        }
        TestSql.sql(ds, "insert into raw.ix values (2, 'z', 3)");
        RunResults failed = project.run();
        assertThat(failed.models().get(0).status()).isEqualTo(ModelStatus.ERROR);
        assertThat(failed.models().get(0).error()).get().asString().contains("could not create unique index", "Key (id)=(2) is duplicated");
        assertThatTable(ds, "ix.t").hasRowCount(2);
        assertThat(indexes(ds, "ix", "t")).hasSize(3);

        TableFixture.on(ds, "raw.ixi").columns("id int", "v text").rows(row(1, "a"));
        TransformProject inc = TransformProject.builder(ds).model("ix.inc", "{{ config(materialized='incremental', unique_key='id',"
                + " indexes=[{'columns': ['id'], 'unique': true}]) }}\nselect id, v from raw.ixi").build();
        inc.run().assertSucceeded();
        TestSql.sql(ds, "insert into raw.ixi values (2, 'b')");
        inc.run().assertSucceeded();                                     // an incremental run keeps the table's
        assertThat(indexes(ds, "ix", "inc")).containsExactly("unique btree (id)");
        assertThatTable(ds, "ix.inc").hasRowCount(2);
    }

    /**
     * Index names live in the schema's namespace of relations: {@code orders} indexed on {@code customer_id} and
     * {@code orders_customer} indexed on {@code id} both make {@code orders_customer_id_idx}. The second one takes the
     * next free number, as PostgreSQL names an index it names itself, and keeps it on later runs; both build.
     */
    @Test
    void anIndexNameAnotherRelationOfTheSchemaHoldsTakesTheNextNumber(DataSource ds) {
        TableFixture.on(ds, "raw.ixc").columns("id int", "customer_id int").rows(row(1, 2));
        TransformProject project = TransformProject.builder(ds)
                .model("ixc.orders", "{{ config(materialized='table', indexes=[{'columns': ['customer_id']}]) }}\n"
                        + "select id, customer_id from raw.ixc")
                .model("ixc.orders_customer", "{{ config(materialized='table', indexes=[{'columns': ['id']}]) }}\n"
                        + "select customer_id as id from {{ ref('ixc.orders') }}")
                .build();
        for (int run = 0; run < 2; run++) {
            project.run().assertSucceeded();
            assertThat(TestSql.strings(ds, "select tablename || ' ' || indexname from pg_indexes where schemaname = 'ixc'"
                    + " order by 1")).containsExactly("orders orders_customer_id_idx", "orders_customer orders_customer_id_idx1");
            assertThat(project.sql()).contains("alter index \"ixc\".\"orders_customer_id_idx__mds_tmp\" rename to"
                    + " \"orders_customer_id_idx1\"");
        }
    }

    /**
     * A long table name cuts every index name short: two indexes whose names differ only in their last bytes (or by
     * the number telling two equal ones apart) must still get distinct temporary names on the new table.
     */
    @Test
    void indexesOfALongTableNameGetDistinctNamesWhileBuilt(DataSource ds) {
        String table = "fct_customer_order_line_items_daily_snapshot_by_region";   // 54 bytes
        TableFixture.on(ds, "raw.ixl").columns("customer_id int", "customer_key int").rows(row(1, 2));
        TransformProject project = TransformProject.builder(ds).model("ixl." + table, "{{ config(materialized='table',"
                + " indexes=[{'columns': ['customer_id']}, {'columns': ['customer_key']}]) }}\n"
                + "select customer_id, customer_key from raw.ixl").build();
        for (int run = 0; run < 2; run++) {
            project.run().assertSucceeded();
            assertThat(indexes(ds, "ixl", table)).containsExactly("btree (customer_id)", "btree (customer_key)");
        }
    }

    @Test
    void badIndexesAreRefusedWithTheirLine(DataSource ds) {
        java.util.function.Function<String, TransformProject.Builder> model = sql -> TransformProject.builder(ds).model("ix.bad", sql);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.apply(
                "{{ config(indexes=[{'columns': ['id']}]) }} select 1 as id").build())
                .hasMessage("model ix.bad line 1: indexes applies only to materialized='table' or 'incremental'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.apply(
                "{{ config(materialized='table', indexes=[{'cols': ['id']}]) }} select 1 as id").build())
                .hasMessage("model ix.bad line 1: indexes: unknown key 'cols' (supported: columns, unique, type)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.apply(
                "{{ config(materialized='table', indexes=[{'columns': ['id'], 'unique': 'yes'}]) }} select 1 as id").build())
                .hasMessage("model ix.bad line 1: indexes: 'unique' is True or False, not yes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.apply(
                "{{ config(materialized='table', indexes=['id']) }} select 1 as id").build())
                .hasMessageContaining("indexes is a list of dicts");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.apply(
                "{{ config(materialized='table', unique_key=[{'columns': ['id']}]) }} select 1 as id").build())
                .hasMessageContaining("the value must be a quoted string or a list of them");
    }
}
