package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.core.BadInputException;
import dev.mds.core.MdsException;
import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every error in a model's text is found at build(), with where it is, and nothing runs. */
@MdsPostgres
class BuildErrorsTest {

    static TransformProject.Builder builder(DataSource ds) {
        return TransformProject.builder(ds)
                .model("silver.transactions", "select 1 as id");
    }

    @Test
    void unknownRefNamesFileLineAndTheClosestModel(DataSource ds, @TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("silver"));
        Files.writeString(dir.resolve("silver/transactions.sql"), "select 1 as id\n");
        Files.createDirectories(dir.resolve("gold/daily"));
        Path file = dir.resolve("gold/daily/volume.sql");
        Files.writeString(file, "{{ config(materialized='table') }}\nselect id\n\nfrom {{ ref('silver.trans') }}\n");

        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + " line 4: ref('silver.trans') names no model (did you mean silver.transactions?)")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(4));
        assertThat(TestSql.strings(ds, "select schema_name from information_schema.schemata"))
                .doesNotContain("silver", "gold");
    }

    /**
     * config() inside an if or a for is refused at build() naming the line and the block: mds reads config() when it
     * builds, whatever the if decides, where dbt applies it only when its branch renders (so a model with
     * {% if target.name == 'prod' %}{{ config(materialized='table') }}{% endif %} was built as a table in dev).
     */
    @Test
    void configInsideAnIfOrAForIsRefusedWithItsLine(DataSource ds) {
        assertThatThrownBy(() -> builder(ds).model("gold.t", "select 1 as x\n{% if target.name == 'prod' %}\n"
                + "{{ config(materialized='table') }}\n{% endif %}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model gold.t line 3: {{ config(materialized='table') }}: config() is read when the project"
                        + " is built, apart from the {% if target.name == 'prod' %} of line 2 (dbt would apply it only as"
                        + " that block renders it): write config() at the top level of the file");
        assertThatThrownBy(() -> builder(ds).model("gold.f", "{% for m in ['table'] %}{{ config(materialized='table') }}"
                + "{% endfor %}select 1 as x").build())
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model gold.f line 1: {{ config(materialized='table') }}: config() is read when the"
                        + " project is built, apart from the {% for m in ['table'] %} of line 1");
        assertThat(builder(ds).model("gold.v", "{{ config(materialized='table') }}{% if target.name == 'prod' %}"
                + "select 1 as x{% else %}select 2 as x{% endif %}").build().models()).contains("gold.v");
    }

    /**
     * A model of only config(), comments or white space (or one whose SQL is all inside an is_incremental() branch)
     * is refused by build(), naming it; before, build() took it and the run failed in PostgreSQL with 'syntax error
     * at end of input'.
     */
    @Test
    void aModelWithNoSqlIsRefusedAtBuildNamingIt(DataSource ds) {
        for (String empty : new String[] {"{{ config(materialized='table') }}\n", "-- nothing yet\n/* later */\n  ;\n", ""}) {
            assertThatThrownBy(() -> builder(ds).model("gold.empty", empty).build()).as(empty)
                    .isInstanceOf(BadInputException.class)
                    .hasMessage("model gold.empty: the model has no SQL: a model is one SELECT (the file holds only"
                            + " config(), comments or white space)");
        }
        assertThatThrownBy(() -> builder(ds).model("gold.inc", "{{ config(materialized='incremental') }}\n"
                + "{% if is_incremental() %}{% else %}select 1 as id{% endif %}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model gold.inc: the model has no SQL when is_incremental() is true: a model is one SELECT"
                        + " (the file holds only config(), comments or white space)");
    }

    @Test
    void shortRefResolvesWhenUniqueAndIsRefusedWhenAmbiguous(DataSource ds) {
        TransformProject ok = builder(ds).model("gold.g", "select * from {{ ref('transactions') }}").build();
        assertThat(ok.sql()).anySatisfy(s -> assertThat(s).contains("from \"silver\".\"transactions\""));

        assertThatThrownBy(() -> builder(ds).model("bronze.transactions", "select 2 as id")
                .model("gold.g", "select *\nfrom {{ ref('transactions') }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model gold.g line 2: ref('transactions') is ambiguous: it could be any of"
                        + " [bronze.transactions, silver.transactions] (write schema.model)");
    }

    @Test
    void refFindsAFileModelByItsExactCapitalisedName(DataSource ds, @TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("Silver"));
        Files.writeString(dir.resolve("Silver/Tx.sql"), "select 1 as id");
        Files.writeString(dir.resolve("top.sql"), "select id from {{ ref('Silver.Tx') }}");

        TransformProject project = TransformProject.builder(ds).modelsFrom(dir).build();

        assertThat(project.models()).containsExactly("\"Silver\".\"Tx\"", "public.top");
        assertThat(project.sql()).contains("create view \"public\".\"top__mds_tmp\" as\nselect id from \"Silver\".\"Tx\"");
    }

    @Test
    void selectAndResultsFindAFileModelByTheNameRefUses(DataSource ds, @TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("Silver"));
        Files.writeString(dir.resolve("Silver/Tx.sql"), "{{ config(materialized='table') }}\nselect 1 as id");
        Files.writeString(dir.resolve("Silver/down.sql"), "select id from {{ ref('Silver.Tx') }}");
        TransformProject project = TransformProject.builder(ds).modelsFrom(dir).build();

        RunResults results = project.run(Select.models("Silver.Tx").withDownstream());
        results.assertSucceeded();
        assertThat(results.models()).extracting(ModelResult::name).containsExactly("\"Silver\".\"Tx\"", "\"Silver\".down");
        assertThat(results.model("Silver.Tx").rows()).hasValue(1);
        assertThat(results.model("\"Silver\".\"Tx\"").rows()).hasValue(1);
        assertThat(results.model("Silver.down").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThatThrownBy(() -> results.model("Silver.Tx2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no model Silver.Tx2 in this run");
    }

    @Test
    void cycleIsNamed(DataSource ds) {
        assertThatThrownBy(() -> builder(ds)
                .model("silver.a", "select * from {{ ref('silver.b') }}")
                .model("silver.b", "select * from {{ ref('silver.c') }}")
                .model("silver.c", "select * from {{ ref('silver.a') }} join {{ ref('silver.transactions') }} using (id)")
                .build())
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("the models form a cycle: silver.a -> silver.c -> silver.b -> silver.a");
        assertThatThrownBy(() -> builder(ds).model("silver.self", "select * from {{ ref('silver.self') }}").build())
                .hasMessageContaining("cycle: silver.self -> silver.self");
    }

    @Test
    void aCycleNamesTheFileAndLineOfEachRefInIt(DataSource ds, @TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("silver"));
        Files.writeString(dir.resolve("silver/a.sql"), "-- a\nselect * from {{ ref('silver.b') }}");
        Files.writeString(dir.resolve("silver/b.sql"), "select *\nfrom\n{{ ref('silver.c') }}");
        Files.writeString(dir.resolve("silver/c.sql"), "select * from {{ ref('a') }}");
        Path silver = dir.resolve("silver");
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(TransformException.class)
                .hasMessage("the models form a cycle: silver.a -> silver.c -> silver.b -> silver.a (" + silver.resolve("c.sql")
                        + " line 1: ref('a'); " + silver.resolve("b.sql") + " line 3: ref('silver.c'); "
                        + silver.resolve("a.sql") + " line 2: ref('silver.b'))");
    }

    @Test
    void aRefInAMacroIsNamedAtTheCallAndInTheMacrosFile(DataSource ds, @TempDir Path dir) throws Exception {
        Path models = dir.resolve("models");
        Path macros = dir.resolve("macros");
        Files.createDirectories(models.resolve("silver"));
        Files.createDirectories(macros);
        Files.writeString(macros.resolve("src.sql"), "{% macro src() %}\nselect 1 as id\nfrom {{ ref('silver.nope') }}\n"
                + "{% endmacro %}");
        Files.writeString(models.resolve("silver/a.sql"), "-- a\n{{ src() }}");
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(models).macrosFrom(macros).build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(models.resolve("silver/a.sql") + " line 2: ref('silver.nope') (in macro src at "
                        + macros.resolve("src.sql") + " line 3) names no model (did you mean silver.a?)");
        Files.writeString(macros.resolve("src.sql"), "{% macro src() %}\nselect 1 as id\nfrom {{ ref('silver.b') }}\n"
                + "{% endmacro %}");
        Files.writeString(models.resolve("silver/b.sql"), "select * from\n{{ ref('silver.a') }}");
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(models).macrosFrom(macros).build())
                .isInstanceOf(TransformException.class)
                .hasMessage("the models form a cycle: silver.a -> silver.b -> silver.a (" + models.resolve("silver/b.sql")
                        + " line 2: ref('silver.a'); " + models.resolve("silver/a.sql") + " line 2: ref('silver.b') (in"
                        + " macro src at " + macros.resolve("src.sql") + " line 3))");
    }

    @Test
    void unknownTagsAreRefusedWithTheirLine(DataSource ds) {
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1\n{{ env_var('DAY') }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model g.x line 2: unknown tag {{ env_var('DAY') }}");
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1\n\n{% while x %}{% endwhile %}").build())
                .hasMessageStartingWith("model g.x line 3: unknown tag {% while x %}");
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1 {{ source('raw', 't', 'u') }}").build())
                .hasMessageStartingWith("model g.x line 1: unknown tag {{ source('raw', 't', 'u') }}");
    }

    @Test
    void unclosedTagsAreRefusedWithTheLineTheyOpen(DataSource ds) {
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1\nfrom {{ ref('silver.transactions') ").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model g.x line 2: '{{' is never closed with '}}'");
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1\n{% if is_incremental() %}\nwhere true").build())
                .hasMessage("model g.x line 2: {% if is_incremental() %} is never closed with {% endif %}");
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1\n{% endif %}").build())
                .hasMessage("model g.x line 2: {% endif %} without an open {% if %}");
    }

    @Test
    void badConfigIsRefusedWithItsLine(DataSource ds) {
        assertThatThrownBy(() -> builder(ds).model("g.x", "\n{{ config(materialized='materialized_view') }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model g.x line 2: materialized=materialized_view is not supported (use 'view', 'table',"
                        + " 'incremental', 'snapshot' or 'ephemeral')");
        // dbt finds no materialization 'TABLE' (it looks its macro up by name), so neither does mds
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized='TABLE') }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model g.x line 1: materialized=TABLE is not supported (use 'view', 'table', 'incremental',"
                        + " 'snapshot' or 'ephemeral', in lower case, as dbt names its materializations)");
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(database='other') }} select 1").build())
                .hasMessage("model g.x line 1: unknown config key 'database' (supported: enabled, materialized, unique_key,"
                        + " incremental_strategy, on_schema_change, merge_update_columns, merge_exclude_columns, strategy, updated_at,"
                        + " check_cols, hard_deletes, invalidate_hard_deletes, dbt_valid_to_current, pre_hook, post_hook, indexes, tags, grants, schema, alias,"
                        + " meta, docs, persist_docs, contract, access, group, full_refresh, incremental_predicates,"
                + " predicates)");
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized='table', unique_key='id') }} select 1").build())
                .hasMessage("model g.x line 1: unique_key applies only to materialized='incremental' or 'snapshot'");
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized=table) }} select 1").build())
                .hasMessage("model g.x line 1: cannot read {{ config(materialized=table) }}: the value of materialized"
                        + " must be a quoted string, a number, true / false, a list [ … ] or a dict { … }");
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized=true) }} select 1").build())
                .hasMessage("model g.x line 1: materialized=true: the value must be a quoted string or a list of them");
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(enabled='false') }} select 1").build())
                .hasMessage("model g.x line 1: enabled must be true or false (unquoted), not 'false'");
        // an unknown key is named before any value is judged (before, a boolean value was refused first)
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(colour=false) }} select 1").build())
                .hasMessageStartingWith("model g.x line 1: unknown config key 'colour'");
    }

    /**
     * dbt's enabled=false: the model is not built, not shown by sql(), and a ref() to it is refused naming it; the
     * other models run. enabled=true (or True) changes nothing.
     */
    @Test
    void aDisabledModelIsLeftOutAndARefToItIsRefused(DataSource ds) {
        TransformProject project = builder(ds)
                .model("en.a", "{{ config(materialized='table', enabled=True) }} select 1 as id")
                .model("en.off", "{{ config(materialized='table', enabled=false) }} select 2 as id")
                .model("en.b", "select id from {{ ref('a') }}").build();
        assertThat(project.sql()).noneMatch(s -> s.contains("\"off\""));
        assertThat(project.run().assertSucceeded().models()).extracting(ModelResult::name)
                .contains("en.a", "en.b").doesNotContain("en.off");
        assertThat(TestSql.strings(ds, "select count(*) from pg_class where relname = 'off'")).containsExactly("0");
        assertThatThrownBy(() -> project.run(Select.models("en.off"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no model en.off in this project: it is disabled (config enabled=false)");
        assertThatThrownBy(() -> builder(ds).model("en.off", "{{ config(enabled=false) }} select 2 as id")
                .model("en.c", "\nselect id from {{ ref('off') }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model en.c line 2: ref('off') names model en.off, which is disabled (config enabled=false)");
    }

    @Test
    void builderRefusesProgrammerErrors(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no models");
        assertThatThrownBy(() -> TransformProject.builder(ds).threads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
        assertThatThrownBy(() -> builder(ds).model("silver.transactions", "select 2").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("defined twice");
    }

    @Test
    void aSecondStatementAfterASemicolonIsRefusedWithItsLine(DataSource ds) {
        assertThatThrownBy(() -> builder(ds).model("g.x", "select 1 as a;\n\ndelete from g.important").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model g.x line 1: a ';' ends the model's statement here, but more SQL follows: a model is one"
                        + " SELECT (remove the ';', or move what follows into a model of its own)");
        // in either branch of is_incremental(), and from a var's value
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized='incremental') }}\nselect 1 as a\n"
                + "{% if is_incremental() %}\nwhere true;\nselect 2{% endif %}").build())
                .hasMessageStartingWith("model g.x line 4: a ';' ends the model's statement here");
        assertThatThrownBy(() -> builder(ds).var("n", "1; drop table g.y").model("g.x", "select {{ var('n') }} as a").build())
                .hasMessageStartingWith("model g.x line 1: a ';' ends");

        // a ';' inside constants, quoted names, dollar quotes and comments, or only comments after it, is one statement
        String one = "select 'a;b' as \"c;d\", E'it\\'s;' as e, $$x;y$$ as f, $t$ ; $t$ as g, 1 as \"h\"\"\" -- ;\n"
                + "/* ; /* nested ; */ ; */ ;; -- done";
        TransformProject.builder(ds).model("g.one", one).build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select \"c;d\" || e || f || g || \"h\"\"\" from g.one")).containsExactly("a;bit's;x;y ; 1");
    }

    /**
     * PostgreSQL's lexer (and the JDBC driver's) ends a {@code --} comment at a carriage return as at a line feed: what
     * follows a lone {@code \r} is SQL, so a {@code ;} there ends the statement and the server runs the next one.
     */
    @Test
    void aCommentEndsAtACarriageReturnAsForTheServer(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists g", "create table g.keep as select 1 as id");
        assertThatThrownBy(() -> builder(ds).var("n", "1 -- note\r; drop table g.keep")
                .model("g.cr", "select {{ var('n') }} as a").build())
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("model g.cr line 1: a ';' ends");
        assertThatThrownBy(() -> builder(ds).model("g.cr", "select 1 as a -- old Mac line end\r;\rdrop table g.keep").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("a ';' ends the model's statement here");
        // a quote in such a comment is no string left open; the comment itself is one statement
        TransformProject.builder(ds).model("g.cr2", "select 1 as a -- it's\r, 2 as b").build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select a + b from g.cr2")).containsExactly("3");
        assertThat(TestSql.strings(ds, "select count(*) from g.keep")).containsExactly("1");
    }

    @Test
    void aRunIsRefusedWhereStandardConformingStringsIsOff(TestDatabase db) throws Exception {
        // with it off, 'a\';' is one constant for the server but ends at the backslash for build()'s reading
        try (HikariDataSource off = db.newDataSource(1, Map.of("options", "-c standard_conforming_strings=off"))) {
            TransformProject project = TransformProject.builder(off).model("scs.x", "select 'a\\' as a").build();
            assertThatThrownBy(project::run).isInstanceOf(MdsException.class)
                    .hasMessageStartingWith("standard_conforming_strings is off in this session: mds-transform reads");
            assertThat(TestSql.strings(off, "select count(*)::text from pg_namespace where nspname = 'scs'")).containsExactly("0");
        }
    }

    /**
     * A string constant, quoted name, dollar-quoted string or block comment left open is refused at build() where it
     * starts. Before, the run failed with the JDBC driver's message about the wrapped statement ("Unterminated string
     * literal started at position 50 in SQL create table ...__mds_tmp as ..."), naming no file or line.
     */
    @Test
    void aStringQuotedNameOrCommentLeftOpenIsRefusedWhereItStarts(DataSource ds) {
        String config = "{{ config(materialized='table') }}\n";
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("select 1 as a,\n  'abc as b", "model g.x line 3: a string constant opened here is never closed");
        cases.put("select 1 as a,\n  E'it\\'s as b", "model g.x line 3: a string constant opened here is never closed");
        cases.put("select 1 as a,\n\n  \"b as c", "model g.x line 4: a quoted name opened here is never closed");
        cases.put("select 1 as a,\n  $body$ x $as b", "model g.x line 3: a dollar-quoted string ($body$) opened here is"
                + " never closed");
        cases.put("select 1 as a\n/* one /* nested */ comment", "model g.x line 3: a block comment opened here is never"
                + " closed (block comments nest)");
        for (var c : cases.entrySet()) {
            assertThatThrownBy(() -> builder(ds).model("g.x", config + c.getKey()).build()).as(c.getKey())
                    .isInstanceOf(BadInputException.class).hasMessageStartingWith(c.getValue());
        }
        assertThatThrownBy(() -> builder(ds).model("g.x", "{{ config(materialized='table',\n post_hook=\"analyze {{ this }}"
                + " /* stats\") }}\nselect 1 as a").build()).isInstanceOf(BadInputException.class)
                .hasMessage("model g.x line 1: post_hook 'analyze {{ this }} /* stats': a block comment in it is never closed");
        // closed ones, and quotes inside comments, are fine
        builder(ds).model("g.y", config + "select 'it''s' as a, E'\\'' as b, \"c \"\"d\"\"\" as \"e\", $t$ ' $t$ as f"
                + " -- it's\n/* \" /* ' */ */").build();
    }
}
