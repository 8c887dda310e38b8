package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A declared {@code FieldType.decimal(precision, scale)} column takes the numbers its numeric(p,s) column holds as
 * written, and refuses (as a bad record, at file, line and key) a number with more digits after the point than the
 * scale, or more before it than precision - scale: nothing is rounded or cut, as for every other type.
 */
@MdsPostgres
class JsonDeclaredDecimalTest {
    private static final String TEXT = """
            {"id":1,"price":12.5}
            {"id":2,"price":12345.6}
            {"id":3,"price":1.234}
            {"id":4,"price":"999.99"}
            {"id":5,"price":-999.990}
            {"id":6,"price":1000}
            {"id":7,"price":0.001e3}
            {"id":8,"price":1e-3}
            """;

    @TempDir
    Path dir;

    private JsonSource.Builder source(Path file, int sampleRows) {
        return JsonSource.builder().path(file).type("id", FieldType.LONG).type("price", FieldType.decimal(5, 2))
                .sampleRows(sampleRows).onBadRecord(OnBadRecord.DEAD_LETTER);
    }

    @Test
    void aNumberBeyondADeclaredDecimalsPrecisionOrScaleIsABadRecordNotALoadFailureOrARounding(DataSource ds)
            throws Exception {
        Path file = dir.resolve("prices.jsonl");
        Files.writeString(file, TEXT, StandardCharsets.UTF_8);
        for (int sampleRows : new int[] {1, 100}) {     // streamed from the tokens, and converted from the sample's trees
            List<RecordBatch> batches;
            try (JsonSource json = source(file, sampleRows).build(); var s = json.batches()) {
                batches = s.collect(Collectors.toList());
            }
            List<BadRecord> bad = new ArrayList<>();
            batches.forEach(b -> bad.addAll(b.rejected()));
            assertThat(bad).extracting(r -> r.location().recordNumber().getAsLong()).containsExactly(2L, 3L, 6L, 8L);
            assertThat(bad.get(0).describe()).contains("line 2 record 2, column 'price'").contains("12345.6").contains("numeric(5,2)");
            assertThat(bad.get(1).describe()).contains("1.234").contains("numeric(5,2)");

            String table = "raw.prices_" + sampleRows;
            MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER)
                    .build();
            batches.forEach(loader::load);
            assertThat(TestSql.strings(ds, "select id || ':' || price from " + table + " order by id"))
                    .containsExactly("1:12.50", "4:999.99", "5:-999.99", "7:1.00");
            assertThat(TestSql.strings(ds, "select record_number::text from " + table + "_rejected order by 1"))
                    .containsExactly("2", "3", "6", "8");
        }
        // under FAIL, the first such record stops the read at its line
        assertThatThrownBy(() -> {
            try (JsonSource json = source(file, 1).onBadRecord(OnBadRecord.FAIL).build(); var s = json.batches()) {
                s.forEach(b -> { });
            }
        }).isInstanceOf(BadInputException.class).hasMessageContaining("prices.jsonl line 2 record 2, column 'price'");
    }

    /**
     * PostgreSQL's numeric holds at most 131072 digits before the point and 16383 after it; a number beyond is a bad
     * record at its line, as in the CSV source, not a load that fails with 'value overflows numeric format'.
     */
    @Test
    void aNumberBeyondPostgresNumericRangeIsABadRecordAtItsLine(DataSource ds) throws Exception {
        Path file = dir.resolve("wide.jsonl");
        Files.writeString(file, """
                {"id":1,"v":1.5}
                {"id":2,"v":1e200000}
                {"id":3,"v":1e-20000}
                {"id":4,"v":1e131071}
                {"id":5,"v":-1e-16383}
                {"id":6,"v":"1e131072"}
                """, StandardCharsets.UTF_8);
        int run = 0;
        for (boolean declared : new boolean[] {false, true}) {
            for (int sampleRows : new int[] {1, 100}) {
                JsonSource.Builder b = JsonSource.builder().path(file).sampleRows(sampleRows)
                        .onBadRecord(OnBadRecord.DEAD_LETTER).type("id", FieldType.LONG);
                if (declared) {
                    b.type("v", FieldType.DECIMAL);
                }
                List<RecordBatch> batches;
                try (JsonSource json = b.build(); var s = json.batches()) {
                    batches = s.collect(Collectors.toList());
                }
                if (!declared && sampleRows == 100) {
                    continue;   // the string makes the inferred column text
                }
                List<BadRecord> bad = new ArrayList<>();
                batches.forEach(x -> bad.addAll(x.rejected()));
                assertThat(bad).as("declared %s, sample %s", declared, sampleRows)
                        .extracting(r -> r.location().recordNumber().getAsLong())
                        .containsExactly(2L, 3L, 6L);
                assertThat(bad.get(0).describe()).contains("wide.jsonl line 2 record 2, column 'v'")
                        .contains("numeric's range");
                String table = "raw.wide_" + run++;
                MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER)
                        .build();
                batches.forEach(loader::load);
                assertThat(TestSql.strings(ds, "select id || ':' || length(v::text) from " + table + " order by id"))
                        .containsExactly("1:3", "4:131072", "5:16386");
                assertThat(TestSql.strings(ds, "select reason from " + table + "_rejected order by record_number"))
                        .hasSize(3).first().asString().contains("wide.jsonl line 2 record 2");
            }
        }
    }

    /** jsonb keeps its numbers as numeric: one beyond numeric's range inside a JSON column is a bad record too. */
    @Test
    void aNumberBeyondNumericRangeInsideAJsonColumnIsABadRecordAtItsLine(DataSource ds) throws Exception {
        Path file = dir.resolve("nested.jsonl");
        Files.writeString(file, """
                {"id":1,"j":{"x":1.5}}
                {"id":2,"j":{"x":[1, 1e200000]}}
                {"id":3,"j":[{"y":1e-20000}]}
                {"id":4,"j":{"x":1e131071}}
                {"id":5,"j":2e200000}
                {"id":6,"j":"1e200000"}
                """, StandardCharsets.UTF_8);
        int run = 0;
        for (int sampleRows : new int[] {1, 100}) {     // streamed as text, and converted from the sample's trees
            List<RecordBatch> batches;
            try (JsonSource json = JsonSource.builder().path(file).sampleRows(sampleRows).type("id", FieldType.LONG)
                    .type("j", FieldType.JSON).onBadRecord(OnBadRecord.DEAD_LETTER).build(); var s = json.batches()) {
                batches = s.collect(Collectors.toList());
            }
            List<BadRecord> bad = new ArrayList<>();
            batches.forEach(x -> bad.addAll(x.rejected()));
            assertThat(bad).as("sample %s", sampleRows).extracting(r -> r.location().recordNumber().getAsLong())
                    .containsExactly(2L, 3L, 5L);
            assertThat(bad.get(0).describe()).contains("nested.jsonl line 2 record 2, column 'j'")
                    .contains("1E+200000").contains("numeric's range");
            String table = "raw.nested_" + run++;
            MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER)
                    .build();
            batches.forEach(loader::load);
            assertThat(TestSql.strings(ds, "select id || ':' || jsonb_typeof(j) from " + table + " order by id"))
                    .containsExactly("1:object", "4:object", "6:string");
            assertThat(TestSql.strings(ds, "select reason from " + table + "_rejected order by record_number"))
                    .hasSize(3).allSatisfy(r -> assertThat(r).contains("nested.jsonl line"));
        }
    }
}
