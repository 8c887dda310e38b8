package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import java.io.ByteArrayInputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * After the type inference's sample, and with a declared schema, UTF-8 records are read straight from the parser
 * into their columns; the sample's records (and UTF-16 input) are read as trees first. Both ways must give the same
 * batches: the same values (decimals at the same scale, the same JSON text of objects), the same bad records with
 * the same reasons, texts and positions. Generated records of every column type with values that fit and values
 * that do not, keys unknown, missing, null or twice, non-object records and invalid JSON.
 */
class JsonSourceStreamedReadingTest {
    private static final Map<String, FieldType> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("l", FieldType.LONG);
        TYPES.put("i", FieldType.INT);
        TYPES.put("d", FieldType.DECIMAL);
        TYPES.put("f", FieldType.DOUBLE);
        TYPES.put("s", FieldType.STRING);
        TYPES.put("b", FieldType.BOOLEAN);
        TYPES.put("t", FieldType.TIMESTAMPTZ);
        TYPES.put("day", FieldType.DATE);
        TYPES.put("j", FieldType.JSON);
        TYPES.put("ls", FieldType.arrayOf(FieldType.LONG));
        TYPES.put("u", FieldType.UUID);
    }

    private static final List<String> NUMBERS = List.of("0", "-0", "7", "-12", "2147483648", "-9223372036854775808",
            "9223372036854775808", "123456789012345678901234567890", "1.50", "100.00", "0.0", "-0.000", "1e2", "1E+2",
            "1.5e-3", "2.5E400", "9007199254740993", "3.25", "1e-400");
    private static final List<String> STRINGS = List.of("\"\"", "\"text\"", "\"Zürich 東京\"", "\"a\\\"b\\\\c\\n\\t\\u0001\"",
            "\"\\u00e9\\u2028/\"", "\"7\"", "\" 8 \"", "\"1.20\"", "\"true\"", "\"false\"", "\"yes\"",
            "\"2021-12-17T11:49:40.461+0100\"", "\"2021-12-17T11:49:40Z\"", "\"2021-12-17 11:49+01:00\"",
            "\"2021-12-17T11:49:40.461+05:45\"", "\"2021-02-30T11:49:40Z\"", "\"2021-12-17T11:49:40\"", "\"2021-12-17\"",
            "\"2021-02-29\"", "\"12/17/2021\"", "\"123e4567-e89b-12d3-a456-426614174000\"", "\"1-2-3-4-5\"",
            "\"a\\u0000b\"", "\"\\ud800\"", "\"x\\udc00\"", "\"+12021-12-17\"", "\"123456789-123-1234-1234-123456789012\"");
    private static final List<String> OTHERS = List.of("true", "false", "null", "{}", "[]", "[1, 2, 3]", "[1, null, 2]",
            "[1, \"x\"]", "[1.5]", "{\"a\": 1, \"b\": [true, null, {\"c\": \"\\u0001é\"}], \"d\": 1.50}",
            "{\"n\": {\"m\": {\"k\": 100.00, \"e\": 1e2, \"big\": 12345678901234567890}}}", "[{\"x\": -0.0}, [], {}]",
            "{\"dup\": 1, \"dup\": 2}", "{\"q\": \"a\\\"b\"}", "{\"k\\u0000\": 1}", "[\"\\ud83d\"]",
            "[\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\\u00e9\\u2028\\b\\f\\r\\u007f\", {\"k\\n\\u001e\": \"\\ud83d\\ude00 x\"}]");

    private static String value(Random random) {
        int pick = random.nextInt(10);
        List<String> from = pick < 4 ? NUMBERS : pick < 8 ? STRINGS : OTHERS;
        return from.get(random.nextInt(from.size()));
    }

    /**
     * Line 1 has every key, in TYPES' order, with a value that fits; then random records, good and bad (keys outside
     * the schema and empty keys only when {@code unknownKeys}: in the sample they would be columns, or an error of
     * the sample's own).
     */
    private static String lines(long seed, int count, boolean invalidJson, boolean unknownKeys) {
        Random random = new Random(seed);
        StringBuilder s = new StringBuilder("{\"l\": 1, \"i\": 2, \"d\": 3.5, \"f\": 0.5, \"s\": \"x\", \"b\": true,"
                + " \"t\": \"2021-12-17T11:49:40Z\", \"day\": \"2021-12-17\", \"j\": {\"a\": 1}, \"ls\": [1],"
                + " \"u\": \"123e4567-e89b-12d3-a456-426614174000\"}\n");
        List<String> keys = new ArrayList<>(TYPES.keySet());
        for (int n = 0; n < count; n++) {
            int kind = random.nextInt(100);
            if (kind < 2) {
                s.append(random.nextBoolean() ? "[1, 2]" : "42").append('\n');
                continue;
            }
            if (invalidJson && kind < 5) {
                s.append(random.nextBoolean() ? "{\"l\": 1, \"s\": \"x\",, }" : "{\"l\": 2,").append('\n');
                continue;
            }
            List<String> members = new ArrayList<>();
            boolean mixed = random.nextInt(5) < 2;
            for (String key : keys) {
                int k = random.nextInt(30);
                if (k == 0) {
                    continue;                                   // missing
                }
                members.add("\"" + key + "\": " + (k < 3 ? "null" : !mixed || k < 18 ? fitting(key, random)
                        : value(random)));
            }
            if (unknownKeys && random.nextInt(15) == 0) {
                members.add("\"other\": " + value(random));     // outside the schema
            }
            if (unknownKeys && random.nextInt(40) == 0) {
                members.add("\"\": 1");                         // an empty key
            }
            if (random.nextInt(20) == 0) {
                members.add(members.isEmpty() ? "\"l\": 1" : members.get(random.nextInt(members.size())));   // twice
            }
            if (random.nextInt(4) == 0) {
                Collections.shuffle(members, random);
            }
            s.append('{').append(String.join(random.nextBoolean() ? ", " : ",", members)).append("}\n");
        }
        return s.toString();
    }

    private static String fitting(String key, Random random) {
        return switch (key) {
            case "l" -> String.valueOf(random.nextLong() >> random.nextInt(64));
            case "i" -> String.valueOf(random.nextInt());
            case "d" -> (random.nextInt(2_000_000) - 1_000_000) + "." + random.nextInt(1000);
            case "f" -> random.nextInt(1000) + ".25";
            case "s" -> "\"s" + random.nextInt(1000) + "\"";
            case "b" -> String.valueOf(random.nextBoolean());
            case "t" -> "\"2021-12-" + (10 + random.nextInt(18)) + "T11:49:40." + random.nextInt(1000) + "+0"
                    + random.nextInt(10) + ":00\"";
            case "day" -> "\"2020-02-" + (10 + random.nextInt(19)) + "\"";
            case "j" -> "{\"k\": " + random.nextInt(100) + ".10, \"v\": [\"x\", null]}";
            case "ls" -> "[" + random.nextInt(10) + ", " + random.nextInt(10) + "]";
            default -> "\"123e4567-e89b-12d3-a456-42661417400" + random.nextInt(10) + "\"";
        };
    }

    private static JsonSource.Builder source(String text, Charset charset) {
        JsonSource.Builder b = JsonSource.builder()
                .stream(new ByteArrayInputStream(text.getBytes(charset)), "gen.jsonl")
                .onBadRecord(OnBadRecord.DEAD_LETTER)
                .chunkRows(37);
        return b;
    }

    private static List<RecordBatch> read(JsonSource.Builder builder, Schema[] schema) {
        try (JsonSource json = builder.build()) {
            schema[0] = json.schema();
            return json.batches().toList();
        }
    }

    /** What a bad record's reason says about the sample's size is not part of the comparison. */
    private static List<BadRecord> rejected(List<RecordBatch> batches) {
        List<BadRecord> out = new ArrayList<>();
        for (RecordBatch b : batches) {
            for (BadRecord r : b.rejected()) {
                out.add(new BadRecord(r.location(), r.reason().replaceAll("the first \\d+ records", "the first N records"),
                        r.text()));
            }
        }
        return out;
    }

    private static List<Record> records(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).toList();
    }

    @Test
    void recordsReadAfterTheSampleAreTheSameAsRecordsReadAsTreesInIt() {
        for (long seed = 1; seed <= 4; seed++) {
            String text = lines(seed, 1500, true, false);
            for (boolean ignoreUnknown : new boolean[] {false, true}) {
                Schema[] treeSchema = new Schema[1];
                Schema[] streamSchema = new Schema[1];
                JsonSource.Builder trees = source(text, StandardCharsets.UTF_8).sampleRows(100_000)
                        .ignoreUnknownFields(ignoreUnknown);
                JsonSource.Builder streamed = source(text, StandardCharsets.UTF_8).sampleRows(1)
                        .ignoreUnknownFields(ignoreUnknown);
                TYPES.forEach(trees::type);
                TYPES.forEach(streamed::type);
                List<RecordBatch> a = read(trees, treeSchema);
                List<RecordBatch> b = read(streamed, streamSchema);

                assertThat(streamSchema[0]).isEqualTo(treeSchema[0]);
                assertThat(records(b)).hasSizeGreaterThan(500).isEqualTo(records(a));
                assertThat(rejected(b)).hasSizeGreaterThan(100).isEqualTo(rejected(a));
                assertThat(b.stream().map(RecordBatch::position).toList())
                        .isEqualTo(a.stream().map(RecordBatch::position).toList());
                assertThat(b.stream().map(RecordBatch::size).toList())
                        .isEqualTo(a.stream().map(RecordBatch::size).toList());
            }
        }
    }

    @Test
    void aDeclaredSchemaWithRequiredColumnsReadsUtf8StraightAsUtf16ReadsTrees() {
        Schema.Builder s = Schema.builder();
        TYPES.forEach((key, type) -> {
            if (key.equals("l") || key.equals("s") || key.equals("j")) {
                s.required(key, type);
            } else {
                s.add(key, type);
            }
        });
        Schema schema = s.build();
        String text = lines(7, 1500, false, true);     // UTF-16: invalid JSON fails the read
        List<RecordBatch> a = read(source(text, StandardCharsets.UTF_16LE).schema(schema), new Schema[1]);
        List<RecordBatch> b = read(source(text, StandardCharsets.UTF_8).schema(schema), new Schema[1]);

        assertThat(records(b)).hasSizeGreaterThan(500).isEqualTo(records(a));
        // UTF-16 texts are the parsed trees, not the bytes, and its characters of a line are not UTF-8's bytes of
        // it (Jackson counts those): where (but the character) and why must agree
        assertThat(rejected(b).stream().map(r -> (r.location() + " " + r.reason()).replaceAll("character \\d+", "")))
                .hasSizeGreaterThan(200)
                .isEqualTo(rejected(a).stream().map(r -> (r.location() + " " + r.reason()).replaceAll("character \\d+",
                        "")).toList());
        assertThat(rejected(b).stream().map(BadRecord::reason))
                .anyMatch(r -> r.contains("null in a required column"))
                .anyMatch(r -> r.contains("is missing"))
                .anyMatch(r -> r.contains("is twice"))
                .anyMatch(r -> r.contains("not in the schema"));
    }
}
