package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** config(pre_hook=..., post_hook=...): statements run in the model's transaction, {{ this }} its table. */
@MdsPostgres
class HooksTest {

    @Test
    void postHooksRunAfterEachBuildSoAnIndexSurvivesRebuilds(DataSource ds) {
        String model = "{{ config(materialized='table',\n"
                + "  post_hook=[\"create index on {{ this }} (id)\", \"comment on column {{ this }}.id is 'the id'\"]) }}\n"
                + "select g as id from generate_series(1, 3) g";
        TransformProject project = TransformProject.builder(ds).model("hk.t", model).build();
        assertThat(project.sql()).endsWith("create index on \"hk\".\"t\" (id)", "comment on column \"hk\".\"t\".id is 'the id'");
        project.run().assertSucceeded();
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select indexdef from pg_indexes where schemaname = 'hk' and tablename = 't'"))
                .containsExactly("CREATE INDEX t_id_idx ON hk.t USING btree (id)");
        assertThat(TestSql.strings(ds, "select col_description('hk.t'::regclass, 1)")).containsExactly("the id");
    }

    @Test
    void preHooksRunFirstInTheSameTransactionAndAFailingHookLeavesTheModelAsItWas(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists hp; create table hp.audit (model text, at timestamptz default now())");
        String model = "{{ config(materialized='table', pre_hook=\"insert into hp.audit (model) values ('{{ this }}')\") }}\n"
                + "select 1 as id";
        TransformProject.builder(ds).model("hp.t", model).build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select model from hp.audit")).containsExactly("\"hp\".\"t\"");

