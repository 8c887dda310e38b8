package dev.mds.quality;

import static dev.mds.quality.Threshold.percent;
import static dev.mds.quality.Threshold.rows;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.testing.MdsPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * dbt's two thresholds: {@code error_if} decides FAIL (only under severity ERROR), else {@code warn_if} decides WARN,
 * else PASS; {@code threshold(...)} keeps its meaning (both at once).
 */
@MdsPostgres
class WarnIfErrorIfTest {

    /** 100 rows; v is NULL in 12 of them; code 'dup' in rows 1 and 2; pid 99 (no parent) in rows 1 to 3. */
    private static void twelveNulls(DataSource ds, String table) {
        sql(ds, "create table if not exists parents (pid int primary key)",
                "insert into parents select g from generate_series(1, 10) g on conflict do nothing",
                "create table " + table + " (id int primary key, v int, code text, pid int)",
                "insert into " + table + " select g, case when g <= 12 then null else g end,"
                        + " case when g <= 2 then 'dup' else 'c' || g end, case when g <= 3 then 99 else 1 + g % 10 end"
                        + " from generate_series(1, 100) g");
    }

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + id + " in " + r.checks()));
    }

    private static Map<String, Status> statuses(QualityReport r) {
        Map<String, Status> m = new LinkedHashMap<>();
        r.checks().forEach(c -> m.put(c.id(), c.status()));
        return m;
    }

    @Test
    void errorIfDecidesFailAndWarnIfDecidesWarnBelowItAsDbtDoes(DataSource ds) {
        twelveNulls(ds, "wt");
        QualityReport r = QualitySuite.on(ds).table("wt", t -> t
                .notNull("v").id("error_over_10").errorIf(rows(10))              // 12 > 10: FAIL
                .notNull("v").id("error_over_20").errorIf(rows(20))              // within error_if, over warn_if > 0: WARN
                .notNull("v").id("within_both").warnIf(rows(20)).errorIf(rows(30)) // PASS
                .notNull("v").id("warn_looser").warnIf(rows(50)).errorIf(rows(5))  // error_if first: FAIL
                .notNull("v").id("error_pct").errorIf(percent(11.5))             // 12% > 11.5%: FAIL
                .unique("code").errorIf(rows(5))                                 // 2 duplicated rows: WARN
                .relationships("pid", "parents", "pid").warnIf(rows(3)).errorIf(rows(10))) // 3 orphans: PASS
                .run();
        assertThat(statuses(r)).containsExactly(Map.entry("error_over_10", Status.FAIL),
                Map.entry("error_over_20", Status.WARN), Map.entry("within_both", Status.PASS),
                Map.entry("warn_looser", Status.FAIL), Map.entry("error_pct", Status.FAIL),
                Map.entry("unique_code", Status.WARN), Map.entry("relationships_pid", Status.PASS));

        CheckResult fail = check(r, "public.wt", "error_over_10");
        assertThat(fail.decidedBy()).isEqualTo("error_if > 10 rows");
        assertThat(fail.message()).isEqualTo("12 failing rows (12.00%), more than error_if > 10 rows");
        assertThat(fail.samples()).hasSize(5);

        CheckResult warn = check(r, "public.wt", "error_over_20");
        assertThat(warn.decidedBy()).isEqualTo("warn_if > 0 rows");
        assertThat(warn.message()).isEqualTo("12 failing rows (12.00%), more than warn_if > 0 rows, within error_if > 20 rows");
        assertThat(warn.samples()).as("a warning is sampled too").hasSize(5);

        CheckResult pass = check(r, "public.wt", "within_both");
        assertThat(pass.decidedBy()).isEmpty();
        assertThat(pass.message()).isEqualTo("12 failing rows (12.00%), within warn_if > 20 rows and error_if > 30 rows");
        assertThat(pass.samples()).isEmpty();

        assertThat(check(r, "public.wt", "warn_looser").decidedBy()).isEqualTo("error_if > 5 rows");
        assertThat(check(r, "public.wt", "error_pct").decidedBy()).isEqualTo("error_if > 11.5%");
        assertThat(check(r, "public.wt", "unique_code").decidedBy()).isEqualTo("warn_if > 0 rows");
        assertThat(check(r, "public.wt", "relationships_pid").failingRows()).isEqualTo(3);
        assertThat(r.passed()).isFalse();
    }

    @Test
    void aLooserWarnIfAloneStillFailsAtTheFirstRowUnderSeverityErrorAsInDbt(DataSource ds) {
        twelveNulls(ds, "wl");
        CheckResult r = QualitySuite.on(ds).table("wl", t -> t.notNull("v").warnIf(rows(20))).run().checks().get(0);
        assertThat(r.status()).isEqualTo(Status.FAIL);
        assertThat(r.decidedBy()).isEqualTo("error_if > 0 rows");
        assertThat(r.message()).isEqualTo("12 failing rows (12.00%), more than error_if > 0 rows");
    }

    @Test
    void severityWarnNeverConsultsErrorIf(DataSource ds) {
        twelveNulls(ds, "ws");
        QualityReport r = QualitySuite.on(ds).table("ws", t -> t
                .notNull("v").id("warn_default").errorIf(rows(5)).warn()          // error_if ignored; warn_if > 0: WARN
                .notNull("v").id("warn_within").warnIf(rows(50)).errorIf(rows(5)).warn()) // 12 <= 50: PASS
                .run();
        assertThat(statuses(r)).containsExactly(Map.entry("warn_default", Status.WARN), Map.entry("warn_within", Status.PASS));
        CheckResult w = check(r, "public.ws", "warn_default");
        assertThat(w.decidedBy()).isEqualTo("warn_if > 0 rows");
        // one threshold in play: the plain wording, no mention of the error_if that severity WARN ignores
        assertThat(w.message()).isEqualTo("12 failing rows (12.00%), more than the threshold of 0 rows");
        assertThat(check(r, "public.ws", "warn_within").message()).isEqualTo("12 failing rows (12.00%), within the threshold > 50 rows");
        assertThat(r.passed()).isTrue();
    }

    @Test
    void thresholdKeepsItsMeaningBothThresholdsAtOnce(DataSource ds) {
        twelveNulls(ds, "wk");
        QualityReport r = QualitySuite.on(ds).table("wk", t -> t
                .notNull("v").id("over").threshold(rows(10))               // FAIL, as before
                .notNull("v").id("under").threshold(rows(20))              // PASS, not WARN: threshold sets warn_if too
                .notNull("v").id("over_warn").threshold(rows(10)).warn()   // WARN, as before
                .notNull("v").id("renamed").errorIf(rows(20)).id("renamed_later")) // id(...) keeps the thresholds
                .run();
        assertThat(statuses(r)).containsExactly(Map.entry("over", Status.FAIL), Map.entry("under", Status.PASS),
                Map.entry("over_warn", Status.WARN), Map.entry("renamed_later", Status.WARN));
        assertThat(check(r, "public.wk", "over").message()).isEqualTo("12 failing rows (12.00%), more than the threshold > 10 rows");
        assertThat(check(r, "public.wk", "over").decidedBy()).isEqualTo("error_if > 10 rows");
        assertThat(check(r, "public.wk", "under").message()).contains("within the threshold > 20 rows");
        assertThat(check(r, "public.wk", "over_warn").decidedBy()).isEqualTo("warn_if > 10 rows");
    }

    @Test
    void warnIfAndErrorIfBeforeTheFirstCheckAreTheTablesDefaults(DataSource ds) {
        twelveNulls(ds, "wd");
        QualityReport r = QualitySuite.on(ds).table("wd", t -> t
                .warnIf(rows(15)).errorIf(percent(50))
                .notNull("v").id("defaults")                               // 12 <= 15: PASS
                .expression("v_small", "v < 90")                           // 11 rows (v 90..100) <= 15: PASS
                .notNull("v").id("own_error").errorIf(rows(11)))           // warn_if 15 (default) kept, error_if 11: FAIL
                .run();
        assertThat(check(r, "public.wd", "defaults").status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.wd", "own_error").status()).isEqualTo(Status.FAIL);
        assertThat(check(r, "public.wd", "own_error").message()).contains("more than error_if > 11 rows");
        CheckResult expr = check(r, "public.wd", "v_small");
        assertThat(expr.failingRows()).isEqualTo(11); // v 90..100; NULL v passes, as dbt's expression_is_true
        assertThat(expr.status()).isEqualTo(Status.PASS);
    }

    @Test
    void everyReportFormatShowsWhichThresholdDecided(DataSource ds) throws Exception {
        twelveNulls(ds, "wr");
        QualityReport r = QualitySuite.on(ds).table("wr", t -> t
                .notNull("v").id("hard").errorIf(rows(10))
                .notNull("v").id("soft").errorIf(rows(20))
                .notNull("id"))
                .run();
        String console = r.toConsoleTable();
        assertThat(console.lines().filter(l -> l.contains("DECIDED BY"))).hasSize(1);
        assertThat(console.lines().filter(l -> l.startsWith("public.wr | hard")).findFirst().orElseThrow())
                .containsPattern("\\| FAIL +\\|.*\\| error_if > 10 rows +\\|");
        assertThat(console.lines().filter(l -> l.startsWith("public.wr | soft")).findFirst().orElseThrow())
                .containsPattern("\\| WARN +\\|.*\\| warn_if > 0 rows +\\|");
        assertThat(console.lines().filter(l -> l.startsWith("public.wr | not_null_id")).findFirst().orElseThrow())
                .containsPattern("\\| PASS +\\|.*\\| - +\\|");

        JsonNode checks = new ObjectMapper().readTree(r.toJson()).get("checks");
        assertThat(checks.get(0).get("decidedBy").asText()).isEqualTo("error_if > 10 rows");
        assertThat(checks.get(1).get("decidedBy").asText()).isEqualTo("warn_if > 0 rows");
        assertThat(checks.get(2).get("decidedBy").asText()).isEmpty();

        var f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        var headers = doc.getElementsByTagNameNS("http://www.w3.org/1999/xhtml", "th");
        boolean found = false;
        for (int i = 0; i < headers.getLength(); i++) {
            found |= headers.item(i).getTextContent().equals("Decided by");
        }
        assertThat(found).isTrue();
        assertThat(doc.getDocumentElement().getTextContent()).contains("error_if > 10 rows", "warn_if > 0 rows");

        // the QualityException's table shows it too
        assertThatThrownBy(r::assertPassed).isInstanceOf(QualityException.class).hasMessageContaining("error_if > 10 rows");
    }

    @Test
    void aThresholdOnATableLevelCheckIsRefusedNamingTheCheckInsteadOfIgnored() {
        QualitySuite suite = QualitySuite.create();
        // before: accepted and never applied (rowCount(atLeast(1000)).warnIf(rows(10)) still failed at 999 rows)
        assertThatThrownBy(() -> suite.table("s.t", t -> t.notNull("a").rowCount(Bounds.atLeast(1000)).warnIf(rows(10))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("s.t: warnIf(...) on check 'row_count': a row_count check passes or fails as a whole")
                .hasMessageContaining(".severity(Severity.WARN)");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.freshness("ts", java.time.Duration.ofHours(1)).errorIf(percent(5))))
                .hasMessageContaining("errorIf(...) on check 'freshness_ts'");
        assertThatThrownBy(() -> suite.table("s.t", t -> t.rowCountAnomaly(3, 5).threshold(rows(1))))
                .hasMessageContaining("threshold(...) on check 'row_count_anomaly'");
        // a table default set before the first check passes table-level checks by, and severity applies to them
        QualitySuite ok = suite.table("s.t", t -> t.threshold(percent(1)).notNull("a").rowCount(Bounds.atLeast(1)).warn());
        assertThat(ok.sql()).hasSize(1);
    }

    @Test
    void badThresholdArgumentsAreRefusedNamingWhat() {
        QualitySuite suite = QualitySuite.create();
        assertThatThrownBy(() -> suite.table("t", t -> t.notNull("a").warnIf((Threshold) null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("warnIf");
        assertThatThrownBy(() -> suite.table("t", t -> t.notNull("a").errorIf((Threshold) null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("errorIf");
        assertThatThrownBy(() -> suite.table("t", t -> t.notNull("a").warnIf((String) null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("warnIf");
        assertThatThrownBy(() -> suite.table("t", t -> t.notNull("a").errorIf((String) null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("errorIf");
        assertThatThrownBy(() -> rows(-1)).hasMessageContaining("threshold rows must be >= 0, was -1");
        assertThatThrownBy(() -> percent(100.5)).hasMessageContaining("between 0 and 100, was 100.5");
    }

    /**
     * dbt's warn_if / error_if as a dbt test's config writes them: a condition on the number of failing rows. Before,
     * only Threshold objects were taken, so a dbt project's ">10" had to be translated by hand (">=5" is rows(4)).
     */
    @Test
    void dbtConditionStringsDecideAsTheThresholdsTheyMean(DataSource ds) {
        twelveNulls(ds, "wc");
        QualityReport r = QualitySuite.on(ds).table("wc", t -> t
                .notNull("v").id("warn_10_error_13").warnIf(">10").errorIf(">=13")   // 12: WARN
                .notNull("v").id("error_11").errorIf("> 11")                         // 12 > 11: FAIL
                .notNull("v").id("error_ge_12").errorIf(">=12")                      // 12 >= 12: FAIL
                .notNull("v").id("error_gt_12").warnIf("> 12").errorIf(" > 12 ")     // PASS
                .notNull("v").id("dbt_default").warnIf("!=0").errorIf("<>0")         // FAIL
                .unique("code").warnIf("!= 0").errorIf(">2"))                        // 2 duplicated rows: WARN
                .run();
        assertThat(statuses(r)).containsExactly(Map.entry("warn_10_error_13", Status.WARN), Map.entry("error_11", Status.FAIL),
                Map.entry("error_ge_12", Status.FAIL), Map.entry("error_gt_12", Status.PASS),
                Map.entry("dbt_default", Status.FAIL), Map.entry("unique_code", Status.WARN));
        assertThat(check(r, "wc", "warn_10_error_13").decidedBy()).isEqualTo("warn_if > 10 rows");
        assertThat(check(r, "wc", "error_ge_12").decidedBy()).isEqualTo("error_if > 11 rows");
        assertThat(Threshold.parse("!=0")).isEqualTo(Threshold.NONE);
        assertThat(Threshold.parse(">=1")).isEqualTo(Threshold.NONE);
        assertThat(Threshold.parse(">" + Long.MAX_VALUE)).isEqualTo(rows(Long.MAX_VALUE));
        // a table default, as warnIf(Threshold) before the first check
        QualityReport d = QualitySuite.on(ds).table("wc", t -> t.warnIf(">5").errorIf(">20").notNull("v")).run();
        assertThat(d.checks().get(0).status()).isEqualTo(Status.WARN);
    }

    @Test
    void aMalformedConditionIsRefusedNamingTheTableTheCheckAndWhatIsWrong() {
        QualitySuite suite = QualitySuite.create();
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("10", "no comparison with the number of failing rows");
        bad.put(">ten", "'ten' is not a whole number of failing rows");
        bad.put(">", "no number after '>'");
        bad.put(">-1", "'-1' is not a whole number of failing rows");
        bad.put(">1.5", "'1.5' is not a whole number of failing rows");
        bad.put(">5%", "'5%' is a percentage, not a number of failing rows (use Threshold.percent(...) or mostly(...))");
        bad.put("<5", "'<' would warn or fail when there are few failing rows, not when there are too many");
        bad.put("=0", "'=' would warn or fail when there are few failing rows");
        bad.put("<=3", "'<=' would warn or fail");
        bad.put(">=0", "every run meets it, even one with no failing row");
        bad.put("!=3", "it is met by fewer failing rows than 3 as well as by more");
        bad.put("", "no comparison");
        bad.put(">99999999999999999999", "99999999999999999999 rows is more than a count of rows can be");
        bad.put(">10 or 1=1", "'10 or 1=1' is not a whole number of failing rows");
        bad.forEach((condition, why) -> {
            assertThatThrownBy(() -> suite.table("s.t", t -> t.notNull("a").unique("b").id("b_key").warnIf(condition)))
                    .as(condition).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("s.t, check 'b_key': warnIf condition \"" + condition + "\": ")
                    .hasMessageContaining(why);
            assertThatThrownBy(() -> suite.table("s.t", t -> t.notNull("a", "c").errorIf(condition)))
                    .as(condition).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("s.t, checks 'not_null_a', 'not_null_c': errorIf condition \"" + condition + "\": ")
                    .hasMessageContaining(why);
            assertThatThrownBy(() -> suite.table("s.t", t -> t.errorIf(condition).notNull("a")))
                    .as(condition).hasMessageStartingWith("s.t (default of the checks that follow): errorIf condition");
            assertThatThrownBy(() -> Threshold.parse(condition)).as(condition)
                    .hasMessageStartingWith("condition \"" + condition + "\": ").hasMessageContaining(why);
        });
        assertThatThrownBy(() -> Threshold.parse(">ten")).hasMessageEndingWith(
                "; write \">n\", \">=n\" or \"!=0\" (n a whole number of failing rows), as in dbt's warn_if / error_if");
        // a well-formed condition on a table-level check is refused as a Threshold is
        assertThatThrownBy(() -> suite.table("s.t", t -> t.rowCount(Bounds.atLeast(1)).warnIf(">10")))
                .hasMessageContaining("warnIf(...) on check 'row_count'");
    }
}
