package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** An adversarial review of the reports and the history: what a dbt-tests or Great Expectations user would try. */
@MdsPostgres
class ReportsAndHistoryReviewTest {

    /**
     * Two runs (two pipelines auditing at once) find the history table missing and both create it: the second's
     * create waits for the first's transaction and then failed on pg_type's unique index, so that run threw and
     * recorded nothing.
     */
    @Test
    void twoRunsCreatingTheHistoryTableAtOnceBothRecordTheirRuns(DataSource ds) throws Exception {
        sql(ds, "create schema audit_race", "create table hrace (id int)", "insert into hrace values (1), (2)");
        QualitySuite suite = QualitySuite.on(ds).history("audit_race.runs").table("hrace", t -> t.notNull("id"));
        try (Connection first = ds.getConnection()) {
            first.setAutoCommit(false);
            assertThat(suite.run(first).passed()).isTrue();
            // the first run's transaction is still open: the second finds no history table either
            CompletableFuture<QualityReport> second = CompletableFuture.supplyAsync(suite::run);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (strings(ds, "select count(*) from pg_stat_activity where datname = current_database()"
                    + " and wait_event_type = 'Lock'").equals(List.of("0")) && !second.isDone()) {
                assertThat(System.nanoTime()).as("the second run waits for a lock").isLessThan(until);
                Thread.sleep(10);
            }
            first.commit();
            // before: MdsException "cannot create the quality history table audit_race.runs: ERROR: duplicate key
            // value violates unique constraint "pg_type_typname_nsp_index""
            assertThat(second.get(30, TimeUnit.SECONDS).passed()).isTrue();
        }
        assertThat(strings(ds, "select count(distinct run_id) from audit_race.runs")).containsExactly("2");
    }

    /**
     * A check id, table name or message in CJK (two terminal columns a character), or with a combining accent (none),
     * pushed the console table's columns out of line: widths were counted in chars.
     */
    @Test
    void theConsoleTableLinesUpWideAndCombiningCharacters(DataSource ds) throws Exception {
        sql(ds, "create table \"注文\" (id int, note text)", "insert into \"注文\" values (1, 'a'), (2, 'b')");
        QualityReport r = QualitySuite.on(ds).table("\"注文\"", t -> t
                .expression("金額チェック", "id > 1")
                .expression("cafe\u0301", "id > 0")
                .expression("plain", "id > 0")
                .expression("長".repeat(40), "id > 0"))
                .run();
        List<String> lines = r.toConsoleTable().lines().skip(1).takeWhile(l -> !l.isEmpty()).toList();
        assertThat(lines).hasSize(6); // head, rule, 4 checks
        List<Integer> bars = null;
        for (String l : lines) {
            List<Integer> at = new java.util.ArrayList<>();
            int col = 0;
            for (int i = 0; i < l.length(); ) {
                int cp = l.codePointAt(i);
                if (cp == '|' || cp == '+') {
                    at.add(col);
                }
                col += columns(cp);
                i += Character.charCount(cp);
            }
            if (bars == null) {
                bars = at;
            }
            assertThat(at).as(l).isEqualTo(bars);
        }
        assertThat(bars.get(1) - bars.get(0) - 3).as("the check column, cut at 70 columns").isLessThanOrEqualTo(70);
        assertThat(lines.get(5)).contains("長".repeat(34) + "…");
    }

    /** Terminal columns of a code point in this test's strings. */
    private static int columns(int cp) {
        if (Character.getType(cp) == Character.NON_SPACING_MARK) {
            return 0;
        }
        return cp >= 0x3000 && cp <= 0x9FFF ? 2 : 1;
    }

