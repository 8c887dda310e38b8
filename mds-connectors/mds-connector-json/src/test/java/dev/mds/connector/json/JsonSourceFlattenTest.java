package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@link JsonSource.Builder#flatten}: nested objects as columns, inferred or declared, name clashes, and a load. */
@MdsPostgres
class JsonSourceFlattenTest {
    static JsonSource.Builder source(String text, String name) {
        return JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), name);
    }

    static List<RecordBatch> batches(JsonSource.Builder builder) {
        try (JsonSource source = builder.build()) {
            return source.batches().toList();
        }
    }

    static List<List<Object>> values(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).map(Record::values).toList();
    }

    static final String NESTED = "{\"id\": 1, \"rating\": {\"rate\": 4, \"label\": \"good\", \"by\": {\"name\": \"Ann\"}},"
            + " \"tags\": [\"a\"], \"meta\": {}}\n"
            + "{\"id\": 2, \"rating\": {\"rate\": 3.5}, \"tags\": [{\"x\": 1}], \"meta\": null}\n";

    @Test
    void nestedObjectsBecomeColumnsNamedByTheirPathAndArraysStayJson() {
        JsonSource.Builder b = source(NESTED, "nested.jsonl").flatten("__");
        try (JsonSource source = b.build()) {
            assertThat(source.schema()).isEqualTo(Schema.builder().add("id", FieldType.LONG)
                    .add("rating__rate", FieldType.DECIMAL).add("rating__label", FieldType.STRING)
                    .add("rating__by__name", FieldType.STRING).add("tags", FieldType.JSON).add("meta", FieldType.STRING).build());
            assertThat(values(source.batches().toList())).containsExactly(
                    Arrays.asList(1L, new BigDecimal("4"), "good", "Ann", "[\"a\"]", null),
                    Arrays.asList(2L, new BigDecimal("3.5"), null, null, "[{\"x\":1}]", null));
        }
        // without flatten: one jsonb column per object, as before
        try (JsonSource source = source(NESTED, "nested.jsonl").build()) {
            assertThat(source.schema().names()).containsExactly("id", "rating", "tags", "meta");
        }
    }

    @Test
    void aDeclaredSchemaNamesTheFlattenedColumnsAndAMisfitNamesItsFlattenedColumn() {
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("rating__rate", FieldType.LONG)
                .add("rating__label", FieldType.STRING).build();
        List<RecordBatch> batches = batches(source(NESTED, "nested.jsonl").flatten("__").schema(schema)
                .ignoreUnknownFields(true).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(values(batches)).containsExactly(Arrays.asList(1L, 4L, "good"));
        List<BadRecord> bad = batches.stream().flatMap(x -> x.rejected().stream()).toList();
        assertThat(bad).singleElement().satisfies(r -> {
            assertThat(r.describe()).startsWith("nested.jsonl line 2 record 2, column 'rating__rate'")
                    .contains("the number 3.5 has a fraction");
            assertThat(r.text()).isEqualTo(NESTED.substring(NESTED.indexOf('\n') + 1, NESTED.length() - 1));
        });
        // a key of the schema's that is an object in the file is not known: its keys are columns now
        assertThatThrownBy(() -> batches(source(NESTED, "nested.jsonl").flatten("__").schema(schema)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("nested.jsonl line 1 record 1, column 'rating__by__name'");
    }

    @Test
    void aBadRecordOfUtf16InputKeepsItsNestingInItsTextNotItsFlattenedColumns() {
        // UTF-16 offsets are not bytes: a bad record's text is its JSON as parsed, which was the flattened object
        // ({"id":2,"rating__rate":3.5}), a record the file does not hold
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("rating__rate", FieldType.LONG).build();
        String text = "{\"id\": 1, \"rating\": {\"rate\": 4}}\n{\"id\": 2, \"rating\": {\"rate\": 3.5}}\n";
        List<RecordBatch> batches = batches(JsonSource.builder().stream(new ByteArrayInputStream(
                text.getBytes(StandardCharsets.UTF_16LE)), "utf16.jsonl").flatten("__").schema(schema)
                .onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(values(batches)).containsExactly(Arrays.asList(1L, 4L));
        assertThat(batches.stream().flatMap(x -> x.rejected().stream())).singleElement().satisfies(r -> {
            assertThat(r.describe()).startsWith("utf16.jsonl line 2 record 2, column 'rating__rate'");
            assertThat(r.text()).isEqualTo("{\"id\":2,\"rating\":{\"rate\":3.5}}");
        });
    }

    @Test
    void twoKeysThatBecomeOneColumnFailTheReadNamingBoth() {
        assertThatThrownBy(() -> batches(source("{\"a__b\": 1, \"a\": {\"b\": 2}}", "clash.jsonl").flatten("__")
                .onBadRecord(OnBadRecord.DEAD_LETTER)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("clash.jsonl line 1 record 1: the key 'a__b' and the key 'b' inside 'a' both become the column"
                        + " 'a__b' under flatten(\"__\"): rename one, or flatten with another separator");
        assertThatThrownBy(() -> batches(source("{\"x\": {\"y\": {\"z\": 1}}}\n{\"x__y\": {\"z\": 2}}\n{\"x\": {\"y__z\": 3}}",
                "later.jsonl").flatten("__")))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("later.jsonl line 2 record 2: the key 'z' inside 'x' → 'y' and the key 'z' inside"
                        + " 'x__y' both become the column 'x__y__z'");
        // another separator: no clash
        assertThat(values(batches(source("{\"a__b\": 1, \"a\": {\"b\": 2}}", "clash.jsonl").flatten("."))))
                .containsExactly(List.of(1L, 2L));
        assertThatThrownBy(() -> JsonSource.builder().flatten("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theVendorReviewsLoadFlattenedWithTheirRatingAsColumns(DataSource ds) throws IOException {
        Path reviews = SeedData.file("004-streaming-app/reviews.json");
        JsonNode expected = new ObjectMapper().readTree(reviews.toFile());
        MergeLoader loader = MergeLoader.into(ds, "vendor.reviews_flat").mode(SyncMode.OVERWRITE).build();
        try (JsonSource json = JsonSource.builder().path(reviews).flatten("__").chunkRows(100).build()) {
            assertThat(json.schema().names()).containsExactly("content__text", "rating__rate", "rating__label", "books",
                    "movies", "updated", "created");
            assertThat(loader.loadAll(json.batches(), 1, ProgressListener.NONE).inserted()).isEqualTo(expected.size());
        }
        Map<String, String> byLabel = new TreeMap<>();
        expected.forEach(r -> byLabel.merge(r.path("rating").path("label").asText() + "/" + r.path("rating").path("rate").asText(),
                "1", (a, b) -> String.valueOf(Long.parseLong(a) + 1)));
        Map<String, String> loaded = new TreeMap<>();
        TestSql.strings(ds, "select rating__label || '/' || rating__rate || '=' || count(*) from vendor.reviews_flat"
                + " group by rating__label, rating__rate")
                .forEach(s -> loaded.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1)));
        assertThat(loaded).isEqualTo(byLabel);
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid ="
                + " 'vendor.reviews_flat'::regclass and attname in ('rating__rate', 'books') order by attnum"))
                .containsExactly("bigint", "jsonb");
    }
}
