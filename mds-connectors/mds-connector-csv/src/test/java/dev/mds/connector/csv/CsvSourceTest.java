package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import dev.mds.testing.SeedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {
    private static final Path TRANSACTIONS = SeedData.file("002-forex-transactions/customer_transactions.csv");
    private static final Path STREAMS = SeedData.file("004-streaming-app/streams.csv");

    @TempDir
    Path dir;

    @Test
    void readsTheForexSeedFileWithInferredTypesAndUtf8Cities() {
        try (CsvSource csv = CsvSource.builder().path(TRANSACTIONS).chunkRows(30).build()) {
            Schema schema = csv.schema();
            assertThat(schema.names()).startsWith("transaction_id", "customer_id", "transaction_date");
            // the seed file is dirty on purpose (T1010, 18-07-2023, P100, Two Hundred): those columns stay text
            assertThat(schema.toString()).isEqualTo("[transaction_id string, customer_id decimal,"
                    + " transaction_date string, product_id string, product_name string, quantity decimal,"
                    + " price string, tax string, customer_first_name string, customer_last_name string,"
                    + " customer_email string, customer_phone string, customer_country string, customer_city string]");
            List<RecordBatch> batches = csv.batches().toList();
            assertThat(batches).extracting(RecordBatch::size).containsExactly(30, 30, 30, 10);
            List<Record> all = batches.stream().flatMap(b -> b.records().stream()).toList();
            int city = schema.indexOf("customer_city");
            assertThat(all).extracting(r -> r.get(city)).contains("Zürich", "Bogotá");
            Record first = all.get(0);
            assertThat(first.get(0)).isEqualTo("1001");
            assertThat(first.get(1)).isEqualTo(new BigDecimal("501.0"));
            assertThat(first.get(2)).isEqualTo("2023-07-11");
            // the file has no final newline: its last record is still read, and the last position is the file's end
            assertThat(all.get(99).get(city)).isEqualTo("Los Angeles");
            SourcePosition end = batches.get(3).position().orElseThrow();
            assertThat(end.getLong("offset")).contains(size(TRANSACTIONS));
            assertThat(end.getLong("record")).contains(100L);
        }
    }

    @Test
    void streamsSeedFileReadsTheSameWithOneOrTwoThreadsAndParsesOffsetsWithoutColon() {
        List<RecordBatch> one = Read.batches(CsvSource.builder().path(STREAMS).chunkRows(500));
        List<RecordBatch> two = Read.batches(CsvSource.builder().path(STREAMS).chunkRows(500).parallelism(2));
        assertThat(two).isEqualTo(one);
        assertThat(one.stream().mapToInt(RecordBatch::size).sum()).isEqualTo(9652);
        Schema schema = one.get(0).schema();
        assertThat(schema.field("start_at").orElseThrow().type()).isEqualTo(FieldType.TIMESTAMPTZ);
        assertThat(schema.field("size_mb").orElseThrow().type()).isEqualTo(FieldType.DECIMAL);
        assertThat(one.get(0).records().get(0).get(schema.indexOf("start_at")))
                .isEqualTo(OffsetDateTime.of(2021, 12, 6, 19, 30, 19, 99_000_000, ZoneOffset.ofHours(1)));
        List<RecordBatch> byBytes = Read.batches(CsvSource.builder().path(STREAMS).chunkBytes(100_000).parallelism(2));
        assertThat(byBytes.stream().flatMap(b -> b.records().stream()).toList())
                .isEqualTo(one.stream().flatMap(b -> b.records().stream()).toList());
        assertThat(byBytes).hasSizeBetween(11, 13);
    }

    @Test
    void resumesRightAfterTheCommittedBatchFromItsJsonPosition() {
        List<RecordBatch> all = Read.batches(CsvSource.builder().path(STREAMS).chunkRows(1000).parallelism(2));
        SourcePosition committed = SourcePosition.fromJson(all.get(3).position().orElseThrow().toJson());
        for (int threads : new int[] {1, 2}) {
            List<RecordBatch> rest = Read.batches(CsvSource.builder().path(STREAMS).chunkRows(1000)
                    .parallelism(threads).resumeFrom(committed));
            assertThat(rest).isEqualTo(all.subList(4, all.size()));
        }
        assertThatThrownBy(() -> CsvSource.builder().path(TRANSACTIONS).resumeFrom(committed).build().schema())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another input");
        // resuming after the last batch gives nothing more
        SourcePosition last = all.get(all.size() - 1).position().orElseThrow();
        assertThat(Read.batches(CsvSource.builder().path(STREAMS).resumeFrom(last))).isEmpty();
    }

    /**
     * A file replaced under its name after a batch was committed (the next export, with a row added at the top): its
     * position's offset now falls after other records, so a resume silently skipped the new row and read a committed
     * one again. It is refused instead; a file that only grew at its end resumes as before.
     */
    @Test
    void resumeRefusesAPositionWhoseFileWasReplacedSinceAndContinuesAFileThatOnlyGrew() throws IOException {
        Path file = write("daily.csv", "id,name\n1,a\n2,b\n3,c\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("name", FieldType.STRING).build();
        SourcePosition committed = Read.batches(CsvSource.builder().path(file).schema(schema).chunkRows(2)).get(0)
                .position().orElseThrow();
        SourcePosition stored = SourcePosition.fromJson(committed.toJson());

        Files.writeString(file, "id,name\n1,a\n2,b\n3,c\n4,d\n");   // appended: the committed records are unchanged
        assertThat(Read.records(CsvSource.builder().path(file).schema(schema).resumeFrom(stored)))
                .containsExactly(Record.of(3L, "c"), Record.of(4L, "d"));

        Files.writeString(file, "id,name\n0,z\n1,a\n2,b\n3,c\n");   // replaced: a row before the committed ones
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).schema(schema).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("daily.csv line 4: position ")   // the line the next record began on
                .hasMessageContaining("the file changed since");
    }

    @Test
    void resumeRefusesAPositionPastTheEndOfAFileTruncatedSinceSayingSo() throws IOException {
        Path file = write("daily.csv", "id,name\n1,a\n2,b\n3,c\n");
        SourcePosition stored = SourcePosition.fromJson(Read.batches(CsvSource.builder().path(file).chunkRows(2))
                .get(0).position().orElseThrow().toJson());   // offset 16, after "2,b"

        Files.writeString(file, "id,name\n1,a\n");   // truncated before the position
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).resumeFrom(stored)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("daily.csv")
                .hasMessageContaining("past the end")
                .hasMessageContaining("truncated or replaced");
    }

    @Test
    void resumeRefusesAPositionAfterAnUnterminatedLastRecordThatTheFileNowContinues() throws IOException {
        Path file = write("growing.csv", "id,name\n1,a\n2,b\n3,ze");   // read while "3,zebra" was being written
        List<RecordBatch> read = Read.batches(CsvSource.builder().path(file).chunkRows(2));
        SourcePosition afterLast = SourcePosition.fromJson(read.get(1).position().orElseThrow().toJson());
        assertThat(read.get(1).records()).containsExactly(Record.of(3L, "ze"));

        Files.writeString(file, "bra\n4,d\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).resumeFrom(afterLast)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("growing.csv")
                .hasMessageContaining("without a line end")
                .hasMessageContaining("continues that line");

        Files.writeString(file, "id,name\n1,a\n2,b\n3,ze\r\n4,d\n");   // the line end came later: nothing lost
        assertThat(Read.records(CsvSource.builder().path(file).resumeFrom(afterLast))).containsExactly(Record.of(4L, "d"));
    }

    @Test
    void resumesAStreamBySkippingToThePosition() throws IOException {
        byte[] bytes = Files.readAllBytes(TRANSACTIONS);
        Schema schema;
        List<RecordBatch> all;
        try (CsvSource csv = CsvSource.builder().stream(new ByteArrayInputStream(bytes), "tx").chunkRows(40).build()) {
            schema = csv.schema();
            all = csv.batches().toList();
        }
        List<RecordBatch> rest = Read.batches(CsvSource.builder().stream(new ByteArrayInputStream(bytes), "tx")
                .schema(schema).chunkRows(40).resumeFrom(all.get(0).position().orElseThrow()));
        assertThat(rest).isEqualTo(all.subList(1, all.size()));
    }

    @Test
    void typeOverridesOnTheDirtySeedFileSendEveryUnparsableRowToTheDeadLetterSink() {
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(TRANSACTIONS).type("price", FieldType.decimal(10, 2))
                .type("transaction_date", FieldType.DATE).onBadRow(OnBadRow.DEAD_LETTER, rejected::add)
                .chunkRows(16).parallelism(2));
        assertThat(good.size() + rejected.size()).isEqualTo(100);
        assertThat(rejected).isNotEmpty().allSatisfy(b -> assertThat(b.location().column()).isPresent());
        BadRow first = rejected.get(0);
        assertThat(first.location().describe())
                .isEqualTo("customer_transactions.csv line 9 record 8, column 'transaction_date', near \"18-07-2023\"");
        assertThat(first.reason()).isEqualTo("\"18-07-2023\" is not a date (yyyy-MM-dd)");
        assertThat(rejected.get(1).location().describe()).startsWith("customer_transactions.csv line 10 record 9,"
                + " column 'price', near \"Two Hundred\"");
        assertThat(rejected.get(1).text()).startsWith("1009,");
    }

    /**
     * A value that does not fit a type inferred from the first rows fails the read (FAIL) with a message that says the
     * type was inferred, from how many records, and how to change it, as DuckDB's sniffer does; a type the caller set
     * gets no such note. Before, the message read as if the caller had declared the type ('"18-07-2023" is not a date
     * (yyyy-MM-dd)'), though the seed file's first rows had decided it.
     */
    @Test
    void aValueThatDoesNotFitAnInferredTypeSaysTheTypeWasInferredAndHowToDeclareIt() {
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(TRANSACTIONS).sampleRows(3)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("customer_transactions.csv line 9 record 8, column 'transaction_date', near \"18-07-2023\":"
                        + " \"18-07-2023\" is not a date (yyyy-MM-dd); the column's type was inferred from the first 3"
                        + " records: declare it (type(\"transaction_date\", FieldType.STRING) reads any text) or raise"
                        + " sampleRows");
        // following the advice reads on to the next inferred column that does not fit
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(TRANSACTIONS).sampleRows(3)
                .type("transaction_date", FieldType.STRING)))
                .hasMessageContaining("column 'price', near \"Two Hundred\"")
                .hasMessageEndingWith("the column's type was inferred from the first 3 records: declare it"
                        + " (type(\"price\", FieldType.STRING) reads any text) or raise sampleRows");
        // a type the caller set is the caller's: no note; bad rows handed on keep the short reason
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(TRANSACTIONS).sampleRows(3)
                .type("transaction_date", FieldType.DATE)))
                .hasMessageEndingWith("\"18-07-2023\" is not a date (yyyy-MM-dd)");
        List<RecordBatch> batches = Read.batches(CsvSource.builder().path(TRANSACTIONS).sampleRows(3)
                .onBadRow(OnBadRow.DEAD_LETTER));
        assertThat(batches.get(0).rejected().get(0).reason()).isEqualTo("\"18-07-2023\" is not a date (yyyy-MM-dd)");
    }

    /**
     * Inference keeps numbers with a leading zero as text (zip codes, account codes). A code with a leading zero
     * that comes after the sample, in a column the sample made a number, is a bad row naming the lost zero, with
     * every chunking: before, it was read as the number (zip '01234' loaded as 1234), silently, so the same column
     * kept its zeros or lost them depending on where the first such code stood in the file. A declared or overridden
     * number column reads leading zeros as PostgreSQL does (000042 is 42).
     */
    @Test
    void aCodeWithALeadingZeroAfterTheSampleIsABadRowNotANumberThatLostItsZero() throws IOException {
        Path file = write("zips.csv", "id,zip,amount\n1,10115,1.5\n2,20095,2.5\n3,01234,03.5\n4,80331,4.5\n5,-007,0.5\n");
        for (int threads : new int[] {1, 2}) {
            List<BadRow> rejected = new ArrayList<>();
            List<Record> good = Read.records(CsvSource.builder().path(file).sampleRows(2).parallelism(threads)
                    .chunkBytes(16).onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
            assertThat(good).extracting(r -> r.get(1)).containsExactly(10115L, 20095L, 80331L);
            assertThat(rejected).extracting(b -> b.location().describe()).containsExactly(
                    "zips.csv line 4 record 3, column 'zip', near \"01234\"",
                    "zips.csv line 6 record 5, column 'zip', near \"-007\"");
            assertThat(rejected.get(0).reason()).isEqualTo("\"01234\" is not a long integer: its leading zero would be"
                    + " lost (inference reads numbers with a leading zero, such as codes, as text)");
        }
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).sampleRows(2)))
                .hasMessageContaining("would be lost").hasMessageContaining("type(\"zip\", FieldType.STRING)");
        // a sample that sees one keeps the column text; a declared number reads the zero as PostgreSQL does
        assertThat(Read.records(CsvSource.builder().path(file)).get(2).values())
                .containsExactly(3L, "01234", "03.5");
        assertThat(Read.records(CsvSource.builder().path(file).sampleRows(2).type("zip", FieldType.LONG)
                .type("amount", FieldType.DECIMAL)).get(2).values())
                .containsExactly(3L, 1234L, new BigDecimal("03.5"));
    }

    /**
     * Inference makes a column timestamptz only when every sampled value has a UTC offset (the seed streams.csv:
     * '2021-12-06T19:30:19.099+0100'). A later value without one in such a column is a bad row: before, it was read
     * as UTC, silently an hour off from the file's +0100 values. A declared or overridden timestamptz column reads
     * such a value as UTC, as before.
     */
    @Test
    void aTimestampWithoutAnOffsetAfterTheSampleOfATimestamptzColumnIsABadRowNotUtc() throws IOException {
        Path file = dir.resolve("streams.csv");
        Files.copy(STREAMS, file);
        Files.writeString(file, "Rush,late@example.com,1.5,2021-12-31T23:00:00.000,2021-12-31T23:59:00.000+0100\n",
                StandardOpenOption.APPEND);
        long lines = Files.readAllLines(file).size();
        for (int threads : new int[] {1, 2}) {
            List<BadRow> rejected = new ArrayList<>();
            long good = Read.records(CsvSource.builder().path(file).parallelism(threads)
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add)).size();
            assertThat(good).isEqualTo(9652);
            assertThat(rejected).singleElement().satisfies(b -> {
                assertThat(b.location().describe()).isEqualTo("streams.csv line " + lines + " record 9653, column"
                        + " 'start_at', near \"2021-12-31T23:00:00.000\"");
                assertThat(b.reason()).isEqualTo("\"2021-12-31T23:00:00.000\" is not a timestamp with time zone: it has"
                        + " no UTC offset, which every value inference sampled had (a declared timestamptz column"
                        + " reads it as UTC)");
            });
        }
        List<Record> declared = Read.records(CsvSource.builder().path(file).type("start_at", FieldType.TIMESTAMPTZ));
        assertThat(declared.get(9652).get(3)).isEqualTo(OffsetDateTime.of(2021, 12, 31, 23, 0, 0, 0, ZoneOffset.UTC));
    }

    @Test
    void failNamesFileLineColumnAndExcerptAndHandsOutOnlyTheBatchesBeforeTheBadRow() throws IOException {
        Path file = write("prices.csv", "id,price\n1,1.50\n2,2.50\n3,3.50\n4,4.50\n5,Two Hundred\n6,6.50\n");
        try (CsvSource csv = CsvSource.builder().path(file).chunkRows(2).sampleRows(3).parallelism(2).build()) {
            Iterator<RecordBatch> it = csv.batches().iterator();
            assertThat(it.next().size()).isEqualTo(2);
            assertThat(it.next().size()).isEqualTo(2);
            assertThatThrownBy(it::next).isInstanceOfSatisfying(BadInputException.class, e -> {
                assertThat(e.location().source()).isEqualTo("prices.csv");
                assertThat(e.location().line()).hasValue(6);
                assertThat(e.location().recordNumber()).hasValue(5);
                assertThat(e.location().column()).contains("price");
                assertThat(e.location().excerpt()).contains("Two Hundred");
                assertThat(e.getMessage()).startsWith("prices.csv line 6 record 5, column 'price', near \"Two Hundred\": ")
                        .contains("is not a decimal");
            });
        }
    }

    @Test
    void skipCountsBadRowsOfEveryKindAndKeepsTheGoodOnes() throws IOException {
        Path file = dir.resolve("bad.csv");
        byte[] invalidUtf8 = {'4', ',', (byte) 0xC3, (byte) 0x28, ',', '7', '\n'};
        try (var out = Files.newOutputStream(file)) {
            out.write("id,name,n\n1,ok,1\n2,ragged\n3,\"x\"y,3\n".getBytes(StandardCharsets.UTF_8));
            out.write(invalidUtf8);
            out.write("5,\"a\"b,5\n6,fine,six\n7,last,7\n8,\"never closed,8\n9,x,9\n".getBytes(StandardCharsets.UTF_8));
        }
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("n", FieldType.LONG).build();
        List<BadRow> rejected = new ArrayList<>();
        Read.records(CsvSource.builder().path(file).schema(schema).onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(rejected).extracting(BadRow::reason).containsExactly(
                "expected 3 fields but found 2",
                "unexpected character after the closing quote (a quoted field must end at a delimiter or the end of"
                        + " the line)",
                "invalid UTF-8 bytes",
                "unexpected character after the closing quote (a quoted field must end at a delimiter or the end of"
                        + " the line)",
                "\"six\" is not a long integer",
                "unbalanced quote: the quoted field is not closed before the end of the input");
        assertThat(rejected.get(2).location().column()).contains("name");
        for (int threads : new int[] {1, 2}) {
            try (CsvSource csv = CsvSource.builder().path(file).schema(schema).onBadRow(OnBadRow.SKIP)
                    .parallelism(threads).chunkRows(2).build()) {
                List<Record> good = csv.batches().flatMap(b -> b.records().stream()).toList();
                assertThat(good).containsExactly(Record.of(1L, "ok", 1L), Record.of(7L, "last", 7L));
                assertThat(csv.badRows()).isEqualTo(6);
            }
        }
    }

    @Test
    void deadLetterHandsEachBadRowWithLineAndReasonInFileOrder() throws IOException {
        Path file = write("dl.csv", "id,qty\n1,1\n2,\"two\nlines\"\n3,3\n4,4,4\n5,\"5\n");
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).type("qty", FieldType.LONG).sampleRows(1)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add).parallelism(2).chunkRows(1));
        assertThat(good).containsExactly(Record.of(1L, 1L), Record.of(3L, 3L));
        assertThat(rejected).extracting(b -> b.location().line().orElseThrow()).containsExactly(3L, 6L, 7L);
        assertThat(rejected.get(0).reason()).isEqualTo("\"two\nlines\" is not a long integer");
        assertThat(rejected.get(0).text()).isEqualTo("2,\"two\nlines\"");
        assertThat(rejected.get(1).reason()).isEqualTo("expected 2 fields but found 3");
        assertThat(rejected.get(2).reason()).startsWith("unbalanced quote");
        assertThat(rejected.get(2).location().column()).contains("qty");
    }

    /**
     * DEAD_LETTER without a sink attaches each bad row to the batch whose range holds it (the batch's position is
     * past it, the previous batch's before it), with file, line, record, column, reason and text; a chunk of only bad
     * rows gives a batch of no records carrying them, so a resume from any batch's position never meets a bad row of
     * an earlier batch. The same with 1 and 2 threads. Before, DEAD_LETTER without a sink was refused by build().
     */
    @Test
    void deadLetterWithoutASinkAttachesEachBadRowToTheBatchWhoseRangeHoldsIt() throws IOException {
        Path file = write("attach.csv", "id,qty\n1,1\n2,x\n3,3\n4,4,4\n5,y\n6,w\n7,7\n8,8\n9,z\n");
        for (int threads : new int[] {1, 2}) {
            CsvSource.Builder builder = CsvSource.builder().path(file).type("qty", FieldType.LONG)
                    .onBadRow(OnBadRow.DEAD_LETTER).chunkRows(2).parallelism(threads);
            List<RecordBatch> batches = Read.batches(builder);
            assertThat(batches).extracting(RecordBatch::size).containsExactly(1, 1, 0, 2, 0);
            assertThat(batches).extracting(b -> b.rejected().stream().map(r -> r.location().line().orElseThrow()).toList())
                    .containsExactly(List.of(3L), List.of(5L), List.of(6L, 7L), List.of(), List.of(10L));
            long before = 2;   // the first record's line
            for (RecordBatch b : batches) {
                long next = b.position().orElseThrow().getLong("line").orElseThrow();
                for (var bad : b.rejected()) {
                    assertThat(bad.location().line().orElseThrow()).isGreaterThanOrEqualTo(before).isLessThan(next);
                }
                before = next;
            }
            var two = batches.get(0).rejected().get(0);
            assertThat(two.location().source()).isEqualTo("attach.csv");
            assertThat(two.location().recordNumber()).hasValue(2);
            assertThat(two.location().column()).contains("qty");
            assertThat(two.reason()).isEqualTo("\"x\" is not a long integer");
            assertThat(two.text()).isEqualTo("2,x");
            assertThat(batches.get(1).rejected().get(0).reason()).isEqualTo("expected 2 fields but found 3");
            SourcePosition afterThird = SourcePosition.fromJson(batches.get(2).position().orElseThrow().toJson());
            List<RecordBatch> resumed = Read.batches(CsvSource.builder().path(file).type("qty", FieldType.LONG)
                    .onBadRow(OnBadRow.DEAD_LETTER).chunkRows(2).parallelism(threads).resumeFrom(afterThird));
            assertThat(resumed).flatExtracting(RecordBatch::rejected).extracting(r -> r.location().line().orElseThrow())
                    .containsExactly(10L);
        }
    }

    /**
     * A chunk of only bad rows gives no batch; at the end of the file no later batch's position covers it, so an
     * empty last batch does: resuming from it does not dead-letter those rows a second time.
     */
    @Test
    void badRowsEndingTheFileAreCoveredByAnEmptyLastBatchSoAResumeDoesNotDeadLetterThemAgain() throws IOException {
        Path file = write("tail.csv", "id,qty\n1,1\n2,2\n3,x\n4,y\n");
        for (int threads : new int[] {1, 2}) {
            List<BadRow> rejected = new ArrayList<>();
            List<RecordBatch> batches = Read.batches(CsvSource.builder().path(file).type("qty", FieldType.LONG)
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add).chunkRows(2).parallelism(threads));
            assertThat(batches).extracting(RecordBatch::size).containsExactly(2, 0);
            assertThat(rejected).extracting(b -> b.location().line().orElseThrow()).containsExactly(4L, 5L);
            SourcePosition last = SourcePosition.fromJson(batches.get(1).position().orElseThrow().toJson());
            assertThat(last.getLong("offset")).contains(size(file));
            assertThat(last.getLong("record")).contains(4L);
            List<BadRow> again = new ArrayList<>();
            assertThat(Read.batches(CsvSource.builder().path(file).type("qty", FieldType.LONG)
                    .onBadRow(OnBadRow.DEAD_LETTER, again::add).resumeFrom(last))).isEmpty();
            assertThat(again).as("dead-lettered again on resume").isEmpty();
        }
    }

    @Test
    void aTruncatedTimestampAsTheLastFieldWithoutNewlineIsABadRowWithItsLocation() throws IOException {
        Path file = write("ts.csv", "id,ts\n1,2024-01-01 12:30:00\n2,2024-01-01 12:30:5");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("ts", FieldType.TIMESTAMP).build();
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).schema(schema)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).containsExactly(Record.of(1L, LocalDateTime.of(2024, 1, 1, 12, 30)));
        assertThat(rejected).singleElement().satisfies(b -> {
            assertThat(b.location().source()).isEqualTo("ts.csv");
            assertThat(b.location().line()).hasValue(3);
            assertThat(b.location().column()).contains("ts");
            assertThat(b.reason()).isEqualTo("\"2024-01-01 12:30:5\" is not a timestamp (yyyy-MM-dd HH:mm:ss)");
        });
    }

    @Test
    void inferenceTakesATruncatedTimestampForTextInsteadOfCrashing() throws IOException {
        Path file = write("ts.csv", "id,ts\n1,2024-01-01 12:30:00\n2,2024-01-01 12:30:");
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            assertThat(csv.schema().field("ts").orElseThrow().type()).isEqualTo(FieldType.STRING);
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList()).hasSize(2);
        }
    }

    @Test
    void aDecimalThatRoundsPastItsPrecisionIsABadRowAndOthersAreRoundedToTheScale() throws IOException {
        Path file = write("amounts.csv", "id,x\n1,999.994\n2,999.995\n3,1.005\n");
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).type("x", FieldType.decimal(5, 2))
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).containsExactly(Record.of(1L, new BigDecimal("999.99")), Record.of(3L, new BigDecimal("1.01")));
        assertThat(rejected).singleElement().satisfies(b -> {
            assertThat(b.location().line()).hasValue(3);
            assertThat(b.location().column()).contains("x");
            assertThat(b.reason()).isEqualTo("\"999.995\" is not a decimal(5,2)");
        });
    }

    @Test
    void aTwoMegabyteQuotedFieldWithNewlinesAndMultibyteCharsReadsTheSameInParallel() throws IOException {
        StringBuilder big = new StringBuilder();
        while (big.length() < 2_000_000) {
            big.append("Zürich \"東京\", line\nnext 😀 ");
        }
        String value = big.toString();
        Path file = write("big.csv", "id,text\n1,small\n2,\"" + value.replace("\"", "\"\"") + "\"\n3,after\n");
        List<RecordBatch> one = Read.batches(CsvSource.builder().path(file).chunkRows(1));
        List<RecordBatch> two = Read.batches(CsvSource.builder().path(file).chunkBytes(1000).parallelism(2));
        assertThat(one.get(1).records().get(0).get(1)).isEqualTo(value);
        assertThat(two.stream().flatMap(b -> b.records().stream()).toList())
                .isEqualTo(one.stream().flatMap(b -> b.records().stream()).toList());
        assertThat(one.get(2).records().get(0)).isEqualTo(Record.of(3L, "after"));
        assertThat(one.get(2).position().orElseThrow().getLong("line"))
                .contains(5L + value.chars().filter(c -> c == '\n').count());
    }

    @Test
    void multibyteCharactersSplitByTheReadBlockBoundaryDecodeIntact() throws IOException {
        // the scanner reads 64 KB blocks: put a 4-byte emoji and a 3-byte char across offset 65,536
        StringBuilder csv = new StringBuilder("id,text\n");
        int id = 0;
        while (csv.toString().getBytes(StandardCharsets.UTF_8).length < 65_536 - 40) {
            csv.append(++id).append(",filler text ").append(id).append('\n');
        }
        int used = csv.toString().getBytes(StandardCharsets.UTF_8).length;
        String start = (++id) + ",\"";
        String prefix = start + "x".repeat(65_536 - used - start.length() - 2);
        csv.append(prefix).append("😀東京\nZürich\"\n").append(++id).append(",after\n");
        byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(bytes[65_536] & 0xC0).as("offset 65,536 is inside a multibyte character").isEqualTo(0x80);
        Path file = dir.resolve("boundary.csv");
        Files.write(file, bytes);
        List<RecordBatch> one = Read.batches(CsvSource.builder().path(file).type("text", FieldType.STRING).chunkRows(5));
        List<RecordBatch> two = Read.batches(CsvSource.builder().path(file).type("text", FieldType.STRING).chunkRows(5)
                .parallelism(2));
        assertThat(two).isEqualTo(one);
        List<Record> records = one.stream().flatMap(b -> b.records().stream()).toList();
        assertThat(records.get(records.size() - 2).get(1)).isEqualTo(prefix.substring(prefix.indexOf('"') + 1)
                + "😀東京\nZürich");
        assertThat(records.get(records.size() - 1)).isEqualTo(Record.of((long) id, "after"));
    }

    @Test
    void declaredSchemaIsMatchedToTheHeaderByNameAndTypesEveryValue() throws IOException {
        Path file = write("typed.csv", "paid,amount,at,id,on,tz,n\n"
                + "yes,12.50,2024-03-01 10:15:30.5,7,2024-03-01,2024-03-01T10:15:30+02:00,3\n"
                + "F,,2024-03-01T10:15,8,,2024-03-01T10:15:30Z,\n");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.decimal(5, 2))
                .add("paid", FieldType.BOOLEAN).add("at", FieldType.TIMESTAMP).add("on", FieldType.DATE)
                .add("tz", FieldType.TIMESTAMPTZ).add("n", FieldType.INT).build();
        try (CsvSource csv = CsvSource.builder().path(file).schema(schema).build()) {
            assertThat(csv.schema()).isEqualTo(schema);
            List<Record> records = csv.batches().flatMap(b -> b.records().stream()).toList();
            assertThat(records).containsExactly(
                    Record.of(7L, new BigDecimal("12.50"), true, LocalDateTime.of(2024, 3, 1, 10, 15, 30, 500_000_000),
                            LocalDate.of(2024, 3, 1), OffsetDateTime.of(2024, 3, 1, 10, 15, 30, 0, ZoneOffset.ofHours(2)), 3),
                    Record.of(8L, null, false, LocalDateTime.of(2024, 3, 1, 10, 15), null,
                            OffsetDateTime.of(2024, 3, 1, 10, 15, 30, 0, ZoneOffset.UTC), null));
        }
        Path tooBig = write("big.csv", "id,amount\n1,1234.5\n");
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(tooBig).schema(Schema.builder()
                .add("id", FieldType.LONG).add("amount", FieldType.decimal(5, 2)).build())))
                .isInstanceOf(BadInputException.class).hasMessageContaining("\"1234.5\" is not a decimal(5,2)");
        Schema other = Schema.builder().add("id", FieldType.LONG).add("price", FieldType.DECIMAL).build();
        assertThatThrownBy(() -> CsvSource.builder().path(tooBig).schema(other).build().schema())
                .isInstanceOf(BadInputException.class).hasMessageContaining("no column 'amount' in the schema");
    }

    @Test
    void headerOptionsNameColumnsAndOverridesChangeInferredTypes() throws IOException {
        Path file = write("noheader.csv", "007,true,2024-01-01\n010,false,2024-01-02\n");
        try (CsvSource csv = CsvSource.builder().path(file).header(Header.NONE).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[column_1 string, column_2 boolean, column_3 date]");
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList().get(0).get(0)).isEqualTo("007");
        }
        try (CsvSource csv = CsvSource.builder().path(file).header(Header.names("code", "ok", "day"))
                .type("code", FieldType.LONG).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[code long, ok boolean, day date]");
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList())
                    .containsExactly(Record.of(7L, true, LocalDate.of(2024, 1, 1)), Record.of(10L, false,
                            LocalDate.of(2024, 1, 2)));
        }
        assertThatThrownBy(() -> CsvSource.builder().path(file).header(Header.NONE).type("nope", FieldType.LONG)
                .build().schema()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'");
    }

    @Test
    void aRowWithTooFewOrTooManyFieldsInTheSampleDoesNotTurnTheInferredTypesToText() throws IOException {
        Path file = write("ragged.csv", "id,amount,day\n1,10.5,2024-01-01\nexport truncated here\n"
                + "2,20,2024-01-02\n3,x,2024-01-03,extra\n");
        try (CsvSource csv = CsvSource.builder().path(file).onBadRow(OnBadRow.SKIP).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[id long, amount decimal, day date]");
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList()).containsExactly(
                    Record.of(1L, new BigDecimal("10.5"), LocalDate.of(2024, 1, 1)),
                    Record.of(2L, new BigDecimal("20"), LocalDate.of(2024, 1, 2)));
            assertThat(csv.badRows()).isEqualTo(2);
        }
    }

    @Test
    void formatOptionsDelimiterNullStringTrimCommentsAndLatin1() throws IOException {
        Path file = write("semi.csv", "# exported\nid; name ;city\n1; \"Ann\" ;NULL\n2;  Bob;  Bern  \n");
        List<Record> records = Read.records(CsvSource.builder().path(file).delimiter(';').trim(true)
                .nullString("NULL").commentMarker('#').parallelism(2).chunkRows(1));
        assertThat(records).containsExactly(Record.of(1L, "Ann", null), Record.of(2L, "Bob", "Bern"));
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, "id,city\n1,Zürich\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(Read.records(CsvSource.builder().path(latin1).encoding(StandardCharsets.ISO_8859_1)))
                .containsExactly(Record.of(1L, "Zürich"));
        // Excel's "Unicode text": UTF-16LE with a byte-order mark, tab-separated
        Path utf16 = dir.resolve("excel.txt");
        Files.write(utf16, "\uFEFFid\tcity\n1\tZürich\n2\t\"東京\n😀\"\n".getBytes(StandardCharsets.UTF_16LE));
        List<RecordBatch> sequential = Read.batches(CsvSource.builder().path(utf16).delimiter('\t')
                .encoding(StandardCharsets.UTF_16LE).chunkRows(1));
        assertThat(sequential.stream().flatMap(b -> b.records().stream()).toList())
                .containsExactly(Record.of(1L, "Zürich"), Record.of(2L, "東京\n😀"));
        assertThat(Read.batches(CsvSource.builder().path(utf16).delimiter('\t').encoding(StandardCharsets.UTF_16LE)
                .chunkRows(1).parallelism(2))).isEqualTo(sequential);
        assertThat(Read.batches(CsvSource.builder().path(utf16).delimiter('\t').encoding(StandardCharsets.UTF_16LE)
                .chunkRows(1).resumeFrom(sequential.get(0).position().orElseThrow()))).isEqualTo(sequential.subList(1, 2));
        Path quotes = write("height.csv", "name,height\nAnn,5'10\"\n");
        assertThat(Read.records(CsvSource.builder().path(quotes).lenientQuotes(true)))
                .containsExactly(Record.of("Ann", "5'10\""));
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(quotes)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("quote character inside an unquoted field");
    }

    @Test
    void byteOrderMarkIsDroppedUnlessKept() throws IOException {
        Path file = dir.resolve("bom.csv");
        Files.write(file, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'i', 'd', '\n', '1', '\n'});
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            assertThat(csv.schema().names()).containsExactly("id");
        }
        try (CsvSource csv = CsvSource.builder().path(file).keepByteOrderMark(true).build()) {
            assertThat(csv.schema().names()).containsExactly("\uFEFFid");
        }
    }

    @Test
    void anEmptyFileGivesNoBatch() throws IOException {
        try (CsvSource csv = CsvSource.builder().path(write("empty.csv", "")).build()) {
            assertThat(csv.schema().size()).isZero();
            assertThat(csv.batches()).isEmpty();
        }
    }

    /**
     * A file that should start with a header line but has none yet (0 bytes, or blank lines: an export not written
     * yet) gives no batch even with a declared schema, as without one: a position there would lie before the header
     * once it is written, and every resume from it was refused ('is before the first record'), so the pipeline could
     * not go on without deleting the stored position by hand. Without a header line expected (Header.NONE), the empty
     * file is an export of no rows: one empty batch, from whose position the rows written later are read.
     */
    @Test
    void aFileStillWithoutItsHeaderLineGivesNoBatchEvenWithADeclaredSchema() throws IOException {
        Schema schema = Schema.builder().add("a", FieldType.LONG).add("b", FieldType.STRING).build();
        for (String nothingYet : new String[] {"", "\n\n", "\r\n"}) {
            Path file = write("not_yet.csv", nothingYet);
            List<RecordBatch> batches = Read.batches(CsvSource.builder().path(file).schema(schema).parallelism(2));
            // the next run, once the export is written, goes on from the last position stored (if any)
            Files.writeString(file, "a,b\n1,x\n");
            CsvSource.Builder next = CsvSource.builder().path(file).schema(schema);
            if (!batches.isEmpty()) {
                next.resumeFrom(batches.get(batches.size() - 1).position().orElseThrow());
            }
            assertThat(Read.records(next)).containsExactly(Record.of(1L, "x"));
            assertThat(batches).isEmpty();
        }
        Path headerless = write("headerless.csv", "");
        List<RecordBatch> batches = Read.batches(CsvSource.builder().path(headerless).schema(schema)
                .header(Header.NONE));
        assertThat(batches).singleElement().satisfies(b -> assertThat(b.records()).isEmpty());
        Files.writeString(headerless, "1,x\n");
        assertThat(Read.records(CsvSource.builder().path(headerless).schema(schema).header(Header.NONE)
                .resumeFrom(batches.get(0).position().orElseThrow()))).containsExactly(Record.of(1L, "x"));
    }

    /**
     * A file of its header only gives one empty batch with the header's columns, as a sheet without records does,
     * so that a loader can create its table or, in OVERWRITE, empty it (today's export has no rows). Before, it gave
     * no batch and an OVERWRITE kept yesterday's rows. Its position is the header's end: a resume from it reads the
     * rows appended since, and one of the same file gives no batch.
     */
    @Test
    void aFileOfItsHeaderOnlyGivesOneEmptyBatchPositionedAfterTheHeader() throws IOException {
        Path header = write("header.csv", "a,b\n");
        List<RecordBatch> batches;
        try (CsvSource csv = CsvSource.builder().path(header).parallelism(2).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[a string, b string]");
            batches = csv.batches().toList();
        }
        assertThat(batches).singleElement().satisfies(b -> {
            assertThat(b.records()).isEmpty();
            assertThat(b.schema().names()).containsExactly("a", "b");
            assertThat(b.position().orElseThrow().getLong("offset")).hasValue(4L);
            assertThat(b.position().orElseThrow().getLong("record")).hasValue(0L);
        });
        SourcePosition at = batches.get(0).position().orElseThrow();
        try (CsvSource again = CsvSource.builder().path(header).resumeFrom(at).build()) {
            assertThat(again.batches()).isEmpty();
        }
        Files.writeString(header, "x,y\n", StandardOpenOption.APPEND);
        try (CsvSource more = CsvSource.builder().path(header).resumeFrom(at).build()) {
            assertThat(more.batches().flatMap(b -> b.records().stream())).containsExactly(Record.of("x", "y"));
        }
        // a file replaced by one with another header is refused, as after any position
        Files.writeString(header, "c,d\nx,y\n");
        assertThatThrownBy(() -> CsvSource.builder().path(header).resumeFrom(at).build().batches().toList())
                .isInstanceOf(BadInputException.class).hasMessageContaining("does not match");
    }

    /**
     * A header-only file whose header line ended it without a line end gives its empty batch at the header's end; when
     * rows are appended after a line break, a resume from that position reads them, as it does after a last record
     * without a line end. Before, the header now ending one or two bytes later, the resume failed ('position ... is
     * before the first record of h.csv (byte 4)') and the pipeline could not go on.
     */
    @Test
    void aResumeFromAHeaderOnlyFileWithoutALineEndReadsTheRowsAppendedAfterALineBreak() throws IOException {
        Schema schema = Schema.builder().add("a", FieldType.LONG).add("b", FieldType.STRING).build();
        for (String eol : new String[] {"\n", "\r\n"}) {
            Path file = write("h.csv", "a,b");
            SourcePosition at = Read.batches(CsvSource.builder().path(file)).get(0).position().orElseThrow();
            Files.writeString(file, eol + "1,x" + eol + "2,y" + eol, StandardOpenOption.APPEND);
            List<RecordBatch> batches = Read.batches(CsvSource.builder().path(file).resumeFrom(at).chunkRows(1));
            assertThat(batches).flatExtracting(RecordBatch::records).containsExactly(Record.of(1L, "x"), Record.of(2L, "y"));
            assertThat(batches.get(1).position().orElseThrow().getLong("record")).hasValue(2L);
            assertThat(batches.get(1).position().orElseThrow().getLong("line")).hasValue(4L);
            // a stream, resumed with its declared schema
            byte[] bytes = Files.readAllBytes(file);
            assertThat(Read.records(CsvSource.builder().stream(new ByteArrayInputStream(bytes), file.toString())
                    .schema(schema).resumeFrom(SourcePosition.of(file.toString(), Map.of("offset", 3L, "record", 0L,
                            "line", 1L))))).containsExactly(Record.of(1L, "x"), Record.of(2L, "y"));
            // a bad row on the first line after the header names its line
            Files.writeString(file, "a,b");
            Files.writeString(file, eol + "z,x" + eol, StandardOpenOption.APPEND);
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).schema(schema).resumeFrom(at)))
                    .hasMessageContaining("h.csv line 2 record 1");
        }
        // the header line continued instead: refused, as after a record
        Path file = write("h.csv", "a,b");
        SourcePosition at = Read.batches(CsvSource.builder().path(file)).get(0).position().orElseThrow();
        Files.writeString(file, "c\n1,x\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).resumeFrom(at)))
                .isInstanceOf(BadInputException.class);
        // a position inside a header that has its line end all along stays refused
        Path ended = write("h.csv", "a,b\n1,x\n");
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(ended).resumeFrom(SourcePosition.of(
                ended.toString(), Map.of("offset", 2L, "record", 0L, "line", 1L)))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("before the first record");
    }

    @Test
    void splitWritesValidChunkFilesWithTheHeaderRepeated() throws IOException {
        List<Path> chunks = CsvSource.split(TRANSACTIONS, dir.resolve("chunks"), 30);
        assertThat(chunks).extracting(p -> p.getFileName().toString()).containsExactly(
                "customer_transactions_00001.csv", "customer_transactions_00002.csv",
                "customer_transactions_00003.csv", "customer_transactions_00004.csv");
        String header = Files.readAllLines(TRANSACTIONS).get(0);
        List<Record> fromChunks = new ArrayList<>();
        Schema schema;
        try (CsvSource whole = CsvSource.builder().path(TRANSACTIONS).build()) {
            schema = whole.schema();
        }
        for (Path chunk : chunks) {
            assertThat(Files.readAllLines(chunk).get(0)).isEqualTo(header);
            fromChunks.addAll(Read.records(CsvSource.builder().path(chunk).schema(schema)));
        }
        assertThat(fromChunks).isEqualTo(Read.records(CsvSource.builder().path(TRANSACTIONS)));

        Path quoted = write("quoted.csv", "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n3,\"\"\"\"");
        List<Path> parts = CsvSource.split(quoted, dir.resolve("q"), 2);
        assertThat(parts).hasSize(2);
        assertThat(Files.readString(parts.get(0))).isEqualTo("a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n");
        assertThat(Files.readString(parts.get(1))).isEqualTo("a,b\r\n3,\"\"\"\"\r\n");
    }

    /**
     * A split whose write fails midway (here the file size limit of {@code ulimit -f}, as a full disk would) must not
     * leave a partial chunk under a chunk's name: a resume that loads the directory would take it as complete.
     */
    @Test
    void splitNeverLeavesAPartialChunkWhenAWriteFailsMidway() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) && System.getProperty("os.name").startsWith("Linux"),
                "needs bash's ulimit -f");
        StringBuilder csv = new StringBuilder("id,note\n");
        for (int i = 1; i <= 2000; i++) {   // chunk 1: ~20 kB; chunk 2: ~200 kB, over the 64 kB limit
            csv.append(i).append(',').append(i <= 1000 ? "short" : "x".repeat(190)).append('\n');
        }
        Path in = write("limited.csv", csv.toString());
        List<Path> expected = CsvSource.split(in, dir.resolve("expected"), 1000);
        Path out = dir.resolve("out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/bash", "-c", "ulimit -f 64; exec \"$0\" \"$@\"", java,
                "-cp", classPath(), SplitInAnotherProcess.class.getName(),
                in.toString(), out.toString(), "1000").redirectErrorStream(true)
                .redirectOutput(dir.resolve("split.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String output = Files.readString(dir.resolve("split.log"));
        assertThat(p.isAlive()).as(output).isFalse();
        assertThat(p.exitValue()).as(output).isNotZero();
        // the split failed writing (EFBIG, "File too large" in English), not before it began
        assertThat(output).contains("UncheckedIOException: cannot split " + in);
        assertThat(Files.readString(out.resolve("limited_00001.csv"))).isEqualTo(Files.readString(expected.get(0)));
        assertThat(out.resolve("limited_00002.csv")).as("no partial second chunk").doesNotExist();
        try (var files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("limited_00001.csv");
        }
    }

    /**
     * A second split of the same file into fewer chunks must not leave the first split's extra chunks: a reader of
     * the directory would load their records twice. Temporary files of an interrupted split go too.
     */
    @Test
    void splitAgainRemovesTheChunksOfAnEarlierSplitOfTheSameFile() throws IOException {
        Path chunks = dir.resolve("chunks");
        assertThat(CsvSource.split(TRANSACTIONS, chunks, 30)).hasSize(4);
        Path crashedTemp = chunks.resolve(".customer_transactions_00005.csv.tmp");
        Files.writeString(crashedTemp, "transaction_id\n1");
        Path other = Files.writeString(chunks.resolve("other_00001.csv"), "a\n1\n");
        Path notAChunk = Files.writeString(chunks.resolve("customer_transactions_final.csv"), "a\n1\n");

        List<Path> again = CsvSource.split(TRANSACTIONS, chunks, 60);

        assertThat(again).extracting(p -> p.getFileName().toString())
                .containsExactly("customer_transactions_00001.csv", "customer_transactions_00002.csv");
        try (var files = Files.list(chunks)) {
            assertThat(files).containsExactlyInAnyOrder(again.get(0), again.get(1), other, notAChunk);
        }
        Schema schema;
        try (CsvSource whole = CsvSource.builder().path(TRANSACTIONS).build()) {
            schema = whole.schema();
        }
        List<Record> fromChunks = new ArrayList<>();
        for (Path chunk : again) {
            fromChunks.addAll(Read.records(CsvSource.builder().path(chunk).schema(schema)));
        }
        assertThat(fromChunks).isEqualTo(Read.records(CsvSource.builder().path(TRANSACTIONS)));
        assertThat(crashedTemp).doesNotExist();
    }

    /** A file that only has a chunk's name, not the input's header, is the user's: neither replaced nor deleted. */
    @Test
    void splitRefusesToReplaceOrDeleteAFileNamedLikeAChunkThatIsNotOne() throws IOException {
        Path chunks = dir.resolve("foreign");
        Files.createDirectories(chunks);
        Path mine = Files.writeString(chunks.resolve("customer_transactions_00009.csv"), "my own notes\n");
        assertThatThrownBy(() -> CsvSource.split(TRANSACTIONS, chunks, 30))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(mine.toString())
                .hasMessageContaining("not one");
        assertThat(Files.readString(mine)).isEqualTo("my own notes\n");
        try (var files = Files.list(chunks)) {
            assertThat(files).containsExactly(mine);
        }
    }

    @Test
    void aSplitOfAMissingFileKeepsTheChunksOfTheEarlierSplit() throws IOException {
        Path chunks = dir.resolve("kept");
        List<Path> first = CsvSource.split(TRANSACTIONS, chunks, 30);
        Path missing = dir.resolve("missing").resolve(TRANSACTIONS.getFileName());
        assertThatThrownBy(() -> CsvSource.split(missing, chunks, 60)).hasMessageContaining(missing.toString());
        assertThat(first).allMatch(Files::exists);
    }

    @Test
    void closingTheStreamEarlyStopsTheParsingThreads() throws Exception {
        try (CsvSource csv = CsvSource.builder().path(STREAMS).chunkRows(100).parallelism(2).build();
             var batches = csv.batches()) {
            assertThat(batches.limit(2).count()).isEqualTo(2);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (liveParseThreads() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(liveParseThreads()).isZero();
    }

    @Test
    void builderRejectsInvalidCombinations() {
        assertThatThrownBy(() -> CsvSource.builder().build()).hasMessageContaining("path and stream");
        assertThatThrownBy(() -> CsvSource.builder().path(TRANSACTIONS).delimiter('"').build())
                .hasMessageContaining("delimiter");
        assertThatThrownBy(() -> CsvSource.builder().chunkRows(0)).hasMessageContaining("chunkRows");
        CsvSource csv = CsvSource.builder().path(TRANSACTIONS).build();
        csv.batches().close();
        assertThatThrownBy(csv::batches).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Header.names refuses names that cannot name the columns when it is called, saying which one (its position) and
     * why, as the builder's setters validate at once. Before, Header.names("id", "", "id") was taken and the read failed
     * only at schema() or batches(), with 'an identifier cannot be empty' or "column 'id' appears twice in the
     * schema", naming neither Header.names nor the position.
     */
    @Test
    void headerNamesRefusesAnEmptyRepeatedOrTooLongNameAtOnceNamingItsPosition() {
        assertThatThrownBy(() -> Header.names("id", "", "amount"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Header.names: name 2 of [id, , amount]: an identifier cannot be empty");
        assertThatThrownBy(() -> Header.names("id", "amount", "id"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Header.names: name 3 of [id, amount, id] repeats name 1 'id': column names must be unique");
        assertThatThrownBy(() -> Header.names(List.of("id", "x".repeat(64))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Header.names: name 2 of [id, " + "x".repeat(64) + "]: identifier")
                .hasMessageContaining("is 64 bytes long");
        assertThat(Header.names("Id", "id").names()).containsExactly("Id", "id");   // case apart, as from a file
    }

    private static long liveParseThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("mds-csv-") && t.isAlive()).count();
    }

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** This test JVM's class path and module path (surefire puts the module under test on the latter) as one. */
    private static String classPath() {
        String modules = System.getProperty("jdk.module.path");
        String classes = System.getProperty("java.class.path");
        return modules == null || modules.isEmpty() ? classes : modules + java.io.File.pathSeparator + classes;
    }
}