    /**
     * A numeric sample value below 1e-6 was shown in Java's exponent notation: 0.0000001 as 1E-7 in the console and
     * the HTML page, and 0.00000010 as 1.0E-7 in the JSON, where PostgreSQL (and psql) print 0.0000001 and
     * 0.00000010.
     */
    @Test
    void smallNumericSampleValuesReadAsPostgresqlPrintsThem(DataSource ds) throws Exception {
        sql(ds, "create table tiny (id int primary key, rate numeric)",
                "insert into tiny values (1, 0.0000001), (2, 0.00000010), (3, -0.000000000015), (4, 0.5)");
        QualityReport r = QualitySuite.on(ds).table("tiny", t -> t.key("id").range("rate", 0.1, 1)).run();
        assertThat(r.toConsoleTable()).contains("{id=1, rate=0.0000001}", "{id=2, rate=0.00000010}",
                "{id=3, rate=-0.000000000015}").doesNotContain("E-");
        assertThat(r.toHtml()).contains("<span class=\"v\">0.0000001</span>", "<span class=\"v\">0.00000010</span>").doesNotContain("E-");
        String json = r.toJson();
        assertThat(json).contains("\"rate\" : 0.0000001\n", "\"rate\" : 0.00000010\n", "\"rate\" : -0.000000000015\n");
        com.fasterxml.jackson.databind.JsonNode samples = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .readTree(json).get("checks").get(0).get("samples");
        assertThat(samples.get(1).get("rate").decimalValue()).isEqualByComparingTo("0.0000001");
    }

