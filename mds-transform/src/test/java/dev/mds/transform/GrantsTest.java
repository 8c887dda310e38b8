package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * dbt's {@code grants} config: once a model is built, the grants its role made on the relation are exactly the
 * configured ones (the project's {@code grants(...)} merged with the model's {@code config(grants=...)}).
 */
@MdsPostgres
class GrantsTest {
    @Test
    void aTableModelGetsItsConfiguredGrantsAndLosesTheOnesNoLongerConfigured(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter", "mds_grants_bi", "mds_grants_loader");
        TransformProject first = TransformProject.builder(ds).model("gt.t", "{{ config(materialized='table',"
                + " grants={'select': ['mds_grants_reporter', 'mds_grants_bi']}) }}\nselect 1 as id").build();
        assertThat(first.sql()).contains("grant select on \"gt\".\"t\" to \"mds_grants_reporter\", \"mds_grants_bi\"");
        first.run().assertSucceeded();
        assertThat(Db.acl(ds, "gt.t")).isEqualTo("mds_grants_bi=SELECT mds_grants_reporter=SELECT");

        // by hand between runs: the rebuild carries it over, and the grants config then revokes it (dbt's rule)
        TestSql.sql(ds, "grant insert on gt.t to mds_grants_loader");
        TransformProject second = TransformProject.builder(ds).model("gt.t", "{{ config(materialized='table',"
                + " grants={'select': 'mds_grants_reporter'}) }}\nselect 2 as id").build();
        // after the swap, which carries the grants over: only what differs from the config
        assertThat(second.sql()).endsWith("drop table \"gt\".\"t__mds_backup\"",
                "revoke select on \"gt\".\"t\" from \"mds_grants_bi\"",
                "revoke insert on \"gt\".\"t\" from \"mds_grants_loader\"");
        second.run().assertSucceeded();
        assertThat(Db.acl(ds, "gt.t")).isEqualTo("mds_grants_reporter=SELECT");
        assertThat(TestSql.strings(ds, "select id from gt.t")).containsExactly("2");
    }

    @Test
    void withoutGrantsARebuildKeepsWhateverTheRelationHad(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter");
        TransformProject.builder(ds).model("gk.v", "select 1 as id").build().run().assertSucceeded();
        TestSql.sql(ds, "grant select on gk.v to mds_grants_reporter");
        TransformProject again = TransformProject.builder(ds).model("gk.v", "select 1 as id, 2 as two").build();
        assertThat(again.sql()).noneMatch(s -> s.startsWith("revoke"));
        again.run().assertSucceeded();
        assertThat(Db.acl(ds, "gk.v")).isEqualTo("mds_grants_reporter=SELECT");
    }

    @Test
    void theProjectsGrantsApplyToEveryModelAndAModelReplacesOrAddsToThemByPrivilege(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter", "mds_grants_bi", "mds_grants_loader");
        TransformProject project = TransformProject.builder(ds)
                .grants("select", "mds_grants_reporter")
                .grants("SELECT", "mds_grants_reporter", "public")          // replaces the call before
                .model("gp.plain", "select 1 as id")
                .model("gp.replaced", "{{ config(grants={'select': ['mds_grants_bi']}) }}\nselect 1 as id")
                .model("gp.added", "{{ config(materialized='table', grants={'+select': ['mds_grants_bi'],"
                        + " 'insert': 'mds_grants_loader'}) }}\nselect 1 as id")
                .model("gp.hidden", "{{ config(materialized='ephemeral') }}\nselect 1 as id")
                .model("gp.uses", "select * from {{ ref('gp.hidden') }}")
                .build();
        project.run().assertSucceeded();
        assertThat(Db.acl(ds, "gp.plain")).isEqualTo("PUBLIC=SELECT mds_grants_reporter=SELECT");
        assertThat(Db.acl(ds, "gp.replaced")).isEqualTo("mds_grants_bi=SELECT");
        assertThat(Db.acl(ds, "gp.added"))
                .isEqualTo("PUBLIC=SELECT mds_grants_bi=SELECT mds_grants_loader=INSERT mds_grants_reporter=SELECT");
        assertThat(Db.acl(ds, "gp.uses")).isEqualTo("PUBLIC=SELECT mds_grants_reporter=SELECT");
    }

