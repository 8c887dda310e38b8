package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Float sample values read as PostgreSQL 12+ prints them (shortest exact, psql's and pgjdbc's default): a real 1e+10, not
 * Java's 1.0E10; 5e-324, not Java 17's 4.9E-324; 100, not 100.0; -0, not -0.0.
 */
@MdsPostgres
class FloatSamplesTest {

    private static final String[] DOUBLES = {"1e10", "0.1", "0.1::float8 + 0.2", "100", "'-0'", "1e15", "1e14", "123456789012345",
            "1e-4", "1e-5", "-1.5e-7", "5e-324", "1.7976931348623157e308", "1e23", "2e-3", "9007199254740993", "'NaN'",
            "'Infinity'", "'-Infinity'", "1/3::float8", "0"};
    private static final String[] REALS = {"1e10", "0.1", "0.1::float4 + 0.2", "100", "'-0'", "1e6", "123456", "1234567",
            "1e-4", "1e-5", "-1.5e-7", "1e-45", "3.4028235e38", "16777217", "2e-3", "0.3", "'NaN'", "'Infinity'",
            "'-Infinity'", "1/3::float4", "0"};

    @Test
    void floatSamplesReadAsPostgresqlPrintsThemInTheConsoleHtmlAndJson(DataSource ds) throws Exception {
        sql(ds, "create table fl (id int primary key, d float8, r real, flag int)");
        for (int i = 0; i < DOUBLES.length; i++) {
            sql(ds, "insert into fl values (" + i + ", " + DOUBLES[i] + ", " + REALS[i] + ", null)");
        }
        QualityReport report = QualitySuite.on(ds).samples(DOUBLES.length)
                .table("fl", t -> t.key("id", "d", "r").notNull("flag")).run();
        List<String> expected = strings(ds, "select '{id=' || id || ', d=' || d::text || ', r=' || r::text || ', flag=NULL}'"
                + " from fl order by id");
        String console = report.toConsoleTable();
        for (String row : expected) {
            assertThat(console).contains(row);
        }
        assertThat(console).contains("d=10000000000, r=1e+10", "d=100, r=100", "d=5e-324", "d=-0, r=-0", "r=1.234567e+06", "d=9.999999999999999e+22")
                .doesNotContain("E10", "=100.0", "4.9E-324");
        assertThat(report.toHtml()).contains("<span class=\"v\">1e+10</span>", "<span class=\"v\">0.30000000000000004</span>", "<span class=\"v\">-Infinity</span>")
                .doesNotContain("E10");

        String json = report.toJson();
        assertThat(json).contains("\"r\" : 1e+10,", "\"r\" : 0.1,", "\"d\" : 5e-324,", "\"d\" : \"NaN\",",
                "\"r\" : \"-Infinity\",");
        JsonNode samples = new ObjectMapper().readTree(json).get("checks").get(0).get("samples");
        List<String> d = strings(ds, "select d::text from fl order by id");
        for (int i = 0; i < DOUBLES.length; i++) {
            JsonNode v = samples.get(i).get("d");
            double read = v.isNumber() ? v.doubleValue() : Double.parseDouble(v.asText());
            double stored = Double.parseDouble(d.get(i));
            // the same value (JSON's -0 reads back as the integer 0, equal to -0.0)
            assertThat(read == stored || Double.isNaN(read) && Double.isNaN(stored)).as(DOUBLES[i] + ": " + v).isTrue();
        }
        // the report's values stay Java numbers, the same values
        assertThat(report.checks().get(0).samples().get(0)).containsEntry("d", 1e10).containsEntry("r", 1e10f);
    }

    /**
     * Bounds and values given as Java doubles are compared as the numeric literals PostgreSQL reads (10000000000), and
     * the messages say them so: not Java's 1.0E10, nor 1.0E+10 (the BigDecimal a statistic's bound becomes).
     */
    @Test
    void doubleBoundsAndValuesReadInMessagesAsTheNumbersCompared(DataSource ds) {
        sql(ds, "create table big (id int primary key, v numeric)", "insert into big values (1, 2e10), (2, 5e-7)");
        QualityReport r = QualitySuite.on(ds).table("big", t -> t.range("v", 1e-6, 1e10)
                .statistic(Statistic.MAX, "v", 0, 1e10).acceptedValues("v", 1e10, 0.5)).run();
        assertThat(r.checks().get(0).message() + r.checks().get(0).observed()).contains("outside [0.000001, 10000000000]")
                .doesNotContain("E");
        assertThat(r.checks().get(1).message()).contains("expected within [0, 10000000000]").doesNotContain("E+");
        assertThat(r.checks().get(2).observed()).contains("not in [10000000000, 0.5]").doesNotContain("E");
    }
}
