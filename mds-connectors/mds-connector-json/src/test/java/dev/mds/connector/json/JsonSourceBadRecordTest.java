package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JsonSource} under each {@link OnBadRecord}: which bad records are per record (in JSON Lines every kind, in an
 * array all but invalid JSON), what a batch carries, and resuming past bad records.
 */
class JsonSourceBadRecordTest {
    static final Schema SCHEMA = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).build();

    /** JSON Lines, line k holding record k: a bad record of each kind between good ones. */
    static final List<String> LINES = List.of(
            "{\"id\": 1, \"n\": 10}",
            "{\"id\": 2, \"n\": \"ten\"}",                 // a value that does not fit its column
            "{\"id\": 3, \"n\": 30, \"x\": 1}",           // a key outside the schema
            "{\"id\": 4, \"n\": 40, \"id\": 5}",          // a key twice
            "[4, 5]",                                      // not an object
            "{\"id\": 6, \"n\": 60,, }",                  // not valid JSON
            "{\"id\": 7, \"n\": 70}",
            "{\"id\": 8,",                                 // not valid JSON, the object never closed
            "{\"id\": 9, \"n\": 90}");
    static final String TEXT = String.join("\n", LINES) + "\n";

    @TempDir
    Path dir;

    static JsonSource.Builder source(String text, String name) {
        return JsonSource.builder().stream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), name);
    }

    static List<RecordBatch> batches(JsonSource.Builder builder) {
        try (JsonSource source = builder.build()) {
            return source.batches().toList();
        }
    }

    static List<Long> ids(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).map(r -> (Long) r.get(0)).toList();
    }

    static List<BadRecord> rejected(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.rejected().stream()).toList();
    }

    @Test
    void eachKindOfBadRecordInJsonLinesIsDeadLetteredWithFileLineRecordKeyReasonAndItsText() {
        List<RecordBatch> batches = batches(source(TEXT, "kinds.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 7L, 9L);
        List<BadRecord> bad = rejected(batches);
        assertThat(bad).extracting(BadRecord::text).containsExactly(LINES.get(1), LINES.get(2), LINES.get(3), LINES.get(4),
                LINES.get(5), LINES.get(7));
        assertThat(bad).extracting(b -> b.location().line().orElseThrow()).containsExactly(2L, 3L, 4L, 5L, 6L, 8L);
        assertThat(bad).extracting(b -> b.location().recordNumber().orElseThrow()).containsExactly(2L, 3L, 4L, 5L, 6L, 8L);
        assertThat(bad).extracting(b -> b.location().column().orElse("-")).containsExactly("n", "x", "id", "-", "-", "-");
        assertThat(bad.get(0).describe()).startsWith("kinds.jsonl line 2 record 2, column 'n'")
                .contains("the string \"ten\" is not a number");
        assertThat(bad.get(1).reason()).contains("the key 'x' is not in the schema [id, n]");
        assertThat(bad.get(2).reason()).contains("the key 'id' is twice in one object");
        assertThat(bad.get(3).reason()).contains("the record is an array, not an object");
        assertThat(bad.get(4).reason()).startsWith("not valid JSON (line 6 character ");
        assertThat(bad.get(5).reason()).startsWith("not valid JSON (line 9 character ")   // seen at the next '{'
                .contains("reading goes on at the next line that starts with '{'");
        // one batch (chunkRows counts good and dead-lettered records alike: 9 < 10 000), ending after record 9
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).position().orElseThrow().getLong("record")).contains(9L);
        assertThat(batches.get(0).position().orElseThrow().getLong("offset")).contains((long) TEXT.length() - 1);
    }

    @Test
    void skipLeavesEachKindOfBadRecordOutAndCountsIt() {
        try (JsonSource source = source(TEXT, "kinds.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.SKIP).build()) {
            List<RecordBatch> batches = source.batches().toList();
            assertThat(ids(batches)).containsExactly(1L, 7L, 9L);
            assertThat(rejected(batches)).isEmpty();
            assertThat(source.badRecords()).isEqualTo(6);
            assertThat(batches.get(batches.size() - 1).position().orElseThrow().getLong("record")).contains(9L);
        }
    }

    @Test
    void failStopsAtTheFirstBadRecordOfEachKindAfterTheBatchesBeforeIt() {
        for (int bad : List.of(1, 2, 3, 4, 5, 7)) {
            String text = LINES.get(0) + "\n" + LINES.get(bad) + "\n" + LINES.get(6) + "\n";
            List<RecordBatch> seen = new ArrayList<>();
            try (JsonSource source = source(text, "fail.jsonl").schema(SCHEMA).chunkRows(1).build()) {
                assertThat(catchThrowable(() -> source.batches().forEach(seen::add))).as(LINES.get(bad))
                        .isInstanceOf(BadInputException.class).hasMessageStartingWith("fail.jsonl line 2");
            }
            assertThat(ids(seen)).as(LINES.get(bad)).containsExactly(1L);
        }
    }

    @Test
    void aRangeOfOnlyBadRecordsIsABatchOfNoRecordsCarryingThemAndAResumeNeverHandsOutABadRecordBeforeItsPosition() {
        JsonSource.Builder b = source(TEXT, "kinds.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER).chunkRows(3);
        List<RecordBatch> batches = batches(b);
        assertThat(batches).hasSize(3);
        assertThat(batches).extracting(RecordBatch::size).containsExactly(1, 0, 2);
        assertThat(batches).extracting(x -> x.rejected().size()).containsExactly(2, 3, 1);
        assertThat(batches).extracting(x -> x.position().orElseThrow().getLong("record").orElseThrow())
                .containsExactly(3L, 6L, 9L);
        assertThat(batches.get(1).rejected()).extracting(x -> x.location().recordNumber().orElseThrow())
                .containsExactly(4L, 5L, 6L);

        for (int i = 0; i < batches.size(); i++) {
            SourcePosition stored = SourcePosition.fromJson(batches.get(i).position().orElseThrow().toJson());
            List<RecordBatch> rest = batches(source(TEXT, "kinds.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER)
                    .chunkRows(3).resumeFrom(stored));
            if (i < batches.size() - 1) {
                assertThat(rest).as("after batch %d", i + 1).isEqualTo(batches.subList(i + 1, batches.size()));
            }
        }
        // after the last batch, under any policy: the bad records before the position are skipped as they are
        for (OnBadRecord policy : OnBadRecord.values()) {
            List<RecordBatch> rest = batches(source(TEXT, "kinds.jsonl").schema(SCHEMA).onBadRecord(policy)
                    .resumeFrom(batches.get(2).position().orElseThrow()));
            assertThat(rest).as(policy.name()).hasSize(1);
            assertThat(rest.get(0).isEmpty()).isTrue();
            assertThat(rest.get(0).rejected()).isEmpty();
            assertThat(rest.get(0).position()).isEqualTo(batches.get(2).position());
        }
    }

    @Test
    void skippedRecordsAfterTheLastBatchAreCoveredByAnEmptyBatchSoAResumeDoesNotReadThemAgain() {
        String text = LINES.get(0) + "\n" + LINES.get(1) + "\n" + LINES.get(3) + "\n";
        List<RecordBatch> batches = batches(source(text, "tail.jsonl").schema(SCHEMA).chunkRows(1).onBadRecord(OnBadRecord.SKIP));
        assertThat(batches).extracting(RecordBatch::size).containsExactly(1, 0);
        assertThat(batches.get(1).position().orElseThrow().getLong("record")).contains(3L);
        try (JsonSource resumed = source(text, "tail.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.SKIP)
                .resumeFrom(batches.get(1).position().orElseThrow()).build()) {
            assertThat(resumed.batches().toList()).hasSize(1);
            assertThat(resumed.badRecords()).isZero();
        }
    }

    @Test
    void inAnArrayBadRecordsArePerRecordButInvalidJsonStillFailsTheRead() throws IOException {
        String text = "[{\"id\": 1, \"n\": 1},\n {\"id\": 2, \"n\": \"x\"},\n 3,\n {\"id\": 4, \"n\": {\"a\": 1, \"a\": 2}},\n"
                + " {\"id\": 5, \"n\": 5}]";
        Path p = dir.resolve("a.json");
        Files.writeString(p, text);
        List<RecordBatch> batches = batches(JsonSource.builder().path(p).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 5L);
        assertThat(rejected(batches)).extracting(BadRecord::text).containsExactly("{\"id\": 2, \"n\": \"x\"}", "3",
                "{\"id\": 4, \"n\": {\"a\": 1, \"a\": 2}}");
        assertThat(rejected(batches).get(2).describe()).isEqualTo(p + " line 4 record 4, column 'n': the key 'a' is twice"
                + " in one object (inside 'n'), at line 4 character 26: which value is meant is not known");

        Files.writeString(p, "[{\"id\": 1, \"n\": 1},\n {\"id\": 2,, \"n\": 2},\n {\"id\": 3, \"n\": 3}]");
        for (OnBadRecord policy : OnBadRecord.values()) {
            assertThatThrownBy(() -> batches(JsonSource.builder().path(p).schema(SCHEMA).onBadRecord(policy)))
                    .isInstanceOf(BadInputException.class).hasMessageStartingWith(p + " line 2: not valid JSON");
        }
    }

    @Test
    void badRecordsInTheSampleAddNoTypes() {
        String text = "{\"id\": \"a\", \"id\": 1}\n[1]\n{\"id\": 1, ,}\n{\"\": 1}\n{\"id\": 2}\n";
        try (JsonSource source = source(text, "sample.jsonl").onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            assertThat(source.schema()).isEqualTo(Schema.builder().add("id", FieldType.LONG).build());
            List<RecordBatch> batches = source.batches().toList();
            assertThat(ids(batches)).containsExactly(2L);
            assertThat(rejected(batches)).extracting(b -> b.location().recordNumber().orElseThrow())
                    .containsExactly(1L, 2L, 3L, 4L);
            assertThat(rejected(batches).get(3).reason()).isEqualTo("a key is empty: it cannot name a column");
        }
    }

    @Test
    void aUtf16InputDeadLettersItsRecordsAsParsedAndFailsAtInvalidJson() throws IOException {
        Path p = dir.resolve("u16.jsonl");
        Files.write(p, "{\"id\": 1, \"n\": 1}\n{\"id\": 2, \"n\": \"zwei\"}\n".getBytes(StandardCharsets.UTF_16LE));
        List<RecordBatch> batches = batches(JsonSource.builder().path(p).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L);
        assertThat(rejected(batches)).extracting(BadRecord::text).containsExactly("{\"id\":2,\"n\":\"zwei\"}");
        Files.write(p, "{\"id\": 1, \"n\": 1}\n{\"id\": 2,, }\n".getBytes(StandardCharsets.UTF_16LE));
        assertThatThrownBy(() -> batches(JsonSource.builder().path(p).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not valid JSON");
    }

    @Test
    void invalidJsonOnTheFirstLineAfterAByteOrderMarkAndWithCrLfLineEndsIsOneRecordToo() throws IOException {
        Path p = dir.resolve("first.jsonl");
        byte[] body = "oops {\r\n{\"id\": 1, \"n\": 1}\r\n\r\nnot json\r\n  more of it\r\n{\"id\": 2, \"n\": 2}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        Files.write(p, withBom);
        List<RecordBatch> batches = batches(JsonSource.builder().path(p).schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 2L);
        assertThat(rejected(batches)).extracting(BadRecord::text).containsExactly("oops {", "not json\r\n  more of it");
        assertThat(rejected(batches)).extracting(b -> b.location().describe()).containsExactly(p + " line 1 record 1",
                p + " line 4 record 3");
        assertThat(batches.get(0).position().orElseThrow().getLong("offset")).contains((long) withBom.length);
    }

    @Test
    void aRecordBeyondTheParsersLimitsIsBadInputNotAnUnreadableFile() {
        String deep = "{\"id\": 1, \"n\": " + "[".repeat(1_001) + "]".repeat(1_001) + "}";
        String text = LINES.get(0) + "\n" + deep + "\n" + LINES.get(6) + "\n";
        assertThatThrownBy(() -> batches(source(text, "deep.jsonl").schema(SCHEMA)))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("deep.jsonl line 2")
                .hasMessageContaining("nesting depth");
        List<RecordBatch> batches = batches(source(text, "deep.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 7L);
        assertThat(rejected(batches)).singleElement().satisfies(b -> {
            assertThat(b.describe()).startsWith("deep.jsonl line 2 record 2: not valid JSON").contains("nesting depth");
            assertThat(b.text()).isEqualTo(deep);
        });
        assertThatThrownBy(() -> batches(source("[" + deep + "]", "deep.json").schema(SCHEMA).onBadRecord(OnBadRecord.SKIP)))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("deep.json line 1: not valid JSON");
    }

    @Test
    void aNumberWhoseExponentNoDecimalCanHoldIsABadRecordNamingFileAndLine() {
        // valid JSON that Jackson tokenizes but cannot hold as a BigDecimal (the exponent is beyond an int): it threw a
        // bare NumberFormatException, naming no file or line, under every policy
        String huge = "{\"id\": 2, \"n\": 1e2147483648}";
        String inJson = "{\"id\": 3, \"n\": 3, \"j\": {\"x\": [1e-2147483649]}}";
        String text = LINES.get(0) + "\n" + huge + "\n" + inJson + "\n" + LINES.get(6) + "\n";
        Schema withJson = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).add("j", FieldType.JSON).build();
        for (boolean declared : new boolean[] {true, false}) {       // read straight into the columns, or as trees
            JsonSource.Builder fail = source(text, "huge.jsonl");
            JsonSource.Builder dead = source(text, "huge.jsonl").onBadRecord(OnBadRecord.DEAD_LETTER);
            if (declared) {
                fail.schema(withJson);
                dead.schema(withJson);
            }
            assertThatThrownBy(() -> batches(fail)).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("huge.jsonl line 2 record 2: ").hasMessageContaining("1e2147483648");
            List<RecordBatch> batches = batches(dead);
            assertThat(ids(batches)).containsExactly(1L, 7L);
            assertThat(rejected(batches)).extracting(b -> b.location().describe() + " " + b.text()).containsExactly(
                    "huge.jsonl line 2 record 2 " + huge, "huge.jsonl line 3 record 3 " + inJson);
        }
        assertThatThrownBy(() -> batches(source("[" + LINES.get(0) + ",\n" + huge + "]", "huge.json").schema(SCHEMA)
                .onBadRecord(OnBadRecord.SKIP))).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("huge.json line 2").hasMessageContaining("1e2147483648");
    }

    @Test
    void withLinesEndedByCarriageReturnsOnlyInvalidJsonIsNamedByItsLineAndReadingGoesOnAtTheNextRecord() {
        // CR alone ends a line, as for Jackson (which numbers the lines of the other records so): the bad record was
        // named by the line of the record before it, and ran to the end of the input, taking the good records after it
        String text = LINES.get(0) + "\r\r" + LINES.get(5) + "\r" + LINES.get(6) + "\r" + LINES.get(1) + "\r\n"
                + LINES.get(7) + "\r" + LINES.get(8) + "\r";
        List<RecordBatch> batches = batches(source(text, "cr.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 7L, 9L);
        assertThat(rejected(batches)).extracting(b -> b.location().describe() + " " + b.text()).containsExactly(
                "cr.jsonl line 3 record 2 " + LINES.get(5), "cr.jsonl line 5 record 4, column 'n', near \"the string \"ten\"\" " + LINES.get(1),
                "cr.jsonl line 6 record 5 " + LINES.get(7));
        assertThat(rejected(batches).get(0).reason()).contains("(line 3 character");
    }

    @Test
    void invalidJsonIsExplainedWithoutAdvisingParserFeaturesTheSourceDoesNotOffer() {
        // Jackson's messages ended "enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow" (or named the feature
        // ALLOW_COMMENTS): settings of a parser the source owns, which no JsonSource setting reaches
        String text = "{\"id\": NaN}\n{\"id\": -Infinity}\n{\"id\": +1}\n{\"id\": 1} // note\n{\"id\": 'x'}\n";
        List<RecordBatch> batches = batches(source(text, "odd.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L);
        assertThat(rejected(batches)).extracting(BadRecord::reason).hasSize(5).allSatisfy(r -> assertThat(r)
                .startsWith("not valid JSON").doesNotContain("JsonReadFeature").doesNotContain("ALLOW_")
                .doesNotContain("enable"));
        assertThat(rejected(batches).get(0).reason()).contains("Non-standard token 'NaN'").contains("not allowed in JSON");
        assertThat(rejected(batches).get(3).reason()).contains("comment").contains("not allowed in JSON");
        assertThatThrownBy(() -> batches(source("[{\"id\": NaN}]", "odd.json").schema(SCHEMA)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("NaN").hasMessageNotContaining("JsonReadFeature");
    }

    @Test
    void aScalarRecordAndInvalidJsonKeepTheirLinesAndTextsAndTheBadTextRunsToTheNextLineStartingWithABrace() {
        String text = "5\n{\"id\": 1, ,}\n\"five\"\r\n{\"id\": 2, \"n\": 2}\nnull";
        List<RecordBatch> batches = batches(source(text, "scalars.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(2L);
        assertThat(rejected(batches)).extracting(b -> b.location().describe() + " " + b.text()).containsExactly(
                // the line after invalid JSON does not start with '{': it is taken as part of the bad record
                "scalars.jsonl line 1 record 1 5", "scalars.jsonl line 2 record 2 {\"id\": 1, ,}\n\"five\"",
                "scalars.jsonl line 5 record 4 null");
    }

    @Test
    void aRecordLeftOpenAtTheEndOfATruncatedFileNamesTheFileLineItOpenedOn() {
        // record 5, pretty-printed over lines 5-6, cut before its '}'; the parser reading it started after the bad
        // record 2, at line 3: Jackson's message said "(start marker at [Source: REDACTED (`StreamReadFeature.
        // INCLUDE_SOURCE_IN_LOCATION` disabled); line: 3, column: 1])", its own line, two lines before the record's
        String text = "{\"id\": 1, \"n\": 1}\n{\"id\": ,}\n{\"id\": 3, \"n\": 3}\n{\"id\": 4, \"n\": 4}\n{\n  \"id\": 5\n";
        List<RecordBatch> batches = batches(source(text, "cut.jsonl").schema(SCHEMA).onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(batches)).containsExactly(1L, 3L, 4L);
        assertThat(rejected(batches)).hasSize(2);
        assertThat(rejected(batches).get(1).describe()).startsWith("cut.jsonl line 5 record 5")
                .contains("not valid JSON (line 7 character 1): Unexpected end-of-input: expected close marker for"
                        + " Object (the object opened at line 5 character 1)")
                .doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
        // an array cut inside its third record, and a nested array left open: the same, through the fatal path
        assertThatThrownBy(() -> batches(source("[{\"id\": 1, \"n\": 1},\n{\"id\": 2, \"n\": 2},\n  {\"id\": 3",
                "cut.json").schema(SCHEMA)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("cut.json line 3: not valid JSON (character 11 of the line), in or after record 3:"
                        + " Unexpected end-of-input: expected close marker for Object (the object opened at line 3"
                        + " character 3)");
        assertThatThrownBy(() -> batches(source("{\"id\": 1, \"n\": 1}\n{\"id\": 2, \"n\": [1\n",
                "cut.jsonl").type("n", FieldType.JSON)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("expected close marker for Array (the array opened at line 2 character 16)")
                .hasMessageNotContaining("REDACTED");
    }

    /**
     * JSON Lines files that each start with a UTF-8 byte-order mark, joined into one ({@code cat day1.jsonl day2.jsonl}),
     * hold a mark where a record starts: that record is bad, saying so, at its line. Before, the reason was Jackson's
     * 'Invalid UTF-8 start byte 0xbb' at character 3, though the bytes are valid UTF-8 (EF BB BF is U+FEFF), which sent
     * the user looking for an encoding problem.
     */
    @Test
    void aByteOrderMarkWhereARecordStartsIsABadRecordSayingSo() throws IOException {
        Path joined = dir.resolve("joined.jsonl");
        Files.writeString(joined, "\uFEFF{\"id\": 1, \"n\": 10}\n{\"id\": 2, \"n\": 20}\n\uFEFF{\"id\": 3, \"n\": 30}\n"
                + "{\"id\": 4, \"n\": 40}\n", StandardCharsets.UTF_8);
        List<RecordBatch> read = batches(JsonSource.builder().path(joined).schema(SCHEMA)
                .onBadRecord(OnBadRecord.DEAD_LETTER));
        assertThat(ids(read)).containsExactly(1L, 2L, 4L);
        assertThat(rejected(read)).singleElement().satisfies(b -> {
            assertThat(b.location().line()).hasValue(3L);
            assertThat(b.location().recordNumber()).hasValue(3L);
            assertThat(b.reason()).startsWith("not valid JSON (line 3 character 1): a byte-order mark (U+FEFF, bytes"
                    + " EF BB BF) where a record starts, as where files that each start with one were joined: remove it");
        });
    }

    /**
     * An input that starts with two UTF-8 byte-order marks (a tool that writes a mark before text that already starts
     * with one: PowerShell's Out-File -Encoding utf8) reads as with one, JSON Lines and an array, as the CSV source
     * drops them: positions count the file's bytes, and a read resumed from any batch gives the rest. Before, Jackson
     * dropped the first mark only, and the second made the first record bad ('Invalid UTF-8 start byte 0xbb'; under
     * FAIL the read failed at line 1), or in an array the whole read.
     */
    @Test
    void twoByteOrderMarksAtTheStartAreDroppedAsOneIs() throws IOException {
        String lines = "{\"id\": 1, \"n\": 10}\n{\"id\": 2, \"n\": 20}\n{\"id\": 3, \"n\": 30}\n";
        for (String text : List.of(lines, "[" + lines.replace("}\n{", "},\n{") + "]")) {
            Path twoMarks = dir.resolve("two_marks.json");
            Files.writeString(twoMarks, "\uFEFF\uFEFF" + text, StandardCharsets.UTF_8);
            List<RecordBatch> all = batches(JsonSource.builder().path(twoMarks).chunkRows(1));
            assertThat(all.get(0).schema().toString()).isEqualTo("[id long, n long]");
            assertThat(ids(all)).as(text).containsExactly(1L, 2L, 3L);
            assertThat(all.get(0).position().orElseThrow().getLong("offset")).as("the file's bytes")
                    .hasValue(6L + text.indexOf('}') + 1);
            for (int i = 0; i < all.size() - 1; i++) {
                assertThat(batches(JsonSource.builder().path(twoMarks).chunkRows(1)
                        .resumeFrom(all.get(i).position().orElseThrow()))).as("after batch " + i)
                        .isEqualTo(all.subList(i + 1, all.size()));
            }
            assertThat(ids(batches(JsonSource.builder().path(twoMarks).resumeFrom(all.get(all.size() - 1).position()
                    .orElseThrow())))).as("after the last batch").isEmpty();
        }
    }
}