        // the post_hook fails: the pre_hook's insert and the rebuild roll back together
        String failing = model.replace("select 1 as id", "select 2 as id").replace("\") }}\n",
                "\", post_hook='select * from hp.missing') }}\n");
        RunResults results = TransformProject.builder(ds).model("hp.t", failing).build().run();
        assertThat(results.model("hp.t").error()).hasValueSatisfying(e -> assertThat(e).startsWith("hp.t (model hp.t line 1):"
                + " post_hook 'select * from hp.missing' failed: ERROR: relation \"hp.missing\" does not exist")
                .endsWith("; the model is unchanged"));
        assertThat(TestSql.strings(ds, "select id from hp.t")).containsExactly("1");
        assertThat(TestSql.strings(ds, "select count(*) from hp.audit")).containsExactly("1");
    }

    @Test
    void hooksWorkOnIncrementalAndSnapshotModelsToo(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists hr; create table hr.src (id int, v text, updated_at date);"
                + " insert into hr.src values (1, 'a', '2024-01-01')");
        TransformProject project = TransformProject.builder(ds)
                .model("hi.inc", "{{ config(materialized='incremental', unique_key='id',"
                        + " post_hook='analyze {{ this }}') }}\nselect id, v from hr.src")
                .model("hi.snap", "{{ config(materialized='snapshot', unique_key='id', strategy='timestamp',"
                        + " updated_at='updated_at', post_hook='create index if not exists snap_current on {{ this }} (id)"
                        + " where dbt_valid_to is null') }}\nselect * from hr.src")
                .build();
        project.run().assertSucceeded();
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select indexname from pg_indexes where schemaname = 'hi'")).containsExactly("snap_current");
        assertThat(TestSql.strings(ds, "select analyze_count > 0 from pg_stat_user_tables where relid = 'hi.inc'::regclass"))
                .containsExactly("t");
    }

    @Test
    void badHooksAreRefusedAtBuild(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.x",
                "{{ config(post_hook='grant select on {{ this }} to a; drop table x') }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model hb.x line 1: post_hook 'grant select on {{ this }} to a; drop table x' holds more than"
                        + " one statement: give a list, one statement each");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.x",
                "{{ config(pre_hook=\"insert into t select * from {{ ref('a') }}\") }}\nselect 1").build())
                .hasMessage("model hb.x line 1: pre_hook 'insert into t select * from {{ ref('a') }}': the only tags a"
                        + " hook may hold are {{ this }}, {{ this.schema }} and {{ this.identifier }} (or this.name,"
                        + " this.table)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.x", "{{ config(post_hook=[' ; ']) }}\nselect 1").build())
                .hasMessage("model hb.x line 1: post_hook holds an empty statement");
    }

    /**
     * A failure the config decides (a hook, a unique_key, a snapshot's or merge's columns) names the line its
     * config() starts on, as build() does.
     */
    @Test
    void failuresOfConfiguredStatementsAndColumnsNameTheConfigsLine(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists hl; create table hl.src (id int, v text); insert into hl.src values (1, 'a')");
        RunResults results = TransformProject.builder(ds)
                .model("hl.hooked", "-- a table with an audit hook\n\n{{ config(materialized='table',\n"
                        + "    post_hook='insert into hl.missing values (1)') }}\nselect id from hl.src")
                .model("hl.inc", "\n{{ config(materialized='incremental', unique_key='key_id') }}\nselect id from hl.src")
                .model("hl.snap", "{{ config(materialized='snapshot', unique_key='id',\n strategy='timestamp',\n"
                        + " updated_at='changed_at') }}\nselect id from hl.src")
                .model("hl.merged", "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',\n"
                        + "  merge_update_columns=['w']) }}\nselect id, v from hl.src")
                .build().run();

        assertThat(results.model("hl.hooked").error()).hasValue("hl.hooked (model hl.hooked line 3): post_hook"
                + " 'insert into hl.missing values (1)' failed: ERROR: relation \"hl.missing\" does not exist; the model is"
                + " unchanged");
        assertThat(results.model("hl.inc").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("hl.inc (model hl.inc line 2): unique_key column(s) [key_id] are not columns of the model"));
        assertThat(results.model("hl.snap").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("hl.snap (model hl.snap line 1): the snapshot's config names [changed_at], which the query"
                        + " does not return"));
        assertThat(results.model("hl.merged").error()).hasValueSatisfying(e -> assertThat(e)
                .startsWith("hl.merged (model hl.merged line 1): merge_update_columns names [w], not written by the merge"));
        assertThat(TestSql.strings(ds, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = 'hl' and c.relname <> 'src'")).containsExactly("0");
    }

    @Test
    void hookDictsWithTransactionFalseRunOutsideTheModelsTransactionAsDbtRunsThem(DataSource ds) {
        // dbt's run_hooks(pre_hooks, inside_transaction=False) before BEGIN, (post_hooks, ...False) after COMMIT:
        // vacuum cannot run in a transaction block, and an outside pre_hook's work stays when the model fails
        TestSql.sql(ds, "create schema if not exists hd; create table hd.audit (what text)");
        String model = """
                {{ config(materialized='table',
                    pre_hook=[{'sql': "insert into hd.audit values ('before {{ this }}')", 'transaction': false},
                              "insert into hd.audit values ('inside')"],
                    post_hook=[{'sql': 'vacuum analyze {{ this }}', 'transaction': False},
                               {'sql': "insert into hd.audit values ('after')"}]) }}
                select g as id from generate_series(1, 3) g""";
        TransformProject project = TransformProject.builder(ds).model("hd.t", model).build();
        List<String> sql = project.sql();
        assertThat(sql.get(0)).isEqualTo("insert into hd.audit values ('before \"hd\".\"t\"')");
        assertThat(sql.get(1)).startsWith("select pg_advisory_xact_lock(");
        assertThat(sql.get(2)).isEqualTo("insert into hd.audit values ('inside')");
        assertThat(sql).endsWith("insert into hd.audit values ('after')", "vacuum analyze \"hd\".\"t\"");
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select what from hd.audit")).containsExactly("before \"hd\".\"t\"", "inside",
                "after");
        assertThat(TestSql.strings(ds, "select vacuum_count > 0 from pg_stat_user_tables where relid = 'hd.t'::regclass"))
                .containsExactly("t");

        // the model fails: its transaction (the inside hooks with it) rolls back, the outside pre_hook's insert stays
        TestSql.sql(ds, "delete from hd.audit");
        RunResults failed = TransformProject.builder(ds).model("hd.t", model.replace("generate_series(1, 3) g",
                "generate_series(1, 3) g where g / 0 = 1")).build().run();
        assertThat(failed.model("hd.t").error()).hasValueSatisfying(e -> assertThat(e).contains("division by zero"));
        assertThat(TestSql.strings(ds, "select what from hd.audit")).containsExactly("before \"hd\".\"t\"");
        assertThat(TestSql.strings(ds, "select count(*) from hd.t")).containsExactly("3");

        // an outside post_hook that fails: the model is an error, but it was built and committed before it ran
        RunResults late = TransformProject.builder(ds).model("hd.t", model.replace("vacuum analyze {{ this }}",
                "vacuum hd.missing").replace("generate_series(1, 3)", "generate_series(1, 4)")).build().run();
        assertThat(late.model("hd.t").error()).hasValue("hd.t (model hd.t line 1): post_hook 'vacuum hd.missing'"
                + " (transaction: false) failed: ERROR: relation \"hd.missing\" does not exist; the model was built and"
                + " committed before it ran");
        assertThat(TestSql.strings(ds, "select count(*) from hd.t")).containsExactly("4");
    }

    @Test
    void dbtsBeforeBeginInTransactionAndAfterCommitMakeTheirHooks(DataSource ds) {
        // dbt's hook macros: make_hook_config(sql, inside_transaction), a hook dict as above
        TestSql.sql(ds, "create schema if not exists hm; create table hm.audit (what text)");
        String model = """
                {{ config(materialized='table',
                    pre_hook=before_begin("insert into hm.audit values ('before')"),
                    post_hook=[after_commit('vacuum analyze {{ this }}'), in_transaction("insert into hm.audit values ('in')")]) }}
                select 1 as id""";
        TransformProject project = TransformProject.builder(ds).model("hm.t", model).build();
        assertThat(project.sql().get(0)).isEqualTo("insert into hm.audit values ('before')");
        assertThat(project.sql()).endsWith("insert into hm.audit values ('in')", "vacuum analyze \"hm\".\"t\"");
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select what from hm.audit")).containsExactly("before", "in");
        assertThat(TestSql.strings(ds, "select vacuum_count > 0 from pg_stat_user_tables where relid = 'hm.t'::regclass"))
                .containsExactly("t");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hm.x",
                "{{ config(post_hook=after_commit('vacuum', 'x')) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 1: cannot read")
                .hasMessageEndingWith(": write after_commit(\"<one statement>\"), one quoted string");
    }

    @Test
    void aHookDictThatIsNotDbtsShapeIsRefusedAtBuild(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.d",
                "{{ config(post_hook={'sql': 'vacuum {{ this }}', 'transaction': 'false'}) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model hb.d line 1: post_hook: 'transaction' must be true or false (unquoted), not 'false'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.d",
                "{{ config(pre_hook=[{'statement': 'select 1'}]) }}\nselect 1").build())
                .hasMessage("model hb.d line 1: pre_hook: unknown hook key 'statement' (a hook dict takes 'sql' and"
                        + " 'transaction': {'sql': 'vacuum {{ this }}', 'transaction': false})");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.d",
                "{{ config(pre_hook={'transaction': false}) }}\nselect 1").build())
                .hasMessage("model hb.d line 1: pre_hook: a hook dict needs 'sql', a quoted statement ({'sql': 'vacuum"
                        + " {{ this }}', 'transaction': false})");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("hb.d",
                "{{ config(pre_hook={'sql': 'select 1; select 2', 'transaction': false}) }}\nselect 1").build())
                .hasMessage("model hb.d line 1: pre_hook 'select 1; select 2' holds more than one statement: give a"
                        + " list, one statement each");
    }
}
