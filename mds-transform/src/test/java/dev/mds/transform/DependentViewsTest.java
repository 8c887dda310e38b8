package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A model that replaces its relation keeps the plain views over it that no model rebuilds after it in the run: they
 * are dropped with the old relation and created again over the new one, as they were, in the same transaction.
 */
@MdsPostgres
class DependentViewsTest {
    private static final String TABLE = "{{ config(materialized='table') }}\n";

    private static String one(DataSource ds, String query) {
        List<String> out = TestSql.strings(ds, query);
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    private static String definition(DataSource ds, String view) {
        return one(ds, "select pg_get_viewdef('" + view + "'::regclass, true)");
    }

    private static List<TableName> names(String... names) {
        return java.util.Arrays.stream(names).map(TableName::parse).toList();
    }

    @Test
    void aSelectedTableKeepsAnUnselectedViewModelOverItWithItsOwnerGrantsAndComment(DataSource ds) {
        Db.roles(ds, "mds_dv_owner");
        Db.roles(ds, "mds_dv_reader");
        TransformProject first = TransformProject.builder(ds)
                .model("dv.orders", TABLE + "select 1 as id, 10 as amount")
                .model("dv.big_orders", "select id, amount from {{ ref('dv.orders') }} where amount > 5")
                .build();
        first.run().assertSucceeded();
        TestSql.sql(ds, "grant usage on schema dv to mds_dv_owner, mds_dv_reader",
                "grant select on dv.orders to mds_dv_owner",
                "alter view dv.big_orders owner to mds_dv_owner",
                "grant select on dv.big_orders to mds_dv_reader",
                "comment on view dv.big_orders is 'orders over 5'",
                "comment on column dv.big_orders.amount is 'in euros'");
        String oid = one(ds, "select 'dv.big_orders'::regclass::oid");

        TransformProject second = TransformProject.builder(ds)
                .model("dv.orders", TABLE + "select 1 as id, 10 as amount union all select 2, 20 union all select 3, 1")
                .model("dv.big_orders", "select id, amount from {{ ref('dv.orders') }} where amount > 5")
                .build();
        RunResults results = second.run(Select.parse("dv.orders")).assertSucceeded();

        assertThat(results.models()).hasSize(1);
        assertThat(results.model("dv.orders").keptViews()).isEqualTo(names("dv.big_orders"));
        assertThat(results.model("dv.orders").toString()).contains("(kept views: dv.big_orders)");
        assertThat(one(ds, "select 'dv.big_orders'::regclass::oid")).isNotEqualTo(oid);
        assertThatTable(ds, "dv.big_orders").containsExactlyInAnyOrder(row(1, 10), row(2, 20));
        assertThat(one(ds, "select pg_get_userbyid(relowner) from pg_class where oid = 'dv.big_orders'::regclass"))
                .isEqualTo("mds_dv_owner");
        assertThat(one(ds, "select has_table_privilege('mds_dv_reader', 'dv.big_orders', 'select')")).isEqualTo("t");
        assertThat(one(ds, "select obj_description('dv.big_orders'::regclass, 'pg_class') || ' / '"
                + " || col_description('dv.big_orders'::regclass, 2)")).isEqualTo("orders over 5 / in euros");
        // the old table went with its backup: nothing left over
        assertThat(TestSql.strings(ds, "select relname from pg_class where relname like '%__mds%'")).isEmpty();
    }

    @Test
    void aChainOfViewsOverViewsIsKeptAndCreatedAgainInDependencyOrder(DataSource ds) {
        TransformProject.builder(ds).model("ch.t", TABLE + "select 1 as id").build().run().assertSucceeded();
        // not models: created by hand, in an order that name order would get wrong
        TestSql.sql(ds, "create view ch.z_first as select id from ch.t",
                "create view ch.m_second as select id * 10 as id10 from ch.z_first",
                "create view ch.a_third as select * from ch.m_second where id10 > 0");

        RunResults results = TransformProject.builder(ds)
                .model("ch.t", TABLE + "select 1 as id union all select 2").build().run().assertSucceeded();

        assertThat(results.model("ch.t").keptViews()).isEqualTo(names("ch.z_first", "ch.m_second", "ch.a_third"));
        assertThatTable(ds, "ch.a_third").containsExactlyInAnyOrder(row(10), row(20));
    }

    @Test
    void aHandMadeViewKeepsItsOptionsColumnCommentsColumnGrantsDefaultsAndInsteadOfTrigger(DataSource ds) {
        Db.roles(ds, "mds_dv_reader");
        TransformProject project = TransformProject.builder(ds)
                .model("hv.t", TABLE + "select 1 as id, 'a'::text as name, 'secret'::text as pin").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view hv.v with (security_barrier, check_option = local) as"
                        + " select id, name from hv.t where id > 0",
                "comment on column hv.v.name is 'display name'",
                "grant select (id, name), update (name) on hv.v to mds_dv_reader",
                "alter view hv.v alter column name set default 'unnamed'",
                "create table hv.log (id int, name text)",
                "create function hv.log_insert() returns trigger language plpgsql as"
                        + " $$ begin insert into hv.log values (new.id, new.name); return new; end $$",
                "create trigger log_insert instead of insert on hv.v for each row execute function hv.log_insert()");
        String before = definition(ds, "hv.v");

        RunResults results = project.run().assertSucceeded();

        assertThat(results.model("hv.t").keptViews()).isEqualTo(names("hv.v"));
        assertThat(definition(ds, "hv.v")).isEqualTo(before);
        assertThat(one(ds, "select string_agg(o, ',' order by o) from pg_class, unnest(reloptions) o"
                + " where oid = 'hv.v'::regclass")).isEqualTo("check_option=local,security_barrier=true");
        assertThat(one(ds, "select col_description('hv.v'::regclass, 2)")).isEqualTo("display name");
        assertThat(one(ds, "select has_column_privilege('mds_dv_reader', 'hv.v', 'name', 'update')::text"
                + " || has_column_privilege('mds_dv_reader', 'hv.v', 'id', 'select')::text"
                + " || has_column_privilege('mds_dv_reader', 'hv.v', 'id', 'update')::text")).isEqualTo("truetruefalse");
        TestSql.sql(ds, "insert into hv.v (id) values (7)");   // through the trigger, with the view's default
        assertThatTable(ds, "hv.log").containsExactlyInAnyOrder(row(7, "unnamed"));
    }

