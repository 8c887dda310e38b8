package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's node selection syntax ({@link Select#parse}, {@link Select#excluding}) against a project of files:
 *
 * <pre>
 * {p}_ref.rates (seed) -> {p}_stg.b (table, tags='finance') -> {p}_mid.c -> {p}_mid.eph (ephemeral) -> {p}_gold.d
 *                         {p}_stg.a (view, tags=['nightly']) -> {p}_mid.c (table, nightly + finance) -> {p}_gold.e
 *                         {p}_stg.b -> {p}_gold.f (table, tags=['nightly'])
 * (d, e and f are tables: a view on a table that a selection rebuilds without it would make that model fail)
 * </pre>
 *
 * Each test runs the whole project once, then a selection, and checks which relations were replaced (a new
 * pg_class oid: views and tables are swapped in) and the results' names and statuses.
 */
@MdsPostgres
class NodeSelectionTest {

    /** Writes the project for schema prefix {@code p} into {@code dir}; the raw table holds one row, 1. */
    private static TransformProject project(DataSource ds, Path dir, String p) throws IOException {
        TestSql.sql(ds, "create schema " + p + "_raw", "create table " + p + "_raw.src (v int)",
                "insert into " + p + "_raw.src values (1)");
        Path models = dir.resolve("models");
        write(models.resolve(p + "_stg/a.sql"), "{{ config(tags=['nightly']) }}\nselect v from " + p + "_raw.src");
        write(models.resolve(p + "_stg/b.sql"), "{{ config(materialized='table', tags='finance') }}\n"
                + "select s.v * r.r as v from " + p + "_raw.src s, {{ ref('" + p + "_ref.rates') }} r");
        write(models.resolve(p + "_mid/c.sql"), "{{ config(materialized='table', tags=['nightly', 'finance']) }}\n"
                + "select a.v + b.v as v from {{ ref('" + p + "_stg.a') }} a, {{ ref('" + p + "_stg.b') }} b");
        write(models.resolve(p + "_mid/eph.sql"), "{{ config(materialized='ephemeral') }}\n"
                + "select v + 1 as v from {{ ref('" + p + "_mid.c') }}");
        write(models.resolve(p + "_gold/d.sql"), "{{ config(materialized='table') }}\n"
                + "select v from {{ ref('" + p + "_mid.eph') }}");
        write(models.resolve(p + "_gold/e.sql"), "{{ config(materialized='table') }}\n"
                + "select v from {{ ref('" + p + "_mid.c') }}");
        write(models.resolve(p + "_gold/f.sql"), "{{ config(materialized='table', tags=['nightly']) }}\n"
                + "select v from {{ ref('" + p + "_stg.b') }}");
        write(dir.resolve("seeds/" + p + "_ref/rates.csv"), "r\n10\n");
        TransformProject project = TransformProject.builder(ds).modelsFrom(models).seedsFrom(dir.resolve("seeds"))
                .build();
        project.run().assertSucceeded();
        return project;
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** The oid of every table and view in the project's schemas, by {@code schema.name}. */
    private static Map<String, String> oids(DataSource ds, String p) {
        Map<String, String> oids = new HashMap<>();
        for (String line : TestSql.strings(ds, "select n.nspname || '.' || c.relname || ' ' || c.oid from pg_class c"
                + " join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'v') and n.nspname like '"
                + p + "\\_%'")) {
            oids.put(line.substring(0, line.indexOf(' ')), line.substring(line.indexOf(' ') + 1));
        }
        return oids;
    }

    /** Runs {@code select} and returns the relations it replaced; checks that every model it ran succeeded. */
    private static Set<String> rebuiltBy(DataSource ds, TransformProject project, String p, Select select,
            String... ran) {
        Map<String, String> before = oids(ds, p);
        RunResults results = project.run(select).assertSucceeded();
        assertThat(results.models()).as("models run by %s", select).extracting(ModelResult::name)
                .containsExactlyInAnyOrder(ran);
        assertThat(results.withStatus(ModelStatus.SUCCESS)).hasSize(ran.length);
        Map<String, String> after = oids(ds, p);
        Set<String> rebuilt = new TreeSet<>();
        after.forEach((name, oid) -> {
            if (!oid.equals(before.get(name))) {
                rebuilt.add(name);
            }
        });
        return rebuilt;
    }

    @Test
    void tagsFromConfigSelectTheirModelsAndACommaIntersectsThemWithAMaterialization(DataSource ds,
            @TempDir Path dir) throws IOException {
        TransformProject project = project(ds, dir, "tg");

        assertThat(rebuiltBy(ds, project, "tg", Select.parse("tag:nightly"), "tg_stg.a", "tg_mid.c", "tg_gold.f"))
                .containsExactlyInAnyOrder("tg_stg.a", "tg_mid.c", "tg_gold.f");
        assertThat(rebuiltBy(ds, project, "tg", Select.parse("tag:nightly,config.materialized:table"),
                "tg_mid.c", "tg_gold.f")).containsExactlyInAnyOrder("tg_mid.c", "tg_gold.f");
        // tags='finance' (a string) is a tag as the list form is; white space joins
        assertThat(rebuiltBy(ds, project, "tg", Select.parse("  tag:finance   tag:nightly "), "tg_stg.a", "tg_stg.b",
                "tg_mid.c", "tg_gold.f")).containsExactlyInAnyOrder("tg_stg.a", "tg_stg.b", "tg_mid.c", "tg_gold.f");
        assertThat(rebuiltBy(ds, project, "tg", Select.parse("config.tags:finance,tag:night*"), "tg_mid.c"))
                .containsExactly("tg_mid.c");
        assertThat(project.sql(Select.parse("tag:finance,config.materialized:table,tg_stg.*")))
                .anyMatch(s -> s.contains("\"tg_stg\".\"b__mds_tmp\"")).noneMatch(s -> s.contains("\"c__mds_tmp\""));
    }

    @Test
    void graphOperatorsAddAncestorsDescendantsLevelsAndTheAtOperatorsParents(DataSource ds, @TempDir Path dir)
            throws IOException {
        TransformProject project = project(ds, dir, "gr");
        TestSql.sql(ds, "update gr_raw.src set v = 2");

        // the seed upstream is loaded again (truncate and copy: its oid stays)
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("+gr_mid.c"), "gr_ref.rates", "gr_stg.a", "gr_stg.b",
                "gr_mid.c")).containsExactlyInAnyOrder("gr_stg.a", "gr_stg.b", "gr_mid.c");
        assertThatTable(ds, "gr_mid.c").containsExactlyInAnyOrder(row(22));
        assertThatTable(ds, "gr_gold.d").containsExactlyInAnyOrder(row(12));   // not selected: as it was

