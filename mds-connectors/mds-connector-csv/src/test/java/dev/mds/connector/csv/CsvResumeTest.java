package dev.mds.connector.csv;

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
import java.io.ByteArrayInputStream;
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
 * records once each, the same types, the same bad rows with the same lines and record numbers, the same positions.
 */
class CsvResumeTest {
    private static final Path TRANSACTIONS = SeedData.file("002-forex-transactions/customer_transactions.csv");

    @TempDir
    Path dir;

    /**
     * Inference reads the file's first {@code sampleRows} records wherever the read resumes, so a resumed read types
     * its batches as the uninterrupted read does; explicit types (overrides, a declared schema) are kept as given.
     * With sampleRows(5) the forex file's first rows make transaction_id long, transaction_date date and price
     * decimal; the rows after most positions would not (T1010, 18-07-2023, Two Hundred), so types inferred from the
     * rows after the position would differ.
     */
    @Test
    void aResumedReadInfersTheTypesFromTheFilesFirstRowsWhereverItResumes() throws IOException {
        Path file = dir.resolve("customer_transactions.csv");
        Files.copy(TRANSACTIONS, file);
        Schema declared = Schema.of(Field.of("transaction_id", FieldType.STRING), Field.of("customer_id",
                FieldType.decimal(10, 1)), Field.of("transaction_date", FieldType.STRING), Field.of("product_id",
                FieldType.STRING), Field.of("product_name", FieldType.STRING), Field.of("quantity", FieldType.DECIMAL),
                Field.of("price", FieldType.STRING), Field.of("tax", FieldType.STRING), Field.of("customer_first_name",
                FieldType.STRING), Field.of("customer_last_name", FieldType.STRING), Field.of("customer_email",
                FieldType.STRING), Field.of("customer_phone", FieldType.STRING), Field.of("customer_country",
                FieldType.STRING), Field.of("customer_city", FieldType.STRING));
        List<UnaryOperator<CsvSource.Builder>> settings = List.of(
                b -> b.sampleRows(5),
                b -> b.sampleRows(5).type("price", FieldType.STRING).type("transaction_id", FieldType.STRING),
                b -> b.schema(declared));
        for (UnaryOperator<CsvSource.Builder> typed : settings) {
            UnaryOperator<CsvSource.Builder> base = b -> typed.apply(b.path(file).chunkRows(7)
                    .onBadRow(OnBadRow.DEAD_LETTER));
            List<RecordBatch> all = Read.batches(CsvSource.builder(), base);
            assertThat(all.stream().mapToLong(b -> b.size() + b.rejected().size()).sum()).isEqualTo(100);
            for (int i = 0; i < all.size(); i++) {
                SourcePosition stored = SourcePosition.fromJson(all.get(i).position().orElseThrow().toJson());
                try (CsvSource resumed = base.apply(CsvSource.builder()).resumeFrom(stored).build()) {
                    assertThat(resumed.schema()).as("schema after batch %d", i).isEqualTo(all.get(0).schema());
                    assertThat(resumed.batches().toList()).as("after batch %d", i)
                            .isEqualTo(all.subList(i + 1, all.size()));
                }
            }
        }
        try (CsvSource inferred = CsvSource.builder().path(file).sampleRows(5).build();
                CsvSource overridden = CsvSource.builder().path(file).sampleRows(5).type("price", FieldType.STRING)
                        .build()) {
            assertThat(inferred.schema().toString())
                    .startsWith("[transaction_id long, customer_id decimal, transaction_date date,")
                    .contains("price decimal");
            assertThat(overridden.schema().toString()).contains("price string");
        }
    }