    @Test
    void aViewReadingAColumnTheNewBuildDropsFailsTheModelNamingItAndChangesNothing(DataSource ds) {
        TransformProject.builder(ds).model("fv.t", TABLE + "select 1 as id, 'x'::text as gone").build().run()
                .assertSucceeded();
        TestSql.sql(ds, "create view fv.keeps as select id from fv.t",
                "create view fv.reads_gone as select id, gone from fv.t");
        String before = definition(ds, "fv.reads_gone");

        RunResults results = TransformProject.builder(ds)
                .model("fv.t", TABLE + "select 2 as id").build().run();

        ModelResult t = results.model("fv.t");
        assertThat(t.status()).isEqualTo(ModelStatus.ERROR);
        assertThat(t.keptViews()).isEmpty();
        assertThat(t.error().orElseThrow()).contains("cannot keep view fv.reads_gone, which depends on fv.t",
                "'create view \"fv\".\"reads_gone\" as SELECT id, gone FROM fv.t' failed: ERROR: column \"gone\" does not exist",
                "nothing was changed");
        assertThatTable(ds, "fv.t").containsExactlyInAnyOrder(row(1, "x"));
        assertThatTable(ds, "fv.reads_gone").containsExactlyInAnyOrder(row(1, "x"));
        assertThatTable(ds, "fv.keeps").containsExactlyInAnyOrder(row(1));
        assertThat(definition(ds, "fv.reads_gone")).isEqualTo(before);
        assertThat(TestSql.strings(ds, "select relname from pg_class where relname like '%__mds%'")).isEmpty();
    }

