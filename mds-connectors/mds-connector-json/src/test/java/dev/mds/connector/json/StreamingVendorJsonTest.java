package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.FieldType;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The streaming app's vendor files (seed data 004: authors, books and reviews as JSON arrays of nested objects)
 * loaded into PostgreSQL with the MergeLoader and read back with jsonb operators, against the files as Jackson reads
 * them.
 */
@MdsPostgres
class StreamingVendorJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static LoadResult load(DataSource ds, String file, String table) {
        MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.OVERWRITE).build();
        try (JsonSource json = JsonSource.builder().path(SeedData.file("004-streaming-app/" + file)).chunkRows(100).build()) {
            return loader.loadAll(json.batches(), 1, dev.mds.core.ProgressListener.NONE);
        }
    }

    @Test
    void theVendorFilesLoadWithTheirNestingAsJsonbAndTheirDatesTyped(DataSource ds) throws IOException {
        Path reviews = SeedData.file("004-streaming-app/reviews.json");
        JsonNode expected = MAPPER.readTree(reviews.toFile());
        try (JsonSource json = JsonSource.builder().path(reviews).build()) {
            assertThat(json.schema().names()).containsExactly("content", "rating", "books", "movies", "updated", "created");
            assertThat(json.schema().field("rating").orElseThrow().type()).isEqualTo(FieldType.JSON);
            assertThat(json.schema().field("updated").orElseThrow().type()).isEqualTo(FieldType.TIMESTAMPTZ);
        }
        assertThat(load(ds, "reviews.json", "vendor.reviews").inserted()).isEqualTo(expected.size());
        assertThat(load(ds, "books.json", "vendor.books").inserted()).isEqualTo(MAPPER.readTree(
                SeedData.file("004-streaming-app/books.json").toFile()).size());
        assertThat(load(ds, "authors.json", "vendor.authors").inserted()).isEqualTo(MAPPER.readTree(
                SeedData.file("004-streaming-app/authors.json").toFile()).size());

        Map<String, String> byLabel = new TreeMap<>();
        expected.forEach(r -> byLabel.merge(r.path("rating").path("label").asText(), "1",
                (a, b) -> String.valueOf(Long.parseLong(a) + 1)));
        Map<String, String> loaded = new TreeMap<>();
        TestSql.strings(ds, "select rating ->> 'label' || '=' || count(*) from vendor.reviews group by rating ->> 'label'")
                .forEach(s -> loaded.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1)));
        assertThat(loaded).isEqualTo(byLabel);

        // the first review as stored: nesting intact, timestamps as instants
        JsonNode first = expected.get(0);
        assertThat(TestSql.strings(ds, "select books from vendor.reviews where content ->> 'text' = '"
                + first.path("content").path("text").asText().replace("'", "''") + "'"))
                .extracting(s -> readTree(s)).containsExactly(first.get("books"));
        assertThat(TestSql.strings(ds, "select count(*) from vendor.reviews where updated < created")).containsExactly(
                String.valueOf(countUpdatedBeforeCreated(expected)));
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid ="
                + " 'vendor.books'::regclass and attname in ('name', 'pages') order by attnum")).containsExactly("text", "bigint");
    }

    @Test
    void anEmptyFileOverwritesTheTableToEmpty(DataSource ds) {
        load(ds, "books.json", "vendor.books");
        MergeLoader loader = MergeLoader.into(ds, "vendor.books").mode(SyncMode.OVERWRITE).build();
        try (JsonSource empty = JsonSource.builder().stream(new ByteArrayInputStream("[]".getBytes()), "books.json")
                .type("name", FieldType.STRING).build()) {
            loader.loadAll(empty.batches(), 1, dev.mds.core.ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select count(*) from vendor.books")).containsExactly("0");
    }

    @Test
    void hostileKeysBecomeColumnsOfExactlyThatName(DataSource ds) {
        String key = "x\"; drop table vendor.victim; --";
        TestSql.sql(ds, "create schema if not exists vendor; create table vendor.victim (id int)");
        String text = "{\"id\": 1, " + new com.fasterxml.jackson.databind.node.TextNode(key) + ": \"v\"}";
        MergeLoader loader = MergeLoader.into(ds, "vendor.hostile").mode(SyncMode.APPEND).build();
        try (JsonSource json = JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "hostile.json").build()) {
            json.batches().forEach(loader::load);
        }
        assertThat(TestSql.strings(ds, "select attname from pg_attribute where attrelid = 'vendor.hostile'::regclass"
                + " and attnum > 0 and not attisdropped order by attnum")).contains("id", key);
        assertThat(TestSql.strings(ds, "select to_regclass('vendor.victim') is not null")).containsExactly("t");
    }

    private static JsonNode readTree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long countUpdatedBeforeCreated(JsonNode reviews) {
        long n = 0;
        for (JsonNode r : reviews) {
            java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxx");
            if (java.time.OffsetDateTime.parse(r.get("updated").asText(), f).toInstant()
                    .isBefore(java.time.OffsetDateTime.parse(r.get("created").asText(), f).toInstant())) {
                n++;
            }
        }
        return n;
    }
}