    @Test
    void aReadResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() throws IOException {
        record Input(String name, String text, Charset charset, UnaryOperator<CsvSource.Builder> options) {
        }
        List<Input> inputs = List.of(
                new Input("types", "id,v,w\n1,10,\n2,20,a\n3,x,5\n4,40,6\n5,50,\n", StandardCharsets.UTF_8,
                        b -> b.sampleRows(2)),
                new Input("quoted", "id,t\n1,\"a\nb\"\n2,\"c\r\nd\"\n\n3,e\n4,\"f\"\"g\"\n", StandardCharsets.UTF_8,
                        b -> b),
                new Input("crlf", "id,t\r\n1,a\r\n\r\n2,b\r\n3,\"x\r\ny\"\r\n4,d", StandardCharsets.UTF_8, b -> b),
                new Input("bad", "id,q\n1,2\n2,x\n3\n4,5,6\n5,\"unterminated\n6,7\n", StandardCharsets.UTF_8,
                        b -> b.type("q", FieldType.LONG)),
                new Input("bad_at_end", "id,q\n1,2\n2,x\n3,y\n", StandardCharsets.UTF_8,
                        b -> b.type("q", FieldType.LONG)),
                new Input("bad_at_start", "id,q\n1,x\n2,y\n3,4\n5,6\n", StandardCharsets.UTF_8,
                        b -> b.type("q", FieldType.LONG)),
                new Input("bom", "\uFEFFid,t\n1,a\n2,b\n3,c\n", StandardCharsets.UTF_8, b -> b),
                new Input("comments", "# c\nid,t\n1,a\n# x\n2,b\n\n# y\n3,c\n", StandardCharsets.UTF_8,
                        b -> b.commentMarker('#')),
                new Input("blank_lines", "\n\nid,t\n\n1,a\n\n2,b\n3,c\n\n", StandardCharsets.UTF_8, b -> b),
                new Input("no_header", "1,a\n2,b\n3,\"c\nd\"\n4,e\n", StandardCharsets.UTF_8,
                        b -> b.header(Header.NONE)),
                new Input("escape", "id,t\n1,a\\,b\n2,\\N\n3,c\\\nd\n4,e\n", StandardCharsets.UTF_8,
                        b -> b.escape('\\').nullString("\\N")),
                new Input("utf16", "id,t\n1,ä\n2,\"b\nc\"\n3,x\n4,y\n", StandardCharsets.UTF_16,
                        b -> b.encoding(StandardCharsets.UTF_16)),
                new Input("utf16le", "id,q\n1,2\n2,x\n3,4\n4,5\n", StandardCharsets.UTF_16LE,
                        b -> b.encoding(StandardCharsets.UTF_16LE).type("q", FieldType.LONG)),
                new Input("lenient", "id,t\n1,a\"b\n2,\"c\"\n3,d\"\"e\n4,f\n", StandardCharsets.UTF_8,
                        b -> b.lenientQuotes(true)),
                new Input("header_only", "id,t\n", StandardCharsets.UTF_8, b -> b),
                new Input("trim", "id , t\n 1 , a \n 2 , b\n3,c\n", StandardCharsets.UTF_8, b -> b.trim(true)));
        List<String> differences = new ArrayList<>();
        for (Input input : inputs) {
            Path file = dir.resolve(input.name() + ".csv");
            Files.write(file, input.text().getBytes(input.charset()));
            for (OnBadRow policy : new OnBadRow[] {OnBadRow.SKIP, OnBadRow.DEAD_LETTER}) {
                for (int chunking = 1; chunking <= 4; chunking++) {
                    for (int threads = 1; threads <= 2; threads++) {
                        int rows = chunking;
                        int t = threads;
                        boolean toSink = policy == OnBadRow.DEAD_LETTER && t == 2;
                        List<BadRow> sunk = new ArrayList<>();
                        UnaryOperator<CsvSource.Builder> base = b -> {
                            CsvSource.Builder c = input.options().apply(rows == 4 ? b.path(file).chunkBytes(7)
                                    : b.path(file).chunkRows(rows)).parallelism(t);
                            return toSink ? c.onBadRow(policy, sunk::add) : c.onBadRow(policy);
                        };
                        List<RecordBatch> all = Read.batches(CsvSource.builder(), base);
                        List<BadRow> sunkAll = List.copyOf(sunk);
                        String read = input.name() + " " + policy + (toSink ? " (sink)" : "") + " chunking "
                                + rows + " threads " + t;
                        for (int i = 0; i < all.size(); i++) {
                            SourcePosition at = SourcePosition.fromJson(all.get(i).position().orElseThrow().toJson());
                            sunk.clear();
                            List<RecordBatch> rest = Read.batches(CsvSource.builder(), b -> base.apply(b)
                                    .resumeFrom(at));
                            if (!rest.equals(all.subList(i + 1, all.size()))) {
                                differences.add(read + " after batch " + i + ":\n  want " + show(all.subList(i + 1,
                                        all.size())) + "\n  got  " + show(rest));
                            }
                            long record = at.getLong("record").orElseThrow();
                            List<BadRow> sunkAfter = sunkAll.stream()
                                    .filter(b -> b.location().recordNumber().orElseThrow() > record).toList();
                            if (!sunk.equals(sunkAfter)) {
                                differences.add(read + " after batch " + i + ": sink got " + sunk + ", want "
                                        + sunkAfter);
                            }
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** Under FAIL a resumed read fails at the same bad row, with the same message (file, line, record, column). */
    @Test
    void aFailingReadResumedFromAnyBatchFailsAtTheSameRowWithTheSameMessage() throws IOException {
        String[] texts = {"id,q\n1,2\n2,3\n3,\"a\nb\"\n4,5\n5,x\n6,7\n",
                "id,q\r\n\r\n1,2\r\n2,3\r\n\r\n4,5\r\n5,6\r\n6\r\n", "id,q\n1,2\n2,3\n3,4\n4,\"5\n"};
        List<String> differences = new ArrayList<>();
        for (int n = 0; n < texts.length; n++) {
            Path file = dir.resolve("fail" + n + ".csv");
            Files.writeString(file, texts[n]);
            for (int chunkRows = 1; chunkRows <= 3; chunkRows++) {
                for (int threads = 1; threads <= 2; threads++) {
                    int rows = chunkRows;
                    int t = threads;
                    UnaryOperator<CsvSource.Builder> base = b -> b.path(file).type("q", FieldType.LONG)
                            .chunkRows(rows).parallelism(t);
                    List<RecordBatch> got = new ArrayList<>();
                    String failure = readUntilFailure(base.apply(CsvSource.builder()), got);
                    assertThat(failure).as(file + " fails").isNotNull();
                    for (int i = 0; i < got.size(); i++) {
                        List<RecordBatch> rest = new ArrayList<>();
                        String again = readUntilFailure(base.apply(CsvSource.builder())
                                .resumeFrom(got.get(i).position().orElseThrow()), rest);
                        if (!rest.equals(got.subList(i + 1, got.size())) || !Objects.equals(failure, again)) {
                            differences.add(file.getFileName() + " chunkRows " + rows + " threads " + t + " after "
                                    + i + ": want " + failure + ", got " + again);
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** A stream (resumed with its declared schema) skips to the position and goes on as the uninterrupted read. */
    @Test
    void aStreamResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() {
        Schema schema = Schema.of(Field.of("id", FieldType.LONG), Field.of("t", FieldType.STRING));
        Object[][] inputs = {
                {"id,t\n1,a\n2,\"b\nc\"\n\n3,d\nx,e\n4,f\n", StandardCharsets.UTF_8, Header.FIRST_LINE},
                {"\uFEFFid,t\r\n1,a\r\n2,b\r\n3,c", StandardCharsets.UTF_8, Header.FIRST_LINE},
                {"1,a\n2,b\ny,c\n3,d\n", StandardCharsets.UTF_8, Header.NONE},
                {"id,t\n1,ä\n2,b\nz,c\n3,d\n", StandardCharsets.UTF_16, Header.FIRST_LINE}};
        List<String> differences = new ArrayList<>();
        for (Object[] input : inputs) {
            byte[] bytes = ((String) input[0]).getBytes((Charset) input[1]);
            for (int chunkRows = 1; chunkRows <= 3; chunkRows++) {
                int rows = chunkRows;
                UnaryOperator<CsvSource.Builder> base = b -> b.stream(new ByteArrayInputStream(bytes), "s.csv")
                        .schema(schema).header((Header) input[2]).encoding((Charset) input[1])
                        .onBadRow(OnBadRow.DEAD_LETTER).chunkRows(rows);
                List<RecordBatch> all = Read.batches(base.apply(CsvSource.builder()));
                for (int i = 0; i < all.size(); i++) {
                    List<RecordBatch> rest = Read.batches(base.apply(CsvSource.builder())
                            .resumeFrom(all.get(i).position().orElseThrow()));
                    if (!rest.equals(all.subList(i + 1, all.size()))) {
                        differences.add(input[0] + " chunkRows " + rows + " after " + i + "\n  want "
                                + show(all.subList(i + 1, all.size())) + "\n  got  " + show(rest));
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A position taken with one chunking resumes with another, and a position taken when the file ended at a record
     * (with or without its line end) resumes after the file grew: each record once, bad rows on the lines the whole
     * file's read gives them.
     */
    @Test
    void aResumeWithOtherChunksOrAfterTheFileGrewReadsEachRecordOnceOnItsLine() throws IOException {
        String[] texts = {"id,q\n1,2\n2,x\n3,\"a\nb\"\n\n4,5\n5\n6,7\n",
                "id,q\r\n\r\n1,2\r\n2,3\r\n\r\n4,y\r\n5,6\r\n6,8\r\n", "# c\nid,q\n1,2\n# d\n2,3\n3,4\n4,z\n",
                "\uFEFFid,q\n1,2\n2,3\n3,4\n4,5\n"};
        List<String> differences = new ArrayList<>();
        for (int n = 0; n < texts.length; n++) {
            byte[] whole = texts[n].getBytes(StandardCharsets.UTF_8);
            Path file = dir.resolve("grows" + n + ".csv");
            Files.write(file, whole);
            UnaryOperator<CsvSource.Builder> base = b -> b.path(file).type("q", FieldType.LONG)
                    .onBadRow(OnBadRow.DEAD_LETTER).commentMarker('#');
            List<RecordBatch> ones = Read.batches(CsvSource.builder(), b -> base.apply(b).chunkRows(1));
            for (int i = 0; i < ones.size(); i++) {
                SourcePosition at = ones.get(i).position().orElseThrow();
                for (int rows = 2; rows <= 3; rows++) {
                    int r = rows;
                    List<RecordBatch> rest = Read.batches(CsvSource.builder(), b -> base.apply(b).chunkRows(r)
                            .parallelism(2).resumeFrom(at));
                    if (!records(rest).equals(records(ones.subList(i + 1, ones.size())))
                            || !rejected(rest).equals(rejected(ones.subList(i + 1, ones.size())))) {
                        differences.add(file.getFileName() + " chunkRows " + r + " after record " + i + ": "
                                + show(rest));
                    }
                }
            }
            for (int i = 0; i < ones.size() - 1; i++) {
                long end = ones.get(i).position().orElseThrow().getLong("offset").orElseThrow();
                for (long cut : new long[] {end, end - 1}) {
                    Files.write(file, Arrays.copyOf(whole, (int) cut));
                    List<RecordBatch> first = Read.batches(CsvSource.builder(), b -> base.apply(b).chunkRows(2));
                    Files.write(file, whole);
                    List<RecordBatch> both = new ArrayList<>(first);
                    both.addAll(Read.batches(CsvSource.builder(), b -> base.apply(b).chunkRows(2)
                            .resumeFrom(first.get(first.size() - 1).position().orElseThrow())));
                    if (!records(both).equals(records(ones)) || !rejected(both).equals(rejected(ones))) {
                        differences.add(file.getFileName() + " grown from byte " + cut + ": " + show(both));
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A UTF-16 file (Excel's "Unicode text") or a stream replaced since the position (the next export, with a row
     * added at the top) is refused, as a UTF-8 file is, and so is one that now continues a last record read while it
     * was written: the resume reads the input from its start anyway, so it checks the bytes before the position on
     * the way. Before, neither was checked: the resume silently lost the new row and read a committed one again, or
     * read the rest of a line as a record of its own. An input that only grew at its end resumes as before.
     */
    @Test
    void aResumeRefusesATranscodedFileOrAStreamReplacedOrContinuedSinceThePosition() throws IOException {
        Schema schema = Schema.of(Field.of("id", FieldType.LONG), Field.of("name", FieldType.STRING));
        Path file = dir.resolve("daily.txt");
        for (Charset charset : new Charset[] {StandardCharsets.UTF_16LE, StandardCharsets.UTF_16}) {
            Files.write(file, "id,name\n1,a\n2,b\n3,c\n".getBytes(charset));
            UnaryOperator<CsvSource.Builder> utf16 = b -> b.path(file).encoding(charset);
            SourcePosition stored = SourcePosition.fromJson(Read.batches(CsvSource.builder(), b -> utf16.apply(b)
                    .chunkRows(2)).get(0).position().orElseThrow().toJson());

            Files.write(file, "id,name\n1,a\n2,b\n3,c\n4,d\n".getBytes(charset));   // appended
            assertThat(Read.records(utf16.apply(CsvSource.builder()).resumeFrom(stored)))
                    .containsExactly(Record.of(3L, "c"), Record.of(4L, "d"));

            Files.write(file, "id,name\n0,z\n1,a\n2,b\n3,c\n".getBytes(charset));   // replaced
            assertThatThrownBy(() -> Read.records(utf16.apply(CsvSource.builder()).resumeFrom(stored)))
                    .as(charset.name()).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("daily.txt").hasMessageContaining("the file changed since");

            Files.write(file, "id,name\n1,a\n2,b\n3,ze".getBytes(charset));   // "3,zebra" being written
            List<RecordBatch> read = Read.batches(CsvSource.builder(), b -> utf16.apply(b).chunkRows(2));
            SourcePosition afterLast = SourcePosition.fromJson(read.get(1).position().orElseThrow().toJson());
            Files.write(file, "id,name\n1,a\n2,b\n3,zebra\n4,d\n".getBytes(charset));
            assertThatThrownBy(() -> Read.records(utf16.apply(CsvSource.builder()).resumeFrom(afterLast)))
                    .as(charset.name()).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("daily.txt").hasMessageContaining("continues that line");
            Files.write(file, "id,name\n1,a\n2,b\n3,ze\r\n4,d\n".getBytes(charset));   // its line end came later
            assertThat(Read.records(utf16.apply(CsvSource.builder()).resumeFrom(afterLast)))
                    .containsExactly(Record.of(4L, "d"));
        }

        UnaryOperator<CsvSource.Builder> stream = b -> b.schema(schema);
        SourcePosition stored = SourcePosition.fromJson(Read.batches(stream.apply(CsvSource.builder())
                .stream(bytes("id,name\n1,a\n2,b\n3,c\n"), "daily.csv").chunkRows(2)).get(0).position()
                .orElseThrow().toJson());
        assertThat(Read.records(stream.apply(CsvSource.builder()).stream(bytes("id,name\n1,a\n2,b\n3,c\n4,d\n"),
                "daily.csv").resumeFrom(stored))).containsExactly(Record.of(3L, "c"), Record.of(4L, "d"));
        assertThatThrownBy(() -> Read.records(stream.apply(CsvSource.builder()).stream(bytes(
                "id,name\n0,z\n1,a\n2,b\n3,c\n"), "daily.csv").resumeFrom(stored)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("daily.csv").hasMessageContaining("changed since");
        SourcePosition afterLast = SourcePosition.fromJson(Read.batches(stream.apply(CsvSource.builder())
                .stream(bytes("id,name\n1,a\n2,b\n3,ze"), "daily.csv").chunkRows(2)).get(1).position()
                .orElseThrow().toJson());
        assertThatThrownBy(() -> Read.records(stream.apply(CsvSource.builder()).stream(bytes(
                "id,name\n1,a\n2,b\n3,zebra\n4,d\n"), "daily.csv").resumeFrom(afterLast)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("daily.csv").hasMessageContaining("continues that line");
    }

    /**
     * A UTF-16 file or a stream that now ends before the position is refused as a UTF-8 file is: an
     * IllegalArgumentException saying it was truncated or replaced. Before, it failed with an UncheckedIOException
     * ("cannot read daily.txt: position 16 is past the end of the input (8 bytes)"), so a pipeline that handles a stale
     * position (IllegalArgumentException) for UTF-8 files did not for these.
     */
    @Test
    void aResumeRefusesATranscodedFileOrAStreamTruncatedBelowThePositionSayingSo() throws IOException {
        Path file = dir.resolve("daily.txt");
        Files.write(file, "id,name\n1,a\n2,b\n3,c\n".getBytes(StandardCharsets.UTF_16LE));
        UnaryOperator<CsvSource.Builder> utf16 = b -> b.path(file).encoding(StandardCharsets.UTF_16LE);
        SourcePosition stored = SourcePosition.fromJson(Read.batches(CsvSource.builder(), b -> utf16.apply(b)
                .chunkRows(2)).get(0).position().orElseThrow().toJson());   // offset 16, after "2,b"
        Files.write(file, "id,name\n1,a\n".getBytes(StandardCharsets.UTF_16LE));
        assertThatThrownBy(() -> Read.records(utf16.apply(CsvSource.builder()).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("daily.txt").hasMessageContaining("past the end")
                .hasMessageContaining("the file was truncated or replaced");

        Schema schema = Schema.of(Field.of("id", FieldType.LONG), Field.of("name", FieldType.STRING));
        SourcePosition inStream = SourcePosition.fromJson(Read.batches(CsvSource.builder().schema(schema)
                .stream(bytes("id,name\n1,a\n2,b\n3,c\n"), "daily.csv").chunkRows(2)).get(0).position()
                .orElseThrow().toJson());
        assertThatThrownBy(() -> Read.records(CsvSource.builder().schema(schema).stream(bytes("id,name\n1,a\n"),
                "daily.csv").resumeFrom(inStream)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("daily.csv").hasMessageContaining("past the end")
                .hasMessageContaining("the input was truncated or replaced");
    }

    private static ByteArrayInputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String readUntilFailure(CsvSource.Builder builder, List<RecordBatch> into) {
        try (CsvSource csv = builder.build()) {
            var batches = csv.batches().iterator();
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
                s.append(' ').append(r.location().describe());
            }
            s.append(' ').append(b.position().map(SourcePosition::toJson).orElse("")).append("] ");
        }
        return s.toString();
    }
}