    @Test
    void aMaterializedViewOverTheTableStillFailsTheModelNamingIt(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).model("mv.t", TABLE + "select 1 as id").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view mv.plain as select id from mv.t",
                "create materialized view mv.counted as select count(*) as n from mv.t");

        RunResults results = project.run();

        assertThat(results.model("mv.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("mv.t").error().orElseThrow())
                .contains("cannot replace mv.t: [mv.counted] depend(s) on it (mv.counted is a materialized view)");
        assertThatTable(ds, "mv.counted").containsExactlyInAnyOrder(row(1L));
        assertThatTable(ds, "mv.plain").containsExactlyInAnyOrder(row(1));
    }

    @Test
    void aViewWhoseRowTypeAFunctionUsesIsNotKeptButRefusedNamingTheFunction(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).model("rt.t", TABLE + "select 1 as id").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view rt.v as select id from rt.t",
                "create function rt.first() returns setof rt.v language sql as 'select * from rt.v'");

        RunResults results = project.run();

        assertThat(results.model("rt.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("rt.t").error().orElseThrow()).contains("view rt.v depends on it",
                "function rt.first() depend(s) on the view");
        assertThat(TestSql.strings(ds, "select count(*) from rt.first()")).containsExactly("1");
    }

    /**
     * A function returning the replaced table's own rows and a column of its row type in another table: the CASCADE that
     * drops the kept view would drop them too (the column with its data), so the model fails naming them.
     */
    @Test
    void aFunctionOrColumnOfTheReplacedTablesRowTypeFailsTheModelInsteadOfBeingDropped(DataSource ds) {
        TransformProject project = TransformProject.builder(ds).model("rtt.t", TABLE + "select 1 as id").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view rtt.v as select id from rtt.t",
                "create function rtt.all_rows() returns setof rtt.t language sql as 'select * from rtt.t'",
                "create table rtt.audit (n int, snap rtt.t)", "insert into rtt.audit select 1, t from rtt.t t");

        RunResults results = project.run();

        assertThat(results.model("rtt.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("rtt.t").error().orElseThrow()).contains("cannot replace rtt.t",
                "function rtt.all_rows()", "column snap of table rtt.audit");
        assertThat(TestSql.strings(ds, "select count(*) from rtt.all_rows()")).containsExactly("1");
        assertThat(TestSql.strings(ds, "select (snap).id from rtt.audit")).containsExactly("1");
        assertThatTable(ds, "rtt.v").containsExactlyInAnyOrder(row(1));

        // without a view to keep (no CASCADE) the model fails the same way, naming them, not with the server's refusal
        TestSql.sql(ds, "drop view rtt.v");
        RunResults again = project.run();
        assertThat(again.model("rtt.t").error().orElseThrow()).contains("cannot replace rtt.t",
                "function rtt.all_rows()", "column snap of table rtt.audit");
    }

    /**
     * A view by hand over a view model that the run rebuilds after the table: the table keeps both (the model's view as
     * it was), then the view model's own build replaces its view and keeps the hand-made one again.
     */
    @Test
    void aHandMadeViewOverADownstreamViewModelIsKeptThroughBothBuilds(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("dm.t", TABLE + "select 1 as id")
                .model("dm.v", "select id from {{ ref('dm.t') }}")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view dm.report as select count(*) as n from dm.v");

        RunResults results = TransformProject.builder(ds)
                .model("dm.t", TABLE + "select 1 as id union all select 2")
                .model("dm.v", "select id, id * 2 as twice from {{ ref('dm.t') }}")
                .build().run().assertSucceeded();

        // dm.v was kept too, until its own build: keptViews lists the views no model rebuilds after dm.t
        assertThat(results.model("dm.t").keptViews()).isEqualTo(names("dm.report"));
        assertThat(results.model("dm.v").keptViews()).isEqualTo(names("dm.report"));
        assertThat(Db.columns(ds, "dm", "v")).containsExactly("id", "twice");
        assertThatTable(ds, "dm.report").containsExactlyInAnyOrder(row(2L));
    }

    @Test
    void sqlListsTheLockAndTheStatementsCreatingTheKeptViewsAgainAfterTheDrop(DataSource ds) {
        Db.roles(ds, "mds_dv_reader");
        TransformProject project = TransformProject.builder(ds).model("sq.t", TABLE + "select 1 as id").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view sq.v as select * from sq.t", "grant select on sq.v to mds_dv_reader",
                "comment on view sq.v is 'kept'");

        List<String> sql = project.sql();

        assertThat(sql).containsSubsequence(
                "create table \"sq\".\"t__mds_tmp\" as\n\nselect 1 as id",
                "lock table \"sq\".\"t\" in access exclusive mode",
                "alter table \"sq\".\"t\" rename to \"t__mds_backup\"",
                "alter table \"sq\".\"t__mds_tmp\" rename to \"t\"",
                "drop table \"sq\".\"t__mds_backup\" cascade",
                "create view \"sq\".\"v\" as\nSELECT id\n   FROM sq.t",
                "grant select on \"sq\".\"v\" to \"mds_dv_reader\"",
                "comment on view \"sq\".\"v\" is 'kept'");
        project.run().assertSucceeded();
        assertThat(project.sql()).isEqualTo(sql);
    }
}
