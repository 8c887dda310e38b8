package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.BadRecord;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import dev.mds.testing.SeedData;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read resumed from any batch's position gives exactly what the uninterrupted read gave after that batch: the same
 * records once each, the same schema, the same bad records with the same lines and record numbers, the same
 * positions; JSON Lines and arrays, flattened or not, under every bad-record policy, on one thread or two.
 */
class JsonResumeTest {
    @TempDir
    Path dir;

    private record Input(String name, String text, Charset charset, UnaryOperator<JsonSource.Builder> options) {
    }

    private static final List<Input> INPUTS = List.of(
            new Input("types", "{\"id\":1,\"v\":10}\n{\"id\":2,\"v\":\"x\"}\n{\"id\":3,\"v\":3.5}\n{\"id\":4}\n"
                    + "{\"id\":5,\"v\":50,\"w\":true}\n{\"id\":6,\"v\":60}\n", StandardCharsets.UTF_8,
                    b -> b.sampleRows(2)),
            new Input("bad", "{\"id\":1}\n{\"id\":2,\n{\"id\":3}\n[1,2]\n{\"id\":4,\"id\":5}\n\"s\"\n{\"id\":6}\n"
                    + "{\"id\":7,\"t\":\"a\"}\n", StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)),
            new Input("bad_at_start", "{\"id\":\"x\"}\n{\"id\":\"y\"}\n{\"id\":1}\n{\"id\":2}\n",
                    StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)),
            new Input("bad_at_end", "{\"id\":1}\n{\"id\":2}\n{\"id\":\"x\"}\n{\"id\":\"y\"}\n{\"id\":3,",
                    StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)),
            new Input("crlf", "{\"id\":1,\"t\":\"a\"}\r\n\r\n{\"id\":2,\"t\":\"b\"}\r\n{\"id\":3,\r\n \"t\":\"c\"}\r\n"
                    + "{\"id\":\"q\",\"t\":\"d\"}\r\n{\"id\":5,\"t\":\"e\"}", StandardCharsets.UTF_8,
                    b -> b.type("id", FieldType.LONG)),
            new Input("bom", "\uFEFF{\"id\":1,\"t\":\"ä\"}\n{\"id\":2,\"t\":\"€\"}\n{\"id\":3,\"t\":\"\uD83D\uDE00\"}\n"
                    + "{\"id\":4}\n", StandardCharsets.UTF_8, b -> b),
            new Input("blank_lines", "\n\n{\"id\":1}\n\n\n{\"id\":2}\n   \n{\"id\":3}\n\n", StandardCharsets.UTF_8,
                    b -> b),
            new Input("array", "[\n {\"id\":1,\"o\":{\"a\":1}},\n {\"id\":2,\"o\":{\"a\":2,\"b\":\"x\"}},\n 5,\n"
                    + " {\"id\":3,\"id\":4},\n {\"id\":\"x\"},\n {\"id\":6,\"o\":[1]}\n]\n", StandardCharsets.UTF_8,
                    b -> b.sampleRows(2)),
            new Input("array_bom_crlf", "\uFEFF[\r\n{\"id\":1,\"t\":\"a\"},\r\n{\"id\":2,\r\n\"t\":\"b\"},\r\n"
                    + "{\"id\":\"z\"},{\"id\":4}\r\n]", StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)),
            new Input("flatten", "{\"id\":1,\"r\":{\"rate\":1,\"label\":\"ONE\"}}\n{\"id\":2,\"r\":{\"rate\":2},"
                    + "\"tags\":[1]}\n{\"id\":3,\"r\":5}\n{\"id\":4,\"r\":{\"rate\":\"x\"}}\n{\"id\":5,\"r\":{\"n\":{\"d\":1}}}\n"
                    + "{\"id\":6,\"r\":{\"rate\":6}}\n", StandardCharsets.UTF_8, b -> b.flatten("__").sampleRows(2)),
            new Input("flatten_array", "[{\"id\":1,\"r\":{\"rate\":1}},{\"id\":2,\"r\":{\"rate\":\"2\"}},"
                    + "{\"id\":3,\"r\":{\"rate\":3,\"x\":{}}},{\"id\":4}]", StandardCharsets.UTF_8,
                    b -> b.flatten(".").sampleRows(1)),
            new Input("utf16", "{\"id\":1,\"t\":\"ä\"}\n{\"id\":\"x\"}\n{\"id\":3,\"t\":\"c\"}\n{\"id\":4}\n",
                    StandardCharsets.UTF_16LE, b -> b.type("id", FieldType.LONG)),
            new Input("utf16_array", "[{\"id\":1},{\"id\":\"x\"},{\"id\":3}]", StandardCharsets.UTF_16BE,
                    b -> b.type("id", FieldType.LONG)),
            new Input("empty", "", StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)),
            new Input("empty_array", "[ ]\n", StandardCharsets.UTF_8, b -> b.type("id", FieldType.LONG)));

    @Test
    void aReadResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() throws IOException {
        List<String> differences = new ArrayList<>();
        for (Input input : INPUTS) {
            Path file = dir.resolve(input.name() + ".json");
            Files.write(file, input.text().getBytes(input.charset()));
            for (OnBadRecord policy : new OnBadRecord[] {OnBadRecord.SKIP, OnBadRecord.DEAD_LETTER}) {
                for (int chunkRows = 1; chunkRows <= 3; chunkRows++) {
                    for (int threads = 1; threads <= 2; threads++) {
                        for (int sample : new int[] {10_000, 1}) {     // with 1, the threads parse all but one
                            int rows = chunkRows;
                            int t = threads;
                            UnaryOperator<JsonSource.Builder> base = b -> input.options().apply(b.path(file)
                                    .sampleRows(sample).chunkRows(rows).threads(t).chunkBytes(t == 2 ? 7 : 1 << 18)
                                    .onBadRecord(policy));
                            check(input.name() + " " + policy + " chunkRows " + rows + " threads " + t
                                    + " sampleRows " + sample, base, differences);
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** The streaming vendor's seed files (arrays, nested objects), flattened or not, resumed after every batch. */
    @Test
    void aSeedFileResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() {
        List<String> differences = new ArrayList<>();
        for (String name : List.of("reviews.json", "authors.json", "books.json")) {
            Path file = SeedData.file("004-streaming-app/" + name);
            check(name, b -> b.path(file).chunkRows(97).sampleRows(50).onBadRecord(OnBadRecord.DEAD_LETTER),
                    differences);
            check(name + " flattened", b -> b.path(file).chunkRows(131).flatten("__").sampleRows(3)
                    .onBadRecord(OnBadRecord.DEAD_LETTER), differences);
        }
        assertThat(differences).isEmpty();
    }

    /** Under FAIL a resumed read fails at the same bad record, with the same message (file, line, record, key). */
    @Test
    void aFailingReadResumedFromAnyBatchFailsAtTheSameRecordWithTheSameMessage() throws IOException {
        String[] texts = {"{\"id\":1}\n{\"id\":2}\n{\"id\":3,\n \"q\":4}\n{\"id\":4}\n{\"id\":\"x\"}\n{\"id\":6}\n",
                "{\"id\":1}\r\n\r\n{\"id\":2}\r\n{\"id\":3}\r\n{\"id\":4,\r\n", "[{\"id\":1},\n{\"id\":2},\n{\"id\":3},\n"
                + "{\"id\":4,\"id\":4}]", "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4,\"n\":{\"a\":\"b\"}}\n"};
        List<String> differences = new ArrayList<>();
        for (int n = 0; n < texts.length; n++) {
            Path file = dir.resolve("fail" + n + ".json");
            Files.writeString(file, texts[n]);
            for (int chunkRows = 1; chunkRows <= 3; chunkRows++) {
                for (int threads = 1; threads <= 2; threads++) {
                    for (boolean flatten : new boolean[] {false, true}) {
                        int rows = chunkRows;
                        int t = threads;
                        UnaryOperator<JsonSource.Builder> base = b -> {
                            JsonSource.Builder j = b.path(file).type("id", FieldType.LONG).sampleRows(2)
                                    .chunkRows(rows).threads(t).chunkBytes(5);
                            return flatten ? j.flatten("_") : j;
                        };
                        List<RecordBatch> got = new ArrayList<>();
                        String failure = readUntilFailure(base.apply(JsonSource.builder()), got);
                        assertThat(failure).as(file + " fails").isNotNull();
                        for (int i = 0; i < got.size(); i++) {
                            List<RecordBatch> rest = new ArrayList<>();
                            String again = readUntilFailure(base.apply(JsonSource.builder()).resumeFrom(
                                    SourcePosition.fromJson(got.get(i).position().orElseThrow().toJson())), rest);
                            if (!rest.equals(got.subList(i + 1, got.size())) || !Objects.equals(failure, again)) {
                                differences.add(file.getFileName() + " chunkRows " + rows + " threads " + t
                                        + " flatten " + flatten + " after " + i + ": want " + failure + ", got "
                                        + again + "\n  " + show(rest));
                            }
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** A stream (named, read from its start again) resumed from any batch's position, as a file is. */
    @Test
    void aStreamResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() {
        List<String> differences = new ArrayList<>();
        for (Input input : INPUTS) {
            byte[] bytes = input.text().getBytes(input.charset());
            for (int chunkRows = 1; chunkRows <= 2; chunkRows++) {
                for (int threads = 1; threads <= 2; threads++) {
                    int rows = chunkRows;
                    int t = threads;
                    check("stream " + input.name() + " chunkRows " + rows + " threads " + t, b -> input.options()
                            .apply(b.stream(new java.io.ByteArrayInputStream(bytes), input.name()).sampleRows(1)
                                    .chunkRows(rows).threads(t).chunkBytes(5).onBadRecord(OnBadRecord.DEAD_LETTER)),
                            differences);
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position taken under DEAD_LETTER resumes under SKIP to the same records, and under FAIL to the same records
     * up to the first bad record after the position, where it fails naming that record: the bad records before the
     * position were handled by the run that took it.
     */
    @Test
    void aPositionTakenUnderOnePolicyResumesUnderAnother() throws IOException {
        List<String> differences = new ArrayList<>();
        for (Input input : INPUTS) {
            Path file = dir.resolve(input.name() + ".json");
            Files.write(file, input.text().getBytes(input.charset()));
            UnaryOperator<JsonSource.Builder> base = b -> input.options().apply(b.path(file).chunkRows(1));
            List<RecordBatch> ones = batches(b -> base.apply(b).onBadRecord(OnBadRecord.DEAD_LETTER));
            for (int i = 0; i < ones.size(); i++) {
                SourcePosition at = ones.get(i).position().orElseThrow();
                List<RecordBatch> after = ones.subList(i + 1, ones.size());
                List<RecordBatch> skipped = batches(b -> base.apply(b).onBadRecord(OnBadRecord.SKIP).resumeFrom(at));
                if (!records(skipped).equals(records(after)) || !rejected(skipped).isEmpty()) {
                    differences.add(input.name() + " SKIP after " + i + ": " + show(skipped));
                }
                List<RecordBatch> failing = new ArrayList<>();
                String failure = readUntilFailure(base.apply(JsonSource.builder()).onBadRecord(OnBadRecord.FAIL)
                        .resumeFrom(at), failing);
                int firstBad = 0;
                while (firstBad < after.size() && after.get(firstBad).rejected().isEmpty()) {
                    firstBad++;
                }
                boolean fails = firstBad < after.size();
                if (!records(failing).equals(records(after.subList(0, firstBad))) || fails != (failure != null)
                        || fails && !failure.startsWith(after.get(firstBad).rejected().get(0).location().describe())) {
                    differences.add(input.name() + " FAIL after " + i + ": " + failure + " " + show(failing));
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position taken with one chunking (one record a batch) resumes with another, on one thread or two, to the same
     * records and bad records; and one taken with two threads resumes on one.
     */
    @Test
    void aPositionTakenWithOneBatchSizeResumesWithAnotherToTheSameRecords() throws IOException {
        List<String> differences = new ArrayList<>();
        for (Input input : INPUTS) {
            Path file = dir.resolve(input.name() + ".json");
            Files.write(file, input.text().getBytes(input.charset()));
            UnaryOperator<JsonSource.Builder> base = b -> input.options().apply(b.path(file).sampleRows(1)
                    .onBadRecord(OnBadRecord.DEAD_LETTER));
            List<RecordBatch> ones = batches(b -> base.apply(b).chunkRows(1));
            for (int i = 0; i < ones.size(); i++) {
                SourcePosition at = SourcePosition.fromJson(ones.get(i).position().orElseThrow().toJson());
                for (int rows = 2; rows <= 4; rows++) {
                    int r = rows;
                    for (int threads = 1; threads <= 2; threads++) {
                        int t = threads;
                        List<RecordBatch> rest = batches(b -> base.apply(b).chunkRows(r).threads(t).chunkBytes(9)
                                .resumeFrom(at));
                        List<RecordBatch> want = ones.subList(i + 1, ones.size());
                        if (!records(rest).equals(records(want)) || !rejected(rest).equals(rejected(want))
                                || !rest.get(rest.size() - 1).position().equals(ones.get(ones.size() - 1).position())) {
                            differences.add(input.name() + " chunkRows " + r + " threads " + t + " after record " + i
                                    + ": " + show(rest));
                        }
                    }
                }
            }
            List<RecordBatch> twos = batches(b -> base.apply(b).chunkRows(2).threads(2).chunkBytes(5));
            for (int i = 0; i < twos.size(); i++) {
                SourcePosition at = twos.get(i).position().orElseThrow();
                List<RecordBatch> rest = batches(b -> base.apply(b).chunkRows(1).resumeFrom(at));
                long record = at.getLong("record").orElseThrow();
                List<RecordBatch> want = ones.stream().filter(b -> b.position().orElseThrow().getLong("record")
                        .orElseThrow() > record).toList();
                if (!records(rest).equals(records(want)) || !rejected(rest).equals(rejected(want))) {
                    differences.add(input.name() + " from two threads, after batch " + i + ": " + show(rest));
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position taken when the file ended at a record (JSON Lines with or without its line end, an array closed
     * after it) resumes after the file grew: each record once, bad records on the lines and with the numbers the
     * whole file's read gives them.
     */
    @Test
    void aResumeAfterTheFileGrewReadsEachRecordOnceOnItsLine() throws IOException {
        Schema schema = Schema.of(Field.of("id", FieldType.LONG), Field.of("t", FieldType.STRING));
        String[] lines = {"{\"id\":1,\"t\":\"a\"}\n", "{\"id\":2,\r\n\"t\":\"b\"}\r\n", "\n{\"id\":\"x\"}\n",
                "{\"id\":4,\"t\":\"ä\"}\n", "{\"id\":5}\n", "{\"id\":6,\"t\":\"f\"}\n"};
        List<String> differences = new ArrayList<>();
        Path file = dir.resolve("grows.jsonl");
        for (boolean array : new boolean[] {false, true}) {
            for (boolean bom : new boolean[] {false, true}) {
                UnaryOperator<JsonSource.Builder> base = b -> b.path(file).schema(schema)
                        .onBadRecord(OnBadRecord.DEAD_LETTER);
                String whole = text(lines, lines.length, array, bom);
                Files.writeString(file, whole);
                List<RecordBatch> ones = batches(b -> base.apply(b).chunkRows(1));
                for (int n = 1; n < lines.length; n++) {
                    for (boolean lineEnd : new boolean[] {true, false}) {
                        String first = text(lines, n, array, bom);
                        Files.writeString(file, array || lineEnd ? first : first.stripTrailing());
                        List<RecordBatch> before = batches(b -> base.apply(b).chunkRows(2));
                        Files.writeString(file, whole);
                        for (int threads = 1; threads <= 2; threads++) {
                            int t = threads;
                            List<RecordBatch> both = new ArrayList<>(before);
                            both.addAll(batches(b -> base.apply(b).chunkRows(2).threads(t).chunkBytes(6)
                                    .resumeFrom(before.get(before.size() - 1).position().orElseThrow())));
                            if (!records(both).equals(records(ones)) || !rejected(both).equals(rejected(ones))) {
                                differences.add((array ? "array" : "lines") + (bom ? " bom" : "") + " grown after "
                                        + n + (lineEnd ? "" : " (no line end)") + " threads " + t + ": " + show(both));
                            }
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A JSON Lines file read while its last line was being written: that partial line is a bad record, which SKIP
     * steps over, and once the line is complete a resume from the position after it is refused (reading on would
     * start inside the record). The message says so, instead of only "rewritten".
     */
    @Test
    void aResumeAfterAPartialLastLineThatWasCompletedSinceSaysSo() throws IOException {
        Path file = dir.resolve("growing.jsonl");
        Files.writeString(file, "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c");
        UnaryOperator<JsonSource.Builder> base = b -> b.path(file).type("id", FieldType.LONG).type("v", FieldType.STRING)
                .onBadRecord(OnBadRecord.SKIP);
        List<RecordBatch> read = batches(base);
        assertThat(records(read)).containsExactly(Record.of(1L, "a"), Record.of(2L, "b"));
        SourcePosition stored = SourcePosition.fromJson(read.get(read.size() - 1).position().orElseThrow().toJson());

        Files.writeString(file, "\"}\n{\"id\":4,\"v\":\"d\"}\n", java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("record 3 ends at byte 48, but it now ends at byte 50")
                .hasMessageContaining("still being written when the position was taken");
    }

    /** A file truncated or replaced since the position is refused, naming the file, instead of skipping records. */
    @Test
    void aResumeRefusesAFileTruncatedOrReplacedSinceThePositionNamingIt() throws IOException {
        Path file = dir.resolve("daily.jsonl");
        String yesterday = "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n";
        Files.writeString(file, yesterday);
        UnaryOperator<JsonSource.Builder> base = b -> b.path(file).type("id", FieldType.LONG).chunkRows(2);
        SourcePosition stored = SourcePosition.fromJson(batches(base).get(0).position().orElseThrow().toJson());

        Files.writeString(file, "{\"id\":1,\"v\":\"a\"}\n");                                   // truncated
        assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("replaced");
        Files.writeString(file, "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":");                   // cut inside
        assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("rewritten");
        Files.writeString(file, "{\"id\":10,\"v\":\"z\"}\n" + yesterday);                      // a record added on top
        assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("rewritten");
        Files.writeString(file, "[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"}]");           // now an array
        assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("rewritten");
        Files.writeString(file, yesterday + "{\"id\":4,\"v\":\"d\"}\n");                      // only grew
        assertThat(records(batches(b -> base.apply(b).resumeFrom(stored))))
                .containsExactly(Record.of(3L, "c"), Record.of(4L, "d"));
    }

    /**
     * A file replaced since the position by records of the same lengths (the next day's export under the same name,
     * a record of the same length added on top) is refused, naming the file: the position carries a check of the
     * bytes of the record it was taken after. Before, only the offset where that record ends was compared, so such a
     * file resumed silently: records the position had not seen were lost and committed ones read again. A file that
     * only grew resumes, and a position without a check (taken before it was added) is read as before.
     */
    @Test
    void aResumeRefusesAFileReplacedByRecordsOfTheSameLengthsNamingIt() throws IOException {
        Path file = dir.resolve("daily.jsonl");
        String yesterday = "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n";
        String[][] replacements = {
                {yesterday, "{\"id\":4,\"v\":\"d\"}\n{\"id\":5,\"v\":\"e\"}\n{\"id\":6,\"v\":\"f\"}\n"
                        + "{\"id\":7,\"v\":\"g\"}\n"},
                {yesterday, "{\"id\":0,\"v\":\"z\"}\n" + yesterday},
                {"[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"},{\"id\":3,\"v\":\"c\"}]",
                        "[{\"id\":4,\"v\":\"d\"},{\"id\":5,\"v\":\"e\"},{\"id\":6,\"v\":\"f\"}]"},
                // a dead letter last, then invalid JSON last
                {"{\"id\":1,\"v\":\"a\"}\n{\"id\":\"x\",\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n",
                        "{\"id\":1,\"v\":\"a\"}\n{\"id\":\"y\",\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n"},
                {"{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\n{\"id\":3,\"v\":\"c\"}\n",
                        "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"x\n{\"id\":3,\"v\":\"c\"}\n"}};
        for (String[] r : replacements) {
            for (int threads = 1; threads <= 2; threads++) {
                int t = threads;
                UnaryOperator<JsonSource.Builder> base = b -> b.path(file).type("id", FieldType.LONG).chunkRows(2)
                        .sampleRows(1).threads(t).chunkBytes(3).onBadRecord(OnBadRecord.DEAD_LETTER);
                Files.writeString(file, r[0]);
                SourcePosition stored = SourcePosition.fromJson(batches(base).get(0).position().orElseThrow()
                        .toJson());
                Files.writeString(file, r[1]);
                assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored)))
                        .as("%s threads %d", r[1], t)
                        .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                        .hasMessageContaining("record 2").hasMessageContaining("replaced");
                Files.writeString(file, r[0]);
                List<RecordBatch> all = batches(base);
                Files.writeString(file, r[0].startsWith("[") ? r[0].replace("]", ",{\"id\":9,\"v\":\"i\"}]")
                        : r[0] + "{\"id\":9,\"v\":\"i\"}\n");
                List<RecordBatch> grown = batches(base);
                List<RecordBatch> rest = batches(b -> base.apply(b).resumeFrom(stored));
                assertThat(records(rest)).as(r[0]).isEqualTo(records(grown.subList(1, grown.size())))
                        .endsWith(Record.of(9L, "i"));
                assertThat(rejected(rest)).isEqualTo(rejected(all.subList(1, all.size())));
            }
        }
        Files.writeString(file, yesterday);
        UnaryOperator<JsonSource.Builder> base = b -> b.path(file).type("id", FieldType.LONG).chunkRows(2);
        SourcePosition stored = batches(base).get(0).position().orElseThrow();
        SourcePosition older = SourcePosition.of(stored.source(), java.util.Map.of("record", 2L, "offset",
                stored.getLong("offset").orElseThrow()));
        Files.writeString(file, "{\"id\":0,\"v\":\"z\"}\n" + yesterday);
        assertThat(records(batches(b -> base.apply(b).resumeFrom(older)))).containsExactly(Record.of(2L, "b"),
                Record.of(3L, "c"));
    }

    /**
     * A UTF-16 or UTF-32 file replaced since the position (the next export, or one with a record added on top) is
     * refused as a UTF-8 one is, naming the file. Their offsets are not bytes, so a position carried neither an
     * offset nor a check, and such a file resumed silently, losing the records the position had not seen and reading
     * committed ones again. A file that only grew resumes.
     */
    @Test
    void aResumeRefusesAUtf16FileReplacedSinceThePositionNamingIt() throws IOException {
        Path file = dir.resolve("daily.json");
        String[][] replacements = {
                {"{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n",
                        "{\"id\":4,\"v\":\"d\"}\n{\"id\":5,\"v\":\"e\"}\n{\"id\":6,\"v\":\"f\"}\n",
                        "{\"id\":9,\"v\":\"i\"}\n"},
                {"{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":\"c\"}\n",
                        "{\"id\":0,\"v\":\"z\"}\n{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n"
                                + "{\"id\":3,\"v\":\"c\"}\n",
                        "{\"id\":9,\"v\":\"i\"}\n"},
                {"[{\"id\":1,\"v\":\"a\"},{\"id\":2,\"v\":\"b\"},{\"id\":3,\"v\":\"c\"}]",
                        "[{\"id\":4,\"v\":\"d\"},{\"id\":5,\"v\":\"e\"},{\"id\":6,\"v\":\"f\"}]",
                        ",{\"id\":9,\"v\":\"i\"}"},
                {"{\"id\":1,\"v\":\"a\"}\n[2]\n{\"id\":3,\"v\":\"c\"}\n",          // a dead letter last
                        "{\"id\":1,\"v\":\"a\"}\n[7]\n{\"id\":3,\"v\":\"c\"}\n", "{\"id\":9,\"v\":\"i\"}\n"}};
        for (Charset charset : new Charset[] {StandardCharsets.UTF_16LE, StandardCharsets.UTF_16,
                Charset.forName("UTF-32BE")}) {
            for (String[] r : replacements) {
                for (boolean flatten : new boolean[] {false, true}) {
                    UnaryOperator<JsonSource.Builder> base = b -> {
                        JsonSource.Builder j = b.path(file).type("id", FieldType.LONG).chunkRows(2).sampleRows(1)
                                .onBadRecord(OnBadRecord.DEAD_LETTER);
                        return flatten ? j.flatten("_") : j;
                    };
                    String read = charset + " " + r[0] + (flatten ? " flattened" : "");
                    Files.write(file, r[0].getBytes(charset));
                    SourcePosition stored = SourcePosition.fromJson(batches(base).get(0).position().orElseThrow()
                            .toJson());
                    Files.write(file, r[1].getBytes(charset));
                    assertThatThrownBy(() -> batches(b -> base.apply(b).resumeFrom(stored))).as(read)
                            .isInstanceOf(BadInputException.class).hasMessageContaining(file.toString())
                            .hasMessageContaining("record 2").hasMessageContaining("replaced");
                    String grown = r[0].startsWith("[") ? r[0].replace("]", r[2] + "]") : r[0] + r[2];
                    Files.write(file, grown.getBytes(charset));
                    List<RecordBatch> all = batches(base);
                    List<RecordBatch> rest = batches(b -> base.apply(b).resumeFrom(stored));
                    assertThat(records(rest)).as(read).isEqualTo(records(all.subList(1, all.size())))
                            .endsWith(Record.of(9L, "i"));
                    assertThat(rejected(rest)).as(read).isEqualTo(rejected(all.subList(1, all.size())));
                }
            }
        }
    }

    private void check(String read, UnaryOperator<JsonSource.Builder> base, List<String> differences) {
        List<RecordBatch> all = batches(base);
        Schema schema;
        try (JsonSource json = base.apply(JsonSource.builder()).build()) {
            schema = json.schema();
        }
        for (int i = 0; i < all.size(); i++) {
            SourcePosition at = SourcePosition.fromJson(all.get(i).position().orElseThrow().toJson());
            try (JsonSource resumed = base.apply(JsonSource.builder()).resumeFrom(at).build()) {
                if (!resumed.schema().equals(schema)) {
                    differences.add(read + " after batch " + i + ": schema " + resumed.schema() + ", want " + schema);
                }
                List<RecordBatch> rest = resumed.batches().toList();
                // after the last batch the uninterrupted read gave nothing; a resume there gives one empty batch
                // at the same position (so a loader still creates its table), as JsonSource#batches says
                List<RecordBatch> want = i + 1 < all.size() ? all.subList(i + 1, all.size())
                        : List.of(RecordBatch.of(schema, List.of(), all.get(i).position().orElseThrow()));
                if (!rest.equals(want)) {
                    differences.add(read + " after batch " + i + ":\n  want " + show(want) + "\n  got  " + show(rest));
                }
            }
        }
    }

    private static String text(String[] lines, int n, boolean array, boolean bom) {
        String body = array ? "[" + String.join(",", Arrays.copyOf(lines, n)) + "]" : String.join("",
                Arrays.copyOf(lines, n));
        return (bom ? "\uFEFF" : "") + body;
    }

    private static List<RecordBatch> batches(UnaryOperator<JsonSource.Builder> settings) {
        try (JsonSource json = settings.apply(JsonSource.builder()).build()) {
            return json.batches().toList();
        }
    }

    private static String readUntilFailure(JsonSource.Builder builder, List<RecordBatch> into) {
        try (JsonSource json = builder.build()) {
            var batches = json.batches().iterator();
            while (batches.hasNext()) {
                into.add(batches.next());
            }
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    private static List<Record> records(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).toList();
    }

    private static List<BadRecord> rejected(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.rejected().stream()).toList();
    }

    private static String show(List<RecordBatch> batches) {
        StringBuilder s = new StringBuilder();
        for (RecordBatch b : batches) {
            s.append('[').append(b.schema()).append(' ').append(b.records());
            for (BadRecord r : b.rejected()) {
                s.append(' ').append(r.location().describe()).append(' ').append(r.text());
            }
            s.append(' ').append(b.position().map(SourcePosition::toJson).orElse("")).append("] ");
        }
        return s.toString();
    }
}