        assertThat(rebuiltBy(ds, project, "gr", Select.parse("gr_mid.c+"), "gr_mid.c", "gr_gold.d", "gr_gold.e"))
                .containsExactlyInAnyOrder("gr_mid.c", "gr_gold.d", "gr_gold.e");
        assertThatTable(ds, "gr_gold.d").containsExactlyInAnyOrder(row(23));
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("gr_stg.b+1"), "gr_stg.b", "gr_mid.c", "gr_gold.f"))
                .containsExactlyInAnyOrder("gr_stg.b", "gr_mid.c", "gr_gold.f");
        // the ephemeral model is a level of its own, as in dbt: 1+d reaches only it, 2+d reaches c
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("1+gr_gold.d"), "gr_gold.d"))
                .containsExactly("gr_gold.d");
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("2+gr_gold.d"), "gr_mid.c", "gr_gold.d"))
                .containsExactlyInAnyOrder("gr_mid.c", "gr_gold.d");
        // @a: a's descendants (c, eph, d, e) and all their ancestors (b, the seed); not f
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("@gr_stg.a"), "gr_ref.rates", "gr_stg.a", "gr_stg.b",
                "gr_mid.c", "gr_gold.d", "gr_gold.e"))
                .containsExactlyInAnyOrder("gr_stg.a", "gr_stg.b", "gr_mid.c", "gr_gold.d", "gr_gold.e");
        // an ephemeral model with an operator selects its neighbours
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("1+gr_mid.eph+"), "gr_mid.c", "gr_gold.d"))
                .containsExactlyInAnyOrder("gr_mid.c", "gr_gold.d");
        // names are found as Select.models finds them (case folded)
        assertThat(rebuiltBy(ds, project, "gr", Select.parse("GR_STG.A+1 gr_gold.f"), "gr_stg.a", "gr_mid.c",
                "gr_gold.f")).containsExactlyInAnyOrder("gr_stg.a", "gr_mid.c", "gr_gold.f");
    }

    @Test
    void pathsWildcardsAndMaterializationsSelectFileModelsAndSeeds(DataSource ds, @TempDir Path dir)
            throws IOException {
        TransformProject project = project(ds, dir, "pa");

        assertThat(rebuiltBy(ds, project, "pa", Select.parse("path:pa_gold"), "pa_gold.d", "pa_gold.e", "pa_gold.f"))
                .containsExactlyInAnyOrder("pa_gold.d", "pa_gold.e", "pa_gold.f");
        assertThat(rebuiltBy(ds, project, "pa", Select.parse("pa_gold/e.sql"), "pa_gold.e"))
                .containsExactly("pa_gold.e");
        // as given to modelsFrom (here absolute); the ephemeral model in the folder is not built
        assertThat(rebuiltBy(ds, project, "pa", Select.parse("path:" + dir.resolve("models/pa_mid")), "pa_mid.c"))
                .containsExactly("pa_mid.c");
        assertThat(rebuiltBy(ds, project, "pa", Select.parse("pa_gold.* config.materialized:seed"), "pa_ref.rates",
                "pa_gold.d", "pa_gold.e", "pa_gold.f")).containsExactlyInAnyOrder("pa_gold.d", "pa_gold.e", "pa_gold.f");
        assertThat(rebuiltBy(ds, project, "pa", Select.parse("path:pa_ref/rates.csv+1"), "pa_ref.rates", "pa_stg.b"))
                .containsExactly("pa_stg.b");
        assertThat(project.run(Select.parse("pa_*")).assertSucceeded().models()).extracting(ModelResult::name)
                .containsExactlyElementsOf(project.models());
    }

    @Test
    void exclusionsRemoveModelsLastFromTheSelectionAndFromItsDownstream(DataSource ds, @TempDir Path dir)
            throws IOException {
        TransformProject project = project(ds, dir, "ex");

        assertThat(rebuiltBy(ds, project, "ex", Select.parse("+ex_gold.e").excluding("tag:finance"), "ex_ref.rates",
                "ex_stg.a", "ex_gold.e")).containsExactlyInAnyOrder("ex_stg.a", "ex_gold.e");
        assertThat(rebuiltBy(ds, project, "ex", Select.models("ex_stg.b").withDownstream().excluding("ex_mid.c+"),
                "ex_stg.b", "ex_gold.f")).containsExactlyInAnyOrder("ex_stg.b", "ex_gold.f");
        assertThat(rebuiltBy(ds, project, "ex", Select.parse("*").excluding("path:ex_gold").excluding("ex_stg.*"),
                "ex_ref.rates", "ex_mid.c")).containsExactly("ex_mid.c");
        assertThat(Select.parse("a+ tag:x").excluding("b").withDownstream())
                .hasToString("--select 'a+ tag:x' (and downstream) --exclude 'b'")
                .isEqualTo(new Select("a+ tag:x", true, List.of("b")));
    }

    @Test
    void aCriterionThatSelectsNothingOrASelectionLeavingNothingToBuildIsRefusedAndBuildsNothing(DataSource ds,
            @TempDir Path dir) throws IOException {
        TransformProject project = project(ds, dir, "un");
        Map<String, String> before = oids(ds, "un");

        assertThatThrownBy(() -> project.run(Select.parse("un_stg.a +un_stg.zz")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("no model un_stg.zz in this project;");
        assertThatThrownBy(() -> project.run(Select.parse("un_stg.a tag:nighty")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("select 'un_stg.a tag:nighty': 'tag:nighty'"
                        + " (character 10) selects nothing: no model has this tag (tags: finance, nightly)");
        assertThatThrownBy(() -> project.run(Select.parse("un_stg.a").excluding("un_stg.b tag:nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("exclude 'un_stg.b tag:nope': 'tag:nope'"
                        + " (character 10) selects nothing: no model has this tag (tags: finance, nightly)");
        assertThatThrownBy(() -> project.sql(Select.parse("path:un_silver")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("select 'path:un_silver':"
                        + " 'path:un_silver' (character 1) selects nothing: no model or seed file is at or below this path");
        assertThatThrownBy(() -> project.run(Select.parse("config.materialized:snapshot")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("selects nothing: no model has"
                        + " materialized='snapshot'");
        assertThatThrownBy(() -> project.run(Select.parse("tag:finance,config.materialized:view")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--select 'tag:finance,config.materialized:view'"
                        + " leaves no model to build: its comma-joined criteria have no model in common");
        assertThatThrownBy(() -> project.run(Select.parse("un_stg.a un_gold.e").excluding("tag:nightly un_gold.*")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--select 'un_stg.a un_gold.e' --exclude"
                        + " 'tag:nightly un_gold.*' leaves no model to build: the exclusions remove all it selects"
                        + " (un_gold.e, un_stg.a)");
        assertThatThrownBy(() -> project.run(Select.parse("config.materialized:ephemeral")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("it selects only ephemeral models"
                        + " (un_mid.eph), which are never built");
        assertThatThrownBy(() -> project.run(Select.parse("un_mid.eph")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("un_mid.eph is ephemeral: it is"
                        + " never built");
        assertThat(oids(ds, "un")).isEqualTo(before);
    }

    @Test
    void quotedNamesHoldingSpacesCommasAndPlusSignsAreNamesAndANameWithoutASchemaIsInPublic(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("\"qn Odd\".\"a+b, c\"", "{{ config(materialized='table') }} select 1 as id")
                .model("qn.down", "{{ config(materialized='table') }} select id from {{ ref('\"qn Odd\".\"a+b, c\"') }}")
                .model("qn.other", "{{ config(materialized='table') }} select 2 as id").build();

        assertThat(project.run(Select.parse("\"qn Odd\".\"a+b, c\"+")).assertSucceeded().models())
                .extracting(ModelResult::name).containsExactly("\"qn Odd\".\"a+b, c\"", "qn.down");
        assertThat(project.run(Select.models("\"qn Odd\".\"a+b, c\"", "qn.other")).assertSucceeded().models())
                .extracting(ModelResult::name).containsExactly("\"qn Odd\".\"a+b, c\"", "qn.other");
        assertThat(project.run(Select.parse("qn.*,config.enabled:true")).assertSucceeded().models())
                .extracting(ModelResult::name).containsExactly("qn.down", "qn.other");
        assertThatTable(ds, "qn.down").containsExactlyInAnyOrder(row(1));
        assertThatThrownBy(() -> project.run(Select.parse("down"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no model public.down in this project (a name without a schema is in public;"
                        + " did you mean qn.down?); models: ");
    }

    @Test
    void aDisabledModelIsUnknownToASelector(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("dis.on", "{{ config(tags=['t']) }} select 1 as id")
                .model("dis.off", "{{ config(tags=['t'], enabled=false) }} select 2 as id").build();

        assertThatThrownBy(() -> project.run(Select.parse("tag:t dis.off"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no model dis.off in this project: it is disabled (config enabled=false)");
        assertThat(project.run(Select.parse("tag:t")).assertSucceeded().models()).extracting(ModelResult::name)
                .containsExactly("dis.on");
        assertThat(TestSql.strings(ds, "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where nspname = 'dis'")).containsExactly("on");
    }

    @Test
    void aMalformedSelectorIsRefusedNamingThePartAndWhereItStarts() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("+silver.tx+ tag:", "cannot read select '+silver.tx+ tag:': 'tag:' at character 13: no value after"
                + " 'tag:'");
        cases.put("a,,b", "cannot read select 'a,,b': 'a,,b' at character 3: an empty criterion between ',' (a comma"
                + " intersects the criteria on either side)");
        cases.put("a tag:x,", "cannot read select 'a tag:x,': 'tag:x,' at character 9: an empty criterion after ','"
                + " (a comma intersects the criteria on either side)");
        cases.put("a ,tag:x", "cannot read select 'a ,tag:x': ',tag:x' at character 3: an empty criterion before ','"
                + " (a comma intersects the criteria on either side)");
        cases.put("@a+", "cannot read select '@a+': '@a+' at character 1: '@' cannot be combined with '+' (as in dbt):"
                + " @x already selects x's descendants and their ancestors");
        cases.put("a colour:red", "cannot read select 'a colour:red': 'colour:red' at character 3: unknown method"
                + " 'colour' (supported: tag, path, config.<key>; a model is named without a method)");
        cases.put("config.colour:red", "cannot read select 'config.colour:red': 'config.colour:red' at character 1:"
                + " unknown config key 'colour' (supported: enabled, materialized, unique_key, incremental_strategy,"
                + " on_schema_change, merge_update_columns, merge_exclude_columns, strategy, updated_at, check_cols,"
                + " hard_deletes, invalidate_hard_deletes, dbt_valid_to_current, pre_hook, post_hook, indexes, tags, grants, schema, alias,"
                + " meta, docs, persist_docs, contract, access, group, full_refresh, incremental_predicates,"
                + " predicates)");
        cases.put("config.materialized:tabel", "cannot read select 'config.materialized:tabel':"
                + " 'config.materialized:tabel' at character 1: materialized is one of view, table, incremental,"
                + " snapshot, ephemeral, seed, not 'tabel'");
        cases.put("silver.tx+gold.x", "cannot read select 'silver.tx+gold.x': 'silver.tx+gold.x' at character 1:"
                + " '+' inside 'silver.tx+gold.x': '@' and 'n+' go before a criterion, '+n' after it");
        cases.put("a +", "cannot read select 'a +': '+' at character 3: names no model (a graph operator needs a"
                + " model, tag:..., path:... or config...:... )");
        cases.put("silver.\"tx", "cannot read select 'silver.\"tx': 'silver.\"tx' at character 1: a '\"' is left open");
        cases.put("a.b.c", "cannot read select 'a.b.c': 'a.b.c' at character 1: not a model name: cannot read table"
                + " name 'a.b.c'");
        cases.put("99999999999+a", "cannot read select '99999999999+a': '99999999999+a' at character 1: depth"
                + " 99999999999 is too large");
        cases.put(" \t", "select ' \t' is empty: name a model, tag:..., path:... or config.materialized:...");
        cases.forEach((selector, message) -> assertThatThrownBy(() -> Select.parse(selector)).as(selector)
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message));
        assertThatThrownBy(() -> Select.parse("a").excluding("b tag:")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read exclude 'b tag:': 'tag:' at character 3: no value after 'tag:'");
        assertThatThrownBy(() -> Select.models()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("select at least one model");
    }

    @Test
    void aTagThatASelectorCouldNotNameIsRefusedAtBuildWithItsLine(DataSource ds) {
        for (String tags : List.of("''", "['nightly', 'two words']", "'a,b'")) {
            assertThatThrownBy(() -> TransformProject.builder(ds).model("bt.x", "\n{{ config(tags=" + tags + ") }}\n"
                    + "select 1 as id").build()).as(tags).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("model bt.x line 2: tags: '").hasMessageContaining("cannot be selected");
        }
        assertThatThrownBy(() -> TransformProject.builder(ds).model("bt.x", "{{ config(tags=true) }} select 1 as id")
                .build()).isInstanceOf(BadInputException.class).hasMessage("model bt.x line 1: tags=true: the value must"
                        + " be a quoted string or a list of them");
    }

    /**
     * A wildcard with a quoted part matches names as SQL reads them: quotes delimit, a doubled quote is one, and a
     * {@code *} or {@code ?} inside quotes is itself, so a schema with a space or a capital can be selected with a
     * wildcard (dbt's fqn globs never see quotes, nor such names).
     */
    @Test
    void aWildcardWithQuotedPartsMatchesTheNamesAsSqlReadsThem(DataSource ds) {
        TransformProject project = TransformProject.builder(ds)
                .model("\"Gold Ü\".\"Sales by Country\"", "select 1 as x")
                .model("\"Gold Ü\".\"Sales*Star\"", "select 2 as x")
                .model("\"Gold Ü\".\"Say \"\"hi\"\"\"", "select 3 as x")
                .model("gold.other", "select 4 as x")
                .build();

        assertThat(names(project, "\"Gold Ü\".*")).containsExactly("\"Gold Ü\".\"Sales by Country\"",
                "\"Gold Ü\".\"Sales*Star\"", "\"Gold Ü\".\"Say \"\"hi\"\"\"");
        assertThat(names(project, "\"Gold Ü\".\"Sales \"*")).containsExactly("\"Gold Ü\".\"Sales by Country\"");
        assertThat(names(project, "\"Gold Ü\".\"Sales*\"*")).containsExactly("\"Gold Ü\".\"Sales*Star\"");
        assertThat(names(project, "*.\"Say \"\"hi\"\"\"")).containsExactly("\"Gold Ü\".\"Say \"\"hi\"\"\"");
        assertThat(names(project, "gold.*")).containsExactly("gold.other");
        assertThatThrownBy(() -> project.run(Select.parse("\"gold ü\".*"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("selects nothing");
    }

    static List<String> names(TransformProject project, String selector) {
        return project.run(Select.parse(selector)).assertSucceeded().models().stream().map(ModelResult::name).toList();
    }
}