    @Test
    void anIncrementalRunAndASnapshotRunSettleTheirGrantsToo(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter", "mds_grants_bi");
        TestSql.sql(ds, "create schema gsrc; create table gsrc.c (id int primary key, v text); insert into gsrc.c values (1, 'a')");
        String incremental = "{{ config(materialized='incremental', unique_key='id', grants={'select': ['%s']}) }}\n"
                + "select id, v from gsrc.c";
        String snapshot = "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all',"
                + " grants={'select': ['%s']}) }}\nselect id, v from gsrc.c";
        TransformProject.builder(ds).model("gi.inc", incremental.formatted("mds_grants_reporter"))
                .model("gi.snap", snapshot.formatted("mds_grants_reporter")).build().run().assertSucceeded();
        assertThat(Db.acl(ds, "gi.inc")).isEqualTo("mds_grants_reporter=SELECT");
        assertThat(Db.acl(ds, "gi.snap")).isEqualTo("mds_grants_reporter=SELECT");

        TestSql.sql(ds, "insert into gsrc.c values (2, 'b')");
        TransformProject.builder(ds).model("gi.inc", incremental.formatted("mds_grants_bi"))
                .model("gi.snap", snapshot.formatted("mds_grants_bi")).build().run().assertSucceeded();
        assertThat(Db.acl(ds, "gi.inc")).isEqualTo("mds_grants_bi=SELECT");
        assertThat(Db.acl(ds, "gi.snap")).isEqualTo("mds_grants_bi=SELECT");
        assertThat(TestSql.strings(ds, "select count(*) from gi.inc")).containsExactly("2");
    }

    @Test
    void aPrivilegeWithNoRoleIsRevokedFromEveryRole(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter", "mds_grants_loader");
        TransformProject.builder(ds).model("gn.t", "{{ config(materialized='table') }}\nselect 1 as id").build().run()
                .assertSucceeded();
        TestSql.sql(ds, "grant select, insert on gn.t to mds_grants_loader; grant select on gn.t to mds_grants_reporter");
        TransformProject.builder(ds).model("gn.t", "{{ config(materialized='table', grants={'select': ['mds_grants_reporter'],"
                + " 'insert': []}) }}\nselect 1 as id").build().run().assertSucceeded();
        assertThat(Db.acl(ds, "gn.t")).isEqualTo("mds_grants_reporter=SELECT");
    }

    @Test
    void aGrantToAMissingRoleFailsTheModelNamingItAndLeavesItAsItWas(DataSource ds) {
        Db.roles(ds, "mds_grants_reporter");
        TransformProject.builder(ds).model("gm.t", "{{ config(materialized='table', grants={'select': 'mds_grants_reporter'})"
                + " }}\nselect 1 as id").build().run().assertSucceeded();
        RunResults results = TransformProject.builder(ds).model("gm.t", "{{ config(materialized='table',\n"
                + "  grants={'select': ['mds_grants_reporter', 'mds_grants_nobody']}) }}\nselect 2 as id").build().run();
        assertThat(results.model("gm.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("gm.t").error().orElseThrow())
                .contains("gm.t", "line 1", "grants", "mds_grants_nobody", "does not exist", "unchanged");
        assertThat(TestSql.strings(ds, "select id from gm.t")).containsExactly("1");
        assertThat(Db.acl(ds, "gm.t")).isEqualTo("mds_grants_reporter=SELECT");
    }

    @Test
    void badGrantsAreRefusedAtBuildNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("gb.t", "select 1 as id\n"
                + "{{ config(grants={'read': ['x']}) }}").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("model gb.t line 2")
                .hasMessageContaining("'read' is not a privilege");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("gb.t", "{{ config(grants=['x']) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("dict of privileges");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("gb.t", "{{ config(grants={'select': ''}) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("empty role");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("gb.t", "{{ config(materialized='ephemeral',"
                + " grants={'select': 'x'}) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("ephemeral");
        assertThatThrownBy(() -> TransformProject.builder(ds).grants("+select", "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'+select' is not a privilege");
    }
}
