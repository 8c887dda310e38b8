package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Schema;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Strings PostgreSQL cannot hold, a NUL character ({@code \u005Cu0000}) or half of a UTF-16 surrogate pair (an escaped
 * {@code \u005Cud800} alone), are bad records of the source, named by file, line, record and key, in a text column and
 * anywhere inside a JSON column (values and keys), on the sample's trees and on the streamed reading: loaded with the
 * MergeLoader into the real PostgreSQL they go to the dead-letter table, and the good records around them are loaded.
 */
@MdsPostgres
class JsonTextPostgresCannotHoldTest {
    private static final Schema SCHEMA = Schema.builder().add("id", FieldType.LONG).add("v", FieldType.STRING)
            .add("j", FieldType.JSON).build();

    /** Line k holds record k. */
    private static final String TEXT = String.join("\n", List.of(
            "{\"id\": 1, \"v\": \"ok\", \"j\": {\"k\": \"ok\"}}",
            "{\"id\": 2, \"v\": \"a\\u0000b\", \"j\": null}",                    // NUL in a text column
            "{\"id\": 3, \"v\": \"x\", \"j\": {\"k\": [\"\\ud800\"]}}",           // half a pair inside a JSON column
            "{\"id\": 4, \"v\": \"x\", \"j\": {\"a\\u0000\": 1}}",                // NUL in a key inside a JSON column
            "{\"id\": 5, \"v\": \"\\ud83d\\ude00\", \"j\": {\"k\": \"\\ud83d\\ude00\"}}",   // a whole pair: fine
            "{\"id\": 6, \"v\": \"\\udc00x\"}",                                 // a low half alone in a text column
            "{\"id\": 7, \"v\": [\"a\\u0000\"]}",                                 // an array in a text column
            "{\"id\": 8, \"v\": \"ok\", \"j\": \"\\u0000\"}")) + "\n";            // a string in a JSON column

    private static JsonSource.Builder source(boolean declared) {
        JsonSource.Builder b = JsonSource.builder().stream(new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.UTF_8)),
                "nul.jsonl");
        // declared: every record read straight into the columns; inferred: every record is in the sample (trees)
        return declared ? b.schema(SCHEMA) : b.type("v", FieldType.STRING).type("j", FieldType.JSON);
    }

    @Test
    void textPostgresCannotHoldIsABadRecordOfTheSourceAndItsNeighboursLoad(DataSource ds) {
        for (boolean declared : new boolean[] {true, false}) {
            TestSql.sql(ds, "drop schema if exists raw cascade");
            assertThatThrownBy(() -> {
                try (JsonSource json = source(declared).build()) {
                    MergeLoader.into(ds, "raw.nul").mode(SyncMode.OVERWRITE).build()
                            .loadAll(json.batches(), 1, ProgressListener.NONE);
                }
            }).hasMessageContaining("reading batch 1 of the stream failed: nul.jsonl line 2 record 2, column 'v'")
                    .hasMessageContaining("holds a NUL character");
            assertThat(TestSql.strings(ds, "select to_regclass('raw.nul')::text")).containsExactly((String) null);
            try (JsonSource json = source(declared).build()) {
                assertThatThrownBy(() -> json.batches().toList()).isInstanceOf(BadInputException.class)
                        .hasMessageStartingWith("nul.jsonl line 2 record 2, column 'v'");
            }

            try (JsonSource json = source(declared).onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
                MergeLoader.into(ds, "raw.nul").mode(SyncMode.OVERWRITE).onBadRow(OnBadRow.DEAD_LETTER).build()
                        .loadAll(json.batches(), 1, ProgressListener.NONE);
            }
            assertThat(TestSql.strings(ds, "select id || ' ' || v || ' ' || (j ->> 'k') from raw.nul order by id"))
                    .as("declared %s", declared).containsExactly("1 ok ok", "5 \uD83D\uDE00 \uD83D\uDE00");
            assertThat(TestSql.strings(ds, "select reason from raw.nul_rejected order by record_number"))
                    .as("declared %s", declared).satisfiesExactly(
                            r -> assertThat(r).startsWith("nul.jsonl line 2 record 2, column 'v'").contains("NUL"),
                            r -> assertThat(r).startsWith("nul.jsonl line 3 record 3, column 'j'").contains("surrogate"),
                            r -> assertThat(r).startsWith("nul.jsonl line 4 record 4, column 'j'").contains("NUL"),
                            r -> assertThat(r).startsWith("nul.jsonl line 6 record 6, column 'v'").contains("surrogate"),
                            r -> assertThat(r).startsWith("nul.jsonl line 7 record 7, column 'v'").contains("NUL"),
                            r -> assertThat(r).startsWith("nul.jsonl line 8 record 8, column 'j'").contains("NUL"));
        }
    }

    @Test
    void aKeyPostgresCannotHoldNamesNoColumnAndItsMessageCanBeStored(DataSource ds) {
        String text = "{\"id\": 1}\n{\"id\": 2, \"a\\u0000\": 1}\n{\"id\": 3, \"\\ud800\": 1}\n{\"id\": 4}\n";
        for (boolean declared : new boolean[] {false, true}) {
            TestSql.sql(ds, "drop schema if exists raw cascade");
            JsonSource.Builder b = JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    "keys.jsonl").onBadRecord(OnBadRecord.DEAD_LETTER);
            if (declared) {
                b.schema(Schema.builder().add("id", FieldType.LONG).build());
            }
            try (JsonSource json = b.build()) {
                MergeLoader.into(ds, "raw.keys").mode(SyncMode.OVERWRITE).onBadRow(OnBadRow.DEAD_LETTER).build()
                        .loadAll(json.batches(), 1, ProgressListener.NONE);
            }
            assertThat(TestSql.strings(ds, "select id::text from raw.keys order by id")).containsExactly("1", "4");
            assertThat(TestSql.strings(ds, "select reason from raw.keys_rejected order by record_number"))
                    .as("declared %s", declared).satisfiesExactly(
                            r -> assertThat(r).startsWith("keys.jsonl line 2 record 2")
                                    .contains("a\\u0000"),
                            r -> assertThat(r).startsWith("keys.jsonl line 3 record 3").contains("\\uD800"));
        }
    }
}
