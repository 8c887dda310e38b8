package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.testing.MdsPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A column declared {@code FieldType.JSON} (a jsonb column) takes the values PostgreSQL's jsonb input takes, and makes
 * the others bad rows at their line, instead of handing them to a load that fails with 'invalid input syntax for type
 * json'. Checked against the server on the same values.
 */
@MdsPostgres
class CsvJsonColumnTest {
    private static final List<String> VALUES = List.of(
            "{\"a\":1}", " { \"a\" : [1, 2.5e3, -0, 0.5E-2, true, false, null, \"x\\ud83d\\ude00\\n\\/\"] } ", "[]",
            "{}", "\"text\"", "1", "-0.0", "true", "null", "[[[[{\"k\":{}}]]]]", "\t[1,\r\n2]\n",
            "{\"a\":1e131071}", "\"\\u00e9\\u20AC\"", "{\"a\":1,\"a\":2}",
            "{bad", "[1,]", "{'a':1}", "NaN", "Infinity", "01", "1.", ".5", "+1", "1e", "--1", "tru", "True", "nul",
            "[1 2]", "{\"a\" 1}", "{\"a\":}", "{,}", "{\"a\":1,}", "\"open", "\"a\" \"b\"", "{} x", "[1]]", "[[1]",
            "\"\\u0000\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\\x\"", "\"\\u12\"", "\"tab\there\"",
            "{\"a\":1e200000}", "[1e-20000]", "1e9999999999", "{1:2}", "[\u00a01]", "\"\\U0041\"");

    @TempDir
    Path dir;

    @Test
    void aJsonColumnTakesWhatJsonbTakesAndMakesTheRestBadRowsAtTheirLine(DataSource ds) throws Exception {
        List<Boolean> byServer = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (String v : VALUES) {
                Savepoint sp = c.setSavepoint();
                try (PreparedStatement ps = c.prepareStatement("select ?::jsonb")) {
                    ps.setString(1, v);
                    ps.executeQuery().close();
                    byServer.add(true);
                } catch (SQLException e) {
                    c.rollback(sp);
                    byServer.add(false);
                }
            }
            c.rollback();
        }
        StringBuilder csv = new StringBuilder("id,j\n");
        for (int i = 0; i < VALUES.size(); i++) {
            csv.append(i).append(",\"").append(VALUES.get(i).replace("\"", "\"\"")).append("\"\n");
        }
        Path file = dir.resolve("docs.csv");
        Files.writeString(file, csv, StandardCharsets.UTF_8);
        List<RecordBatch> batches = Read.batches(CsvSource.builder().path(file).type("j", FieldType.JSON)
                .onBadRow(OnBadRow.DEAD_LETTER));
        List<Long> good = new ArrayList<>();
        List<String> badLines = new ArrayList<>();
        batches.forEach(b -> {
            b.records().forEach(r -> good.add((Long) r.get(0)));
            b.rejected().forEach(r -> badLines.add(r.location().describe() + ": " + r.reason()));
        });
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < VALUES.size(); i++) {
            if (byServer.get(i)) {
                expected.add((long) i);
            }
        }
        assertThat(good).as("the rows whose value jsonb takes; bad rows: %s", badLines).isEqualTo(expected);
        assertThat(badLines).hasSize(VALUES.size() - expected.size());
        int bad = VALUES.indexOf("{bad");
        // a value above it spans three lines
        assertThat(badLines).anySatisfy(l -> assertThat(l).startsWith("docs.csv line " + (bad + 2 + 2) + " record "
                + (bad + 1) + ", column 'j', near \"{bad\"").contains("is not valid JSON"));
    }
}
