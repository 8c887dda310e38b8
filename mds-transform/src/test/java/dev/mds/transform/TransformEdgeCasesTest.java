package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge cases a dbt user moving a real project would hit: templating corners, names, materialization switches,
 * incremental corners, dependency corners, error locations, leftovers and concurrency.
 */
@MdsPostgres
class TransformEdgeCasesTest {

    static final String TABLE = "{{ config(materialized='table') }}\n";

    static TransformProject project(DataSource ds, String... nameSql) {
        TransformProject.Builder b = TransformProject.builder(ds);
        for (int i = 0; i < nameSql.length; i += 2) {
            b.model(nameSql[i], nameSql[i + 1]);
        }
        return b.build();
    }

    static Map<String, ModelStatus> statuses(RunResults results) {
        return results.models().stream().collect(Collectors.toMap(ModelResult::name, ModelResult::status));
    }

    static String error(RunResults results, String model) {
        return results.model(model).error().orElseThrow(() -> new AssertionError(model + " has no error: "
                + results.model(model)));
    }

    static Path file(Path dir, String rel, byte[] content) throws Exception {
        Path f = dir.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
        return f;
    }

    static Path file(Path dir, String rel, String content) throws Exception {
        return file(dir, rel, content.getBytes(StandardCharsets.UTF_8));
    }

    static String relkind(DataSource ds, String schema, String name) {
        List<String> k = strings(ds, "select c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = '" + schema + "' and c.relname = '" + name + "'");
        return k.isEmpty() ? null : k.get(0);
    }

    static List<String> leftovers(DataSource ds) {
        return strings(ds, "select relname from pg_class where relname like '%\\_\\_mds\\_%' and relpersistence <> 't'");
    }

    // ---------------------------------------------------------------- templating

    @Test
    void refWithDoubleQuotesNoSpacesNewlinesInsideTagsAndTrimMarkersAllWork(DataSource ds) {
        RunResults results = project(ds,
                "tq.a", TABLE + "select 1 as id",
                "tq.b", "select id from {{ref(\"tq.a\")}}",
                "tq.c", "select id\nfrom {{\n   ref(\n     'tq.b'\n   )\n}}\n"
                        + "{%- if is_incremental() -%}\nwhere false\n{%- else -%}\nwhere true\n{%- endif -%}",
                "tq.d", "{{- config( materialized = \"table\" ) -}}select id from {{-ref('tq.c')-}}")
                .run();

        results.assertSucceeded();
        assertThatTable(ds, "tq.d").containsExactlyInAnyOrder(row(1));
        assertThat(relkind(ds, "tq", "d")).isEqualTo("r");
    }

