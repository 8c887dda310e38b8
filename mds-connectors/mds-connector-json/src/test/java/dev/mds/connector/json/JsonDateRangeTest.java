package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Schema;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A declared DATE or TIMESTAMP column takes any ISO date, also with a longer or signed year; one beyond PostgreSQL's
 * range (4714-11-24 BC to 5874897-12-31 for a date, to 294276-12-31 for a timestamp) is a bad record at its line, as
 * the CSV source makes it a bad row, not a load failing the whole batch.
 */
@MdsPostgres
class JsonDateRangeTest {
    @TempDir
    Path dir;

    @Test
    void aDeclaredDateOrTimestampBeyondPostgresRangeIsABadRecordAtItsLineAndTheEdgesLoad(DataSource ds) throws IOException {
        Path p = dir.resolve("dates.jsonl");
        Files.writeString(p, String.join("\n",
                "{\"id\": 1, \"d\": \"2021-01-01\", \"t\": \"2021-01-01T10:00:00\"}",
                "{\"id\": 2, \"d\": \"-5000-01-01\", \"t\": \"2021-01-01T10:00:00\"}",
                "{\"id\": 3, \"d\": \"+5874898-01-01\", \"t\": \"2021-01-01T10:00:00\"}",
                "{\"id\": 4, \"d\": \"2021-01-01\", \"t\": \"+294277-01-01T00:00:00\"}",
                "{\"id\": 5, \"d\": \"2021-01-01\", \"t\": \"-4713-11-23T23:59:59\"}",
                "{\"id\": 6, \"d\": \"-4713-11-24\", \"t\": \"-4713-11-24T00:00:00\"}",
                "{\"id\": 7, \"d\": \"+5874897-12-31\", \"t\": \"+294276-12-31T23:59:59\"}") + "\n", StandardCharsets.UTF_8);
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("d", FieldType.DATE).add("t", FieldType.TIMESTAMP).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.dates").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        try (JsonSource json = JsonSource.builder().path(p).schema(schema).chunkRows(100)
                .onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || d || ' ' || t from raw.dates order by id")).containsExactly(
                "1 2021-01-01 2021-01-01 10:00:00", "6 4714-11-24 BC 4714-11-24 00:00:00 BC",
                "7 5874897-12-31 294276-12-31 23:59:59");
        assertThat(TestSql.strings(ds, "select record_number || ' ' || reason from raw.dates_rejected order by record_number"))
                .containsExactly(
                        "2 " + p + " line 2 record 2, column 'd', near \"the string \"-5000-01-01\"\": the string \"-5000-01-01\""
                                + " is beyond PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)",
                        "3 " + p + " line 3 record 3, column 'd', near \"the string \"+5874898-01-01\"\": the string"
                                + " \"+5874898-01-01\" is beyond PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)",
                        "4 " + p + " line 4 record 4, column 't', near \"the string \"+294277-01-01T00:00:00\"\": the string"
                                + " \"+294277-01-01T00:00:00\" is beyond PostgreSQL's timestamp range (4714-11-24 BC to 294276-12-31)",
                        "5 " + p + " line 5 record 5, column 't', near \"the string \"-4713-11-23T23:59:59\"\": the string"
                                + " \"-4713-11-23T23:59:59\" is beyond PostgreSQL's timestamp range (4714-11-24 BC to 294276-12-31)");
    }
}
