package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config(materialized='ephemeral'): never built, inlined as a CTE named __dbt__cte__name wherever it is ref()'d. */
@MdsPostgres
class EphemeralTest {
    private static final String CLEAN = "{{ config(materialized='ephemeral') }}\n"
            + "select id, lower(name) as name from raw.people where id > 0";

    private static void people(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; drop table if exists raw.people;"
                + " create table raw.people (id int, name text);"
                + " insert into raw.people values (-1, 'Nobody'), (1, 'ANN'), (2, 'Bob')");
    }

    private static boolean exists(DataSource ds, String relation) {
        return TestSql.strings(ds, "select to_regclass('" + relation + "') is not null").equals(List.of("t"));
    }

    @Test
    void refToAnEphemeralModelIsInlinedAsACteAndTheModelIsNeverBuilt(DataSource ds) {
        people(ds);
        TransformProject project = TransformProject.builder(ds)
                .model("staging.clean", CLEAN)
                .model("gold.people", "{{ config(materialized='table') }}\nselect * from {{ ref('staging.clean') }}")
                .build();
        assertThat(project.models()).containsExactly("gold.people");
        List<String> sql = project.sql();
        assertThat(sql).contains("create table \"gold\".\"people__mds_tmp\" as\nwith \"__dbt__cte__clean\" as (\n\n"
                + "select id, lower(name) as name from raw.people where id > 0\n)\n\n"
                + "select * from \"__dbt__cte__clean\"");
        assertThat(String.join("\n", sql)).doesNotContain("\"staging\"");

        RunResults results = project.run().assertSucceeded();
        assertThat(results.models()).extracting(ModelResult::name).containsExactly("gold.people");
        assertThatTable(ds, "gold.people").columns("id", "name").containsExactlyInAnyOrder(row(1, "ann"), row(2, "bob"));
        assertThat(exists(ds, "staging.clean")).isFalse();
        assertThat(TestSql.strings(ds, "select count(*) from information_schema.schemata where schema_name = 'staging'"))
                .containsExactly("0");
    }

    @Test
    void nestedEphemeralsAreInlinedOncePerQueryInDependencyOrderIntoTheModelsOwnWithClause(DataSource ds) {
        people(ds);
        TransformProject project = TransformProject.builder(ds)
                .model("eph.a", "{{ config(materialized='ephemeral') }}\nselect id, name from raw.people where id > 0")
                .model("eph.b", "{{ config(materialized='ephemeral') }}\nselect id, upper(name) as name from {{ ref('eph.a') }}")
                .model("eph.c", "{{ config(materialized='ephemeral') }}\n"
                        + "with x as (select b.id, a.name || '/' || b.name as both_names from {{ ref('a') }} a"
                        + " join {{ ref('b') }} b using (id))\nselect * from x")
                .model("gold.report", "{{ config(materialized='table') }}\n"
                        + "-- a leading comment\nWITH RECURSIVE n(i) as (select 1 union all select i + 1 from n where i < 2)\n"
                        + "select c.id, c.both_names, b.name, n.i from {{ ref('eph.c') }} c join {{ ref('eph.b') }} b using (id)"
                        + " cross join n")
                .build();
        String create = project.sql().stream().filter(s -> s.startsWith("create table")).findFirst().orElseThrow();
        assertThat(create).startsWith("create table \"gold\".\"report__mds_tmp\" as\n\n-- a leading comment\nWITH RECURSIVE "
                + "\"__dbt__cte__a\" as (\n\nselect id, name from raw.people where id > 0\n), \"__dbt__cte__b\" as (\n\n"
                + "select id, upper(name) as name from \"__dbt__cte__a\"\n), \"__dbt__cte__c\" as (\n\nwith x as");
        for (String cte : List.of("a", "b", "c")) {
            assertThat(create.split("\"__dbt__cte__" + cte + "\" as \\(", -1)).hasSize(2);
        }
        project.run().assertSucceeded();
        assertThatTable(ds, "gold.report").columns("id", "both_names", "name", "i").containsExactlyInAnyOrder(
                row(1, "ANN/ANN", "ANN", 1), row(1, "ANN/ANN", "ANN", 2), row(2, "Bob/BOB", "BOB", 1),
                row(2, "Bob/BOB", "BOB", 2));
        assertThat(project.models()).containsExactly("gold.report");
    }

    @Test
    void ephemeralModelEndingWithASemicolonAndACommentIsInlinedWithoutTheSemicolon(DataSource ds) {
        people(ds);
        TransformProject project = TransformProject.builder(ds)
                .model("staging.ann", "{{ config(materialized='ephemeral') }}\nselect id, name from raw.people"
                        + " where id = 1; -- only Ann")
                .model("staging.bob", "{{ config(materialized='ephemeral') }}\nselect id, name from raw.people"
                        + " where id = 2;\n/* the end; */\n")
                .model("gold.both", "{{ config(materialized='table') }}\n"
                        + "select * from {{ ref('ann') }} union all select * from {{ ref('bob') }}")
                .build();
        String create = project.sql().stream().filter(s -> s.startsWith("create table")).findFirst().orElseThrow();
        assertThat(create).contains("\"__dbt__cte__ann\" as (\n\nselect id, name from raw.people where id = 1\n),"
                + " \"__dbt__cte__bob\" as (\n\nselect id, name from raw.people where id = 2\n)\n");
        project.run().assertSucceeded();
        assertThatTable(ds, "gold.both").columns("id", "name").containsExactlyInAnyOrder(row(1, "ANN"), row(2, "Bob"));
    }

    @Test
    void ephemeralModelsSharingANameOrWithLongNamesGetDistinctCteNames(DataSource ds) {
        String longName = "e".repeat(60);
        TransformProject project = TransformProject.builder(ds)
                .model("a.x", "{{ config(materialized='ephemeral') }}\nselect 1 as v")
                .model("b.x", "{{ config(materialized='ephemeral') }}\nselect 2 as v")
                .model("a." + longName, "{{ config(materialized='ephemeral') }}\nselect 3 as v")
                .model("gold.all_x", "{{ config(materialized='table') }}\nselect v from {{ ref('a.x') }} union all"
                        + " select v from {{ ref('b.x') }} union all select v from {{ ref('" + longName + "') }}")
                .build();
        String create = project.sql().stream().filter(s -> s.startsWith("create table")).findFirst().orElseThrow();
        assertThat(create).contains("\"__dbt__cte__a__x\" as (", "\"__dbt__cte__b__x\" as (",
                "from \"__dbt__cte__a__x\"", "from \"__dbt__cte__b__x\"");
        assertThat(create).containsPattern("\"__dbt__cte__e{42}_[0-9a-f]{8}\" as \\(");
        project.run().assertSucceeded();
        assertThatTable(ds, "gold.all_x").column("v").containsOnly(1, 2, 3);
    }

    @Test
    void ephemeralModelsWhoseCteNamesWouldCoincideGetDistinctOnes(DataSource ds) {
        // b.x and c.x share a name, so b.x's CTE is __dbt__cte__b__x: the name a.b__x's CTE has too
        TransformProject project = TransformProject.builder(ds)
                .model("b.x", "{{ config(materialized='ephemeral') }}\nselect 1 as v")
                .model("c.x", "{{ config(materialized='ephemeral') }}\nselect 2 as v")
                .model("a.b__x", "{{ config(materialized='ephemeral') }}\nselect v + 10 as v from {{ ref('b.x') }}")
                .model("gold.both", "{{ config(materialized='table') }}\nselect v from {{ ref('b.x') }} union all"
                        + " select v from {{ ref('a.b__x') }} union all select v from {{ ref('c.x') }}")
                .build();
        project.run().assertSucceeded();
        assertThatTable(ds, "gold.both").column("v").containsOnly(1, 11, 2);
    }

    @Test
    void incrementalModelReferringToAnEphemeralAddsOnlyNewRows(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.events (id int, kind text);"
                + " insert into raw.events values (1, 'click'), (2, 'view')");
        TransformProject project = TransformProject.builder(ds)
                .model("staging.clicks", "{{ config(materialized='ephemeral') }}\n"
                        + "select id, kind from raw.events where kind = 'click'")
                .model("silver.clicks", "{{ config(materialized='incremental', unique_key='id') }}\n"
                        + "select id, kind from {{ ref('staging.clicks') }}\n"
                        + "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}")
                .build();
        assertThat(project.run().assertSucceeded().model("silver.clicks").rows()).hasValue(1);
        TestSql.sql(ds, "insert into raw.events values (3, 'click'), (4, 'view'), (5, 'click')");
        List<String> sql = project.sql();
        assertThat(sql).anySatisfy(s -> assertThat(s).startsWith("create temporary table")
                .contains("with \"__dbt__cte__clicks\" as (").contains("where id > (select max(id) from \"silver\".\"clicks\")"));
        RunResults second = project.run().assertSucceeded();
        assertThat(second.model("silver.clicks").rows()).hasValue(2);
        assertThatTable(ds, "silver.clicks").column("id").containsOnly(1, 3, 5);
    }

    @Test
    void selectingOnlyAnEphemeralModelIsRefusedWithDownstreamRunsTheModelsUsingIt(DataSource ds) {
        people(ds);
        TransformProject project = TransformProject.builder(ds)
                .model("staging.clean", CLEAN)
                .model("gold.names", "select name from {{ ref('clean') }}")
                .model("gold.other", "select 1 as one")
                .build();
        assertThatThrownBy(() -> project.run(Select.models("staging.clean")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("staging.clean is ephemeral: it is never built");
        assertThatThrownBy(() -> project.sql(Select.models("staging.clean"))).isInstanceOf(IllegalArgumentException.class);
        RunResults results = project.run(Select.models("staging.clean").withDownstream()).assertSucceeded();
        assertThat(results.models()).extracting(ModelResult::name).containsExactly("gold.names");
        assertThat(exists(ds, "gold.other")).isFalse();
    }

    @Test
    void ephemeralModelCannotBeASnapshotOrIncrementalTargetNorHaveThisOrHooks(DataSource ds) {
        String ephemeral = "{{ config(materialized='ephemeral'";
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", ephemeral + ", unique_key='id') }}\nselect 1 as id")
                .build()).isInstanceOf(BadInputException.class)
                .hasMessage("model e.x line 1: unique_key applies only to materialized='incremental' or 'snapshot'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", ephemeral + ", strategy='check') }}\nselect 1 as id")
                .build()).isInstanceOf(BadInputException.class).hasMessageContaining("applies only to materialized='snapshot'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", ephemeral
                + ", on_schema_change='ignore') }}\nselect 1 as id").build()).isInstanceOf(BadInputException.class)
                .hasMessageContaining("applies only to materialized='incremental'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", ephemeral + ") }}\nselect 1 as id\n"
                + "{% if is_incremental() %} from {{ this }} {% endif %}").build()).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model e.x line 3: {{ this }} in an ephemeral model");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", ephemeral
                + ",\n post_hook='analyze {{ this }}') }}\nselect 1 as id").build()).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model e.x line 1: post_hook on an ephemeral model");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("e.x", "{{ config(materialized='ephemeral') }}\n"
                + "select 1 as id; drop table t").build()).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model e.x line 2: a ';' ends the model's statement");
    }

    @Test
    void cycleThroughEphemeralModelsIsNamed(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds)
                .model("e.a", "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('e.b') }}")
                .model("e.b", "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('m.c') }}")
                .model("m.c", "select * from {{ ref('e.a') }}")
                .build())
                .isInstanceOf(TransformException.class)
                .hasMessage("the models form a cycle: e.a -> m.c -> e.b -> e.a (model m.c line 1: ref('e.a'); model e.b"
                        + " line 2: ref('m.c'); model e.a line 2: ref('e.b'))");
    }

    @Test
    void errorInAnEphemeralModelNamesItsFileAndLineAndUpstreamFailuresSkipItsUsers(DataSource ds, @TempDir Path dir)
            throws Exception {
        Files.createDirectories(dir.resolve("staging"));
        Path file = dir.resolve("staging/broken.sql");
        Files.writeString(file, "{{ config(materialized='ephemeral') }}\nselect id,\n  no_such_column\nfrom {{ ref('up') }}\n");
        Files.writeString(dir.resolve("top.sql"), "{{ config(materialized='table') }}\nselect * from {{ ref('broken') }}\n");
        Files.writeString(dir.resolve("staging/fine.sql"), "{{ config(materialized='ephemeral') }}\nselect 1 as id\n");
        Path own = dir.resolve("own.sql");
        Files.writeString(own, "{{ config(materialized='table') }}\nselect id,\n  missing_col\nfrom {{ ref('fine') }}\n");
        Files.createDirectories(dir.resolve("base"));
        Files.writeString(dir.resolve("base/up.sql"), "{{ config(materialized='table') }}\nselect 1 as id\n");
        Files.writeString(dir.resolve("base/down.sql"), "select * from {{ ref('mid') }}\n");
        Files.writeString(dir.resolve("base/mid.sql"), "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('bad') }}\n");
        Files.writeString(dir.resolve("base/bad.sql"), "{{ config(materialized='table') }}\nselect 1/0 as x\n");
        RunResults results = TransformProject.builder(ds).modelsFrom(dir).build().run();
        RunResults pooled = TransformProject.builder(ds).modelsFrom(dir).threads(3).build().run();
        assertThat(pooled.models()).extracting(ModelResult::name, ModelResult::status).isEqualTo(
                results.models().stream().map(m -> org.assertj.core.groups.Tuple.tuple(m.name(), m.status())).toList());
        assertThat(results.model("public.top").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("public.top").error().orElseThrow()).startsWith("public.top (" + dir.resolve("top.sql")
                + ", in the ephemeral model inlined from " + file + " line 3): ERROR: column \"no_such_column\" does not exist");
        // an error in the model's own text, after the inlined CTE, is on the model's own line
        assertThat(results.model("public.own").error().orElseThrow()).startsWith("public.own (" + own + " line 3):"
                + " ERROR: column \"missing_col\" does not exist");
        assertThat(results.model("base.bad").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("base.down").status()).isEqualTo(ModelStatus.SKIPPED);
        assertThat(results.model("base.down").error()).hasValue("upstream model base.bad failed");
        assertThat(results.model("base.up").status()).isEqualTo(ModelStatus.SUCCESS);
    }
}
