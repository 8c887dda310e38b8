package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A number in a string, in a declared bigint, integer, numeric or double column, is read as PostgreSQL's input reads
 * it: ASCII digits, with ASCII white space around it; other digits and other white space make the record bad, as the
 * CSV source makes such a value a bad row.
 */
@MdsPostgres
class JsonNumbersInStringsTest {
    @TempDir
    Path dir;

    /**
     * Before, such strings were read with BigDecimal, which takes any script's digits and String.strip(), which drops
     * any Unicode white space: "\u0661\u0662" (ARABIC-INDIC ONE, TWO) loaded as the bigint 12, "\u0661.5" as the
     * numeric 1.5 and "\u2003 12" (an EM SPACE before it) as 12, values PostgreSQL refuses
     * ('invalid input syntax for type bigint').
     */
    @Test
    void onlyAsciiDigitsAndAsciiWhiteSpaceMakeANumberOfAString(DataSource ds) throws IOException {
        for (String refused : List.of("select '\u0661\u0662'::bigint", "select '\u0661.5'::numeric",
                "select '\u2003 12'::bigint")) {
            assertThatThrownBy(() -> TestSql.strings(ds, refused)).hasMessageContaining("invalid input syntax");
        }
        Path p = dir.resolve("digits.jsonl");
        Files.writeString(p, String.join("\n",
                "{\"id\": 1, \"n\": \" 12\\t\", \"d\": \"1.5 \", \"f\": \"\\n2.5\"}",
                "{\"id\": 2, \"n\": \"\u0661\u0662\", \"d\": \"1.5\", \"f\": \"2.5\"}",
                "{\"id\": 3, \"n\": \"12\", \"d\": \"\u0661.5\", \"f\": \"2.5\"}",
                "{\"id\": 4, \"n\": \"\u2003 12\", \"d\": \"1.5\", \"f\": \"2.5\"}",
                "{\"id\": 5, \"n\": \"12\", \"d\": \"1.5\", \"f\": \"\u0662.5\"}",
                "{\"id\": 6, \"n\": \"+12\", \"d\": \".5\", \"f\": \"2e0\"}") + "\n", StandardCharsets.UTF_8);
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).add("d", FieldType.DECIMAL)
                .add("f", FieldType.DOUBLE).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.digits").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        try (JsonSource json = JsonSource.builder().path(p).schema(schema).onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || n || ' ' || d || ' ' || f from raw.digits order by id"))
                .containsExactly("1 12 1.5 2.5", "6 12 0.5 2");
        assertThat(TestSql.strings(ds, "select record_number from raw.digits_rejected order by record_number"))
                .containsExactly("2", "3", "4", "5");
    }
}
