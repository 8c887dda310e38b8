package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.ProgressListener;
import dev.mds.core.RecordBatch;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
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
 * A key PostgreSQL cannot take as a column name because it is longer than 63 bytes (it would be cut to 63) is a bad
 * record at its line, as an empty key is, not a failure of the whole read without file or line; a key of exactly 63
 * bytes is a column.
 */
@MdsPostgres
class JsonLongKeyTest {
    private static final String K63 = "\u00e9".repeat(31) + "a";          // 63 bytes in UTF-8
    private static final String K64 = "\u00e9".repeat(32);                // 64 bytes, 32 characters
    private static final String K70 = "k".repeat(70);

    @TempDir
    Path dir;

    private Path file(String name, String... lines) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void aKeyLongerThan63BytesIsABadRecordAtItsLineAndTheOtherRecordsLoad(DataSource ds) throws IOException {
        Path p = file("long.jsonl",
                "{\"id\": 1, \"" + K63 + "\": \"kept\"}",
                "{\"id\": 2, \"" + K70 + "\": \"x\"}",
                "{\"id\": 3, \"" + K64 + "\": 1}",
                "{\"id\": 4, \"" + K63 + "\": \"also\"}");
        MergeLoader loader = MergeLoader.into(ds, "raw.long_keys").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        try (JsonSource json = JsonSource.builder().path(p).onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            assertThat(json.schema().names()).containsExactly("id", K63);
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || \"" + K63 + "\" from raw.long_keys order by id"))
                .containsExactly("1 kept", "4 also");
        assertThat(TestSql.strings(ds, "select record_number || ' ' || reason from raw.long_keys_rejected order by record_number"))
                .containsExactly("2 " + p + " line 2 record 2, column '" + K70 + "': the key '" + K70 + "' is 70 bytes"
                                + " long, more than the 63 bytes PostgreSQL takes for a column name: it cannot name a column",
                        "3 " + p + " line 3 record 3, column '" + K64 + "': the key '" + K64 + "' is 64 bytes"
                                + " long, more than the 63 bytes PostgreSQL takes for a column name: it cannot name a column");

        Throwable failed = catchThrowable(() -> {
            try (JsonSource json = JsonSource.builder().path(p).build()) {
                json.batches().forEach(b -> { });
            }
        });
        assertThat(failed).isInstanceOf(BadInputException.class).hasMessageContaining(p + " line 2 record 2")
                .hasMessageContaining("is 70 bytes long");
    }

    @Test
    void aFlattenedNameLongerThan63BytesIsABadRecordAtItsLine() throws IOException {
        String inner = "n".repeat(62);            // 'a__' + 62 = 65 bytes
        Path p = file("nested.jsonl", "{\"id\": 1, \"a\": {\"b\": 1}}", "{\"id\": 2, \"a\": {\"" + inner + "\": 2}}",
                "{\"id\": 3, \"a\": {\"b\": 3}}");
        List<RecordBatch> batches;
        try (JsonSource json = JsonSource.builder().path(p).flatten("__").onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            assertThat(json.schema().names()).containsExactly("id", "a__b");
            batches = json.batches().toList();
        }
        assertThat(batches.stream().flatMap(b -> b.records().stream()).map(r -> r.get(0))).containsExactly(1L, 3L);
        List<BadRecord> bad = batches.stream().flatMap(b -> b.rejected().stream()).toList();
        assertThat(bad).extracting(BadRecord::reason).containsExactly("the key 'a__" + inner + "' is 65 bytes long, more than"
                + " the 63 bytes PostgreSQL takes for a column name: it cannot name a column");
        assertThat(bad.get(0).location().toString()).startsWith(p + " line 2 record 2, column 'a__" + inner + "'");
        assertThat(bad.get(0).text()).isEqualTo("{\"id\": 2, \"a\": {\"" + inner + "\": 2}}");
    }
}