    /**
     * The console table cuts a cell at 70 columns, and an ERROR's message says why only at its end: assertPassed's
     * exception read "check matches_code (matches on column "code" of type text) of public.codes coul…" and
     * "referenced table public.nowhere does not exist (or is not visible to …", the reason cut off. The other checks
     * still ran.
     */
    @Test
    void assertPassedSaysWhyAnErrorCouldNotRunInFull(DataSource ds) throws Exception {
        sql(ds, "create table codes (id int primary key, code text, parent int)",
                "insert into codes values (1, 'ab', null), (2, 'cd', 1)");
        QualityReport r = QualitySuite.on(ds).table("codes", t -> t
                .matches("code", "([a-z")
                .relationships("parent", "nowhere", "id")
                .relationships("parent", "codes", "id").id("parent_in_codes")
                .notNull("code"))
                .run();
        assertThat(r.check("codes", "parent_in_codes").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("codes", "not_null_code").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThatThrownBy(r::assertPassed).isInstanceOf(QualityException.class)
                .hasMessageContaining("2 of 4 quality checks did not pass")
                .hasMessageContaining("invalid regular expression: brackets [] not balanced")
                .hasMessageContaining("referenced table public.nowhere does not exist (or is not visible to this user)"
                        + " (referenced by \"parent\" of public.codes)");
        assertThat(r.toConsoleTable()).contains("invalid regular expression: brackets [] not balanced");
    }

    /** The HTML page counted samples as "1 sample row(s)", where the module's other counts read "1 row", "2 rows". */
    @Test
    void theHtmlPageCountsSamplesAsTheOtherReportsCount(DataSource ds) throws Exception {
        sql(ds, "create table sampled (id int primary key, v int)", "insert into sampled values (1, null), (2, 5), (3, 6)");
        String html = QualitySuite.on(ds).table("sampled", t -> t.notNull("v").range("v", 0, 4)).run().toHtml();
        assertThat(html).contains("<summary>1 sample row</summary>", "<summary>2 sample rows</summary>")
                .doesNotContain("row(s)");
    }

    /**
     * A run's startedAt (the report, its JSON and HTML) kept the clock's nanoseconds while the history stored the
     * same instant rounded to PostgreSQL's microseconds: 00:00:00.000000999Z in the report was 00:00:00.000001 in
     * run_at, a row stamped after the run it records started.
     */
    @Test
    void theReportsStartedAtIsTheHistorysRunAt(DataSource ds) throws Exception {
        sql(ds, "create table stamped (id int)", "insert into stamped values (1)");
        java.time.Instant at = java.time.Instant.parse("2026-01-01T00:00:00.000000999Z");
        QualityReport r = QualitySuite.on(ds).history("audit_stamp.runs").clock(java.time.Clock.fixed(at, java.time.ZoneOffset.UTC))
                .table("stamped", t -> t.notNull("id")).run();
        long micros = java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, r.startedAt());
        assertThat(r.startedAt().getNano() % 1000).as("the report's startedAt has no finer part than run_at").isZero();
        assertThat(strings(ds, "select (extract(epoch from run_at) * 1000000)::bigint from audit_stamp.runs"
                + " where run_id = '" + r.runId() + "'")).containsExactly(Long.toString(micros));
        assertThat(r.startedAt()).isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.toJson()).get("startedAt").asText())
                .isEqualTo("2026-01-01T00:00:00Z");
    }

    /**
     * The console escaped control characters from the data but passed Unicode's bidirectional controls through: a
     * sample value 'paid\u202E0001 - refund' (RIGHT-TO-LEFT OVERRIDE, the Trojan Source trick) is shown reversed past
     * the override by a terminal that does bidi, and a line separator (U+2028) breaks a cell's line in some.
     */
    @Test
    void theConsoleEscapesBidiControlsAndLineSeparatorsFromTheData(DataSource ds) throws Exception {
        sql(ds, "create table bidi (id int primary key, v text)",
                "insert into bidi values (1, E'paid\\u202E0001 - refund'), (2, E'a\\u2028b'), (3, E'x\\u2066y\\u2069'),"
                        + " (4, 'ok')");
        QualityReport r = QualitySuite.on(ds).table("bidi", t -> t.key("id").acceptedValues("v", "ok")
                .expression("v\u202Eid", "v = 'ok'")).run();
        String console = r.toConsoleTable();
        assertThat(console).contains("v=paid\\u202e0001 - refund", "v=a\\u2028b", "v=x\\u2066y\\u2069", "v\\u202eid")
                .doesNotContain("\u202E", "\u2028", "\u2066", "\u2069");
    }

    /**
     * PostgreSQL compiles a pattern when a row first reaches it: matches with an invalid regular expression was an
     * ERROR on a table with values, but passed on an empty table, under a where(...) that keeps no row and on a column
     * of only NULLs, until the day a value arrived.
     */
    @Test
    void anInvalidRegularExpressionIsAnErrorAlsoWhenNoRowReachesIt(DataSource ds) throws Exception {
        sql(ds, "create table rx_empty (id int, code text)", "create table rx_nulls (id int, code text)",
                "insert into rx_nulls values (1, null), (2, null)");
        QualityReport r = QualitySuite.on(ds)
                .table("rx_empty", t -> t.matches("code", "([a-z").matches("code", "^[a-z]+$").id("valid"))
                .table("rx_nulls", t -> t.where("id > 5").matches("code", "([a-z").id("kept_none"))
                .table("rx_nulls", t -> t.notNull("code").warn().matches("code", "([a-z").id("only_nulls")
                        .matches("code", "^[a-z]+$").id("valid_on_nulls"))
                .table("rx_nulls", t -> t.matches("code", "([a-z").id("only_nulls_uncounted"))
                .run();
        for (String[] c : new String[][] {{"rx_empty", "matches_code"}, {"rx_nulls", "kept_none"}, {"rx_nulls", "only_nulls"},
                {"rx_nulls", "only_nulls_uncounted"}}) {
            CheckResult x = r.check(c[0], c[1]).orElseThrow();
            assertThat(x.status()).as(c[1]).isEqualTo(Status.ERROR);
            assertThat(x.message()).as(c[1]).contains("could not run", "invalid regular expression");
        }
        assertThat(r.check("rx_empty", "valid").orElseThrow().status()).isEqualTo(Status.PASS);
        assertThat(r.check("rx_nulls", "valid_on_nulls").orElseThrow().status()).isEqualTo(Status.PASS);
    }
}
