package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Findings of a review as a demanding user of dbt tests and Great Expectations, each fixed. */
@MdsPostgres
class DemandingUserReviewTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id));
    }

    /**
     * Write-audit-publish: the caller's transaction began, the load ran on, and only then does the audit run. Freshness
     * measured the age from {@code now()}, the start of the caller's transaction, so a feed whose newest row is older
     * than the maximum age at the time of the check passed, by as long as the load had taken.
     */
    @Test
    void freshnessInACallersTransactionMeasuresTheAgeAtTheCheckNotAtTheTransactionsStart(DataSource ds) throws Exception {
        sql(ds, "create table feed (id int, loaded_at timestamptz, loaded_ts timestamp, loaded_on date)");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // the newest row is as old as the transaction; the load then goes on for 1.5 s
                st.execute("insert into feed values (1, now(), now() at time zone 'UTC', null)");
                st.execute("select pg_sleep(1.5)");
            }
            QualityReport r = QualitySuite.on(ds).table("feed", t -> t
                    .freshness("loaded_at", Duration.ofSeconds(1))
                    .freshness("loaded_ts", Duration.ofSeconds(1))
                    .freshness("loaded_at", Duration.ofSeconds(1)).groupBy("id").id("grouped"))
                    .run(c);
            assertThat(check(r, "public.feed", "freshness_loaded_at").status()).isEqualTo(Status.FAIL);
            assertThat(check(r, "public.feed", "freshness_loaded_at").message()).contains("more than 1s");
            assertThat(check(r, "public.feed", "freshness_loaded_ts").status()).isEqualTo(Status.FAIL);
            CheckResult grouped = check(r, "public.feed", "grouped");
            assertThat(grouped.status()).isEqualTo(Status.FAIL);
            assertThat(grouped.failingRows()).isEqualTo(1);
            assertThat(grouped.samples()).singleElement().satisfies(s -> assertThat(s).containsEntry("id", 1));
            c.rollback();
        }
    }

    /**
     * The HTML page showed a sample value as plain cell text, where a browser collapses white space: {@code 'EUR '}
     * failed accepted values [EUR, USD] and its sample read "EUR", a line break or tab read as one blank and two
     * blanks as one, so the very difference that failed the check could not be seen. Now a sample value keeps its
     * white space ({@code white-space: break-spaces}) on a shaded ground that shows where it starts and ends.
     */
    @Test
    void htmlSampleValuesKeepTheirWhiteSpaceVisible(DataSource ds) throws Exception {
        List<String> codes = List.of("EUR ", " USD", "E\tUR", "US\nD", "U  SD");
        sql(ds, "create table fx (id int primary key, code text)",
                "insert into fx values (1, 'EUR'), (2, 'EUR '), (3, ' USD'), (4, E'E\\tUR'), (5, E'US\\nD'), (6, 'U  SD')");
        QualityReport r = QualitySuite.on(ds).table("fx", t -> t.acceptedValues("code", "EUR", "USD")).run();
        assertThat(check(r, "public.fx", "accepted_values_code").samples()).extracting(m -> m.get("code"))
                .containsExactlyElementsOf(codes);

        String html = r.toHtml();
        Document page = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
        List<String> shown = new ArrayList<>();
        NodeList spans = page.getElementsByTagName("span");
        for (int i = 0; i < spans.getLength(); i++) {
            Element span = (Element) spans.item(i);
            if (span.getAttribute("class").equals("v")) {
                shown.add(span.getTextContent());
            }
        }
        // the ids and the values of the sample rows, each exactly as it is
        assertThat(shown).containsExactly("2", "EUR ", "3", " USD", "4", "E\tUR", "5", "US\nD", "6", "U  SD");
        String style = page.getElementsByTagName("style").item(0).getTextContent();
        assertThat(style).contains(".v{white-space:break-spaces;");
    }

    /**
     * Freshness on a table whose rows all have a NULL timestamp observed "no rows", as on an empty table: the report
     * said the load brought nothing when it brought rows without the column filled in, two different incidents.
     */
    @Test
    void freshnessOfOnlyNullTimestampsSaysTheRowsAreThereNotThatThereAreNone(DataSource ds) {
        sql(ds, "create table events (id int, seen_at timestamptz)", "insert into events values (1, null), (2, null), (3, null)",
                "create table nothing (id int, seen_at timestamptz)");
        QualityReport r = QualitySuite.on(ds)
                .table("events", t -> t.freshness("seen_at", Duration.ofHours(1)))
                .table("nothing", t -> t.freshness("seen_at", Duration.ofHours(1)))
                .run();
        CheckResult nulls = check(r, "public.events", "freshness_seen_at");
        assertThat(nulls.status()).isEqualTo(Status.FAIL);
        assertThat(nulls.checkedRows()).isEqualTo(3);
        assertThat(nulls.observed()).isEqualTo("3 rows, every seen_at NULL");
        assertThat(check(r, "public.nothing", "freshness_seen_at").observed()).isEqualTo("no rows");
    }

    /**
     * The HTML page let the browser break any cell anywhere, so a report whose message column held samples and SQL
     * squeezed the short cells: a browser 1400 pixels wide showed "ERRO|R", "FAI|L", "75.|00" and the headers "Tabl|e",
     * "Sta|tus" over two lines. Headers, kinds, severities, statuses and numbers are words of a fixed set or numbers:
     * they now keep to one line ({@code white-space: nowrap}); table names, ids, values and messages still break.
     */
    @Test
    void htmlKeepsHeadersKindsSeveritiesStatusesAndNumbersOnOneLine(DataSource ds) throws Exception {
        sql(ds, "create table fx2 (id int primary key, code text)", "insert into fx2 values (1, 'EUR'), (2, 'GBP')");
        QualityReport r = QualitySuite.on(ds).table("fx2", t -> t.acceptedValues("code", "EUR").notNull("code")).run();
        Document page = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.toHtml().getBytes(StandardCharsets.UTF_8)));
        String style = page.getElementsByTagName("style").item(0).getTextContent();
        assertThat(style).contains("th,td.nw,td.num{white-space:nowrap}");
        Element report = (Element) page.getElementsByTagName("tbody").item(0);
        NodeList rows = report.getChildNodes();
        int seen = 0;
        for (int i = 0; i < rows.getLength(); i++) {
            if (!(rows.item(i) instanceof Element row) || !row.getTagName().equals("tr")) {
                continue;
            }
            List<String> classes = new ArrayList<>();
            for (org.w3c.dom.Node cell = row.getFirstChild(); cell != null; cell = cell.getNextSibling()) {
                if (cell instanceof Element td && td.getTagName().equals("td")) {
                    classes.add(td.getAttribute("class"));
                }
            }
            // table, check, kind, columns, severity, status, failing, %, decided by, observed, message, ms
            assertThat(classes).containsExactly("", "", "nw", "", "nw", "nw", "num", "num", "", "", "", "num");
            seen++;
        }
        assertThat(seen).isEqualTo(2);
    }
}
