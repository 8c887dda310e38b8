package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ProgressListener;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decimals keep the digits the file writes, trailing zeros too, in a numeric column and inside a jsonb column: what
 * is loaded equals what PostgreSQL itself reads from each line as jsonb ({@code line::jsonb -> 'd'}), in the
 * inference's sample (trees) and after it (read straight from the parser).
 */
@MdsPostgres
class JsonNumberScaleTest {
    @TempDir
    Path dir;

    @Test
    void decimalsKeepTheirTrailingZerosInNumericAndJsonbColumnsAsPostgresReadsTheLine(DataSource ds) throws IOException {
        List<String> lines = List.of(
                "{\"id\": 1, \"d\": 9.50, \"j\": {\"p\": 9.50, \"q\": [1.0, 2.000, 1e2, 1.50e1]}}",
                "{\"id\": 2, \"d\": 1.0, \"j\": {\"p\": 0.000}}",
                // after the sample of 2
                "{\"id\": 3, \"d\": 9.50, \"j\": {\"p\": 9.50, \"q\": [1.0, 2.000, 1e2, 1.50e1]}}",
                "{\"id\": 4, \"d\": 100.00, \"j\": [0.10, -0.0]}",
                "{\"id\": 5, \"d\": 7, \"j\": 3.10}");
        Path p = dir.resolve("scales.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        MergeLoader loader = MergeLoader.into(ds, "raw.scales").mode(SyncMode.OVERWRITE).build();
        try (JsonSource json = JsonSource.builder().path(p).sampleRows(2).chunkRows(2).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        TestSql.sql(ds, "create table raw.lines (id int, line text)");
        for (int i = 0; i < lines.size(); i++) {
            TestSql.sql(ds, "insert into raw.lines values (" + (i + 1) + ", '" + lines.get(i) + "')");
        }
        assertThat(TestSql.strings(ds, "select s.id || ' ' || s.d || ' ' || s.j from raw.scales s order by s.id"))
                .isEqualTo(TestSql.strings(ds, "select l.id || ' ' || (l.line::jsonb ->> 'd') || ' ' || (l.line::jsonb -> 'j')"
                        + " from raw.lines l order by l.id"))
                .startsWith("1 9.50 {\"p\": 9.50, \"q\": [1.0, 2.000, 100, 15.0]}");
    }

    @Test
    void numbersInATextColumnAreTheirTextAsWrittenAsPostgresJsonReadsTheLine(DataSource ds) throws IOException {
        // a key of several kinds is a text column: each number its text as written, as json (not jsonb) ->> gives it
        List<String> lines = List.of(
                "{\"id\": 1, \"v\": \"x\"}",
                "{\"id\": 2, \"v\": -0}",
                // after the sample of 2
                "{\"id\": 3, \"v\": -0}",
                "{\"id\": 4, \"v\": -0.0}",
                "{\"id\": 5, \"v\": 1.10}",
                "{\"id\": 6, \"v\": 1e2}",
                "{\"id\": 7, \"v\": 12345678901234567890}",
                "{\"id\": 8, \"v\": -12}",
                "{\"id\": 9, \"v\": 0}");
        Path p = dir.resolve("texts.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        MergeLoader loader = MergeLoader.into(ds, "raw.texts").mode(SyncMode.OVERWRITE).build();
        try (JsonSource json = JsonSource.builder().path(p).sampleRows(2).chunkRows(2).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        TestSql.sql(ds, "create table raw.text_lines (id int, line text)");
        for (int i = 0; i < lines.size(); i++) {
            TestSql.sql(ds, "insert into raw.text_lines values (" + (i + 1) + ", '" + lines.get(i) + "')");
        }
        assertThat(TestSql.strings(ds, "select s.id || ' ' || s.v from raw.texts s order by s.id"))
                .isEqualTo(TestSql.strings(ds, "select l.id || ' ' || (l.line::json ->> 'v') from raw.text_lines l"
                        + " order by l.id"))
                .startsWith("1 x", "2 -0", "3 -0", "4 -0.0");
    }
}