    /**
     * As in dbt (Jinja runs before SQL is parsed), a ref() inside a SQL comment is still a ref: it adds a
     * dependency, and names no model is a build error with the line.
     */
    @Test
    void refInsideASqlCommentStillCountsAsInDbt(DataSource ds) {
        assertThatThrownBy(() -> project(ds, "rc.b", "select 1 as id\n-- used to read {{ ref('rc.gone') }}"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("line 2").hasMessageContaining("ref('rc.gone') names no model");

        TransformProject p = project(ds,
                "rc.a", "select 1 as id",
                "rc.b", "select 2 as id /* {{ ref('rc.z') }} */",
                "rc.z", "select 3 as id");
        assertThat(p.models()).containsExactly("rc.a", "rc.z", "rc.b");
        // a Jinja comment, unlike a SQL one, hides the ref
        assertThat(project(ds, "rc.c", "select 1 as id {# {{ ref('rc.gone') }} #}").models()).containsExactly("rc.c");
    }

    /**
     * Documented limit ("anything else between {{ }} is an error", no raw blocks): a '{{' in a string literal, or a
     * PostgreSQL 2-D array literal, is read as a tag; the build fails naming the line, as Jinja would.
     */
    @Test
    void doubleBraceInAStringLiteralIsABuildErrorNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> project(ds, "sl.a", "select 1 as id,\n  '{{' as x"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model sl.a line 2").hasMessageContaining("never closed");
        assertThatThrownBy(() -> project(ds, "sl.b", "select 1 as id,\n\n  '{{1,2},{3,4}}'::int[] as m"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model sl.b line 3");
    }

    /** dbt's {@code if not is_incremental()}: the branch a first build takes, with its {@code else} for later runs. */
    @Test
    void ifNotIsIncrementalTakesItsBranchOnTheFirstBuildAndItsElseOnLaterRuns(DataSource ds) {
        sql(ds, "create schema nsrc; create table nsrc.e (id int, kind text); insert into nsrc.e values (1, 'a'), (2, 'b')");
        String model = "{{ config(materialized='incremental', unique_key='id') }}\nselect id, kind,\n"
                + "{% if not is_incremental() %}'first'{% else %}'later'{% endif %} as run\nfrom nsrc.e\n"
                + "{% if not is_incremental() %}where kind = 'a'{% endif %}";
        assertThat(project(ds, "ni.inc", model).sql()).anyMatch(s -> s.contains("'first' as run") && s.contains("where kind = 'a'"));
        project(ds, "ni.inc", model).run().assertSucceeded();
        assertThat(strings(ds, "select id || ':' || run from ni.inc order by id")).containsExactly("1:first");
        TransformProject again = project(ds, "ni.inc", model);
        assertThat(again.sql()).anyMatch(s -> s.contains("'later' as run") && !s.contains("where kind"));
        again.run().assertSucceeded();
        assertThat(strings(ds, "select id || ':' || run from ni.inc order by id")).containsExactly("1:later", "2:later");
    }

    @Test
    void unbalancedIfsAndOtherConditionsAreBuildErrorsNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> project(ds, "ni.a", "select 1 as id\n{% if not is_incremental() or 1 %}\n{% endif %}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 2")
                .hasMessageContaining("{% if not is_incremental() %}");
        assertThatThrownBy(() -> project(ds, "ni.b", "select 1 as id\n{% if is_incremental() %}\n"
                + "{% if is_incremental() %}\nwhere true\n{% endif %}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 2")
                .hasMessageContaining("never closed");
        assertThatThrownBy(() -> project(ds, "ni.c", "select 1 as id\n\n\n{% endif %}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 4");
        assertThatThrownBy(() -> project(ds, "ni.d", "select 1 as id {% if is_incremental() %}{% else %}{% else %}"
                + "{% endif %}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("{% else %}");
    }

    @Test
    void nestedIsIncrementalIfsRenderOnlyTheMatchingBranches(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.nest").columns("id int").rows(row(1), row(2));
        String model = "{{ config(materialized='incremental', unique_key='id') }}\nselect id from raw.nest\n"
                + "{% if is_incremental() %}{% if is_incremental() %}where id > (select max(id) from {{ this }})"
                + "{% else %}where nonsense{% endif %}{% else %}where id < 2{% endif %}";
        project(ds, "nest.t", model).run().assertSucceeded();
        assertThatTable(ds, "nest.t").containsExactlyInAnyOrder(row(1));
        project(ds, "nest.t", model).run().assertSucceeded();
        assertThatTable(ds, "nest.t").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void multiLineJinjaCommentKeepsTheErrorLineOfTheFile(DataSource ds) {
        RunResults results = project(ds, "jc.a", "{# a comment\n   over\n   three lines #}\nselect\n  1 as id,\n"
                + "  no_such_column").run();

        assertThat(error(results, "jc.a")).startsWith("jc.a (model jc.a line 6): ERROR: column \"no_such_column\"");
    }

    @Test
    void syntaxErrorOnLine7OfAFileWithAConfigHeaderIsReportedOnLine7(DataSource ds, @TempDir Path dir)
            throws Exception {
        TableFixture.on(ds, "raw.l7").columns("id int", "v int").rows(row(1, 1));
        Path f = file(dir, "el/m.sql", "{{ config(\n    materialized='table'\n) }}\n-- header\nselect\n  id, v\n"
                + "from raw.l7 where id = = 1\n");

        RunResults results = TransformProject.builder(ds).modelsFrom(dir).build().run();

        assertThat(error(results, "el.m")).startsWith("el.m (" + f + " line 7): ERROR: syntax error at or near \"=\"");
    }

    @Test
    void errorInTheIsIncrementalBranchIsReportedOnItsLine(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.ib").columns("id int").rows(row(1));
        String model = "{{ config(materialized='incremental') }}\nselect id\nfrom raw.ib\n{% if is_incremental() %}\n"
                + "where id > (select max(nope) from {{ this }})\n{% endif %}";
        project(ds, "ib.t", model).run().assertSucceeded();

        RunResults results = project(ds, "ib.t", model).run();

        assertThat(error(results, "ib.t")).startsWith("ib.t (model ib.t line 5): ERROR: column \"nope\" does not exist");
        assertThatTable(ds, "ib.t").containsExactlyInAnyOrder(row(1));
    }

    @Test
    void runtimeErrorIsAnErrorResultAndTheOldTableStays(DataSource ds) {
        project(ds, "dz.t", TABLE + "select 1 as id").run().assertSucceeded();

        RunResults results = project(ds, "dz.t", TABLE + "select 1 / (id - 1) as id from (select 1 as id) s").run();

        assertThat(results.model("dz.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(error(results, "dz.t")).startsWith("dz.t (model dz.t): ERROR: division by zero");
        assertThatTable(ds, "dz.t").containsExactlyInAnyOrder(row(1));
        assertThat(leftovers(ds)).isEmpty();
    }

    /** PostgreSQL's error position counts characters; an emoji is two Java chars. */

    @Test
    void errorLineIsRightAfterCharactersOutsideTheBasicPlane(DataSource ds) {
        RunResults results = project(ds, "em.a", "select '\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00' as a\n= 1").run();

        assertThat(error(results, "em.a")).startsWith("em.a (model em.a line 2): ERROR: syntax error at or near \"=\"");
    }

    @Test
    void crlfFileRunsAndReportsErrorLinesOfTheFile(DataSource ds, @TempDir Path dir) throws Exception {
        file(dir, "cr/ok.sql", "{{ config(materialized='table') }}\r\nselect 1 as id\r\n-- done\r\n");
        Path bad = file(dir, "cr/bad.sql", "{# x #}\r\nselect\r\n  1 as id,\r\n  missing_col\r\n");

        RunResults results = TransformProject.builder(ds).modelsFrom(dir).build().run();

        assertThat(results.model("cr.ok").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThatTable(ds, "cr.ok").containsExactlyInAnyOrder(row(1));
        assertThat(error(results, "cr.bad")).startsWith("cr.bad (" + bad + " line 4): ERROR:");
    }


    @Test
    void byteOrderMarkAtTheStartOfAFileIsIgnored(DataSource ds, @TempDir Path dir) throws Exception {
        byte[] body = "{{ config(materialized='table') }}\nselect 1 as id".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        file(dir, "bom/a.sql", withBom);
        file(dir, "bom/b.sql", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 's', 'e', 'l', 'e', 'c', 't', ' ',
            '2', ' ', 'a', 's', ' ', 'i', 'd'});

        RunResults results = TransformProject.builder(ds).modelsFrom(dir).build().run();

        results.assertSucceeded();
        assertThatTable(ds, "bom.a").containsExactlyInAnyOrder(row(1));
        assertThatTable(ds, "bom.b").containsExactlyInAnyOrder(row(2));
    }


    @Test
    void nonUtf8FileIsABadInputErrorNamingTheFileAndLine(DataSource ds, @TempDir Path dir) throws Exception {
        byte[] latin1 = "select 1 as id\n-- caf\u00e9 (Latin-1)\n".getBytes(StandardCharsets.ISO_8859_1);
        Path f = file(dir, "enc/a.sql", latin1);

        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("line 2").hasMessageContaining("UTF-8");
    }

    @Test
    void trailingSemicolonsAndALastLineCommentAreFine(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.ts").columns("id int").rows(row(1), row(2));
        String inc = "{{ config(materialized='incremental', unique_key='id') }}\nselect id from raw.ts\n"
                + "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n-- the end";
        RunResults results = project(ds,
                "ts.a", TABLE + "select id from raw.ts;\n\n",
                "ts.b", TABLE + "select id from raw.ts\n-- last line comment",
                "ts.c", TABLE + "select id from raw.ts; -- done",
                "ts.v", "select id from raw.ts -- a view, comment last",
                "ts.i", inc).run();

        results.assertSucceeded();
        assertThat(results.model("ts.a").rows()).hasValue(2);
        assertThat(results.model("ts.b").rows()).hasValue(2);
        assertThat(results.model("ts.c").rows()).hasValue(2);
        assertThatTable(ds, "ts.v").containsExactlyInAnyOrder(row(1), row(2));

        sql(ds, "insert into raw.ts values (3)");
        RunResults again = project(ds, "ts.i", inc).run();
        again.assertSucceeded();
        assertThat(again.model("ts.i").rows()).hasValue(1);
        assertThatTable(ds, "ts.i").containsExactlyInAnyOrder(row(1), row(2), row(3));
    }

    @Test
    void sqlListsTheStatementsForMissingSchemasAndCreatesNothing(DataSource ds) {
        TransformProject p = project(ds, "nosuch.a", TABLE + "select 1 as id", "nosuch.b", "select * from {{ ref('a') }}");

        List<String> statements = p.sql();

        assertThat(statements.subList(0, 2)).containsExactly(
                "select pg_advisory_xact_lock(hashtextextended('mds.schema \"nosuch\"', 0))",
                "create schema if not exists \"nosuch\"");
        assertThat(statements).anyMatch(s -> s.startsWith("create table \"nosuch\".\"a__mds_tmp\" as"));
        assertThat(strings(ds, "select count(*) from pg_namespace where nspname = 'nosuch'")).containsExactly("0");
    }

    // ---------------------------------------------------------------- names

    @Test
    void longNamesWhoseTmpAndBackupNamesCollideStillBuildInParallel(DataSource ds) {
        String base = "n".repeat(60);
        String a = "ln." + base + "_aa";
        String b = "ln." + base + "_bb";
        for (int i = 0; i < 3; i++) {
            RunResults results = TransformProject.builder(ds).threads(2)
                    .model(a, TABLE + "select 'a' as which, pg_sleep(0.2)::text as s")
                    .model(b, TABLE + "select 'b' as which, pg_sleep(0.2)::text as s")
                    .build().run();
            results.assertSucceeded();
        }
        assertThat(strings(ds, "select which from ln." + base + "_aa")).containsExactly("a");
        assertThat(strings(ds, "select which from ln." + base + "_bb")).containsExactly("b");
        assertThat(leftovers(ds)).isEmpty();
    }

    @Test
    void reservedWordUpperCaseAndMissingSchemaNamesWork(DataSource ds) {
        RunResults results = project(ds,
                "\"New Schema\".select", TABLE + "select 1 as \"order\"",
                "\"New Schema\".\"User\"", "select \"order\" from {{ ref('\"New Schema\".select') }}",
                "NewSchema2.Order", TABLE + "select * from {{ ref('User') }}")
                .run();

        results.assertSucceeded();
        assertThat(strings(ds, "select \"order\" from newschema2.\"order\"")).containsExactly("1");
        assertThat(relkind(ds, "New Schema", "User")).isEqualTo("v");
    }


    @Test
    void refToOneOfTwoFilesDifferingOnlyInCaseIsNotSilentlyTheOther(DataSource ds, @TempDir Path dir)
            throws Exception {
        file(dir, "cs/orders.sql", "select 'lower' as which");
        file(dir, "cs/Orders.sql", "select 'upper' as which");
        file(dir, "cs/pick.sql", "select which from {{ ref('cs.Orders') }}");

        // ref('cs.Orders') reads as SQL reads it (cs.orders) and as the file's exact name (cs."Orders"): ambiguous
        assertThatThrownBy(() -> TransformProject.builder(ds).modelsFrom(dir).build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("ambiguous");
    }

    // ---------------------------------------------------------------- materializations

    @Test
    void switchingMaterializationTableViewIncrementalAndBackKeepsTheRightRelation(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.sw").columns("id int").rows(row(1), row(2));
        String inc = "{{ config(materialized='incremental', unique_key='id') }}\nselect id from raw.sw\n"
                + "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}";

        project(ds, "sw.t", TABLE + "select id from raw.sw").run().assertSucceeded();
        assertThat(relkind(ds, "sw", "t")).isEqualTo("r");
        project(ds, "sw.t", "select id from raw.sw").run().assertSucceeded();
        assertThat(relkind(ds, "sw", "t")).isEqualTo("v");
        project(ds, "sw.t", inc).run().assertSucceeded();   // over a view: built as a table
        assertThat(relkind(ds, "sw", "t")).isEqualTo("r");
        sql(ds, "insert into raw.sw values (3)");
        RunResults added = project(ds, "sw.t", inc).run();
        added.assertSucceeded();
        assertThat(added.model("sw.t").rows()).hasValue(1);
        assertThatTable(ds, "sw.t").containsExactlyInAnyOrder(row(1), row(2), row(3));
        project(ds, "sw.t", "select id from raw.sw where id < 3").run().assertSucceeded();
        assertThat(relkind(ds, "sw", "t")).isEqualTo("v");
        project(ds, "sw.t", TABLE + "select id from raw.sw where id = 1").run().assertSucceeded();
        assertThat(relkind(ds, "sw", "t")).isEqualTo("r");
        assertThatTable(ds, "sw.t").containsExactlyInAnyOrder(row(1));
        assertThat(leftovers(ds)).isEmpty();
    }

    @Test
    void isIncrementalIsFalseOnTheFirstRunAndZeroRowModelsWork(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.fr").columns("id int").rows(row(1), row(2));
        String inc = "{{ config(materialized='incremental') }}\nselect id from raw.fr\n"
                + "{% if is_incremental() %}where id > (select coalesce(max(id), 0) from {{ this }}){% else %}"
                + "where id > 0{% endif %}";

        RunResults first = project(ds, "fr.i", inc, "fr.empty", TABLE + "select id from raw.fr where false").run();
        first.assertSucceeded();
        assertThat(first.model("fr.i").rows()).hasValue(2);
        assertThat(first.model("fr.empty").rows()).hasValue(0);
        assertThatTable(ds, "fr.empty").isEmpty();

        RunResults none = project(ds, "fr.i", inc).run();
        none.assertSucceeded();
        assertThat(none.model("fr.i").rows()).hasValue(0);
        assertThatTable(ds, "fr.i").containsExactlyInAnyOrder(row(1), row(2));
    }

    @Test
    void incrementalWithColumnsInAnotherOrderInsertsByName(DataSource ds) throws Exception {
        project(ds, "co.t", "{{ config(materialized='incremental', unique_key='id') }}\nselect 1 as id, 'a' as v")
                .run().assertSucceeded();

        project(ds, "co.t", "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select 'b' as v, 2 as id union all select 'c', 1").run().assertSucceeded();

        assertThatTable(ds, "co.t").containsExactlyInAnyOrder(row(1, "c"), row(2, "b"));
        assertThat(Db.columns(ds, "co", "t")).containsExactly("id", "v");
    }


    @Test
    void incrementalWithANullUniqueKeyDoesNotDuplicateRowsRunAfterRun(DataSource ds) throws Exception {
        String model = "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select id, v from (values (1, 'a'), (null::int, 'unknown')) s(id, v)";
        // the first build refuses it already, as every later run would (before, it stored the row and a later run failed)
        RunResults first = project(ds, "nk.t", model).run();
        assertThat(error(first, "nk.t")).contains("unique_key id is NULL in 1 new row(s)");
        assertThat(strings(ds, "select count(*) from pg_class where relname = 't' and relnamespace ="
                + " (select oid from pg_namespace where nspname = 'nk')")).containsExactly("0");

        // a table built without it, then a run bringing it: refused, never 3 rows
        project(ds, "nk.t", model.replace(", (null::int, 'unknown')", "")).run().assertSucceeded();
        RunResults second = project(ds, "nk.t", model).run();
        assertThat(error(second, "nk.t")).contains("id").containsIgnoringCase("null");
        assertThat(strings(ds, "select count(*) from nk.t")).containsExactly("1");
    }


    @Test
    void incrementalColumnTypeChangeIsAnErrorNotASilentCast(DataSource ds) {
        project(ds, "ty.t", "{{ config(materialized='incremental', unique_key='id') }}\nselect 1 as id, 2 as v")
                .run().assertSucceeded();

        RunResults results = project(ds, "ty.t", "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select 2 as id, 2.6::numeric as v").run();

        assertThat(results.model("ty.t").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(error(results, "ty.t")).contains("v").contains("numeric");
        assertThatTable(ds, "ty.t").containsExactlyInAnyOrder(row(1, 2));
    }

    /** A type change that has no assignment cast is the same schema-change error; the target is unchanged. */
    @Test
    void incrementalTypeChangeWithoutAnAssignmentCastFailsAndLeavesTheTarget(DataSource ds) {
        project(ds, "ty2.t", "{{ config(materialized='incremental', unique_key='id') }}\nselect 1 as id, 2 as v")
                .run().assertSucceeded();

        RunResults results = project(ds, "ty2.t", "{{ config(materialized='incremental', unique_key='id') }}\n"
                + "select 1 as id, now() as v").run();

        assertThat(error(results, "ty2.t")).startsWith("ty2.t (model ty2.t): column(s) changed type:"
                + " v (integer in the table, timestamp with time zone in the new rows)");
        assertThatTable(ds, "ty2.t").containsExactlyInAnyOrder(row(1, 2));
    }

    // ---------------------------------------------------------------- dependencies

    @Test
    void refToItselfIsACycleNamingIt(DataSource ds) {
        assertThatThrownBy(() -> project(ds, "self.a", "select * from {{ ref('self.a') }}"))
                .isInstanceOf(TransformException.class).hasMessageContaining("self.a -> self.a");
    }

    @Test
    void selectingAMiddleModelWithDownstreamLeavesItsParentAndRebuildsItsChildren(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.mid").columns("id int").rows(row(1));
        String[] models = {
            "mid.a", TABLE + "select id from raw.mid",
            "mid.b", "select id * 10 as id from {{ ref('mid.a') }}",
            "mid.c", TABLE + "select id + 1 as id from {{ ref('mid.b') }}",
            "mid.other", TABLE + "select count(*) as n from {{ ref('mid.a') }}"};
        project(ds, models).run().assertSucceeded();
        sql(ds, "insert into raw.mid values (2)");

        RunResults results = project(ds, models).run(Select.models("mid.b").withDownstream());

        assertThat(results.models()).extracting(ModelResult::name).containsExactly("mid.b", "mid.c");
        results.assertSucceeded();
        assertThatTable(ds, "mid.a").containsExactlyInAnyOrder(row(1));
        assertThatTable(ds, "mid.c").containsExactlyInAnyOrder(row(11));
        assertThatTable(ds, "mid.other").containsExactlyInAnyOrder(row(1));
    }

    @Test
    void aModelSelectedWithoutParentsThatDoNotExistYetFailsNamingTheRelationAndLine(DataSource ds) {
        TransformProject p = project(ds,
                "np.a", TABLE + "select 1 as id",
                "np.b", TABLE + "select id\nfrom {{ ref('np.a') }}");

        RunResults results = p.run(Select.models("np.b"));

        assertThat(error(results, "np.b")).startsWith("np.b (model np.b line 3): ERROR: relation \"np.a\" does not exist");
        assertThat(relkind(ds, "np", "b")).isNull();
    }

    /**
     * A model that replaces a raw table some other view model reads without ref() (so is not rebuilt after it) keeps
     * that view: dropped with the old table and created again over the new one.
     */
    @Test
    void aModelReplacingARawTableReadByAViewWithoutRefKeepsTheView(DataSource ds) throws Exception {
        TableFixture.on(ds, "rr.src").columns("id int").rows(row(1));
        project(ds, "rr.reader", "select id from rr.src").run().assertSucceeded();

        RunResults results = project(ds,
                "rr.reader", "select id from rr.src",
                "rr.src", TABLE + "select 2 as id").run().assertSucceeded();

        assertThat(results.model("rr.src").keptViews()).extracting(Object::toString).containsExactly("rr.reader");
        assertThatTable(ds, "rr.src").containsExactlyInAnyOrder(row(2));
        assertThatTable(ds, "rr.reader").containsExactlyInAnyOrder(row(2));
    }

    @Test
    void viewColumnsRenamedUnderAnUnchangedSelectStarTableModelRebuildBoth(DataSource ds) {
        project(ds, "vr.a", "select 1 as id, 'x' as name",
                "vr.b", TABLE + "select * from {{ ref('vr.a') }}",
                "vr.c", "select * from {{ ref('vr.b') }}").run().assertSucceeded();

        RunResults results = project(ds, "vr.a", "select 1 as id, 'x' as label",
                "vr.b", TABLE + "select * from {{ ref('vr.a') }}",
                "vr.c", "select * from {{ ref('vr.b') }}").run();

        results.assertSucceeded();
        assertThat(Db.columns(ds, "vr", "b")).containsExactly("id", "label");
        assertThat(Db.columns(ds, "vr", "c")).containsExactly("id", "label");
        assertThat(leftovers(ds)).isEmpty();
    }

    @Test
    void diamondWithOneFailingParentSkipsTheJoinButBuildsTheOtherBranch(DataSource ds) {
        for (int threads : new int[] {1, 3}) {
            RunResults results = TransformProject.builder(ds).threads(threads)
                    .model("dm.a", TABLE + "select 1 as id")
                    .model("dm.b", TABLE + "select id / 0 as id from {{ ref('dm.a') }}")
                    .model("dm.c", TABLE + "select id from {{ ref('dm.a') }}")
                    .model("dm.d", TABLE + "select * from {{ ref('dm.b') }} join {{ ref('dm.c') }} using (id)")
                    .build().run();
            assertThat(statuses(results)).as("threads %s", threads).isEqualTo(Map.of("dm.a", ModelStatus.SUCCESS,
                    "dm.b", ModelStatus.ERROR, "dm.c", ModelStatus.SUCCESS, "dm.d", ModelStatus.SKIPPED));
        }
    }

    // ---------------------------------------------------------------- leftovers

    /**
     * A killed run leaves nothing (each model is one transaction), so an existing x__mds_tmp or x__mds_backup was
     * made by someone else: the model fails naming it, and neither it nor x is touched.
     */
    @Test
    void aForeignRelationNamedLikeTheTmpOrBackupMakesTheModelFailCleanly(DataSource ds) {
        project(ds, "lo.x", TABLE + "select 1 as id").run().assertSucceeded();
        sql(ds, "create table lo.x__mds_tmp (keep int)", "insert into lo.x__mds_tmp values (7)");

        RunResults tmp = project(ds, "lo.x", TABLE + "select 2 as id").run();

        assertThat(error(tmp, "lo.x")).contains("x__mds_tmp").contains("already exists");
        assertThatTable(ds, "lo.x").containsExactlyInAnyOrder(row(1));
        assertThatTable(ds, "lo.x__mds_tmp").containsExactlyInAnyOrder(row(7));

        sql(ds, "alter table lo.x__mds_tmp rename to x__mds_backup");
        RunResults backup = project(ds, "lo.x", TABLE + "select 2 as id").run();

        assertThat(error(backup, "lo.x")).contains("x__mds_backup").contains("already exists");
        assertThatTable(ds, "lo.x").containsExactlyInAnyOrder(row(1));
        assertThatTable(ds, "lo.x__mds_backup").containsExactlyInAnyOrder(row(7));
        sql(ds, "drop table lo.x__mds_backup");
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void fourThreadsOnAPoolOfTwoConnectionsFinishWithEveryModelBuilt(DataSource ds) throws Exception {
        DataSource two = limited(ds, 2);
        TransformProject.Builder b = TransformProject.builder(two).threads(4);
        for (int i = 0; i < 6; i++) {
            b.model("p2.m" + i, TABLE + "select " + i + " as id, pg_sleep(0.05)::text as s");
        }
        b.model("p2.all", TABLE + "select count(*) as n from (" + String.join(" union all ",
                List.of(0, 1, 2, 3, 4, 5).stream().map(i -> "select id from {{ ref('p2.m" + i + "') }}").toList())
                + ") u");

        RunResults results = CompletableFuture.supplyAsync(() -> b.build().run()).get(20, TimeUnit.SECONDS);

        results.assertSucceeded();
        assertThatTable(ds, "p2.all").containsExactlyInAnyOrder(row(6L));
    }

    @Test
    void twoRunsOfTheSameProjectAtOnceLeaveConsistentRelationsAndNoLeftovers(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.cc").columns("id int").rows(row(1), row(2));
        TransformProject p = project(ds,
                "cc.a", TABLE + "select id, pg_sleep(0.1)::text as s from raw.cc",
                "cc.b", "select id from {{ ref('cc.a') }}",
                "cc.c", TABLE + "select count(*) as n from {{ ref('cc.b') }}");
        p.run().assertSucceeded();

        for (int i = 0; i < 2; i++) {
            CompletableFuture<RunResults> one = CompletableFuture.supplyAsync(p::run);
            CompletableFuture<RunResults> two = CompletableFuture.supplyAsync(p::run);
            List<RunResults> both = List.of(one.get(20, TimeUnit.SECONDS), two.get(20, TimeUnit.SECONDS));
            for (RunResults r : both) {
                for (ModelResult m : r.models()) {
                    // a run may lose a race, but then with a message, never silently
                    assertThat(m.status() == ModelStatus.SUCCESS || m.error().isPresent()).as(m.toString()).isTrue();
                }
            }
            assertThat(both.stream().anyMatch(r -> r.withStatus(ModelStatus.SUCCESS).size() == 3)).isTrue();
        }
        assertThatTable(ds, "cc.c").containsExactlyInAnyOrder(row(2L));
        assertThatTable(ds, "cc.b").containsExactlyInAnyOrder(row(1), row(2));
        assertThat(leftovers(ds)).isEmpty();
    }


    /**
     * Two runs (two schedulers, a retry) building the same models for the first time at once: the second builds each
     * model after the first's commit, as a rebuild of it, instead of failing with "relation already exists" at its
     * rename. The runs are held on a lock of the source table until both are waiting, so they always overlap. The
     * view model the first run may create over cf.t while the second rebuilds it is kept by that rebuild.
     */
    @Test
    void twoRunsBuildingTheSameModelsForTheFirstTimeAtOnceBothSucceed(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.cf").columns("id int", "v text").rows(row(1, "a"), row(2, "b"));
        TransformProject p = project(ds,
                "cf.t", TABLE + "select id, v from raw.cf",
                "cf.v", "select id, v from {{ ref('cf.t') }}",
                "cf.i", "{{ config(materialized='incremental', unique_key='id') }}\nselect id, v from {{ ref('cf.t') }}",
                "cf.s", "{{ config(materialized='snapshot', unique_key='id', strategy='check', check_cols='all') }}\n"
                        + "select id, v from {{ ref('cf.t') }}");
        List<RunResults> both;
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("lock table raw.cf in access exclusive mode");
            CompletableFuture<RunResults> one = CompletableFuture.supplyAsync(p::run);
            CompletableFuture<RunResults> two = CompletableFuture.supplyAsync(p::run);
            while (!strings(ds, "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                    + " and datname = current_database()").equals(List.of("2"))) {
                assertThat(one.isDone() || two.isDone()).as("a run ended before both waited").isFalse();
                Thread.sleep(20);
            }
            holder.commit();
            both = List.of(one.get(30, TimeUnit.SECONDS), two.get(30, TimeUnit.SECONDS));
        }

        for (RunResults r : both) {
            assertThat(r.models()).allSatisfy(m -> assertThat(m.status()).as(m.toString()).isEqualTo(ModelStatus.SUCCESS));
        }
        assertThatTable(ds, "cf.t").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
        assertThatTable(ds, "cf.i").containsExactlyInAnyOrder(row(1, "a"), row(2, "b"));
        assertThat(strings(ds, "select count(*) from cf.s")).containsExactly("2");
        assertThat(leftovers(ds)).isEmpty();
    }

    @Test
    void twoOverlappingIncrementalRunsDoNotDuplicateUniqueKeys(DataSource ds) throws Exception {
        String model = "{{ config(materialized='incremental', unique_key='id') }}\nselect 1 as id, now()::text as v";
        project(ds, "ci.t", model).run().assertSucceeded();
        // slows the insert so that the second run's delete+insert overlaps the first's
        sql(ds, "create function ci.slow() returns trigger language plpgsql as"
                + " $$ begin perform pg_sleep(0.8); return null; end $$",
                "create trigger slow after insert on ci.t for each statement execute function ci.slow()");
        TransformProject p = project(ds, "ci.t", model);

        CompletableFuture<RunResults> one = CompletableFuture.supplyAsync(p::run);
        Thread.sleep(300);
        CompletableFuture<RunResults> two = CompletableFuture.supplyAsync(p::run);
        one.get(20, TimeUnit.SECONDS);
        two.get(20, TimeUnit.SECONDS);

        assertThat(strings(ds, "select count(*) from ci.t where id = 1")).containsExactly("1");
    }

    /** A DataSource lending at most {@code max} connections at once, as a pool of that size does. */
    static DataSource limited(DataSource ds, int max) {
        Semaphore permits = new Semaphore(max);
        AtomicInteger peak = new AtomicInteger();
        return new DataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                try {
                    permits.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted", e);
                }
                peak.accumulateAndGet(max - permits.availablePermits(), Math::max);
                Connection real;
                try {
                    real = ds.getConnection();
                } catch (SQLException | RuntimeException e) {
                    permits.release();
                    throw e;
                }
                boolean[] closed = {false};
                return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                            if (method.getName().equals("close")) {
                                if (!closed[0]) {
                                    closed[0] = true;
                                    real.close();
                                    permits.release();
                                }
                                return null;
                            }
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }

            @Override
            public Connection getConnection(String user, String password) throws SQLException {
                return getConnection();
            }

            @Override
            public PrintWriter getLogWriter() {
                return null;
            }

            @Override
            public void setLogWriter(PrintWriter out) {
            }

            @Override
            public void setLoginTimeout(int seconds) {
            }

            @Override
            public int getLoginTimeout() {
                return 0;
            }

            @Override
            public Logger getParentLogger() throws SQLFeatureNotSupportedException {
                throw new SQLFeatureNotSupportedException();
            }

            @Override
            public <T> T unwrap(Class<T> iface) throws SQLException {
                throw new SQLException("not a wrapper");
            }

            @Override
            public boolean isWrapperFor(Class<?> iface) {
                return false;
            }
        };
    }
}
