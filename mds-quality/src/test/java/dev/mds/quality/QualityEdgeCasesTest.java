package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.quality.Bounds.atLeast;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * Edge cases a demanding user of dbt tests or Great Expectations would try: each check at its limits, hostile
 * input, audits in a caller's transaction.
 */
@MdsPostgres
class QualityEdgeCasesTest {

    private static Object scalar(Connection c, String query) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    private static Object scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return scalar(c, query);
        }
    }

    private static Map<String, Object> statuses(QualityReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        r.checks().forEach(c -> m.put(c.id(), c.status()));
        return m;
    }

    /** A map that may hold nulls, in the order given. */
    private static Map<String, Object> row(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id + " in "
                + r.checks().stream().map(c -> c.table() + " " + c.id()).toList()));
    }

    // ---------------------------------------------------------------------------------------------------------
    // severity / threshold declared explicitly must survive id(...)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A table default of WARN, then one check made ERROR explicitly and renamed: the explicit severity must win
     * (it does without the rename).
     */
    @Test
    void explicitSeverityAndThresholdSurviveARenameWithId(DataSource ds) throws Exception {
        sql(ds, "create table sev (id int primary key, v int)", "insert into sev values (1, null), (2, 2)");
        QualityReport r = QualitySuite.on(ds).samples(0).table("sev", t -> t
                .warn()
                .notNull("v").severity(Severity.ERROR).id("v_required")
                .expression("v_small", "v < 2").severity(Severity.ERROR))
                .run();
        // without id(...) the explicit ERROR is kept: FAIL
        assertThat(check(r, "public.sev", "v_small").status()).isEqualTo(Status.FAIL);
        // with id(...) after it, the same declaration must still be ERROR
        assertThat(check(r, "public.sev", "v_required").severity()).isEqualTo(Severity.ERROR);
        assertThat(check(r, "public.sev", "v_required").status()).isEqualTo(Status.FAIL);
    }

    /** The same with a table default threshold: an explicit Threshold.NONE then id(...) must stay strict. */
    @Test
    void explicitThresholdNoneSurvivesARenameWithId(DataSource ds) throws Exception {
        sql(ds, "create table sev2 (id int primary key, v int)", "insert into sev2 values (1, null), (2, 2)");
        QualityReport plain = QualitySuite.on(ds).samples(0).table("sev2", t -> t
                .threshold(Threshold.rows(5))
                .notNull("v").threshold(Threshold.NONE))
                .run();
        assertThat(plain.checks().get(0).status()).isEqualTo(Status.FAIL);
        QualityReport th = QualitySuite.on(ds).samples(0).table("sev2", t -> t
                .threshold(Threshold.rows(5))
                .notNull("v").threshold(Threshold.NONE).id("v_strict"))
                .run();
        assertThat(check(th, "public.sev2", "v_strict").status()).isEqualTo(Status.FAIL);
    }

    // ---------------------------------------------------------------------------------------------------------
    // NULL handling in every check
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void allNullColumnsFailOnlyNotNullAndFreshnessAndEveryOtherCheckIgnoresTheNulls(DataSource ds) throws Exception {
        sql(ds, "create table nl_parent (pid int primary key)", "insert into nl_parent values (1)",
                "create table nl (id int primary key, v text, n int, ts timestamptz, fk int, d date)",
                "insert into nl (id) values (1), (2), (3)");
        QualityReport r = QualitySuite.on(ds).table("nl", t -> t
                .notNull("v")
                .acceptedValues("v", "a")
                .acceptedValues("n", 1).id("accepted_single")
                .range("n", 1, 2)
                .range("n", 1, null).id("range_min_only")
                .range("d", java.time.LocalDate.of(2024, 1, 1), null).id("range_date")
                .matches("v", "^a$")
                .matches("v", "a").id("matches_literal")
                .relationships("fk", "public.nl_parent", "pid")
                .unique("v")
                .unique("v", "n")
                .expression("n_positive", "n > 0")
                .rowCount(atLeast(3))
                .freshness("ts", Duration.ofHours(1)))
                .run();
        Map<String, Status> expected = new LinkedHashMap<>();
        expected.put("not_null_v", Status.FAIL);
        for (String id : List.of("accepted_values_v", "accepted_single", "range_n", "range_min_only", "range_date",
                "matches_v", "matches_literal", "relationships_fk", "unique_v", "unique_v_n", "n_positive", "row_count")) {
            expected.put(id, Status.PASS);
        }
        expected.put("freshness_ts", Status.FAIL);
        assertThat(statuses(r)).containsExactlyEntriesOf(expected);
        assertThat(r.checks()).filteredOn(c -> c.status() == Status.PASS)
                .allSatisfy(c -> {
                    assertThat(c.failingRows()).as(c.id()).isZero();
                    assertThat(c.checkedRows()).as(c.id()).isEqualTo(3);
                });
        CheckResult nn = check(r, "public.nl", "not_null_v");
        assertThat(nn.failingRows()).isEqualTo(3);
        assertThat(nn.failingPercent()).isEqualTo(100.0);
        assertThat(nn.samples()).extracting(m -> m.get("id")).containsExactly(1, 2, 3);
        assertThat(nn.samples()).allSatisfy(m -> assertThat(m).containsOnlyKeys("id", "v").containsEntry("v", null));
        CheckResult fresh = check(r, "public.nl", "freshness_ts");
        assertThat(fresh.message()).contains("ts");
        assertThat(fresh.checkedRows()).isEqualTo(3);
        assertThat(fresh.samples()).isEmpty();
    }

    @Test
    void freshnessOnAnEmptyTableAnAllNullColumnAndAWhereThatLeavesNoRowsFailsOrWarnsWithoutError(DataSource ds)
            throws Exception {
        sql(ds, "create table fr_empty (ts timestamptz, d date, naive timestamp)",
                "create table fr_nulls (id int, ts timestamptz)", "insert into fr_nulls values (1, null), (2, null)",
                "create table fr_old (id int, ts timestamptz)", "insert into fr_old values (1, now() - interval '1 hour')");
        QualityReport r = QualitySuite.on(ds)
                .table("fr_empty", t -> t.freshness("ts", Duration.ofDays(1)).freshness("d", Duration.ofDays(1))
                        .freshness("naive", Duration.ofDays(1)).warn())
                .table("fr_nulls", t -> t.freshness("ts", Duration.ofDays(1)))
                .table("fr_old", t -> t.where("id > 1").freshness("ts", Duration.ofDays(1)).rowCount(Bounds.exactly(0)))
                .run();
        assertThat(r.checks()).extracting(CheckResult::table, CheckResult::id, CheckResult::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("public.fr_empty", "freshness_ts", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("public.fr_empty", "freshness_d", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("public.fr_empty", "freshness_naive", Status.WARN),
                org.assertj.core.groups.Tuple.tuple("public.fr_nulls", "freshness_ts", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("public.fr_old", "freshness_ts", Status.FAIL),
                org.assertj.core.groups.Tuple.tuple("public.fr_old", "row_count", Status.PASS));
        assertThat(r.checks()).filteredOn(c -> c.kind().equals("freshness"))
                .allSatisfy(c -> assertThat(c.message()).as(c.table() + " " + c.id()).startsWith("no rows"));
        assertThat(check(r, "public.fr_nulls", "freshness_ts").checkedRows()).isEqualTo(2);
        assertThat(r.queries()).isEqualTo(3);
    }

    // ---------------------------------------------------------------------------------------------------------
    // thresholds at the boundary, WARN vs FAIL
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void thresholdsAtTheBoundaryForScanUniqueAndRelationshipsChecks(DataSource ds) throws Exception {
        sql(ds, "create table tb_parent (pid int primary key)", "insert into tb_parent select g from generate_series(1, 10) g",
                // 100 rows: 2 orphans (pid 99), 2 rows sharing code 'dup', 3 NULL v, one third of tiny rows bad
                "create table tb (id int primary key, pid int, code text, v int)",
                "insert into tb select g, case when g <= 2 then 99 else 1 + g % 10 end,"
                        + " case when g <= 2 then 'dup' else 'c' || g end, case when g <= 3 then null else g end"
                        + " from generate_series(1, 100) g",
                "create table tb_tiny (id int primary key, ok boolean)", "insert into tb_tiny values (1, false), (2, true), (3, true)");
        QualityReport r = QualitySuite.on(ds).table("tb", t -> t
                .relationships("pid", "tb_parent", "pid").id("rel_pct_2").threshold(Threshold.percent(2))
                .relationships("pid", "tb_parent", "pid").id("rel_pct_1_99").threshold(Threshold.percent(1.99))
                .unique("code").id("uniq_rows_2").threshold(Threshold.rows(2))
                .unique("code").id("uniq_rows_1").threshold(Threshold.rows(1))
                .unique("code").id("uniq_rows_1_warn").threshold(Threshold.rows(1)).warn()
                .notNull("v").id("nn_pct_3").threshold(Threshold.percent(3))
                .notNull("v").id("nn_pct_2_999").threshold(Threshold.percent(2.999)).warn())
                .table("tb_tiny", t -> t.expression("one_third", "ok").threshold(Threshold.percent(100.0 / 3))
                        .expression("just_below_third", "ok").threshold(Threshold.percent(33.33)))
                .run();
        assertThat(statuses(r)).containsExactlyEntriesOf(row("rel_pct_2", Status.PASS, "rel_pct_1_99", Status.FAIL,
                "uniq_rows_2", Status.PASS, "uniq_rows_1", Status.FAIL, "uniq_rows_1_warn", Status.WARN,
                "nn_pct_3", Status.PASS, "nn_pct_2_999", Status.WARN, "one_third", Status.PASS,
                "just_below_third", Status.FAIL));
        // within the threshold: PASS, no samples, a message saying so
        CheckResult within = check(r, "public.tb", "rel_pct_2");
        assertThat(within.failingRows()).isEqualTo(2);
        assertThat(within.failingPercent()).isEqualTo(2.0);
        assertThat(within.samples()).isEmpty();
        assertThat(within.message()).contains("within the threshold");
        // over it: samples; a WARN is sampled too and keeps the report passing on its own
        assertThat(check(r, "public.tb", "rel_pct_1_99").samples()).extracting(m -> m.get("id")).containsExactly(1, 2);
        assertThat(check(r, "public.tb", "uniq_rows_1_warn").samples()).containsExactly(Map.of("code", "dup", "duplicates", 2L));
        assertThat(check(r, "public.tb", "nn_pct_2_999").samples()).hasSize(3);
        assertThat(r.passed()).isFalse();
        assertThat(new QualityReport(r.runId(), r.startedAt(), r.withStatus(Status.WARN), 0, Duration.ZERO).passed()).isTrue();
    }

    @Test
    void percentThresholdOnAWhereThatLeavesNoRowsPasses(DataSource ds) throws Exception {
        sql(ds, "create table pz (id int, v int)", "insert into pz values (1, null)");
        QualityReport r = QualitySuite.on(ds).table("pz", t -> t.where("id > 5")
                .notNull("v").threshold(Threshold.percent(0))
                .expression("v_pos", "v > 0"))
                .run();
        assertThat(r.checks()).allSatisfy(c -> {
            assertThat(c.status()).isEqualTo(Status.PASS);
            assertThat(c.checkedRows()).isZero();
            assertThat(c.failingPercent()).isZero();
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // ERROR without stopping other checks
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void everyKindOfCheckThatCannotRunIsAnErrorNamingWhyWhileTheOthersRun(DataSource ds) throws Exception {
        sql(ds, "create table er_parent (pid int primary key)", "insert into er_parent values (1)",
                "create table er (id int, v text, j json, ts timestamptz)",
                "insert into er values (1, 'a', '{}', now()), (2, 'z', '[]', now())",
                "create table er_ok (id int)", "insert into er_ok values (1)");
        QualityReport r = QualitySuite.on(ds)
                .table("er", t -> t.key("id")
                        .notNull("id")
                        .notNull("ghost")
                        .unique("id", "j")                                   // json has no equality nor hash
                        .relationships("id", "public.er_parent", "ghost_col")
                        .relationships("ghost_fk", "public.er_parent", "pid")
                        .acceptedValues("id", "one")                         // not an int
                        .range("v", 1, 5)                                    // text < integer
                        .freshness("v", Duration.ofHours(1))                 // not a timestamp
                        .freshness("ghost_ts", Duration.ofHours(1))
                        .expression("not_boolean", "id + 1")
                        .expression("broken_warn", "nope(").warn()          // WARN severity, yet cannot run
                        .rowCount(atLeast(1))
                        .acceptedValues("v", "a", "b"))
                .table("er", t -> t.where("no_such_col > 0")
                        .notNull("v").id("w_not_null").unique("v").id("w_unique")
                        .relationships("id", "public.er_parent", "pid").id("w_rel").rowCount(atLeast(0)).id("w_rows"))
                .table("er_missing", t -> t.notNull("id").unique("id"))
                .table("er_ok", t -> t.notNull("id").rowCount(Bounds.exactly(1)))
                .run();
        Map<String, Status> s = new LinkedHashMap<>();
        r.checks().forEach(c -> s.put(c.table() + " " + c.id(), c.status()));
        Map<String, Status> expected = new LinkedHashMap<>();
        expected.put("public.er not_null_id", Status.PASS);
        expected.put("public.er not_null_ghost", Status.ERROR);
        expected.put("public.er unique_id_j", Status.ERROR);
        expected.put("public.er relationships_id", Status.ERROR);
        expected.put("public.er relationships_ghost_fk", Status.ERROR);
        expected.put("public.er accepted_values_id", Status.ERROR);
        expected.put("public.er range_v", Status.ERROR);
        expected.put("public.er freshness_v", Status.ERROR);
        expected.put("public.er freshness_ghost_ts", Status.ERROR);
        expected.put("public.er not_boolean", Status.ERROR);
        expected.put("public.er broken_warn", Status.ERROR);
        expected.put("public.er row_count", Status.PASS);
        expected.put("public.er accepted_values_v", Status.FAIL);
        expected.put("public.er w_not_null", Status.ERROR);
        expected.put("public.er w_unique", Status.ERROR);
        expected.put("public.er w_rel", Status.ERROR);
        expected.put("public.er w_rows", Status.ERROR);
        expected.put("public.er_missing not_null_id", Status.ERROR);
        expected.put("public.er_missing unique_id", Status.ERROR);
        expected.put("public.er_ok not_null_id", Status.PASS);
        expected.put("public.er_ok row_count", Status.PASS);
        assertThat(s).containsExactlyEntriesOf(expected);
        assertThat(check(r, "public.er", "relationships_id").message()).contains("ghost_col");
        assertThat(check(r, "public.er", "relationships_ghost_fk").message()).contains("ghost_fk");
        assertThat(check(r, "public.er", "freshness_ghost_ts").message()).contains("ghost_ts");
        assertThat(check(r, "public.er", "w_unique").message()).contains("no_such_col");
        assertThat(check(r, "public.er", "accepted_values_v").failingRows()).isEqualTo(1);
        assertThat(check(r, "public.er", "accepted_values_v").samples()).containsExactly(Map.of("id", 2, "v", "z"));
        assertThat(r.withStatus(Status.ERROR)).allSatisfy(c -> {
            assertThat(c.message()).as(c.id()).isNotBlank();
            assertThat(c.checkedRows()).as(c.id()).isEqualTo(-1);
        });
        assertThatThrownBy(r::assertPassed).isInstanceOf(QualityException.class)
                .hasMessageContaining("broken_warn").hasMessageContaining("er_missing")
                .satisfies(e -> assertThat(((QualityException) e).report()).isSameAs(r));
    }

    // ---------------------------------------------------------------------------------------------------------
    // where(...) applied to every check, samples included
    // ---------------------------------------------------------------------------------------------------------

    private static void whereTables(DataSource ds) throws SQLException {
        sql(ds, "create schema wh", "create table wh.parent (pid int primary key)", "insert into wh.parent values (1), (2), (3)",
                "create table wh.t (id int primary key, batch int, pid int, code text, qty int, email text, k1 text,"
                        + " k2 int, loaded_at timestamptz)",
                // batch 1: old and bad
                "insert into wh.t values (1, 1, 99, 'BAD', -1, 'nope', 'dup', 1, now() - interval '10 days'),"
                        + " (2, 1, 98, 'BAD', -2, 'nope', 'dup', 1, now() - interval '10 days'),"
                        + " (3, 1, null, null, null, null, null, null, now() - interval '10 days')",
                // batch 2: new and good
                "insert into wh.t values (10, 2, 1, 'OK', 5, 'a@b', 'x', 1, now() - interval '1 minute'),"
                        + " (11, 2, 2, 'OK', 6, 'c@d', 'y', 1, now() - interval '1 minute'),"
                        + " (12, 2, 3, 'OK', 7, 'e@f', 'x', 2, now())");
    }

    private static void allChecks(TableChecks t) {
        t.notNull("pid", "code")
                .unique("email")
                .unique("k1", "k2")
                .relationships("pid", "wh.parent", "pid")
                .acceptedValues("code", "OK")
                .range("qty", 1, null)
                .range("qty", 1, 100).id("range_qty_both")
                .matches("email", "^[^@]+@[^@]+$")
                .expression("qty_positive", "qty > 0")
                .freshness("loaded_at", Duration.ofHours(1));
    }

    @Test
    void whereRestrictsEveryCheckIncludingUniqueRelationshipsRowCountAndFreshness(DataSource ds) throws Exception {
        whereTables(ds);
        QualityReport all = QualitySuite.on(ds).samples(0).table("wh.t", t -> {
            allChecks(t);
            t.rowCount(Bounds.exactly(6));
        }).run();
        // without where every check but row count fails (sanity check of the data)
        assertThat(all.checks()).filteredOn(c -> !c.kind().equals("row_count") && !c.kind().equals("freshness"))
                .hasSize(10).allMatch(c -> c.status() == Status.FAIL);

        QualityReport r = QualitySuite.on(ds).table("wh.t", t -> {
            allChecks(t);
            t.rowCount(Bounds.exactly(3)).where("batch = 2");
        }).run();
        assertThat(r.checks()).allSatisfy(c -> {
            assertThat(c.status()).as(c.id() + ": " + c.observed()).isEqualTo(Status.PASS);
            assertThat(c.checkedRows()).as(c.id()).isEqualTo(3);
        });
        // and the SQL shown up front carries the condition in every statement
        QualitySuite shown = QualitySuite.on(ds).table("wh.t", t -> {
            allChecks(t);
            t.where("batch = 2");
        });
        assertThat(shown.sql()).hasSize(4).allSatisfy(q -> assertThat(q).contains("batch = 2"));
    }

    @Test
    void samplesOfEveryFailedCheckComeOnlyFromRowsTheWhereKeeps(DataSource ds) throws Exception {
        sql(ds, "create schema wh2", "create table wh2.parent (pid int primary key)", "insert into wh2.parent values (1)",
                "create table wh2.t (id int primary key, pid int, code text, qty int, email text)",
                "insert into wh2.t values (1, 99, 'BAD', -1, 'nope'), (2, 98, 'BAD', -2, 'nope'), (3, 97, 'BAD', -3, 'nope'),"
                        + " (4, null, 'OK', 1, 'x@y')");
        QualityReport r = QualitySuite.on(ds).table("wh2.t", t -> t
                .notNull("pid")
                .unique("email")
                .relationships("pid", "wh2.parent", "pid")
                .acceptedValues("code", "OK")
                .range("qty", 1, null)
                .matches("email", "@")
                .expression("qty_positive", "qty > 0")
                .where("id = 2 or id = 3 or id = 4")).run();   // an OR: must stay one condition next to the check's
        assertThat(check(r, "wh2.t", "not_null_pid").samples()).containsExactly(row("id", 4, "pid", null));
        assertThat(check(r, "wh2.t", "unique_email").failingRows()).isEqualTo(2);
        assertThat(check(r, "wh2.t", "unique_email").samples()).containsExactly(Map.of("email", "nope", "duplicates", 2L));
        assertThat(check(r, "wh2.t", "relationships_pid").samples())
                .containsExactly(Map.of("id", 2, "pid", 98), Map.of("id", 3, "pid", 97));
        assertThat(check(r, "wh2.t", "accepted_values_code").samples())
                .containsExactly(Map.of("id", 2, "code", "BAD"), Map.of("id", 3, "code", "BAD"));
        assertThat(check(r, "wh2.t", "range_qty").samples())
                .containsExactly(Map.of("id", 2, "qty", -2), Map.of("id", 3, "qty", -3));
        assertThat(check(r, "wh2.t", "matches_email").samples())
                .containsExactly(Map.of("id", 2, "email", "nope"), Map.of("id", 3, "email", "nope"));
        assertThat(check(r, "wh2.t", "qty_positive").samples()).containsExactly(Map.of("id", 2), Map.of("id", 3));
        assertThat(r.checks()).allMatch(c -> c.checkedRows() == 3);
    }

    /**
     * A where condition is the caller's SQL "used as written"; a trailing line comment is valid SQL in a condition
     * but must not swallow the parenthesis the suite closes it with.
     */
    @Test
    void whereAndExpressionEndingInALineCommentStillRun(DataSource ds) throws Exception {
        sql(ds, "create table cm (id int, v int)", "insert into cm values (1, 1), (2, -1)");
        QualityReport r = QualitySuite.on(ds).samples(0).table("cm", t -> t
                .where("id >= 1 -- only loaded rows")
                .expression("v_pos", "v > 0 -- negative amounts are refunds")
                .unique("id"))
                .run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.FAIL, Status.PASS);
        assertThat(check(r, "public.cm", "v_pos").failingRows()).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // samples: right keys, order, limit, composite unique with NULLs
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void samplesCarryTheDeclaredKeyInItsOrderAreLimitedAndCompositeUniqueIgnoresPartialKeys(DataSource ds)
            throws Exception {
        sql(ds, "create table sk (a int, b text, c int, v int, primary key (b, a))",
                "insert into sk select g, 'b' || (g % 2), case when g <= 4 then 7 else g end,"
                        + " case when g % 3 = 0 then null else g end from generate_series(1, 12) g",
                // composite key (x, y): (1, 1) thrice, (2, NULL) twice and (NULL, NULL) twice are not duplicates
                "create table cu (id int primary key, x int, y int)",
                "insert into cu values (1, 1, 1), (2, 1, 1), (3, 1, 1), (4, 2, null), (5, 2, null), (6, null, null),"
                        + " (7, null, null), (8, 3, 3)");
        QualityReport r = QualitySuite.on(ds).samples(2)
                .table("sk", t -> t.notNull("v"))
                .table("sk", t -> t.key("c", "a").notNull("v").id("keyed_not_null"))
                .table("cu", t -> t.unique("x", "y"))
                .run();
        CheckResult byPk = check(r, "public.sk", "not_null_v");
        assertThat(byPk.failingRows()).isEqualTo(4);
        // the primary key (b, a) in key order, then the column; ordered by the key; limited to 2
        assertThat(byPk.samples()).hasSize(2);
        assertThat(byPk.samples().get(0).keySet()).containsExactly("b", "a", "v");
        assertThat(byPk.samples()).extracting(m -> m.get("b") + "/" + m.get("a")).containsExactly("b0/6", "b0/12");
        CheckResult keyed = check(r, "public.sk", "keyed_not_null");
        assertThat(keyed.samples().get(0).keySet()).containsExactly("c", "a", "v");
        assertThat(keyed.samples()).extracting(m -> m.get("a")).containsExactly(6, 3);

        CheckResult cu = check(r, "public.cu", "unique_x_y");
        assertThat(cu.failingRows()).isEqualTo(3);
        assertThat(cu.observed()).startsWith("1 duplicated key in 3 of 8 rows");
        assertThat(cu.samples()).containsExactly(Map.of("x", 1, "y", 1, "duplicates", 3L));
    }

    // ---------------------------------------------------------------------------------------------------------
    // unique checks and collations
    // ---------------------------------------------------------------------------------------------------------

    /** Two keys that GROUP BY under the column's case-insensitive collation puts together are a duplicate. */
    @Test
    void compositeUniqueUnderANondeterministicCollationFindsKeysThatDifferOnlyInCase(DataSource ds) throws Exception {
        sql(ds, "create collation if not exists ci_review (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table cic (id int primary key, code text collate ci_review, n int)",
                "insert into cic values (1, 'ABC', 1), (2, 'abc', 1), (3, 'xyz', 2)");
        long grouped = ((Number) scalar(ds, "select count(*) from (select code, n from cic group by code, n having count(*) > 1) g")).longValue();
        assertThat(grouped).isEqualTo(1);
        QualityReport r = QualitySuite.on(ds).samples(0).table("cic", t -> t.unique("code", "n").unique("code")).run();
        assertThat(check(r, "public.cic", "unique_code_n").failingRows()).isEqualTo(2);
        assertThat(check(r, "public.cic", "unique_code").failingRows()).isEqualTo(2);
    }

    /**
     * A unique index built under another collation than the column's does not guarantee the check: under the
     * column's case-insensitive collation 'ABC' and 'abc' are one key, the "C"-collated index lets both in.
     */
    @Test
    void aUniqueIndexUnderAnotherCollationDoesNotStandInForTheCheck(DataSource ds) throws Exception {
        sql(ds, "create collation if not exists ci_review2 (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table cix (id int, code text collate ci_review2)",
                "create unique index cix_code_c on cix (code collate \"C\")",
                "insert into cix values (1, 'ABC'), (2, 'abc')");
        QualityReport r = QualitySuite.on(ds).samples(0).table("cix", t -> t.unique("code")).run();
        CheckResult u = r.checks().get(0);
        assertThat(u.observed()).doesNotStartWith("guaranteed by unique index");
        assertThat(u.status()).isEqualTo(Status.FAIL);
        assertThat(u.failingRows()).isEqualTo(2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // row-count anomaly with few history runs
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void anomalyPassesWithFewerThanTwoRunsJudgesFromTwoAndIgnoresErroredRuns(DataSource ds) throws Exception {
        sql(ds, "create table an (id int, grp int)");
        QualitySuite suite = QualitySuite.on(ds).history("dq_review.hist").table("an", t -> t.rowCountAnomaly(3, 10));
        reload(ds, 100);
        CheckResult first = suite.run().checks().get(0);
        assertThat(first.status()).isEqualTo(Status.PASS);
        assertThat(first.observed()).contains("0 earlier runs,");
        reload(ds, 5000);
        CheckResult second = suite.run().checks().get(0);
        assertThat(second.status()).isEqualTo(Status.PASS);
        assertThat(second.observed()).contains("1 earlier run,");
        // an errored run (table gone) is recorded but not part of the baseline
        sql(ds, "alter table an rename to an_away");
        assertThat(suite.run().checks().get(0).status()).isEqualTo(Status.ERROR);
        sql(ds, "alter table an_away rename to an");
        // two earlier good runs (100, 5000): mean 2550, stddev ~3465; 100 again is within 3 sd
        reload(ds, 100);
        CheckResult third = suite.run().checks().get(0);
        assertThat(third.status()).as(third.observed()).isEqualTo(Status.PASS);
        assertThat(third.observed()).contains("last 2 runs");
        assertThat(((Number) scalar(ds, "select count(*) from dq_review.hist where status = 'ERROR'")).intValue()).isEqualTo(1);

        // a where restricts the counted rows; a renamed anomaly check keeps its own baseline
        QualitySuite filtered = QualitySuite.on(ds).history("dq_review.hist")
                .table("an", t -> t.where("grp = 1").rowCountAnomaly(2, 5).id("anomaly_grp1"));
        for (int rows : new int[] {10, 12, 11}) {
            reload(ds, rows);
            assertThat(filtered.run().checks().get(0).status()).isEqualTo(Status.PASS);
        }
        reload(ds, 50);
        CheckResult jump = filtered.run().checks().get(0);
        assertThat(jump.checkedRows()).isEqualTo(50);
        assertThat(jump.status()).isEqualTo(Status.FAIL);
        assertThat(jump.message()).contains("row count 50", "2 standard deviations", "last 3 runs");
    }

    private static void reload(DataSource ds, int rows) throws SQLException {
        sql(ds, "truncate an", "insert into an select g, 1 from generate_series(1, " + rows + ") g",
                "insert into an select g, 2 from generate_series(1, 7) g");
    }

    // ---------------------------------------------------------------------------------------------------------
    // reports with hostile values
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void htmlAndJsonReportsEscapeHostileTableColumnCheckIdsAndValues(DataSource ds) throws Exception {
        String hostileId = "<script>alert('id')</script>";
        String hostileValue = "</td></tr></table><script>alert(1)</script>&amp;]]>\u0007";
        sql(ds, "create table \"<b>bold</b>\" (\"<i>col</i>\" text, \"id\" int primary key)",
                "insert into \"<b>bold</b>\" values ('" + hostileValue.replace("'", "''").replace("\u0007", "' || chr(7) || '")
                        + "', 1), ('ok', 2)");
        QualityReport r = QualitySuite.on(ds).table("\"<b>bold</b>\"", t -> t
                .acceptedValues("<i>col</i>", "ok")
                .expression(hostileId, "\"<i>col</i>\" = 'ok'"))
                .run();
        String table = TableName.parse("\"<b>bold</b>\"").toString();
        assertThat(check(r, table, hostileId).status()).isEqualTo(Status.FAIL);

        String html = r.toHtml();
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
        String ns = "http://www.w3.org/1999/xhtml";
        assertThat(doc.getElementsByTagNameNS(ns, "script").getLength()).isZero();
        assertThat(doc.getElementsByTagNameNS(ns, "b").getLength()).isZero();
        assertThat(doc.getElementsByTagNameNS(ns, "i").getLength()).isZero();
        String text = doc.getDocumentElement().getTextContent();
        assertThat(text).contains(hostileId, "<b>bold</b>", "<i>col</i>", "</td></tr></table><script>alert(1)</script>&amp;]]>");

        JsonNode json = new ObjectMapper().readTree(r.toJson());
        JsonNode checks = json.get("checks");
        assertThat(checks.get(1).get("id").asText()).isEqualTo(hostileId);
        assertThat(checks.get(0).get("table").asText()).isEqualTo(table);
        assertThat(checks.get(0).get("columns").get(0).asText()).isEqualTo("<i>col</i>");
        JsonNode sample = checks.get(0).get("samples").get(0);
        assertThat(sample.get("id").asInt()).isEqualTo(1);
        assertThat(sample.get("<i>col</i>").asText()).isEqualTo(hostileValue);
        assertThat(r.toConsoleTable()).contains(hostileId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // write-audit-publish on the caller's connection
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void auditInsideTheCallersTransactionCommitsNothingLeavesItUsableAndRollbackLeavesNoTrace(DataSource ds)
            throws Exception {
        sql(ds, "create schema wap_r", "create table wap_r.t (id int primary key, amount numeric, code text)",
                "insert into wap_r.t values (1, 10, 'a')");
        QualitySuite audit = QualitySuite.create().history("wap_r_hist.runs").table("wap_r.t", t -> t
                .range("amount", 0, null)
                .notNull("ghost")
                .unique("code")                      // fingerprint pass (planner setting) then grouping
                .expression("broken", "amount >>> 1")
                .rowCountAnomaly(3, 5));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            String presorted = (String) scalar(c, "select current_setting('enable_presorted_aggregate', true)");
            try (Statement st = c.createStatement()) {
                st.execute("insert into wap_r.t values (2, -5, 'a'), (3, 7, 'b')");
            }
            QualityReport r = audit.run(c);
            assertThat(check(r, "wap_r.t", "range_amount").status()).isEqualTo(Status.FAIL);
            assertThat(check(r, "wap_r.t", "range_amount").samples()).containsExactly(
                    Map.of("id", 2, "amount", new java.math.BigDecimal("-5")));
            assertThat(check(r, "wap_r.t", "unique_code").failingRows()).isEqualTo(2);
            assertThat(check(r, "wap_r.t", "not_null_ghost").status()).isEqualTo(Status.ERROR);
            assertThat(check(r, "wap_r.t", "broken").status()).isEqualTo(Status.ERROR);
            assertThat(check(r, "wap_r.t", "row_count_anomaly").checkedRows()).isEqualTo(3);
            assertThatThrownBy(r::assertPassed).isInstanceOf(QualityException.class);

            // nothing committed: another session sees neither the loader's rows nor the history table
            assertThat(((Number) scalar(ds, "select count(*) from wap_r.t")).intValue()).isEqualTo(1);
            assertThat(scalar(ds, "select to_regclass('wap_r_hist.runs')")).isNull();
            // the caller's transaction is still open, usable, with its settings
            assertThat(c.getAutoCommit()).isFalse();
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
            assertThat(scalar(c, "select current_setting('enable_presorted_aggregate', true)")).isEqualTo(presorted);
            assertThat(((Number) scalar(c, "select count(*) from wap_r.t")).intValue()).isEqualTo(3);
            assertThat(((Number) scalar(c, "select count(*) from wap_r_hist.runs")).intValue()).isEqualTo(5);
            try (Statement st = c.createStatement()) {
                st.execute("insert into wap_r.t values (4, 1, 'c')");
            }
            c.rollback();
        }
        assertThat(((Number) scalar(ds, "select count(*) from wap_r.t")).intValue()).isEqualTo(1);
        assertThat(scalar(ds, "select to_regclass('wap_r_hist.runs')")).isNull();
        assertThat(scalar(ds, "select count(*) from pg_namespace where nspname = 'wap_r_hist'")).isEqualTo(0L);

        // the passing case: the caller publishes, and the history row is part of the same commit
        QualitySuite pass = QualitySuite.create().history("wap_r_hist.runs").table("wap_r.t", t -> t.range("amount", 0, null));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("insert into wap_r.t values (5, 3, 'e')");
            }
            pass.run(c).assertPassed();
            c.commit();
        }
        assertThat(((Number) scalar(ds, "select count(*) from wap_r.t")).intValue()).isEqualTo(2);
        assertThat(((Number) scalar(ds, "select count(*) from wap_r_hist.runs")).intValue()).isEqualTo(1);
    }

    @Test
    void auditOnAnAutoCommitConnectionRestoresSessionSettingsAndKeepsAutoCommit(DataSource ds) throws Exception {
        sql(ds, "create table ac (id int, code text)", "insert into ac values (1, 'a'), (2, 'a')");
        try (Connection c = ds.getConnection()) {
            assertThat(c.getAutoCommit()).isTrue();
            String presorted = (String) scalar(c, "select current_setting('enable_presorted_aggregate', true)");
            QualityReport r = QualitySuite.create().samples(1).table("ac", t -> t.unique("code").notNull("ghost")
                    .expression("broken", "code >>> 1")).run(c);
            assertThat(statuses(r)).containsExactly(Map.entry("unique_code", Status.FAIL),
                    Map.entry("not_null_ghost", Status.ERROR), Map.entry("broken", Status.ERROR));
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(scalar(c, "select current_setting('enable_presorted_aggregate', true)")).isEqualTo(presorted);
            assertThat(((Number) scalar(c, "select count(*) from ac")).intValue()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // identifiers with odd characters
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void identifiersWithSpacesQuotesAndMixedCaseWorkInEveryCheckAndInSamples(DataSource ds) throws Exception {
        sql(ds, "create schema \"Sales Data\"",
                "create table \"Sales Data\".\"Customers\" (\"Customer ID\" int primary key)",
                "insert into \"Sales Data\".\"Customers\" values (1), (2)",
                "create table \"Sales Data\".\"Order Lines\" (\"Order ID\" int primary key, \"customerId\" int,"
                        + " \"Status\" text, \"note's\" text, n int, a1 int, \"Loaded At\" timestamptz)",
                "insert into \"Sales Data\".\"Order Lines\" values"
                        + " (1, 1, 'NEW', 'ok', 1, 1, now()),"
                        + " (2, 1, 'NULL', 'ok', 2, 2, now()),"          // the string 'NULL' is an accepted value
                        + " (3, 9, 'it''s', 'Bad', 3, 3, now()),"        // orphan customer, bad note
                        + " (4, 2, 'x,\"y\"}', 'ok', -1, 4, now()),"     // status not accepted, n out of range
                        + " (5, 2, 'NEW', 'ok', 5, 5, now()),"
                        + " (6, 2, 'NEW', 'ok', 6, null, now())");       // (2, NEW) twice
        String table = "\"Sales Data\".\"Order Lines\"";
        QualityReport r = QualitySuite.on(ds).table(table, t -> t
                .notNull("Order ID", "customerId", "a1")
                .unique("customerId", "Status")
                .relationships("customerId", "\"Sales Data\".\"Customers\"", "Customer ID")
                .acceptedValues("Status", "NEW", "it's", "NULL")
                .matches("note's", "^[a-z]")
                .range("n", 0, 10)
                .expression("n_matches_a1", "n = a1")
                .freshness("Loaded At", Duration.ofHours(1))
                .rowCount(Bounds.exactly(6)))
                .run();
        String name = TableName.parse(table).toString();
        assertThat(name).isEqualTo("\"Sales Data\".\"Order Lines\"");
        Map<String, Long> failing = new LinkedHashMap<>();
        r.checks().forEach(c -> failing.put(c.id(), c.failingRows()));
        assertThat(failing).containsExactly(
                Map.entry("not_null_Order ID", 0L), Map.entry("not_null_customerId", 0L), Map.entry("not_null_a1", 1L),
                Map.entry("unique_customerId_Status", 2L), Map.entry("relationships_customerId", 1L),
                Map.entry("accepted_values_Status", 1L), Map.entry("matches_note's", 1L), Map.entry("range_n", 1L),
                Map.entry("n_matches_a1", 1L), Map.entry("freshness_Loaded At", 0L), Map.entry("row_count", 0L));
        assertThat(r.withStatus(Status.ERROR)).isEmpty();
        assertThat(check(r, name, "relationships_customerId").samples())
                .containsExactly(Map.of("Order ID", 3, "customerId", 9));
        assertThat(check(r, name, "accepted_values_Status").samples())
                .containsExactly(Map.of("Order ID", 4, "Status", "x,\"y\"}"));
        assertThat(check(r, name, "matches_note's").samples()).containsExactly(Map.of("Order ID", 3, "note's", "Bad"));
        assertThat(check(r, name, "unique_customerId_Status").samples())
                .containsExactly(Map.of("customerId", 2, "Status", "NEW", "duplicates", 2L));
        assertThat(check(r, name, "n_matches_a1").samples()).containsExactly(Map.of("Order ID", 4));
        // unquoted names fold to lower case as PostgreSQL does; the quoted mixed-case table is another table
        QualityReport folded = QualitySuite.on(ds).table("Sales_Data.Order_Lines", t -> t.notNull("x")).run();
        assertThat(folded.checks().get(0).status()).isEqualTo(Status.ERROR);
        assertThat(folded.checks().get(0).message()).contains("sales_data.order_lines");
    }

    // ---------------------------------------------------------------------------------------------------------
    // types whose equality is not their text: enum, numeric scale, float zero and NaN
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void checksOnEnumNumericAndFloatColumnsCompareAsPostgresDoes(DataSource ds) throws Exception {
        sql(ds, "create type mood_r as enum ('sad', 'ok', 'happy')",
                "create table ty (id int primary key, mood mood_r, amount numeric, f float8)",
                "insert into ty values (1, 'sad', 1.0, 0.0), (2, 'happy', 1.00, -0.0), (3, null, 2, 'NaN'),"
                        + " (4, 'ok', 3, 'NaN'), (5, 'ok', null, 1)");
        long nanGroups = ((Number) scalar(ds, "select count(*) from (select f from ty group by f having count(*) > 1) g")).longValue();
        assertThat(nanGroups).isEqualTo(2); // 0.0 = -0.0 and NaN = NaN in PostgreSQL
        QualityReport r = QualitySuite.on(ds).table("ty", t -> t
                .acceptedValues("mood", "sad", "ok")
                .matches("mood", "^(sad|ok)$").id("mood_text")
                .range("mood", "ok", null).id("mood_from_ok")      // enum order: sad < ok < happy
                .unique("amount")
                .unique("f")
                .unique("mood", "amount").id("unique_mood_amount"))
                .run();
        assertThat(check(r, "public.ty", "accepted_values_mood").samples()).containsExactly(Map.of("id", 2, "mood", "happy"));
        assertThat(check(r, "public.ty", "mood_text").failingRows()).isEqualTo(1);
        assertThat(check(r, "public.ty", "mood_from_ok").failingRows()).isEqualTo(1);
        assertThat(check(r, "public.ty", "unique_amount").failingRows()).isEqualTo(2);
        assertThat(check(r, "public.ty", "unique_f").failingRows()).isEqualTo(4);
        assertThat(check(r, "public.ty", "unique_mood_amount").status()).isEqualTo(Status.PASS);
    }

    // ---------------------------------------------------------------------------------------------------------
    // a table the user may not read is an ERROR for its checks only
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void aTableTheRoleMayNotReadIsAnErrorWhileItsOtherTablesAreChecked(DataSource ds) throws Exception {
        sql(ds, "create schema priv", "create table priv.open (id int primary key, v int)", "insert into priv.open values (1, null)",
                "create table priv.closed (id int primary key, v int)", "insert into priv.closed values (1, 1)",
                "create role priv_reader", "grant usage on schema priv to priv_reader", "grant select on priv.open to priv_reader");
        QualitySuite suite = QualitySuite.create().table("priv.closed", t -> t.notNull("v").unique("v").rowCount(atLeast(1)))
                .table("priv.open", t -> t.notNull("v").relationships("v", "priv.closed", "v"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set role priv_reader");
            c.setAutoCommit(false);
            try {
                QualityReport r = suite.run(c);
                assertThat(r.checks()).extracting(CheckResult::table, CheckResult::id, CheckResult::status).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("priv.closed", "not_null_v", Status.ERROR),
                        org.assertj.core.groups.Tuple.tuple("priv.closed", "unique_v", Status.ERROR),
                        org.assertj.core.groups.Tuple.tuple("priv.closed", "row_count", Status.ERROR),
                        org.assertj.core.groups.Tuple.tuple("priv.open", "not_null_v", Status.FAIL),
                        org.assertj.core.groups.Tuple.tuple("priv.open", "relationships_v", Status.ERROR));
                assertThat(r.withStatus(Status.ERROR)).allSatisfy(x -> assertThat(x.message()).contains("permission denied"));
                assertThat(check(r, "priv.open", "not_null_v").samples()).containsExactly(row("id", 1, "v", null));
                assertThat(((Number) scalar(c, "select count(*) from priv.open")).intValue()).isEqualTo(1);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
                st.execute("reset role");
            }
        }
    }

    /** A key(...) naming a column the table lacks is a declaration mistake the report should name, not hide. */
    @Test
    void aKeyColumnTheTableLacksIsNamedInTheReport(DataSource ds) throws Exception {
        sql(ds, "create table kx (id int, v int)", "insert into kx values (1, null)");
        QualityReport r = QualitySuite.on(ds).table("kx", t -> t.key("idd").notNull("v")).run();
        CheckResult nn = r.checks().get(0);
        assertThat(nn.status()).isEqualTo(Status.FAIL);
        assertThat(nn.samples()).containsExactly(row("v", null));
        assertThat(nn.message()).contains("samples without key column(s) \"idd\": not in public.kx");
        // the report finds a check by the table's name as declared, too
        assertThat(r.check("kx", "not_null_v")).contains(nn);
        assertThat(r.check("PUBLIC.KX", "not_null_v")).contains(nn);
        assertThat(r.check("public.kx", "not_null_v")).contains(nn);
        assertThat(r.check("other.kx", "not_null_v")).isEmpty();
    }

    /** A newest value in the future counts as fresh (as in dbt) and says so; '-infinity' is infinitely old. */
    @Test
    void freshnessOfFutureAndInfiniteTimestampsIsReadable(DataSource ds) throws Exception {
        sql(ds, "create table fut (ts timestamptz)", "insert into fut values (now() + interval '2 days')",
                "create table inf (ts timestamptz)", "insert into inf values ('infinity'), (now())",
                "create table ninf (ts timestamptz)", "insert into ninf values ('-infinity')");
        QualityReport r = QualitySuite.on(ds)
                .table("fut", t -> t.freshness("ts", Duration.ofHours(1)))
                .table("inf", t -> t.freshness("ts", Duration.ofHours(1)))
                .table("ninf", t -> t.freshness("ts", Duration.ofHours(1)))
                .run();
        CheckResult future = check(r, "public.fut", "freshness_ts");
        assertThat(future.status()).isEqualTo(Status.PASS);
        assertThat(future.observed()).matches(".*\\(age (1d 23h|2d 0h) in the future\\)");
        CheckResult infinite = check(r, "public.inf", "freshness_ts");
        assertThat(infinite.status()).isEqualTo(Status.PASS);
        assertThat(infinite.observed()).isEqualTo("newest infinity (age in the infinite future)");
        CheckResult old = check(r, "public.ninf", "freshness_ts");
        assertThat(old.status()).isEqualTo(Status.FAIL);
        assertThat(old.message()).isEqualTo("newest ts is -infinity, older than 1h 0m");
    }
}
