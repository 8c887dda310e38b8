package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;

@MdsPostgres
class ReportAndHistoryTest {

    @Test
    void htmlReportIsWellFormedXhtmlWithEveryValueEscaped(DataSource ds, @TempDir Path dir) throws Exception {
        TestSql.sql(ds, "create table h (id text primary key, v text)",
                "insert into h values ('<script>alert(1)</script>', 'a & b \"q\" ''s'''), ('k2', 'ctl\u0001char'), ('k3', 'ok')");
        QualityReport r = QualitySuite.on(ds).table("h", t -> t
                .acceptedValues("v", "ok")
                .expression("no_lt", "id not like '<%'").severity(Severity.WARN)
                .notNull("missing_col"))
                .run();
        Path file = r.writeHtml(dir.resolve("report/quality.html"));
        String html = Files.readString(file);
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(1)&lt;/script&gt;");

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("html");
        NodeList rows = doc.getElementsByTagNameNS("http://www.w3.org/1999/xhtml", "tr");
        assertThat(rows.getLength()).isGreaterThanOrEqualTo(4); // header + 3 checks (+ sample rows)
        assertThat(doc.getDocumentElement().getTextContent())
                .contains("<script>alert(1)</script>", "a & b \"q\" 's'", "FAIL", "WARN", "ERROR", "missing_col");
        assertThat(doc.getElementsByTagNameNS("http://www.w3.org/1999/xhtml", "style").getLength()).isEqualTo(1);
    }

    @Test
    void jsonAndConsoleReportsCarryEveryCheck(DataSource ds) throws Exception {
        TestSql.sql(ds, "create table j (id int primary key, v int)", "insert into j values (1, 1), (2, null)");
        QualityReport r = QualitySuite.on(ds).table("j", t -> t.notNull("v").range("v", 0, 10)).run();
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("queries").asInt()).isEqualTo(2);
        JsonNode first = json.get("checks").get(0);
        assertThat(first.get("id").asText()).isEqualTo("not_null_v");
        assertThat(first.get("status").asText()).isEqualTo("FAIL");
        assertThat(first.get("failingRows").asLong()).isEqualTo(1);
        assertThat(first.get("failingPercent").asDouble()).isEqualTo(50.0);
        assertThat(first.get("samples").get(0).get("id").asInt()).isEqualTo(2);
        assertThat(first.get("samples").get(0).get("v").isNull()).isTrue();
        assertThat(first.get("sql").asText()).contains("count(*) filter (where \"v\" is null)");
        assertThat(json.get("checks").get(1).get("status").asText()).isEqualTo("PASS");

        String console = r.toConsoleTable();
        assertThat(console.lines().filter(l -> l.startsWith("public.j"))).hasSize(2);
        assertThat(console).contains("not_null_v", "FAIL", "50.00", "samples of public.j not_null_v", "{id=2, v=NULL}");
    }

    @Test
    void historyRecordsEachRunAndAnomalyFlagsARowCountFarFromRecentRuns(DataSource ds) throws Exception {
        TestSql.sql(ds, "create table a (id int)");
        QualitySuite suite = QualitySuite.on(ds).history("audit.quality_runs")
                .table("a", t -> t.rowCountAnomaly(3, 5).notNull("id"));
        int[] counts = {100, 102, 98, 101, 99};
        for (int i = 0; i < counts.length; i++) {
            reload(ds, counts[i]);
            QualityReport r = suite.run();
            CheckResult anomaly = r.check("public.a", "row_count_anomaly").orElseThrow();
            assertThat(anomaly.status()).as("run %d", i).isEqualTo(Status.PASS);
            if (i < 2) {
                assertThat(anomaly.observed()).contains("needs 2 to judge");
            }
        }
        reload(ds, 103);
        assertThat(suite.run().check("public.a", "row_count_anomaly").orElseThrow().status()).isEqualTo(Status.PASS);
        reload(ds, 200);
        CheckResult jump = suite.run().check("public.a", "row_count_anomaly").orElseThrow();
        assertThat(jump.status()).isEqualTo(Status.FAIL);
        assertThat(jump.message()).contains("row count 200 is more than 3 standard deviations", "last 5 runs");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(distinct run_id), count(*), max(checked_rows)"
                     + " from audit.quality_runs where table_name = 'public.a'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(7);
            assertThat(rs.getInt(2)).isEqualTo(14);
            assertThat(rs.getLong(3)).isEqualTo(200);
        }
    }

    /**
     * Write-audit-publish by a loader role that may write the history table but not create anything in the
     * database: the run needs no DDL once the table exists, and the caller's transaction stays usable.
     */
    @Test
    void historyNeedsNoCreatePrivilegeOnceItsTableExists(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema wap", "create table wap.t (id int primary key)", "insert into wap.t values (1)");
        QualitySuite suite = QualitySuite.on(ds).history("dq_wap.history").table("wap.t", t -> t.notNull("id"));
        suite.run();   // the owner's first run creates dq_wap.history
        String db;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select current_database()")) {
            rs.next();
            db = rs.getString(1);
        }
        TestSql.sql(ds, "create role wap_loader", "grant usage on schema wap, dq_wap to wap_loader",
                "grant select, insert on wap.t, dq_wap.history to wap_loader",
                "revoke create on database \"" + db + "\" from public", "revoke create on schema public from public");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set role wap_loader");
            c.setAutoCommit(false);
            try {
                st.execute("insert into wap.t values (2)");
                QualityReport audit = suite.run(c);
                assertThat(audit.passed()).isTrue();
                st.execute("insert into wap.t values (3)");   // the transaction is still usable
                c.commit();
            } finally {
                c.setAutoCommit(true);
                st.execute("reset role");
                st.execute("grant create on database \"" + db + "\" to public");
            }
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(distinct run_id), (select count(*) from wap.t) from dq_wap.history")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(2);
            assertThat(rs.getLong(2)).isEqualTo(3);
        }
    }

    @Test
    void anomalyWithNoSpreadFlagsAnyChange(DataSource ds) throws Exception {
        TestSql.sql(ds, "create table b (id int)");
        QualitySuite suite = QualitySuite.on(ds).history("public.qh").table("b", t -> t.rowCountAnomaly(2, 3));
        reload(ds, "b", 10);
        suite.run();
        suite.run();
        assertThat(suite.run().checks().get(0).status()).isEqualTo(Status.PASS);
        reload(ds, "b", 11);
        CheckResult r = suite.run().checks().get(0);
        assertThat(r.status()).isEqualTo(Status.FAIL);
        assertThat(r.observed()).contains("no spread");
    }

    private static void reload(DataSource ds, int rows) throws Exception {
        reload(ds, "a", rows);
    }

    private static void reload(DataSource ds, String table, int rows) throws Exception {
        TestSql.sql(ds, "truncate " + table, "insert into " + table + " select g from generate_series(1, " + rows + ") g");
    }
}
