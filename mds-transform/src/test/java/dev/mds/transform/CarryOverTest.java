package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A rebuilt view or table keeps the grants on the relation it replaces, its comment and its columns' comments. */
@MdsPostgres
class CarryOverTest {
    @Test
    void aRebuiltTableKeepsItsGrantsAndComments(DataSource ds) {
        Db.roles(ds, "mds_carry_reader");
        Db.roles(ds, "mds_carry_writer");
        TransformProject project = TransformProject.builder(ds)
                .model("co.t", "{{ config(materialized='table') }}\nselect 1 as id, 'a'::text as name, 2 as gone").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "grant select on co.t to mds_carry_reader; grant select on co.t to public;"
                + " grant insert, update on co.t to mds_carry_writer with grant option;"
                + " comment on table co.t is 'one row, it''s a test'; comment on column co.t.name is 'the name';"
                + " comment on column co.t.gone is 'dropped by the next build'");
        String before = Db.acl(ds, "co.t");
        assertThat(before).isEqualTo("PUBLIC=SELECT mds_carry_reader=SELECT mds_carry_writer=INSERT*,UPDATE*");

        TransformProject changed = TransformProject.builder(ds)
                .model("co.t", "{{ config(materialized='table') }}\nselect 1 as id, 'a'::text as name").build();
        assertThat(changed.sql()).contains("grant select on \"co\".\"t\" to \"mds_carry_reader\"",
                "grant insert, update on \"co\".\"t\" to \"mds_carry_writer\" with grant option",
                "comment on table \"co\".\"t\" is 'one row, it''s a test'");
        changed.run().assertSucceeded();

        assertThat(Db.acl(ds, "co.t")).isEqualTo(before);
        assertThat(TestSql.strings(ds, "select obj_description('co.t'::regclass, 'pg_class') || ' / '"
                + " || col_description('co.t'::regclass, 2)")).containsExactly("one row, it's a test / the name");
        assertThat(TestSql.strings(ds, "select count(*) from pg_description where objoid = 'co.t'::regclass"))
                .containsExactly("2");
    }

    @Test
    void aViewKeepsItsGrantsAcrossRebuildsAndAChangeToATable(DataSource ds) {
        Db.roles(ds, "mds_carry_reader");
        String view = "select 1 as id";
        TransformProject.builder(ds).model("cv.v", view).build().run().assertSucceeded();
        TestSql.sql(ds, "grant select on cv.v to mds_carry_reader; comment on view cv.v is 'a view'");
        TransformProject.builder(ds).model("cv.v", view + ", 2 as two").build().run().assertSucceeded();
        assertThat(Db.acl(ds, "cv.v")).isEqualTo("mds_carry_reader=SELECT");
        assertThat(TestSql.strings(ds, "select obj_description('cv.v'::regclass, 'pg_class')")).containsExactly("a view");

        TransformProject.builder(ds).model("cv.v", "{{ config(materialized='table') }}\n" + view).build().run()
                .assertSucceeded();
        assertThat(TestSql.strings(ds, "select relkind::text from pg_class where oid = 'cv.v'::regclass")).containsExactly("r");
        assertThat(Db.acl(ds, "cv.v")).isEqualTo("mds_carry_reader=SELECT");
        assertThat(TestSql.strings(ds, "select obj_description('cv.v'::regclass, 'pg_class')")).containsExactly("a view");
    }

    @Test
    void aFullRefreshOfAnIncrementalModelKeepsItsGrants(DataSource ds) {
        Db.roles(ds, "mds_carry_reader");
        String model = "{{ config(materialized='incremental', unique_key='id') }}\nselect 1 as id";
        TransformProject.builder(ds).model("ci.t", model).build().run().assertSucceeded();
        TestSql.sql(ds, "grant select on ci.t to mds_carry_reader");
        TransformProject.builder(ds).model("ci.t", model).fullRefresh(true).build().run().assertSucceeded();
        assertThat(Db.acl(ds, "ci.t")).isEqualTo("mds_carry_reader=SELECT");
    }

    @Test
    void aDownstreamViewDroppedByTheCascadeOfItsRebuiltTableKeepsItsGrantsAndComments(DataSource ds) {
        Db.roles(ds, "mds_carry_reader");
        TransformProject project = TransformProject.builder(ds)
                .model("cc.t", "{{ config(materialized='table') }}\nselect 1 as id, 'a'::text as name")
                .model("cc.v", "select id, name from {{ ref('cc.t') }}")
                .model("cc.w", "select id from {{ ref('cc.v') }}")
                .threads(2).build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "grant select on cc.v to mds_carry_reader; grant select on cc.w to mds_carry_reader with grant option;"
                + " comment on view cc.v is 'the view'; comment on column cc.v.name is 'the name'");

        // rebuilding cc.t drops cc.v and cc.w (CASCADE), which are then built again
        project.run().assertSucceeded();
        assertThat(Db.acl(ds, "cc.v")).isEqualTo("mds_carry_reader=SELECT");
        assertThat(Db.acl(ds, "cc.w")).isEqualTo("mds_carry_reader=SELECT*");
        assertThat(TestSql.strings(ds, "select obj_description('cc.v'::regclass, 'pg_class') || ' / '"
                + " || col_description('cc.v'::regclass, 2)")).containsExactly("the view / the name");

        // a view that comes back without a commented column keeps the other comments
        TransformProject.builder(ds)
                .model("cc.t", "{{ config(materialized='table') }}\nselect 1 as id, 'a'::text as name")
                .model("cc.v", "select id from {{ ref('cc.t') }}")
                .model("cc.w", "select id from {{ ref('cc.v') }}")
                .build().run().assertSucceeded();
        assertThat(Db.acl(ds, "cc.v")).isEqualTo("mds_carry_reader=SELECT");
        assertThat(TestSql.strings(ds, "select obj_description('cc.v'::regclass, 'pg_class')")).containsExactly("the view");
    }

    @Test
    void aRebuiltTableKeepsTheGrantsOnTheColumnsItStillHas(DataSource ds) {
        Db.roles(ds, "mds_carry_reader");
        TransformProject.builder(ds).model("cg.t", "{{ config(materialized='table') }}\nselect 1 as id, 2 as gone")
                .build().run().assertSucceeded();
        TestSql.sql(ds, "grant select (id), update (id) on cg.t to mds_carry_reader with grant option",
                "grant select (gone) on cg.t to mds_carry_reader");

        TransformProject.builder(ds).model("cg.t", "{{ config(materialized='table') }}\nselect 1 as id, 3 as added")
                .build().run().assertSucceeded();

        assertThat(TestSql.strings(ds, "select a.attname || '=' || string_agg(x.privilege_type"
                + " || case when x.is_grantable then '*' else '' end, ',' order by x.privilege_type)"
                + " from pg_attribute a cross join lateral aclexplode(a.attacl) x where a.attrelid = 'cg.t'::regclass"
                + " group by a.attname order by 1")).containsExactly("id=SELECT*,UPDATE*");
    }
}
