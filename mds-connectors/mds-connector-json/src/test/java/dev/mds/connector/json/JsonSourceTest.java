package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link JsonSource} on files and streams: formats, inferred and declared types, positions, and bad input. */
class JsonSourceTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static List<Record> all(JsonSource source) {
        try (source) {
            return source.batches().flatMap(b -> b.records().stream()).toList();
        }
    }

    private static JsonSource stream(String text, String name) {
        return JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), name).build();
    }

    @Test
    void anArrayAndJsonLinesGiveTheSameRecordsWithTypesInferredPerKey() throws IOException {
        String a = "{\"id\": 1, \"name\": \"Ann\", \"price\": 9.5, \"ok\": true, \"tags\": [\"x\"], \"at\": \"2021-12-17T11:49:40.461+0100\","
                + " \"day\": \"2021-12-17\"}";
        String b = "{\"id\": 2, \"name\": null, \"price\": 10, \"ok\": false, \"tags\": {\"k\": 1}, \"at\": \"2021-12-18T00:00:00Z\","
                + " \"day\": \"2021-12-18\", \"extra\": \"late key\"}";
        JsonSource array = JsonSource.builder().path(file("a.json", "[" + a + ",\n" + b + "]")).build();
        JsonSource lines = JsonSource.builder().path(file("a.jsonl", a + "\n" + b + "\n")).build();
        Schema expected = Schema.builder().add("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("price", FieldType.DECIMAL).add("ok", FieldType.BOOLEAN).add("tags", FieldType.JSON)
                .add("at", FieldType.TIMESTAMPTZ).add("day", FieldType.DATE).add("extra", FieldType.STRING).build();
        assertThat(array.schema()).isEqualTo(expected);
        assertThat(lines.schema()).isEqualTo(expected);
        List<Record> records = all(array);
        assertThat(records).isEqualTo(all(lines));
        assertThat(records.get(0).values()).containsExactly(1L, "Ann", new BigDecimal("9.5"), true, "[\"x\"]",
                OffsetDateTime.of(2021, 12, 17, 11, 49, 40, 461_000_000, ZoneOffset.ofHours(1)), LocalDate.of(2021, 12, 17), null);
        assertThat(records.get(1).values()).containsExactly(2L, null, new BigDecimal("10"), false, "{\"k\":1}",
                OffsetDateTime.of(2021, 12, 18, 0, 0, 0, 0, ZoneOffset.UTC), LocalDate.of(2021, 12, 18), "late key");
    }

    @Test
    void aKeyWithValuesOfSeveralKindsIsTextAndDeclaredTypesWin() {
        JsonSource source = JsonSource.builder().stream(new ByteArrayInputStream(
                "{\"pages\": 10, \"code\": \"007\"}\n{\"pages\": \"unknown\", \"code\": \"8\"}".getBytes(StandardCharsets.UTF_8)), "mixed")
                .type("code", FieldType.INT).type("never_seen", FieldType.UUID).build();
        assertThat(source.schema().names()).containsExactly("pages", "code", "never_seen");
        assertThat(source.schema().field(0).type()).isEqualTo(FieldType.STRING);
        assertThat(all(source)).extracting(Record::values).containsExactly(Arrays.asList("10", 7, null),
                Arrays.asList("unknown", 8, null));
    }

    @Test
    void aNumberInATextColumnIsItsTextAsWritten() {
        // a decimal became the text of the BigDecimal Jackson's tree holds: 100.0 was "1E+2", 1.50 "1.5", 0.0000001
        // "1E-7"; in the sample (trees) and after it, inferred (values of several kinds) and declared
        String text = "{\"v\": \"x\"}\n{\"v\": 100.0}\n{\"v\": 1.50}\n{\"v\": 1e2}\n{\"v\": -0.0000001}\n{\"v\": 10}\n"
                + "{\"v\": 123456789012345678901234567890.00}\n{\"v\": true}\n";
        List<Object> expected = List.of("x", "100.0", "1.50", "1e2", "-0.0000001", "10", "123456789012345678901234567890.00",
                "true");
        for (int sampleRows : new int[] {1, 3, 100}) {
            assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "m")
                    .sampleRows(sampleRows).build())).as("sample %s", sampleRows).extracting(r -> r.get(0))
                    .containsExactlyElementsOf(expected);
            assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "m")
                    .sampleRows(sampleRows).schema(Schema.builder().add("v", FieldType.STRING).build()).build()))
                    .as("declared, sample %s", sampleRows).extracting(r -> r.get(0)).containsExactlyElementsOf(expected);
        }
        // UTF-16 input and flatten are read as trees
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_16LE)), "m")
                .build())).extracting(r -> r.get(0)).containsExactlyElementsOf(expected);
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "m")
                .flatten("__").sampleRows(2).build())).extracting(r -> r.get(0)).containsExactlyElementsOf(expected);
    }

    @Test
    void aStringAfterTheSampleDoesNotFitAColumnInferredFromNumbersOrBooleans() {
        // the sample's values were all numbers (booleans): a string is another kind, which with a larger sample would
        // have made the column text; it was taken as the number (boolean) it holds
        String text = "{\"n\": 1, \"d\": 1.5, \"b\": true}\n{\"n\": 2, \"d\": 2.5, \"b\": false}\n";
        for (String late : List.of("{\"n\": \"3\"}", "{\"d\": \"3.5\"}", "{\"b\": \"true\"}")) {
            String key = late.substring(2, 3);
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream((text + late)
                    .getBytes(StandardCharsets.UTF_8)), "late.jsonl").sampleRows(2).build())).as(late)
                    .isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("late.jsonl line 3 record 3, column '" + key + "'")
                    .hasMessageContaining("is a string, not a")
                    .hasMessageContaining("inferred from the first 2 records");
            // all in the sample: the column is text; declared: the string holding a value of the type is taken
            assertThat(JsonSource.builder().stream(new ByteArrayInputStream((text + late).getBytes(StandardCharsets.UTF_8)),
                    "all.jsonl").build().schema().field(key).orElseThrow().type()).as(late).isEqualTo(FieldType.STRING);
        }
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream((text + "{\"n\": \"3\", \"b\": \"true\"}")
                .getBytes(StandardCharsets.UTF_8)), "declared.jsonl").sampleRows(2).type("n", FieldType.LONG)
                .type("b", FieldType.BOOLEAN).build())).extracting(r -> r.get(0) + " " + r.get(2))
                .containsExactly("1 true", "2 false", "3 true");
    }

    @Test
    void aDateColumnInferredFromTheSampleTakesLaterDatesOfTheSameFormOnly() {
        // the inference takes yyyy-mm-dd for a date; after the sample any ISO date was taken ("+12021-12-17"), which in
        // the sample would have made the column text
        String text = "{\"d\": \"2021-12-17\"}\n{\"d\": \"2021-12-18\"}\n";
        for (String late : List.of("+12021-12-17", "-2021-12-17")) {
            String all = text + "{\"d\": \"" + late + "\"}\n";
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(all.getBytes(StandardCharsets.UTF_8)),
                    "dates.jsonl").sampleRows(2).build())).as(late).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("dates.jsonl line 3 record 3, column 'd'")
                    .hasMessageContaining("inferred from the first 2 records");
            assertThat(JsonSource.builder().stream(new ByteArrayInputStream(all.getBytes(StandardCharsets.UTF_8)), "dates.jsonl")
                    .build().schema().field(0).type()).as(late).isEqualTo(FieldType.STRING);
        }
        // declared, an ISO date with a longer year is taken
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream((text + "{\"d\": \"+12021-12-17\"}")
                .getBytes(StandardCharsets.UTF_8)), "dates.jsonl").sampleRows(2).type("d", FieldType.DATE).build()))
                .extracting(r -> r.get(0)).containsExactly(LocalDate.of(2021, 12, 17), LocalDate.of(2021, 12, 18),
                        LocalDate.of(12021, 12, 17));
    }

    @Test
    void batchesCarryPositionsAndAResumeReadsOnFromTheNextRecord() throws IOException {
        StringBuilder text = new StringBuilder("[\n");
        for (int i = 1; i <= 25; i++) {
            text.append(i > 1 ? ",\n" : "").append("{\"id\": ").append(i).append('}');
        }
        Path p = file("n.json", text.append("\n]").toString());
        List<RecordBatch> batches;
        try (JsonSource source = JsonSource.builder().path(p).chunkRows(10).build()) {
            batches = source.batches().toList();
        }
        assertThat(batches).extracting(RecordBatch::size).containsExactly(10, 10, 5);
        SourcePosition second = batches.get(1).position().orElseThrow();
        assertThat(second.source()).isEqualTo("json:" + p);
        assertThat(second.getLong("record")).contains(20L);

        SourcePosition stored = SourcePosition.fromJson(second.toJson());
        try (JsonSource resumed = JsonSource.builder().path(p).chunkRows(10).resumeFrom(stored).build()) {
            List<RecordBatch> rest = resumed.batches().toList();
            assertThat(rest).hasSize(1);
            assertThat(rest.get(0).records()).extracting(r -> r.get(0)).containsExactly(21L, 22L, 23L, 24L, 25L);
            assertThat(rest.get(0).position()).isEqualTo(batches.get(2).position());
        }
        // resumed after the last batch: one empty batch, at the same position
        try (JsonSource resumed = JsonSource.builder().path(p).resumeFrom(batches.get(2).position().orElseThrow()).build()) {
            List<RecordBatch> rest = resumed.batches().toList();
            assertThat(rest).hasSize(1);
            assertThat(rest.get(0).isEmpty()).isTrue();
            assertThat(rest.get(0).position()).isEqualTo(batches.get(2).position());
        }

        // the file rewritten under its name: record 20 now ends elsewhere
        Files.writeString(p, text.toString().replace("{\"id\": 3}", "{\"id\": 3, \"v\": 1}"));
        assertThatThrownBy(() -> all(JsonSource.builder().path(p).resumeFrom(stored).ignoreUnknownFields(true).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 20").hasMessageContaining("rewritten");
    }

    @Test
    void anEmptyInputGivesOneEmptyBatch() {
        for (String text : List.of("", "[]", "  \n [ ] \n")) {
            try (JsonSource source = JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    "empty").type("id", FieldType.LONG).build()) {
                List<RecordBatch> batches = source.batches().toList();
                assertThat(batches).as(text).hasSize(1);
                assertThat(batches.get(0).isEmpty()).isTrue();
                assertThat(batches.get(0).schema().names()).containsExactly("id");
            }
        }
    }

    @Test
    void aFileOfOnlyAByteOrderMarkIsAnEmptyInputAsAFileOfNoBytesIs() throws IOException {
        // what a tool writing UTF-8 with a byte-order mark leaves when it has no records
        for (String text : List.of("\uFEFF", "\uFEFF\n", "\uFEFF[]", "\uFEFF ")) {
            Path p = file("bom-only.jsonl", text);
            for (boolean declared : new boolean[] {false, true}) {
                JsonSource.Builder b = JsonSource.builder().path(p).threads(2);
                try (JsonSource source = (declared ? b.type("id", FieldType.LONG) : b).build()) {
                    List<RecordBatch> batches = source.batches().toList();
                    assertThat(batches).as("%s declared %s", text.length(), declared).hasSize(1);
                    assertThat(batches.get(0).isEmpty()).isTrue();
                    assertThat(batches.get(0).schema().names()).isEqualTo(declared ? List.of("id") : List.of());
                    SourcePosition at = batches.get(0).position().orElseThrow();
                    try (JsonSource resumed = JsonSource.builder().path(p).resumeFrom(at).build()) {
                        assertThat(resumed.batches().toList()).hasSize(1).allMatch(RecordBatch::isEmpty);
                    }
                }
            }
        }
    }

    @Test
    void aFileOfOnlyAUtf16ByteOrderMarkIsAnEmptyInputToo() throws IOException {
        // what Windows PowerShell's Out-File (UTF-16LE with a byte-order mark) leaves when it has no records
        for (byte[] mark : List.of(new byte[] {(byte) 0xFF, (byte) 0xFE}, new byte[] {(byte) 0xFE, (byte) 0xFF})) {
            Path p = dir.resolve("bom16-only.jsonl");
            Files.write(p, mark);
            for (OnBadRecord policy : OnBadRecord.values()) {
                try (JsonSource source = JsonSource.builder().path(p).onBadRecord(policy).build()) {
                    List<RecordBatch> batches = source.batches().toList();
                    assertThat(batches).as("%s %s", Arrays.toString(mark), policy).hasSize(1);
                    assertThat(batches.get(0).isEmpty()).isTrue();
                    assertThat(batches.get(0).rejected()).isEmpty();
                    assertThat(source.badRecords()).isZero();
                }
            }
        }
    }

    @Test
    void invalidJsonIsNamedByFileLineAndRecord() throws IOException {
        Path p = file("bad.json", "[{\"id\": 1},\n{\"id\": 2},\n{\"id\": 3,, \"x\": 1}]");
        assertThatThrownBy(() -> all(JsonSource.builder().path(p).sampleRows(1).build()))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith(p + " line 3")
                .hasMessageContaining("not valid JSON").hasMessageContaining("record 3");
        assertThatThrownBy(() -> all(stream("{\"id\": 1}\n{\"id\": 2, \"id\": 3}", "dup.jsonl")))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("dup.jsonl line 2 record 2, column 'id'")
                .hasMessageContaining("the key 'id' is twice in one object");
        assertThatThrownBy(() -> all(stream("[{\"id\": 1}, 2]", "num.json")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 2")
                .hasMessageContaining("is a number, not an object");
        assertThatThrownBy(() -> all(stream("[{\"id\": 1}", "open.json")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("open.json");
        assertThatThrownBy(() -> all(stream("[{\"id\": 1}] {\"id\": 2}", "after.json")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("after the array");
        assertThatThrownBy(() -> all(stream("\"just a string\"", "scalar.json")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("is a string, not an object");
        assertThatThrownBy(() -> all(stream("{\"\": 1}", "emptykey.json")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("a key is empty");
    }

    @Test
    void aValueThatDoesNotFitItsColumnFailsNamingTheKeyAndTheFix() {
        String text = "{\"n\": 1, \"d\": 2.5}\n{\"n\": 2, \"d\": 3}\n{\"n\": \"three\", \"d\": 1}";
        assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                "late.jsonl").sampleRows(2).build()))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("late.jsonl line 3 record 3, column 'n'")
                .hasMessageContaining("the string \"three\" is not a number")
                .hasMessageContaining("inferred from the first 2 records")
                .hasMessageContaining("type(\"n\", FieldType.STRING)");
        assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream("{\"n\": 1.5}".getBytes(StandardCharsets.UTF_8)),
                "frac.jsonl").type("n", FieldType.LONG).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("has a fraction");
        assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(
                "{\"n\": 9007199254740993}".getBytes(StandardCharsets.UTF_8)), "big.jsonl").type("n", FieldType.DOUBLE).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("cannot be held exactly by a double");
        assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(
                "{\"t\": \"2021-12-17T11:49:40\"}".getBytes(StandardCharsets.UTF_8)), "tz.jsonl").type("t", FieldType.TIMESTAMPTZ).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("with an offset");
        assertThat(all(stream("{\"a\": 1}\n{\"a\": 2, \"b\": 3}", "unknown.jsonl")))   // b is in the sample
                .extracting(Record::values).containsExactly(Arrays.asList(1L, null), List.of(2L, 3L));
        assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(
                "{\"a\": 1}\n{\"a\": 2, \"b\": 3}".getBytes(StandardCharsets.UTF_8)), "unknown.jsonl").sampleRows(1).build()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 2 record 2, column 'b'")
                .hasMessageContaining("not in the schema [a]").hasMessageContaining("ignoreUnknownFields(true)");
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(
                "{\"a\": 1}\n{\"a\": 2, \"b\": 3}".getBytes(StandardCharsets.UTF_8)), "unknown.jsonl").sampleRows(1)
                .ignoreUnknownFields(true).build())).extracting(r -> r.get(0)).containsExactly(1L, 2L);
    }

    @Test
    void aNumberTooSmallForADoubleIsRefusedNotMadeZero() {
        // 1e-400 is beyond a double's range as 1e400 is, but became 0.0 (and -1e-400 -0.0): a value the file does not hold
        for (String tiny : List.of("1e-400", "-1e-400", "4.9e-325")) {
            String text = "{\"x\": 1.5}\n{\"x\": " + tiny + "}\n";
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    "tiny.jsonl").type("x", FieldType.DOUBLE).build())).as(tiny).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("tiny.jsonl line 2 record 2, column 'x'").hasMessageContaining("double");
        }
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream("{\"x\": 0.0}\n{\"x\": 4.9e-324}\n{\"x\": -0}"
                .getBytes(StandardCharsets.UTF_8)), "small.jsonl").type("x", FieldType.DOUBLE).build()))
                .extracting(r -> r.get(0)).containsExactly(0.0, 4.9e-324, 0.0);
    }

    @Test
    void aWholeNumberInAStringADoubleCannotHoldExactlyIsRefusedAsTheNumberIs() {
        // 9007199254740993 as a number was refused, but as a string became 9007199254740992: a value the file does not hold
        for (String big : List.of("\"9007199254740993\"", "\" 12345678901234567890 \"", "\"-9007199254740993\"",
                "9007199254740993")) {
            String text = "{\"x\": 1.5}\n{\"x\": " + big + "}\n";
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    "big.jsonl").type("x", FieldType.DOUBLE).build())).as(big).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("big.jsonl line 2 record 2, column 'x'")
                    .hasMessageContaining("cannot be held exactly by a double precision value");
        }
        // whole numbers a double holds, and numbers written with a fraction or an exponent (meant approximately), fit
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(("{\"x\": \"9007199254740992\"}\n"
                + "{\"x\": \"12\"}\n{\"x\": \"0.1\"}\n{\"x\": \"9007199254740993.0\"}\n{\"x\": \"1e20\"}")
                .getBytes(StandardCharsets.UTF_8)), "fits.jsonl").type("x", FieldType.DOUBLE).build()))
                .extracting(r -> r.get(0)).containsExactly(9007199254740992.0, 12.0, 0.1, 9007199254740992.0, 1e20);
    }

    @Test
    void isoDateTimesWithAnOffsetAreTimestamptzAndAnythingElseStaysText() {
        String ok = "{\"t\": \"2021-12-17T11:49Z\"}\n{\"t\": \"2021-12-17 11:49:40+01\"}\n{\"t\": \"2021-12-17T11:49:40.5-05:30\"}\n"
                + "{\"t\": \"2021-12-17T11:49:40.123456789+0100\"}";
        assertThat(all(stream(ok, "ok"))).extracting(r -> r.get(0)).containsExactly(
                OffsetDateTime.of(2021, 12, 17, 11, 49, 0, 0, ZoneOffset.UTC),
                OffsetDateTime.of(2021, 12, 17, 11, 49, 40, 0, ZoneOffset.ofHours(1)),
                OffsetDateTime.of(2021, 12, 17, 11, 49, 40, 500_000_000, ZoneOffset.ofHoursMinutes(-5, -30)),
                OffsetDateTime.of(2021, 12, 17, 11, 49, 40, 123_456_789, ZoneOffset.ofHours(1)));
        for (String other : List.of("2021-13-01T00:00:00Z", "2021-12-17T11:49:40", "2021-12-17T11:49:40.1234567891Z",
                "2021-12-17T11:49:40+1", "2021-12-17T11:49:40Z ", "2021-02-30T00:00Z", "2021-12-17T25:00Z")) {
            String text = "{\"t\": \"2021-12-17T11:49Z\"}\n{\"t\": \"" + other + "\"}";
            assertThat(stream(text, "other").schema().field(0).type()).as(other).isEqualTo(FieldType.STRING);
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(
                    ("{\"t\": \"" + other + "\"}").getBytes(StandardCharsets.UTF_8)), "declared").type("t", FieldType.TIMESTAMPTZ)
                    .build())).as(other).isInstanceOf(BadInputException.class).hasMessageContaining("with an offset");
        }
    }

    @Test
    void aByteOrderMarkAndUtf16AreReadAsJsonAllows() throws IOException {
        byte[] body = "[{\"city\": \"Zürich\"}]".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        Path bom = dir.resolve("bom.json");
        Files.write(bom, withBom);
        Path utf16 = dir.resolve("utf16.json");
        Files.write(utf16, "[{\"city\": \"Zürich\"}]".getBytes(StandardCharsets.UTF_16LE));
        for (Path p : List.of(bom, utf16)) {
            assertThat(all(JsonSource.builder().path(p).build())).as(p.toString()).extracting(r -> r.get(0))
                    .containsExactly("Zürich");
        }
    }

    @Test
    void wholeNumbersBeyondALongAreExactDecimals() {
        assertThat(stream("{\"n\": 1}\n{\"n\": 123456789012345678901234567890}", "big").schema().field(0).type())
                .isEqualTo(FieldType.DECIMAL);
        assertThat(all(stream("{\"n\": 1}\n{\"n\": 123456789012345678901234567890}", "big")))
                .extracting(r -> r.get(0)).containsExactly(new BigDecimal("1"), new BigDecimal("123456789012345678901234567890"));
    }

    @Test
    void aUuidColumnTakesTheCanonicalFormOnlyAndNeverAnotherUuid() {
        String ok = "{\"u\": \"0123ABCD-4567-89ab-cdef-0123456789AB\"}";
        assertThat(all(JsonSource.builder().stream(new ByteArrayInputStream(ok.getBytes(StandardCharsets.UTF_8)), "ok")
                .type("u", FieldType.UUID).build())).extracting(r -> r.get(0))
                .containsExactly(java.util.UUID.fromString("0123abcd-4567-89ab-cdef-0123456789ab"));
        // 36 characters, but not 8-4-4-4-12 hex digits: UUID.fromString read the first two as 23456789-0123-… and
        // 01234567-…, a UUID the file does not hold
        for (String other : List.of("123456789-123-1234-1234-123456789012", "+1234567-1234-1234-1234-123456789012",
                "1234567-12345-1234-1234-123456789012", "12345678-1234-1234-1234-12345678901g")) {
            String text = "{\"u\": \"" + other + "\"}";
            assertThatThrownBy(() -> all(JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    "uuid.jsonl").type("u", FieldType.UUID).build())).as(other).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("uuid.jsonl line 1 record 1, column 'u'").hasMessageContaining("not a uuid value");
        }
    }

    /** A stream that notes whether it was closed, and fails its reads when asked. */
    private static final class Watched extends java.io.InputStream {
        private final ByteArrayInputStream bytes;
        private final boolean failing;
        private boolean closed;

        Watched(String text, boolean failing) {
            this.bytes = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
            this.failing = failing;
        }

        @Override
        public int read() throws IOException {
            return read(new byte[1], 0, 1);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failing) {
                throw new IOException("disk gone");
            }
            return bytes.read(b, off, len);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void theInputIsClosedWithTheSourceOnEveryPath() {
        // closed without being read (the source is built, then closed before schema() or batches())
        Watched unread = new Watched("{\"a\": 1}", false);
        JsonSource.builder().stream(unread, "unread").build().close();
        assertThat(unread.closed).isTrue();
        // its first read fails (for a path: a directory, whose descriptor was left open on each try)
        Watched failing = new Watched("{\"a\": 1}", true);
        try (JsonSource json = JsonSource.builder().stream(failing, "failing").build()) {
            assertThatThrownBy(json::schema).hasMessageContaining("disk gone");
            assertThat(failing.closed).isTrue();
        }
        // read to the end, read in part, and failing at bad input
        for (String text : List.of("{\"a\": 1}\n{\"a\": 2}", "[{\"a\": 1}, {\"a\": ]")) {
            Watched read = new Watched(text, false);
            try (JsonSource json = JsonSource.builder().stream(read, "read").sampleRows(1).chunkRows(1).build()) {
                assertThat(json.batches().findFirst()).isPresent();
            }
            assertThat(read.closed).isTrue();
        }
    }

    @Test
    void badBuilderSettingsAreRefused() {
        assertThatThrownBy(() -> JsonSource.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("path(...) and stream(...)");
        assertThatThrownBy(() -> JsonSource.builder().path(Path.of("x")).schema(Schema.builder().add("a", FieldType.LONG).build())
                .type("a", FieldType.LONG).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonSource.builder().sampleRows(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonSource.builder().chunkRows(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
