package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Findings of an adversarial review against what users of dbt tests and Great Expectations expect, each shown on the
 * real server before it was fixed.
 */
@MdsPostgres
class ReviewAgainstDbtAndGreatExpectationsTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id));
    }

    /**
     * A row count exactly k standard deviations from the mean is not more than k away, so it passes (as a z-score
     * of exactly k is no anomaly). The comparison was made in doubles, {@code dev <= k * sd}, where 0.29 * 100 is
     * 28.999999999999996: a count 29 rows (0.29 sd) from the mean failed, saying it was "more than 0.29 standard
     * deviations" away.
     */
    @Test
    void aRowCountExactlyKStandardDeviationsFromTheMeanPasses(DataSource ds) {
        String[] tables = {"at_k_above", "at_k_below", "past_k"};
        for (String table : tables) {
            sql(ds, "create table " + table + " (id int)");
        }
        // earlier runs of 0, 200 and 100 rows: mean 100, sample standard deviation exactly 100
        for (int rows : new int[] {0, 200, 100}) {
            QualitySuite suite = QualitySuite.on(ds).history("public.runs");
            for (String table : tables) {
                sql(ds, "truncate " + table, "insert into " + table + " select generate_series(1, " + rows + ")");
                suite = suite.table(table, t -> t.rowCountAnomaly(0.29, 10));
            }
            suite.run();
        }
        sql(ds, "truncate at_k_above, at_k_below, past_k", "insert into at_k_above select generate_series(1, 129)",
                "insert into at_k_below select generate_series(1, 71)", "insert into past_k select generate_series(1, 130)");
        QualitySuite suite = QualitySuite.on(ds).history("public.runs");
        for (String table : tables) {
            suite = suite.table(table, t -> t.rowCountAnomaly(0.29, 10));
        }
        QualityReport r = suite.run();

        CheckResult above = check(r, "public.at_k_above", "row_count_anomaly");
        assertThat(above.observed()).isEqualTo("129 rows; last 3 runs mean 100.0, stddev 100.0 (0.29 sd away)");
        assertThat(above.status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.at_k_below", "row_count_anomaly").status()).isEqualTo(Status.PASS);
        CheckResult past = check(r, "public.past_k", "row_count_anomaly");
        assertThat(past.status()).isEqualTo(Status.FAIL);
        assertThat(past.message()).isEqualTo("row count 130 is more than 0.29 standard deviations from the mean 100.0 of the last 3 runs");
    }

    /**
     * A mean, median or standard deviation reads as a number a person reads: PostgreSQL's avg of a numeric column
     * carries 16 to 20 decimals, and the report showed them all ("mean 1.44444444444444444444", "median
     * 1.5000000000000000", "median 3.0000000000000000"). Now 6 significant digits, without trailing zeros, and more
     * where fewer would put the value on the other side of a bound, or on it (9.99999999995 is not shown as 10 against
     * a minimum of 10). The check still compares the exact value.
     */
    @Test
    void computedStatisticsShowSixSignificantDigitsOrAsManyAsTheBoundsNeed(DataSource ds) {
        sql(ds, "create table stats (id int, n numeric, i int, near numeric, f float8)",
                "insert into stats values (1, 1.5, 1, 10, 0.1), (2, 2.5, 2, 9.9999999999, 0.2), (3, 1.0/3, null, null, null)");
        QualityReport r = QualitySuite.on(ds).table("stats", t -> t
                .statistic(Statistic.MEAN, "n", 10, 20)
                .statistic(Statistic.MEDIAN, "i", 10, 20)
                .statistic(Statistic.MEDIAN, "n", 1.5, 1.5)
                .statistic(Statistic.STDDEV, "n", null, 1)
                .statistic(Statistic.MEAN, "near", 10, null)
                .statistic(Statistic.MEAN, "f", 0, 1)
                .statistic(Statistic.MAX, "n", 0, 1)).run();
        assertThat(check(r, "public.stats", "mean_n").observed()).isEqualTo("mean 1.44444");
        assertThat(check(r, "public.stats", "mean_n").message()).isEqualTo("mean of n is 1.44444, expected within [10, 20]");
        assertThat(check(r, "public.stats", "median_i").observed()).isEqualTo("median 1.5");
        assertThat(check(r, "public.stats", "median_n").observed()).isEqualTo("median 1.5");
        assertThat(check(r, "public.stats", "median_n").status()).isEqualTo(Status.PASS);
        assertThat(check(r, "public.stats", "stddev_n").observed()).isEqualTo("stddev 1.0844");
        CheckResult near = check(r, "public.stats", "mean_near");
        assertThat(near.status()).isEqualTo(Status.FAIL);
        assertThat(near.message()).isEqualTo("mean of near is 9.99999999995, expected within [10, ∞]");
        assertThat(check(r, "public.stats", "mean_f").observed()).isEqualTo("mean 0.15");
        // not computed: the column's own value, as PostgreSQL prints it
        assertThat(check(r, "public.stats", "max_n").observed()).isEqualTo("max 2.5");
    }

    /**
     * An empty string failing a check is visible on the HTML page. Its sample cell was an empty shaded span, no
     * wider than nothing, so the row read as if the value were missing; NULL reads as an emphasised NULL and is
     * told apart, and so is now an empty string, as an emphasised "empty string" beside the shaded values.
     */
    @Test
    void anEmptyStringSampleIsVisibleOnTheHtmlPage(DataSource ds) throws Exception {
        sql(ds, "create table codes (id int, code text)", "insert into codes values (1, ''), (2, ' '), (3, 'empty string'), (4, null)");
        QualityReport r = QualitySuite.on(ds).table("codes", t -> t.key("id").acceptedValues("code", "EUR")).run();
        assertThat(check(r, "public.codes", "accepted_values_code").samples()).extracting(m -> m.get("code"))
                .containsExactly("", " ", "empty string");

        Document page = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        List<String> cells = new ArrayList<>();
        NodeList tds = page.getElementsByTagName("td");
        for (int i = 0; i < tds.getLength(); i++) {
            Element td = (Element) tds.item(i);
            if (td.getChildNodes().getLength() == 1 && td.getFirstChild() instanceof Element value
                    && (value.getTagName().equals("em") || value.getAttribute("class").equals("v"))) {
                cells.add(value.getTagName() + ":" + value.getTextContent());
            }
        }
        assertThat(cells).containsExactly("span:1", "em:empty string", "span:2", "span: ", "span:3", "span:empty string");
    }

    /**
     * Unique first counts distinct hashes of the keys and, only when two keys share a hash, groups the keys
     * themselves. PostgreSQL's jsonb hash ignores where an array ends, so [["a"],"b"] and [["a","b"]] share one:
     * the grouping found no duplicate, and the check observed "0 duplicated keys in 0 of 2 rows", where any other two
     * distinct keys observe "0 duplicated keys in 2 rows". Now both say the latter.
     */
    @Test
    void uniqueOnTwoJsonbKeysSharingAHashObservesAsOnAnyTwoDistinctKeys(DataSource ds) {
        sql(ds, "create table docs (id int, doc jsonb)", "insert into docs values (1, '[[\"a\"], \"b\"]'), (2, '[[\"a\", \"b\"]]')",
                "create table other_docs (id int, doc jsonb)", "insert into other_docs values (1, '[\"a\"]'), (2, '[\"b\"]')");
        assertThat(strings(ds, "select count(distinct hash_record_extended(row(doc), 0))::text from docs")).as("one hash")
                .containsExactly("1");
        QualityReport r = QualitySuite.on(ds).table("docs", t -> t.unique("doc")).table("other_docs", t -> t.unique("doc")).run();
        CheckResult shared = check(r, "public.docs", "unique_doc");
        assertThat(shared.status()).isEqualTo(Status.PASS);
        assertThat(shared.observed()).isEqualTo(check(r, "public.other_docs", "unique_doc").observed())
                .isEqualTo("0 duplicated keys in 2 rows");
    }

    /**
     * The console table's samples (what {@code assertPassed} throws in a CI log) tell a NULL from the text 'null', a
     * jsonb null and an empty string, and show where blanks start and end. They printed a NULL and the string "null"
     * alike ({@code {id=2, s=null}}), so a load that wrote the word null, failing accepted values, looked like NULLs
     * the check ignores; an empty string and outer blanks ({@code s=}, {@code s= EUR}) were hard to see. Now NULL
     * reads NULL, and a value that could be mistaken (empty, with blanks at either end, starting with a quote, or
     * null in any case) is quoted as SQL quotes it; other values stay bare.
     */
    @Test
    void consoleSamplesTellNullFromTheTextNullAndShowEmptyAndBlankEdgedValues(DataSource ds) {
        sql(ds, "create table loaded (id int, s text, j jsonb)", "insert into loaded values (1, null, null), (2, 'null', 'null'),"
                + " (3, '', '1'), (4, ' EUR', '1'), (5, E'EUR\\t', '1'), (6, 'it''s', '1'), (7, 'NULL', '1'), (8, '''q''', '1'),"
                + " (9, 'EUR', '\"x\"')");
        QualityReport r = QualitySuite.on(ds).samples(10).table("loaded", t -> t.key("id").acceptedValues("s", "EUR").notNull("s")
                .acceptedValues("j", "1")).run();
        assertThat(check(r, "public.loaded", "accepted_values_s").samples()).extracting(m -> m.get("s"))
                .containsExactly("null", "", " EUR", "EUR\t", "it's", "NULL", "'q'");
        String console = r.toConsoleTable();
        assertThat(console.substring(console.indexOf("samples of public.loaded accepted_values_s:"))).startsWith(String.join("\n",
                "samples of public.loaded accepted_values_s:",
                "  {id=2, s='null'}",
                "  {id=3, s=''}",
                "  {id=4, s=' EUR'}",
                "  {id=5, s='EUR\\t'}",
                "  {id=6, s=it's}",
                "  {id=7, s='NULL'}",
                "  {id=8, s='''q'''}",
                "",
                "samples of public.loaded not_null_s:",
                "  {id=1, s=NULL}",
                "",
                "samples of public.loaded accepted_values_j:",
                "  {id=2, j='null'}",
                "  {id=9, j=\"x\"}"));
    }

    /**
     * A sample value whose difference is a character no one sees (a byte order mark from a CSV file, a zero-width
     * space or soft hyphen from copy and paste, a carriage return left by CRLF line ends, a control character) shows
     * that character, escaped as the console escapes control characters, on the HTML page (set apart from the text)
     * and in the console. 'EUR' + U+FEFF failing accepted values [EUR] read "EUR" in both; a U+0001 read as U+FFFD on
     * the page. The JSON keeps the values as they are.
     */
    @Test
    void invisibleCharactersInSampleValuesAreShownEscaped(DataSource ds) throws Exception {
        sql(ds, "create table cur (id int, code text)", "insert into cur values (1, E'EUR\\uFEFF'), (2, E'EUR\\u200B'),"
                + " (3, E'EUR\\r'), (4, E'E\\u0001UR'), (5, E'EU\\u00ADR'), (6, E'EUR\\nUSD\\tGBP')");
        QualityReport r = QualitySuite.on(ds).samples(10).table("cur", t -> t.key("id").acceptedValues("code", "EUR")).run();
        assertThat(check(r, "public.cur", "accepted_values_code").samples()).extracting(m -> m.get("code"))
                .containsExactly("EUR\uFEFF", "EUR\u200B", "EUR\r", "E\u0001UR", "EU\u00ADR", "EUR\nUSD\tGBP");

        String console = r.toConsoleTable();
        assertThat(console).contains("  {id=1, code=EUR\\ufeff}", "  {id=2, code=EUR\\u200b}", "  {id=3, code='EUR\\r'}",
                "  {id=4, code=E\\u0001UR}", "  {id=5, code=EU\\u00adR}", "  {id=6, code=EUR\\nUSD\\tGBP}");

        Document page = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        List<String> values = new ArrayList<>();
        List<String> escapes = new ArrayList<>();
        NodeList spans = page.getElementsByTagName("span");
        for (int i = 0; i < spans.getLength(); i++) {
            Element span = (Element) spans.item(i);
            if (span.getAttribute("class").equals("v") && !span.getTextContent().matches("[0-9]+")) {
                values.add(span.getTextContent());
                NodeList ems = span.getElementsByTagName("em");
                for (int j = 0; j < ems.getLength(); j++) {
                    escapes.add(ems.item(j).getTextContent());
                }
            }
        }
        // line breaks and tabs stay as they are: the page shows them (white-space: break-spaces)
        assertThat(values).containsExactly("EUR\\ufeff", "EUR\\u200b", "EUR\\r", "E\\u0001UR", "EU\\u00adR", "EUR\nUSD\tGBP");
        assertThat(escapes).containsExactly("\\ufeff", "\\u200b", "\\r", "\\u0001", "\\u00ad");
    }

    /**
     * A failure message shows the failing share with as many decimals as it takes to read on the threshold's side
     * of it, and a share of failing rows never as 0. With 2 decimals, 1 failing row of 3 against percent(33.33) read
     * "1 failing row (33.33%), more than the threshold > 33.33%", 2 of 3 against percent(66.67) "(66.67%), within
     * the threshold > 66.67%", and 1 of 100,000 against percent(0) "(0.00%), more than the threshold > 0.0%": the
     * decision was right (exact) and its message contradicted it. Two decimals stay wherever they tell.
     */
    @Test
    void aFailingShareReadsOnItsThresholdsSideOfIt(DataSource ds) {
        sql(ds, "create table thirds (id int, v int)", "insert into thirds values (1, 1), (2, -1), (3, -1)",
                "create table third (id int, v int)", "insert into third values (1, 1), (2, -1), (3, 1)",
                "create table big (id int, v int)", "insert into big select g, case when g = 1 then -1 else g end from generate_series(1, 100000) g");
        QualityReport r = QualitySuite.on(ds)
                .table("third", t -> t.range("v", 0, null).where("id <= 2").threshold(Threshold.percent(50)).id("half"))
                .table("third", t -> t.range("v", 0, null).threshold(Threshold.percent(33.33)).id("third"))
                .table("thirds", t -> t.range("v", 0, null).threshold(Threshold.percent(66.67)).id("two_thirds"))
                .table("big", t -> t.range("v", 0, null).threshold(Threshold.percent(0)).id("one_in_100000")
                        .range("v", 0, null).warnIf(Threshold.percent(0)).errorIf(Threshold.percent(0.002)).id("warned"))
                .run();
        // not what this is about: two decimals that tell
        assertThat(check(r, "public.third", "half").message()).isEqualTo("1 failing row (50.00%), within the threshold > 50.0%");
        CheckResult third = check(r, "public.third", "third");
        assertThat(third.status()).isEqualTo(Status.FAIL);
        assertThat(third.message()).isEqualTo("1 failing row (33.333%), more than the threshold > 33.33%");
        CheckResult twoThirds = check(r, "public.thirds", "two_thirds");
        assertThat(twoThirds.status()).isEqualTo(Status.PASS);
        assertThat(twoThirds.message()).isEqualTo("2 failing rows (66.667%), within the threshold > 66.67%");
        CheckResult one = check(r, "public.big", "one_in_100000");
        assertThat(one.status()).isEqualTo(Status.FAIL);
        assertThat(one.message()).isEqualTo("1 failing row (0.001%), more than the threshold > 0.0%");
        CheckResult warned = check(r, "public.big", "warned");
        assertThat(warned.status()).isEqualTo(Status.WARN);
        assertThat(warned.message()).isEqualTo("1 failing row (0.001%), more than warn_if > 0.0%, within error_if > 0.002%");
    }

    /**
     * The observed value of a failing row-count anomaly says how many standard deviations away the count lies with
     * as many decimals as it takes to read past k. After runs of 0, 1 and 1 rows a count of 3 lies 4.0415 sd away,
     * which failed against k = 4.04 observing "(4.04 sd away)" beside "more than 4.04 standard deviations".
     */
    @Test
    void aFailingAnomalyObservesItsDistanceBeyondK(DataSource ds) {
        sql(ds, "create table vol (id int)");
        for (int rows : new int[] {0, 1, 1, 3}) {
            sql(ds, "truncate vol", "insert into vol select generate_series(1, " + rows + ")");
            QualityReport r = QualitySuite.on(ds).history("public.vol_runs").table("vol", t -> t.rowCountAnomaly(4.04, 10)).run();
            if (rows == 3) {
                CheckResult c = check(r, "public.vol", "row_count_anomaly");
                assertThat(c.status()).isEqualTo(Status.FAIL);
                assertThat(c.observed()).isEqualTo("3 rows; last 3 runs mean 0.7, stddev 0.6 (4.041 sd away)");
                assertThat(c.message()).isEqualTo("row count 3 is more than 4.04 standard deviations from the mean 0.7 of the last 3 runs");
            }
        }
    }

    /**
     * A failing proportion of unique values reads outside its bounds: 2 distinct values of 3 against a minimum of
     * 0.66667 failed saying "is 0.6667 (2 distinct values of 3 non-NULL values), expected within [0.66667, ∞]", a
     * number inside them. Now it has the decimals that put it below (0.666667); 4 where they tell.
     */
    @Test
    void aFailingProportionOfUniqueValuesReadsOutsideItsBounds(DataSource ds) {
        sql(ds, "create table cur3 (id int, code text)", "insert into cur3 values (1, 'EUR'), (2, 'EUR'), (3, 'USD')");
        QualityReport r = QualitySuite.on(ds).table("cur3", t -> t.proportionOfUniqueValues("code", 0.66667, null)
                .proportionOfUniqueValues("code", 0.7, null).id("plain")).run();
        CheckResult near = check(r, "public.cur3", "proportion_of_unique_values_code");
        assertThat(near.status()).isEqualTo(Status.FAIL);
        assertThat(near.message()).isEqualTo("proportion of unique values of code is 0.666667 (2 distinct values of 3"
                + " non-NULL values), expected within [0.66667, ∞]");
        assertThat(check(r, "public.cur3", "plain").observed()).isEqualTo("proportion 0.6667 (2 distinct values of 3 non-NULL values)");
    }

    /**
     * A stale freshness check says how much older than its maximum age the newest value is. The age was shown to
     * the units of its size (hours and minutes from an hour), so a value 1 hour and 30 seconds old failed a maximum
     * of 1 hour saying "newest loaded_at is 1h 0m old, more than 1h 0m". Now it reads "1h 0m 30s old"; a fresh value
     * and an age plainly past the maximum read as before.
     */
    @Test
    void aStaleValueAsOldAsTheMaximumToTheUnitShownSaysHowMuchOlder(DataSource ds) {
        sql(ds, "create table feed_hour (id int, loaded_at timestamptz)", "insert into feed_hour values (1, now() - interval '1 hour 30 seconds')",
                "create table feed_day (id int, loaded_at timestamptz)", "insert into feed_day values (1, now() - interval '1 day 2 hours')");
        QualityReport r = QualitySuite.on(ds)
                .table("feed_hour", t -> t.freshness("loaded_at", Duration.ofHours(1)))
                .table("feed_day", t -> t.freshness("loaded_at", Duration.ofHours(1))).run();
        CheckResult hour = check(r, "public.feed_hour", "freshness_loaded_at");
        assertThat(hour.status()).isEqualTo(Status.FAIL);
        assertThat(hour.message()).isEqualTo("newest loaded_at is 1h 0m 30s old, more than 1h 0m");
        assertThat(hour.observed()).endsWith("(age 1h 0m 30s)");
        assertThat(check(r, "public.feed_day", "freshness_loaded_at").message()).isEqualTo("newest loaded_at is 1d 2h old, more than 1h 0m");
    }

    /**
     * A small percentage threshold reads as a decimal, as the share beside it does: percent(0.0001), one row in a
     * million, was written with Java's exponent, "more than the threshold > 1.0E-4%" (and decided by "error_if >
     * 1.0E-4%").
     */
    @Test
    void aSmallPercentageThresholdReadsAsADecimal(DataSource ds) {
        sql(ds, "create table lots (id int, v int)", "insert into lots select g, case when g = 1 then -1 else g end from generate_series(1, 100000) g");
        QualityReport r = QualitySuite.on(ds).table("lots", t -> t.range("v", 0, null).threshold(Threshold.percent(0.0001))
                .range("v", 0, null).threshold(Threshold.mostly(0.9999999)).id("mostly")).run();
        CheckResult c = check(r, "public.lots", "range_v");
        assertThat(c.message()).isEqualTo("1 failing row (0.001%), more than the threshold > 0.0001%");
        assertThat(c.decidedBy()).isEqualTo("error_if > 0.0001%");
        assertThat(check(r, "public.lots", "mostly").decidedBy()).isEqualTo("error_if > 0.00001% of non-null rows");
        assertThat(Threshold.percent(5).toString()).isEqualTo("> 5.0%");
    }

    /**
     * The report's % column tells a failing row from none and all rows from fewer: 1 failing row of 100,000 showed
     * 0.00 beside FAIL in the console table and on the HTML page, and 99,999 of 100,000 showed 100.00. Now 0.001 and
     * 99.999; 2 decimals wherever they tell (0.00 for none, 100.00 for all).
     */
    @Test
    void thePercentColumnTellsOneFailingRowFromNoneAndAllFromFewer(DataSource ds) {
        sql(ds, "create table wide (id int, v int)", "insert into wide select g, case when g = 1 then -1 else g end from generate_series(1, 100000) g");
        QualityReport r = QualitySuite.on(ds).samples(0).table("wide", t -> t.range("v", 0, null).id("one")
                .range("v", null, 1).id("all_but_one").range("v", null, 100000).id("none").expression("all", "v < -5")).run();
        String console = r.toConsoleTable();
        assertThat(console.lines().filter(l -> l.startsWith("public.wide")).map(l -> l.split("\\|"))
                .map(cells -> cells[1].trim() + " " + cells[4].trim()))
                .containsExactly("one 0.001", "all_but_one 99.999", "none 0.00", "all 100.00");
        // and the message beside it
        assertThat(check(r, "public.wide", "all_but_one").message())
                .isEqualTo("99999 failing rows (99.999%), more than the threshold of 0 rows");
        String html = r.toHtml();
        assertThat(html).contains("<td class=\"num\">0.001</td>", "<td class=\"num\">99.999</td>", "<td class=\"num\">0.00</td>",
                "<td class=\"num\">100.00</td>");
    }
}
