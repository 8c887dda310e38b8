package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ProgressListener;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values as long as PostgreSQL holds them read as any value: a string of more than 20 million characters (Jackson's
 * default limit) and a number of more than 1,000 digits (Jackson's default limit), in the inference's sample and after
 * it, in text, numeric and jsonb columns. A number beyond numeric's range is refused as such, not as invalid JSON.
 */
@MdsPostgres
class JsonLongValuesTest {
    private static final int LONG_STRING_PAIRS = 10_000_001;   // "ab" repeated: 20,000,002 characters
    private static final int NUMBER_ZEROS = 1_199;             // 1 and 1,199 zeros: 1,200 digits

    @TempDir
    Path dir;

    /**
     * Before, such a record was bad as "not valid JSON (...): String value length (20000002) exceeds the maximum
     * allowed (20000000, from `StreamReadConstraints.getMaxStringLength()`)" (and "Number value length (1200) exceeds
     * the maximum allowed (1000 ...)"), limits of the parser no setting of JsonSource could raise, though the JSON was
     * valid and PostgreSQL holds such a text, numeric and jsonb.
     */
    @Test
    void aStringOfMoreThanTwentyMillionCharactersAndANumberOfMoreThanAThousandDigitsLoad(DataSource ds)
            throws IOException {
        String number = "1" + "0".repeat(NUMBER_ZEROS);
        Path p = dir.resolve("long_values.jsonl");
        try (Writer w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
            for (int id = 1; id <= 3; id++) {   // record 1 in the sample of 1, records 2 and 3 after it
                w.write("{\"id\": " + id + ", \"s\": \"");
                w.write(id == 2 ? "ab".repeat(LONG_STRING_PAIRS) : "x");
                w.write("\", \"d\": " + (id == 1 ? "1.5" : number) + ", \"j\": {\"n\": " + number + "}}\n");
            }
        }
        MergeLoader loader = MergeLoader.into(ds, "raw.long_values").mode(SyncMode.OVERWRITE).build();
        try (JsonSource json = JsonSource.builder().path(p).sampleRows(1).chunkRows(1).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        String digits = "('1' || repeat('0', " + NUMBER_ZEROS + "))::numeric";
        assertThat(TestSql.strings(ds, "select id || ' ' || length(s) || ' ' || (s = repeat('ab', " + LONG_STRING_PAIRS
                + ") or s = 'x') || ' ' || (d = " + digits + ") || ' ' || (j -> 'n' = to_jsonb(" + digits + "))"
                + " from raw.long_values order by id"))
                .containsExactly("1 1 true false true", "2 20000002 true true true", "3 1 true true true");
    }

    @Test
    void aNumberOfMoreDigitsThanNumericHoldsIsRefusedAsBeyondItsRangeNotAsInvalidJson() throws IOException {
        Path p = dir.resolve("too_many_digits.jsonl");
        Files.writeString(p, "{\"d\": 1}\n{\"d\": 1" + "0".repeat(131_072) + "}\n", StandardCharsets.UTF_8);
        try (JsonSource json = JsonSource.builder().path(p).type("d", dev.mds.core.FieldType.DECIMAL).build()) {
            assertThatThrownBy(() -> json.batches().toList())
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("too_many_digits.jsonl line 2 record 2, column 'd'")
                    .hasMessageContaining("beyond PostgreSQL numeric's range");
        }
    }
}
