package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * Edge cases a user coming from PostgreSQL's {@code COPY … (FORMAT csv)}, Commons CSV or Spring Batch expects to
 * work: encodings, line endings, declared-schema constraints, located errors, and agreement with COPY on the same
 * bytes (sequentially and in parallel).
 */
@MdsPostgres
class CsvEdgeCasesTest {
    private static final List<UnaryOperator<CsvSource.Builder>> READINGS = List.of(
            b -> b,
            b -> b.chunkRows(1),
            b -> b.parallelism(3).chunkBytes(17),
            b -> b.parallelism(2).chunkBytes(4096),
            b -> b.parallelism(4).chunkRows(2));

    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------------------
    // agreement with PostgreSQL's own COPY ... (FORMAT csv) on the same bytes
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void trickyLfAndCrlfFilesReadExactlyAsPostgresCopyReadsThemWithEveryChunking(DataSource ds) throws Exception {
        StringBuilder big = new StringBuilder();
        while (big.length() < 70_000) {
            big.append("ü日本😀 \"q\", ");   // crosses the scanner's 64 KB read block inside a quoted field
        }
        for (String eol : new String[] {"\n", "\r\n"}) {
            String csv = String.join(eol,
                    "id,a,b,c",
                    "1,\"hello, world\",\"say \"\"hi\"\"\",plain",
                    "2,,\"\",x",
                    "3,\"multi" + eol + "line" + eol + "value\",  ü日本😀 ,\"trailing space \"",
                    "4,\"\"\"\",\"a\"\"b\",\",,\"",
                    "5,\"#not a comment\",'single',\"tab\there\"",
                    "6,\"" + big.toString().replace("\"", "\"\"") + "\",after,\"\"",
                    "7,\"lf\ninside\",\"crlf\r\ninside\",",
                    "8,last,no,newline");   // no final newline
            Path file = dir.resolve(eol.length() == 1 ? "tricky_lf.csv" : "tricky_crlf.csv");
            Files.writeString(file, csv, StandardCharsets.UTF_8);

            String table = eol.length() == 1 ? "copy_lf" : "copy_crlf";
            List<List<String>> byCopy = copyAsText(ds, table, file, 4);
            assertThat(byCopy).hasSize(8);
            Schema text = Schema.builder().add("id", FieldType.STRING).add("a", FieldType.STRING)
                    .add("b", FieldType.STRING).add("c", FieldType.STRING).build();
            List<RecordBatch> first = null;
            for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
                List<RecordBatch> batches = Read.batches(reading.apply(CsvSource.builder().path(file).schema(text)));
                assertThat(strings(batches)).as("%s read like COPY", table).isEqualTo(byCopy);
                if (first == null) {
                    first = batches;
                }
            }
            // the same chunking with 1 and 4 threads: identical batches, positions included
            assertThat(Read.batches(CsvSource.builder().path(file).schema(text).chunkBytes(29).parallelism(4)))
                    .isEqualTo(Read.batches(CsvSource.builder().path(file).schema(text).chunkBytes(29)));
        }
    }

    /**
     * Times as PostgreSQL's COPY reads them, 24:00 (the end of the day, which COPY accepts and LocalTime cannot hold)
     * included: read as LocalTime.MAX, which is written back as 24:00:00. Before, 24:00:00 was a bad value.
     */
    @Test
    void timesAgreeWithPostgresCopyTheEndOfTheDayIncluded(DataSource ds) throws Exception {
        Path file = dir.resolve("times.csv");
        Files.writeString(file, "id,t\n1,24:00:00\n2,24:00\n3,24:00:00.000\n4,00:00\n5,23:59:59.999999\n6,12:30:15.5\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("t", FieldType.TIME).build();
        List<Record> records = Read.records(CsvSource.builder().path(file).schema(schema));
        assertThat(records).extracting(r -> r.get(1)).startsWith(java.time.LocalTime.MAX, java.time.LocalTime.MAX,
                java.time.LocalTime.MAX, java.time.LocalTime.MIDNIGHT);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table times_copy (id bigint, t time)");
            st.execute("create table times_csv (id bigint, t time)");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy times_copy from stdin (format csv, header true)", in);
            }
        }
        insert(ds, "times_csv", 2, records);
        assertThat(count(ds, "select * from times_copy except all select * from times_csv")).isZero();
        assertThat(count(ds, "select * from times_csv where t = '24:00:00'")).isEqualTo(3);
        // past the end of the day is still bad, as for COPY
        Files.writeString(file, "id,t\n1,24:00:01\n");
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).schema(schema)))
                .hasMessageContaining("24:00:01");
    }

    /**
     * PostgreSQL's COPY TO writes a date or timestamp at infinity as {@code infinity}/{@code -infinity}, and its COPY
     * FROM reads them back. They read as the MAX/MIN pgjdbc reads (which mds-load writes back as infinity), and
     * inference still sees the column as dates or timestamps. Before, each was a bad row, and inference made the
     * column text.
     */
    @Test
    void infinityInDatesAndTimestampsExportedByPostgresqlReadsAsMaxAndMin(DataSource ds) throws Exception {
        Path file = dir.resolve("infinite.csv");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set timezone = 'UTC'");
            st.execute("create table infinite (id bigint, d date, ts timestamp, tz timestamptz)");
            st.execute("insert into infinite values (1, '2024-02-29', '2024-01-01 10:00', '2024-01-01 10:00+02'),"
                    + " (2, 'infinity', 'infinity', 'infinity'), (3, '-infinity', '-infinity', '-infinity'),"
                    + " (4, null, null, null)");
            try (var out = Files.newOutputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyOut("copy (select * from infinite order by id) to stdout (format csv, header true)", out);
            }
            st.execute("create table infinite_csv (id bigint, d date, ts timestamp, tz timestamptz)");
            st.execute("reset timezone");   // the pool hands this session to the next test
        }
        assertThat(Files.readString(file)).contains("2,infinity,infinity,infinity\n3,-infinity,-infinity,-infinity");
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (CsvSource csv = reading.apply(CsvSource.builder().path(file)).build()) {
                assertThat(csv.schema().fields()).extracting(f -> f.type())
                        .containsExactly(FieldType.LONG, FieldType.DATE, FieldType.TIMESTAMP, FieldType.TIMESTAMPTZ);
                List<Record> records = csv.batches().flatMap(b -> b.records().stream()).toList();
                assertThat(records.get(1).values()).containsExactly(2L, java.time.LocalDate.MAX,
                        java.time.LocalDateTime.MAX, java.time.OffsetDateTime.MAX);
                assertThat(records.get(2).values()).containsExactly(3L, java.time.LocalDate.MIN,
                        java.time.LocalDateTime.MIN, java.time.OffsetDateTime.MIN);
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("truncate infinite_csv");
                }
                insert(ds, "infinite_csv", 4, records);
                assertThat(count(ds, "select * from infinite except all select * from infinite_csv")).isZero();
                assertThat(count(ds, "select * from infinite_csv except all select * from infinite")).isZero();
            }
        }
        // declared types read them too, in any case; other words stay bad
        Files.writeString(file, "d\nINFINITY\n-Infinity\n");
        assertThat(Read.records(CsvSource.builder().path(file).type("d", FieldType.DATE)))
                .containsExactly(Record.of(java.time.LocalDate.MAX), Record.of(java.time.LocalDate.MIN));
        Files.writeString(file, "d\ninfinity\nforever\n");
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).type("d", FieldType.DATE)))
                .hasMessageContaining("\"forever\" is not a date");
        // a column of infinities alone is no evidence of dates
        Files.writeString(file, "d\ninfinity\n");
        assertThat(CsvSource.builder().path(file).build().schema().field(0).type()).isEqualTo(FieldType.STRING);
    }

    /**
     * PostgreSQL writes a timestamptz whose zone then had an offset of seconds (local mean time, before a zone took
     * standard time) with those seconds: '1850-01-01 00:17:30+00:17:30' under Europe/Amsterdam. A file COPY TO wrote
     * in such a session reads back as the same instants, and inference still sees timestamps with time zone. Before,
     * each such value was a bad row, and inference made the column text.
     */
    @Test
    void offsetsWithSecondsAsPostgresqlWritesLocalMeanTimeReadAsTheSameInstants(DataSource ds) throws Exception {
        Path file = dir.resolve("lmt.csv");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set timezone = 'Europe/Amsterdam'");
            st.execute("create table lmt (id bigint, tz timestamptz)");
            st.execute("insert into lmt values (1, '1850-01-01 00:00:00+00'), (2, '1900-06-30 12:34:56.789+00'),"
                    + " (3, '2024-01-01 10:00:00+00'), (4, '1700-01-01 00:00:00-05:30')");
            try (var out = Files.newOutputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyOut("copy (select * from lmt order by id) to stdout (format csv, header true)", out);
            }
            st.execute("create table lmt_csv (id bigint, tz timestamptz)");
            st.execute("reset timezone");   // the pool hands this session to the next test
        }
        // the zone's LMT offset comes from the server's tz database (+00:19:32 or, since 2022, Brussels' +00:17:30)
        assertThat(Files.readString(file)).containsPattern("\n1,1850-01-01 00:\\d\\d:\\d\\d\\+00:\\d\\d:\\d\\d\n");
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (CsvSource csv = reading.apply(CsvSource.builder().path(file)).build()) {
                assertThat(csv.schema().fields()).extracting(f -> f.type())
                        .containsExactly(FieldType.LONG, FieldType.TIMESTAMPTZ);
                List<Record> records = csv.batches().flatMap(b -> b.records().stream()).toList();
                java.time.OffsetDateTime first = (java.time.OffsetDateTime) records.get(0).get(1);
                assertThat(first.toInstant()).isEqualTo(java.time.Instant.parse("1850-01-01T00:00:00Z"));
                assertThat(first.getOffset().getTotalSeconds() % 60).isNotZero();
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("truncate lmt_csv");
                }
                insert(ds, "lmt_csv", 2, records);
                assertThat(count(ds, "select * from lmt except all select * from lmt_csv")).isZero();
                assertThat(count(ds, "select * from lmt_csv except all select * from lmt")).isZero();
            }
        }
        // an offset of seconds is written with colons only; other shapes stay bad
        for (String value : new String[] {"1850-01-01 00:19:32+001932", "1850-01-01 00:19:32+00:19:3",
            "1850-01-01 00:19:32+00:19:60"}) {
            Files.writeString(file, "tz\n" + value + "\n");
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).type("tz", FieldType.TIMESTAMPTZ)))
                    .as(value).hasMessageContaining("is not a timestamp with time zone");
        }
    }

    /**
     * PostgreSQL's COPY TO writes a date or timestamp before year 1 with " BC" ('0044-03-15 BC') and one after 9999 with
     * more digits ('10000-01-01'); its COPY FROM reads them back. They read as the years pgjdbc reads (0044 BC is year
     * -43), inference still sees dates and timestamps, and inserted back they equal the source table. Before, each was a
     * bad row and inference made the column text. Beyond PostgreSQL's range a value stays bad, as COPY refuses it.
     */
    @Test
    void datesAndTimestampsBeforeYearOneAndAfter9999ReadAsPostgresqlWritesThem(DataSource ds) throws Exception {
        Path file = dir.resolve("eras.csv");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set timezone = 'UTC'");
            st.execute("create table eras (id bigint, d date, ts timestamp, tz timestamptz)");
            st.execute("insert into eras values (1, '0044-03-15 BC', '0044-03-15 10:00:00.5 BC', '0044-03-15 10:00+00 BC'),"
                    + " (2, '0001-01-01 BC', '0001-12-31 23:59:59 BC', '0001-01-01 00:00+00'),"
                    + " (3, '10000-01-01', '12345-06-07 08:09:10', '12345-06-07 08:09:10+00'),"
                    + " (4, '4713-01-01 BC', '4713-01-01 00:00 BC', '4713-01-01 00:00+00 BC'),"
                    + " (5, '5874897-12-31', '294276-12-31 23:59:59', '294276-12-31 23:59:59+00'),"
                    + " (6, '2024-02-29', '2024-02-29 12:00', '2024-02-29 12:00+00')");
            try (var out = Files.newOutputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyOut("copy (select * from eras order by id) to stdout (format csv, header true)", out);
            }
            st.execute("create table eras_csv (id bigint, d date, ts timestamp, tz timestamptz)");
            st.execute("reset timezone");   // the pool hands this session to the next test
        }
        assertThat(Files.readString(file)).contains("1,0044-03-15 BC,0044-03-15 10:00:00.5 BC,0044-03-15 10:00:00+00 BC")
                .contains("5,5874897-12-31,294276-12-31 23:59:59,294276-12-31 23:59:59+00");
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (CsvSource csv = reading.apply(CsvSource.builder().path(file)).build()) {
                assertThat(csv.schema().fields()).extracting(f -> f.type())
                        .containsExactly(FieldType.LONG, FieldType.DATE, FieldType.TIMESTAMP, FieldType.TIMESTAMPTZ);
                List<Record> records = csv.batches().flatMap(b -> b.records().stream()).toList();
                assertThat(records.get(0).values()).containsExactly(1L, java.time.LocalDate.of(-43, 3, 15),
                        java.time.LocalDateTime.of(-43, 3, 15, 10, 0, 0, 500_000_000),
                        java.time.OffsetDateTime.of(-43, 3, 15, 10, 0, 0, 0, java.time.ZoneOffset.UTC));
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("truncate eras_csv");
                }
                insert(ds, "eras_csv", 4, records);
                assertThat(count(ds, "select * from eras except all select * from eras_csv")).isZero();
                assertThat(count(ds, "select * from eras_csv except all select * from eras")).isZero();
            }
        }
        // PostgreSQL's first day (pgjdbc, used above to insert, writes a LocalDate before 4713-01-01 BC as -infinity)
        // PostgreSQL also reads BC without the space, and any case
        Files.writeString(file, "d,ts\n4714-11-24 BC,4714-11-24 00:00:00 BC\n0044-03-15bc,0044-03-15 10:00BC\n");
        assertThat(Read.records(CsvSource.builder().path(file))).containsExactly(Record.of(
                java.time.LocalDate.of(-4713, 11, 24), java.time.LocalDateTime.of(-4713, 11, 24, 0, 0)),
                Record.of(java.time.LocalDate.of(-43, 3, 15), java.time.LocalDateTime.of(-43, 3, 15, 10, 0)));
        // beyond PostgreSQL's range, or no year at all: bad, as COPY refuses them
        String[][] beyond = {{"date", "4714-11-23 BC"}, {"date", "5874898-01-01"}, {"date", "0000-01-01 BC"},
            {"date", "12345678-01-01"}, {"timestamp", "294277-01-01 00:00:00"}, {"timestamp", "4714-11-23 23:59 BC"},
            {"timestamptz", "294276-12-31 23:59:59-01"}, {"timestamptz", "4714-11-24 00:00+01 BC"}};
        for (String[] value : beyond) {
            FieldType type = value[0].equals("date") ? FieldType.DATE
                    : value[0].equals("timestamp") ? FieldType.TIMESTAMP : FieldType.TIMESTAMPTZ;
            Files.writeString(file, "v\n" + value[1] + "\n");
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).type("v", type))).as(value[1])
                    .isInstanceOf(BadInputException.class).hasMessageContaining("\"" + value[1] + "\" is not a");
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("set timezone = 'UTC'");
                assertThatThrownBy(() -> st.execute("select '" + value[1] + "'::" + value[0])).as(value[1])
                        .isInstanceOf(SQLException.class);
                st.execute("reset timezone");
            }
        }
    }

    @Test
    void typedValuesAgreeWithPostgresCopyIntoTheSameTypedTable(DataSource ds) throws Exception {
        String csv = "id,n,f,d,ts,tz,x,i\n"
                + "1,+5,true,2024-02-29,2024-01-01T10:00:00,2024-01-01T10:00:00+05:30,1e-5,-2147483648\n"
                + "2,-0.0005,FALSE,1999-12-31,2024-01-01 23:59:59.999999,2024-06-30 12:00:00-0800,-1.5E+3,+7\n"
                + "3,1.5e3,yes,,,2024-01-01T00:00:00Z,NaN,\n"
                + "4,-1.2345,no,2000-01-01,2024-03-10T02:30,2024-01-01T10:00:00.5+01,-Infinity,0\n"
                + "5,123456789.9995,t,0001-01-01,1999-12-31 00:00:00.000001,2024-01-01 10:00:00.123456-03:30,0.1,42\n"
                + "6,0.0,Y,2024-12-31,2024-01-01 00:00,2024-01-01T00:00+14:00,-0,-1\n"
                + "7,,n,,,,,\n"
                + "8,\"-7.000\",1,\"2020-02-02\",\"2020-02-02 02:02:02\",\"2020-02-02T02:02:02Z\",\"3.5\",\"12\"\n"
                + "9,99.9999,0,2020-01-01,2020-01-01 00:00:00,2020-01-01 00:00:00+00,1.7976931348623157E308,2147483647";
        Path file = dir.resolve("typed.csv");
        Files.writeString(file, csv);
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.decimal(12, 3))
                .add("f", FieldType.BOOLEAN).add("d", FieldType.DATE).add("ts", FieldType.TIMESTAMP)
                .add("tz", FieldType.TIMESTAMPTZ).add("x", FieldType.DOUBLE).add("i", FieldType.INT).build();
        String columns = schema.fields().stream()
                .map(f -> f.name() + " " + PostgresDialect.INSTANCE.typeName(f.type())).collect(Collectors.joining(", "));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table via_copy (" + columns + ")");
            st.execute("create table via_csv (" + columns + ")");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyIn("copy via_copy from stdin (format csv, header true)", in);
            }
        }
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("truncate via_csv");
            }
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).schema(schema)));
            assertThat(records).hasSize(9);
            insert(ds, "via_csv", schema.size(), records);
            assertThat(count(ds, "select * from via_copy except all select * from via_csv"))
                    .as("rows COPY has and CsvSource does not").isZero();
            assertThat(count(ds, "select * from via_csv except all select * from via_copy"))
                    .as("rows CsvSource has and COPY does not").isZero();
        }
        // what the Java values are, not only how the database stores them
        List<Record> records = Read.records(CsvSource.builder().path(file).schema(schema));
        assertThat(records.get(1).get(1)).isEqualTo(new BigDecimal("-0.001"));   // half away from zero, as numeric
        assertThat(records.get(4).get(1)).isEqualTo(new BigDecimal("123456790.000"));
        assertThat(records.get(6).values()).containsExactly(7L, null, false, null, null, null, null, null);
    }

    /**
     * Header names are made unique and non-empty as Header's Javadoc says (an empty name at position 3 is column_3,
     * a repeated name gets _2, _3), names differing only in case stay apart (mds quotes every identifier), and a
     * repeated name of up to 63 bytes is cut to leave room for its suffix. Before, two columns named by the same
     * 62-byte name (a long question in a survey export) failed the read: the second became a 64-byte name, which mds
     * refuses, though the file's names were each valid.
     */
    @Test
    void repeatedEmptyAndCaseOnlyDifferentHeaderNamesBecomeDistinctPostgresqlColumns(DataSource ds) throws Exception {
        String long62 = "q".repeat(60) + "\u00e9";   // 62 bytes in UTF-8
        String long63 = "r".repeat(63);
        Path file = write("names.csv", "Id,id,," + long62 + "," + long62 + "," + long62 + "," + long63 + "," + long63
                + ",id,id_2\n1,2,3,4,5,6,7,8,9,10\n");
        List<String> names;
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            names = csv.schema().names();
        }
        assertThat(names).containsExactly("Id", "id", "column_3", long62, "q".repeat(60) + "_2", "q".repeat(60) + "_3",
                long63, "r".repeat(61) + "_2", "id_2", "id_2_2");
        String columns = names.stream().map(n -> dev.mds.core.Identifiers.quote(n) + " bigint")
                .collect(Collectors.joining(", "));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table many_names (" + columns + ")");
        }
        insert(ds, "many_names", names.size(), Read.records(CsvSource.builder().path(file)));
        assertThat(count(ds, "select * from many_names where \"Id\" = 1 and id = 2 and id_2_2 = 10")).isEqualTo(1);
    }

    /**
     * A header name of only white space (spaces, a tab, a quoted "  ") is a missing name, as an empty one is: the
     * column at position 2 is column_2, as Commons CSV takes a blank header name for a missing one (it refuses both
     * unless missing names are allowed). Before, the names were kept as written, so a spreadsheet export with a stray
     * space in its header row made a PostgreSQL column named " " (and one named "\t"), which no query names
     * unquoted and which looked like none in psql's output.
     */
    @Test
    void aHeaderNameOfOnlyWhiteSpaceIsAMissingNameAsAnEmptyOneIs(DataSource ds) throws Exception {
        Path file = write("blank_names.csv", "id,   ,\t,\"  \",, name ,column_2\r\n1,2,3,4,5,6,7\r\n");
        List<String> names;
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            names = csv.schema().names();
        }
        assertThat(names).containsExactly("id", "column_2", "column_3", "column_4", "column_5", " name ",
                "column_2_2");
        String columns = names.stream().map(n -> dev.mds.core.Identifiers.quote(n) + " bigint")
                .collect(Collectors.joining(", "));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table blank_names (" + columns + ")");
        }
        insert(ds, "blank_names", names.size(), Read.records(CsvSource.builder().path(file)));
        assertThat(count(ds, "select * from blank_names where id = 1 and column_2 = 2 and column_3 = 3"
                + " and column_4 = 4 and column_5 = 5 and \" name \" = 6 and column_2_2 = 7")).isEqualTo(1);
    }

    /**
     * A header name of only no-break spaces (U+00A0, as a spreadsheet's export writes a cell holding one; U+202F,
     * U+3000) or of NEXT LINE (U+0085) is a missing name too, as the Sheets source takes such a header cell for blank
     * (white space as Python's str.isspace() has it, as Airbyte reads a sheet): column_2, column_3. Before, only Java's
     * white space made a name missing, so a header cell of one no-break space named a column '\u00A0', which looks
     * like none.
     */
    @Test
    void aHeaderNameOfOnlyNoBreakSpacesIsAMissingNameToo() throws IOException {
        Path file = write("nbsp_names.csv", "id,\u00A0,\u202F\u3000,\u0085,\u00A0name\n1,2,3,4,5\n");
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            assertThat(csv.schema().names()).containsExactly("id", "column_2", "column_3", "column_4", "\u00A0name");
        }
    }

    /**
     * A timestamp column reads a date alone as its midnight, as PostgreSQL's timestamp input does ('2024-01-03' is
     * 2024-01-03 00:00): a spreadsheet or a hand-edited export drops the time of midnight values. Before, such a value
     * was a bad row that COPY loads, and inference made a column mixing dates and timestamps text.
     */
    @Test
    void aDateAloneInATimestampColumnReadsAsItsMidnightAsPostgresqlReadsIt(DataSource ds) throws Exception {
        String csv = "id,ts\n1,2024-01-02 10:30:00\n2,2024-01-03\n3, 2024-02-29 \n4,0044-03-15 BC\n5,\"1999-12-31\"\n"
                + "6,10000-01-01\n";
        Path file = write("midnights.csv", csv);
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("ts", FieldType.TIMESTAMP).build();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table midnight_copy (id bigint, ts timestamp)");
            st.execute("create table midnight_csv (id bigint, ts timestamp)");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyIn("copy midnight_copy from stdin (format csv, header true)", in);
            }
        }
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("truncate midnight_csv");
            }
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).schema(schema)));
            assertThat(records).hasSize(6);
            insert(ds, "midnight_csv", 2, records);
            assertThat(count(ds, "select * from midnight_copy except all select * from midnight_csv")).isZero();
            assertThat(count(ds, "select * from midnight_csv except all select * from midnight_copy")).isZero();
        }
        // inferred: a column mixing dates and timestamps is a timestamp column; dates alone stay a date column
        Path mixed = write("mixed.csv", "ts\n2024-01-02 10:30:00\n2024-01-03\n0044-03-15 BC\n");
        try (CsvSource inferred = CsvSource.builder().path(mixed).build()) {
            assertThat(inferred.schema().field("ts").orElseThrow().type()).isEqualTo(FieldType.TIMESTAMP);
        }
        Path dates = write("dates.csv", "d\n2024-01-03\n2024-01-04\n");
        try (CsvSource inferred = CsvSource.builder().path(dates).build()) {
            assertThat(inferred.schema().field("d").orElseThrow().type()).isEqualTo(FieldType.DATE);
        }
        // a timestamptz without an offset is read as UTC (see the builder), a date alone as its UTC midnight
        Path tz = write("tz.csv", "t\n2024-01-03\n");
        assertThat(Read.records(CsvSource.builder().path(tz).type("t", FieldType.TIMESTAMPTZ)).get(0).get(0))
                .isEqualTo(java.time.OffsetDateTime.of(2024, 1, 3, 0, 0, 0, 0, java.time.ZoneOffset.UTC));
    }

    /**
     * A boolean column reads what PostgreSQL's boolean input reads (and Airbyte's on/off): on, off, unique prefixes of
     * true, false, yes and no, any case, white space around. Before, only true/false/t/f/yes/no/y/n/1/0 were read, so
     * on/off (an HTML checkbox's value, a config export) and ' true' were bad rows that COPY loads.
     */
    @Test
    void booleansReadAsPostgresqlReadsThemOnOffPrefixesAndWhiteSpace(DataSource ds) throws Exception {
        String[] good = {"on", "OFF", "of", "On", "tr", "tru", "fa", "fals", "ye", "YES", "no", "N", "t", "F", "1", "0",
            " true", "false ", "\tyes", "\"\u000bno\f\"", "\" on \""};
        StringBuilder csv = new StringBuilder("id,b\n");
        for (int i = 0; i < good.length; i++) {
            csv.append(i).append(',').append(good[i]).append('\n');
        }
        Path file = write("booleans.csv", csv.toString());
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table bool_copy (id bigint, b boolean)");
            st.execute("create table bool_csv (id bigint, b boolean)");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy bool_copy from stdin (format csv, header true)", in);
            }
        }
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("b", FieldType.BOOLEAN).build();
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("truncate bool_csv");
            }
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).schema(schema)));
            assertThat(records).hasSize(good.length);
            insert(ds, "bool_csv", 2, records);
            assertThat(count(ds, "select * from bool_copy except all select * from bool_csv")).isZero();
            assertThat(count(ds, "select * from bool_csv except all select * from bool_copy")).isZero();
        }
        assertThat(count(ds, "select * from bool_copy where b")).isEqualTo(11);
        // what PostgreSQL refuses stays a bad row: 'o' is neither on nor off, no word is longer than itself
        String[] bad = {"o", "onn", "offf", "truee", "yess", "nope", "2", "01", "t r", "+1"};
        for (String value : bad) {
            Path one = write("bad_boolean.csv", "id,b\n1," + value + "\n");
            List<BadRow> rejected = new ArrayList<>();
            assertThat(Read.records(CsvSource.builder().path(one).schema(schema)
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add))).as(value).isEmpty();
            assertThat(rejected).as(value).singleElement()
                    .satisfies(b -> assertThat(b.reason()).isEqualTo("\"" + value + "\" is not a boolean"));
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.execute("select '" + value + "'::boolean")).as(value)
                        .hasMessageContaining("invalid input syntax for type boolean");
            }
        }
    }

    /**
     * Numbers, dates, timestamps and times with white space around them, and integers with any number of leading
     * zeros, read as PostgreSQL's input functions (and so COPY) read them: a file written '1, 2, 2024-01-05' loads.
     * Before, each was a bad row (' 42' is not a long integer), though a double column already skipped it.
     */
    @Test
    void whiteSpaceAroundNumbersDatesAndTimesAndLeadingZerosReadAsPostgresqlReadsThem(DataSource ds) throws Exception {
        String csv = "id,n,i,d,day,ts,tz,t\n"
                + "1, 42,\t-5 , 1.5,2024-02-29 , 2024-01-01 10:00:00,2024-01-01T10:00:00+02:00 , 10:15\n"
                + "2,42 , +7,\"2.25\t\",\" 2024-01-05\",\"2024-01-01T10:00 \",\" 2024-06-30 12:00:00-0800\",\"10:15:30 \"\n"
                + "3,0000000000000000000000042,-00000000000000000000000002147483648, 1e3 ,\"\f2024-01-05\u000b\","
                + "\"\u000b2024-01-01 23:59:59.999999\f\", infinity , 24:00 \n"
                + "4,-00000000000000000000000009223372036854775808,000000000000000000000000000,\" -0.5 \", -infinity ,"
                + " -infinity ,\"\t2024-01-01 00:00Z\t\",\"\t00:00\t\"\n"
                + "5,,,,,,,\n";
        Path file = write("spaced.csv", csv);
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).add("i", FieldType.INT)
                .add("d", FieldType.decimal(10, 2)).add("day", FieldType.DATE).add("ts", FieldType.TIMESTAMP)
                .add("tz", FieldType.TIMESTAMPTZ).add("t", FieldType.TIME).build();
        String columns = schema.fields().stream()
                .map(f -> f.name() + " " + PostgresDialect.INSTANCE.typeName(f.type())).collect(Collectors.joining(", "));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table spaced_copy (" + columns + ")");
            st.execute("create table spaced_csv (" + columns + ")");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyIn("copy spaced_copy from stdin (format csv, header true)", in);
            }
        }
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("truncate spaced_csv");
            }
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).schema(schema)));
            assertThat(records).hasSize(5);
            insert(ds, "spaced_csv", schema.size(), records);
            assertThat(count(ds, "select * from spaced_copy except all select * from spaced_csv")).isZero();
            assertThat(count(ds, "select * from spaced_csv except all select * from spaced_copy")).isZero();
        }
        List<Record> records = Read.records(CsvSource.builder().path(file).schema(schema));
        assertThat(records.get(0).values()).startsWith(1L, 42L, -5, new BigDecimal("1.5"),
                java.time.LocalDate.of(2024, 2, 29));
        assertThat(records.get(3).get(1)).isEqualTo(Long.MIN_VALUE);
        // white space alone, or inside a value, is still no value of these types (COPY refuses it too)
        for (String value : new String[] {"\"  \"", "4 2", "- 5", "1. 5", "2024-01 -05"}) {
            Path one = write("bad_spaced.csv", "id,n\n1," + value + "\n");
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(one)
                    .schema(Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).build())))
                    .as(value).isInstanceOf(BadInputException.class).hasMessageContaining("is not a long integer");
        }
        // inference stays strict: a column written with spaces is text
        Path inferred = write("inferred_spaced.csv", "a,b\n1, 2\n3, 4\n");
        try (CsvSource source = CsvSource.builder().path(inferred).build()) {
            assertThat(source.schema().fields()).extracting(f -> f.type())
                    .containsExactly(FieldType.LONG, FieldType.STRING);
        }
    }

    /**
     * A uuid column reads the forms PostgreSQL's uuid input reads: upper case, braces, hyphens after any group of four
     * digits or none (.NET's "N" and "B" formats, SQL Server's braces). Before, only the 36-character 8-4-4-4-12 form
     * was read, so a file COPY loads made every such value a bad row.
     */
    @Test
    void uuidsInEveryFormPostgresqlReadsAreReadAndOthersAreBadRows(DataSource ds) throws Exception {
        String[] good = {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "A0EEBC999C0B4EF8BB6D6BB9BD380A11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11",
            "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "00000000000000000000000000000000"};
        StringBuilder csv = new StringBuilder("id,u\n");
        for (int i = 0; i < good.length; i++) {
            csv.append(i).append(',').append(good[i]).append('\n');
        }
        Path file = write("uuids.csv", csv.toString());
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table uuid_copy (id bigint, u uuid)");
            st.execute("create table uuid_csv (id bigint, u uuid)");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy uuid_copy from stdin (format csv, header true)", in);
            }
        }
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("u", FieldType.UUID).build();
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("truncate uuid_csv");
            }
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).schema(schema)));
            assertThat(records).hasSize(good.length);
            insert(ds, "uuid_csv", 2, records);
            assertThat(count(ds, "select * from uuid_copy except all select * from uuid_csv")).isZero();
            assertThat(count(ds, "select * from uuid_csv except all select * from uuid_copy")).isZero();
        }
        assertThat(Read.records(CsvSource.builder().path(file).schema(schema)).get(2).get(1))
                .isEqualTo(java.util.UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        // what PostgreSQL refuses stays a bad row
        String[] bad = {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
            "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "\" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"",
            "{}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11a0", "+0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"};
        for (String value : bad) {
            Path one = write("bad_uuid.csv", "id,u\n1," + value + "\n");
            List<BadRow> rejected = new ArrayList<>();
            assertThat(Read.records(CsvSource.builder().path(one).schema(schema)
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add))).as(value).isEmpty();
            assertThat(rejected).as(value).singleElement()
                    .satisfies(b -> assertThat(b.reason()).endsWith("is not a uuid"));
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                String literal = value.replace("\"", "");
                assertThatThrownBy(() -> st.execute("select '" + literal + "'::uuid")).as(value)
                        .hasMessageContaining("invalid input syntax for type uuid");
            }
        }
    }

    /**
     * A decimal beyond PostgreSQL's numeric (more than 16383 digits after the point, as written, or 131072 before it)
     * is a bad row naming its line and column, as COPY refuses it. Before, '1e-999999999' in a decimal(10,2) column
     * failed the whole read with an ArithmeticException naming neither (even under DEAD_LETTER), '1e-9999999' took
     * seconds to round, and a plain decimal column took '1e999999999', whose text is a billion digits.
     */
    @Test
    void aDecimalBeyondPostgresqlsNumericIsABadRowNotACrashOfTheRead(DataSource ds) throws Exception {
        String[] beyond = {"1e-999999999", "1e-9999999", "1e999999999", "1e131072", "1e-16384", "0e-20000",
            "1.5e-16383", "-12345678901234567890e131053"};
        String[] within = {"1e131071", "1e-16383", "-9.99e131071", "0e200000", "1.5", "123456789012345678901234567890.5"};
        for (FieldType type : new FieldType[] {FieldType.DECIMAL, FieldType.decimal(10, 2)}) {
            StringBuilder csv = new StringBuilder("id,v\n");
            int id = 0;
            for (String value : beyond) {
                csv.append(++id).append(',').append(value).append('\n');
            }
            Path file = write("numeric_range.csv", csv.toString());
            for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
                List<BadRow> rejected = new ArrayList<>();
                List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file)
                        .schema(Schema.builder().add("id", FieldType.LONG).add("v", type).build())
                        .onBadRow(OnBadRow.DEAD_LETTER, rejected::add)));
                assertThat(records).as("%s", type).isEmpty();
                assertThat(rejected).as("%s", type).hasSize(beyond.length).allSatisfy(b -> {
                    assertThat(b.location().column()).hasValue("v");
                    assertThat(b.reason()).contains("is not a decimal");
                });
                assertThat(rejected.get(0).location().line()).hasValue(2);
            }
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String value : beyond) {
                assertThatThrownBy(() -> st.execute("select '" + value + "'::numeric")).as(value)
                        .hasMessageContaining("value overflows numeric format");
            }
            st.execute("create table numeric_copy (id bigint, v numeric)");
            st.execute("create table numeric_csv (id bigint, v numeric)");
        }
        // up to the limits, a plain decimal column reads what COPY reads
        StringBuilder csv = new StringBuilder("id,v\n");
        for (int i = 0; i < within.length; i++) {
            csv.append(i).append(',').append(within[i]).append('\n');
        }
        Path file = write("numeric_within.csv", csv.toString());
        try (Connection c = ds.getConnection()) {
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI()
                        .copyIn("copy numeric_copy from stdin (format csv, header true)", in);
            }
        }
        List<Record> records = Read.records(CsvSource.builder().path(file)
                .schema(Schema.builder().add("id", FieldType.LONG).add("v", FieldType.DECIMAL).build()));
        insert(ds, "numeric_csv", 2, records);
        assertThat(count(ds, "select * from numeric_copy except all select * from numeric_csv")).isZero();
        assertThat(count(ds, "select * from numeric_csv except all select * from numeric_copy")).isZero();
    }

    /**
     * Zero fits every numeric(p,s), a numeric(2,2) too, as PostgreSQL stores it (zero has no digit before the point),
     * also written with an exponent. Before, '0' in a numeric(2,2) column (a rate, a fraction) and '0e5' in a
     * numeric(3,0) column were bad rows ('"0" is not a decimal(2,2)'), as BigDecimal counts a digit before the point of
     * zero (and more for 0e5), though COPY loads them.
     */
    @Test
    void zeroFitsEveryDeclaredDecimalAsInPostgresql(DataSource ds) throws Exception {
        Path file = write("zeros.csv", "id,rate,whole\n1,0,0\n2,-0,-0\n3,0.000,0e5\n4,.0,0E+3\n5,0e5,-0.0e10\n"
                + "6,0.004,0.4\n7,-0.005,-0.5\n8,0.125,999\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("rate", FieldType.decimal(2, 2))
                .add("whole", FieldType.decimal(3, 0)).build();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table zeros_copy (id bigint, rate numeric(2,2), whole numeric(3,0))");
            st.execute("create table zeros_csv (id bigint, rate numeric(2,2), whole numeric(3,0))");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy zeros_copy from stdin (format csv, header true)", in);
            }
        }
        List<Record> records = Read.records(CsvSource.builder().path(file).schema(schema));
        assertThat(records).hasSize(8);
        insert(ds, "zeros_csv", 3, records);
        assertThat(count(ds, "select * from zeros_copy except all select * from zeros_csv")).isZero();
        assertThat(count(ds, "select * from zeros_csv except all select * from zeros_copy")).isZero();
        assertThat(records.get(7).get(1)).isEqualTo(new BigDecimal("0.13"));   // half away from zero
        // a value that is not zero still needs its digits: 0.995 rounds to 1.00, too wide for numeric(2,2)
        Path wide = write("zeros_wide.csv", "id,rate,whole\n1,0.995,0\n");
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(wide).schema(schema)))
                .hasMessageContaining("\"0.995\" is not a decimal(2,2)");
    }

    @Test
    void everySeedCsvReadsAsPostgresCopyReadsItInParallel(DataSource ds) throws Exception {
        List<Path> seeds;
        try (Stream<Path> files = Files.walk(SeedData.directory())) {
            seeds = files.filter(p -> p.toString().endsWith(".csv")).sorted().toList();
        }
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(10);
        int n = 0;
        for (Path seed : seeds) {
            String header = Files.readAllLines(seed, StandardCharsets.UTF_8).get(0);
            Schema.Builder text = Schema.builder();
            for (String name : header.split(",", -1)) {
                text.add(name, FieldType.STRING);
            }
            Schema schema = text.build();
            List<List<String>> byCopy = copyAsText(ds, "seed_" + (++n), seed, schema.size());
            List<RecordBatch> one = Read.batches(CsvSource.builder().path(seed).schema(schema).chunkRows(7));
            List<RecordBatch> three = Read.batches(CsvSource.builder().path(seed).schema(schema).chunkRows(7)
                    .parallelism(3));
            assertThat(strings(one)).as(seed.toString()).isEqualTo(byCopy);
            assertThat(three).as(seed + " with 3 threads").isEqualTo(one);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // encodings: "invalid encoding" is a bad row (issue 4, behaviour 5), whatever the encoding
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void aByteThatIsNotUsAsciiIsABadRowNotAReplacementCharacter() throws IOException {
        Path file = dir.resolve("ascii.csv");
        Files.write(file, bytes("id,name\n1,caf", new byte[] {(byte) 0xE9}, "\n2,ok\n"));
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).encoding(StandardCharsets.US_ASCII)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).as("no U+FFFD smuggled into the data").containsExactly(Record.of(2L, "ok"));
        assertThat(rejected).singleElement().satisfies(b -> {
            assertThat(b.location().line()).hasValue(2);
            assertThat(b.location().column()).contains("name");
            assertThat(b.reason()).contains("invalid").contains("US-ASCII");
        });
    }

    /**
     * A Latin-1 export read as UTF-8: in data such bytes are bad rows, but in the header they were replaced by U+FFFD,
     * so an all-ASCII data part loaded, silently, into a column named "Gr" + two U+FFFD + "e". The header is refused.
     */
    @Test
    void bytesThatAreNotValidInTheEncodingInTheHeaderFailTheReadInsteadOfNamingAColumnWithReplacementCharacters()
            throws IOException {
        Path file = dir.resolve("latin1.csv");
        Files.write(file, bytes("id,Gr", new byte[] {(byte) 0xF6, (byte) 0xDF}, "e\n1,2\n"));
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            assertThatThrownBy(csv::schema).isInstanceOfSatisfying(BadInputException.class, e -> {
                assertThat(e.location().line()).hasValue(1);
                assertThat(e.getMessage()).contains("latin1.csv line 1")
                        .contains("header: invalid UTF-8 bytes in column 2");
            });
        }
        // read in its own encoding, the header is fine
        try (CsvSource csv = CsvSource.builder().path(file).encoding(StandardCharsets.ISO_8859_1).build()) {
            assertThat(csv.schema().names()).containsExactly("id", "Größe");
        }
    }

    /**
     * A quote never closed runs on to the end of the file, and the whole rest of the file was buffered as one record
     * (an OutOfMemoryError on an ordinary heap, long before a file of a few GiB ends). maxRecordBytes bounds it: the
     * read fails naming the file and the line the record starts on; a record within the bound reads whole; batches
     * that would outgrow it end early, and no record is lost or repeated.
     */
    @Test
    void maxRecordBytesBoundsWhatOneRecordMayBufferAndBatchesEndEarlyUnderIt() throws IOException {
        String filler = "x".repeat(99) + "\n";
        Path unclosed = dir.resolve("unclosed.csv");
        Files.writeString(unclosed, "id,v\n1,ok\n2,\"never closed\n" + filler.repeat(20_000));
        CsvSource.Builder bounded = CsvSource.builder().path(unclosed).schema(Schema.builder()
                .add("id", FieldType.LONG).add("v", FieldType.STRING).build()).maxRecordBytes(256 << 10);
        assertThatThrownBy(() -> Read.records(bounded)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().line()).hasValue(3);
            assertThat(e.getMessage()).contains("unclosed.csv line 3")
                    .contains("longer than 262144 bytes, the most a record may hold (CsvSource.Builder.maxRecordBytes)");
        });

        Path wide = dir.resolve("wide.csv");
        String big = "y".repeat(200_000);
        StringBuilder csv = new StringBuilder("id,v\n");
        for (int i = 1; i <= 40; i++) {
            csv.append(i).append(',').append(i == 20 ? big : "v" + i + "x".repeat(10_000)).append('\n');
        }
        Files.writeString(wide, csv);
        List<RecordBatch> batches = Read.batches(CsvSource.builder().path(wide).chunkRows(1_000).maxRecordBytes(256 << 10));
        List<Record> records = batches.stream().flatMap(b -> b.records().stream()).toList();
        assertThat(records).hasSize(40);
        assertThat(records).extracting(r -> r.get(0)).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
        assertThat(records.get(19).get(1)).isEqualTo(big);
        assertThat(batches).as("ended early, under 256 KiB each").hasSizeGreaterThan(1);
        assertThat(Read.batches(CsvSource.builder().path(wide).chunkRows(1_000))).as("the default bound").hasSize(1);

        assertThatThrownBy(() -> CsvSource.builder().maxRecordBytes(1_000))
                .hasMessage("maxRecordBytes must be between 65536 and 2147483639, not 1000");
    }

    /**
     * A record that is really longer than maxRecordBytes, its quotes closed (a 300 KiB quoted field, a 300 KiB line
     * without quotes), is refused by the same bound: the message says to raise it, and does not blame only a quote.
     */
    @Test
    void aRecordTrulyLongerThanMaxRecordBytesIsRefusedSayingToRaiseTheBound() throws IOException {
        for (String field : List.of("\"" + "q".repeat(300_000) + "\"", "u".repeat(300_000))) {
            Path file = dir.resolve("long.csv");
            Files.writeString(file, "id,v\n1,ok\n2," + field + "\n3,ok\n");
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).maxRecordBytes(256 << 10)))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("long.csv line 3 record 2: a record starting here is longer than 262144"
                            + " bytes, the most a record may hold (CsvSource.Builder.maxRecordBytes): either it is"
                            + " that long (raise maxRecordBytes), or a quote that is never closed,");
        }
    }

    /**
     * PostgreSQL text cannot hold a NUL character (COPY refuses the file: invalid byte sequence 0x00), so a text
     * value with one made the whole batch's load fail, not naming the file or line, even under SKIP or DEAD_LETTER.
     * It is a bad row; in a double it was read as if it were not there (Java's parser trims control characters).
     */
    @Test
    void aNulByteInAValueIsABadRowNamingItsColumnNotAValuePostgresqlCannotStore(DataSource ds) throws Exception {
        Path file = dir.resolve("nul.csv");
        Files.write(file, bytes("id,name,doc,x\n1,a", new byte[] {0}, "b,{},1.5\n2,ok,\"{", new byte[] {0},
                "}\",2\n3,c,{},2.5", new byte[] {0}, "\n4,d,{},3\n"));
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("doc", FieldType.JSON).add("x", FieldType.DOUBLE).build();
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).schema(schema)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).containsExactly(Record.of(4L, "d", "{}", 3.0));
        assertThat(rejected).extracting(b -> b.location().line().orElse(-1L) + " " + b.location().column().orElse("?"))
                .containsExactly("2 name", "3 doc", "4 x");
        assertThat(rejected.get(0).reason()).contains("NUL");
        // what the good rows become, PostgreSQL stores; a NUL it would not
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table nul_check (id bigint, name text, doc text, x float8)");
        }
        insert(ds, "nul_check", 4, good);
        assertThatThrownBy(() -> insert(ds, "nul_check", 4, List.of(Record.of(1L, "a\0b", "{}", 1.5))))
                .isInstanceOf(SQLException.class);
    }

    /**
     * A row made bad by a NUL must still be dead-lettered into PostgreSQL, where dead letters are kept (keyed by source
     * and record): its text and excerpt show the NUL as U+FFFD, as they show bytes invalid in the encoding. Before,
     * they held the NUL itself, the sink's insert failed ("invalid byte sequence for encoding UTF8: 0x00") and with it
     * the whole read, on the very rows DEAD_LETTER is for.
     */
    @Test
    void aRowWithANulByteCanBeDeadLetteredIntoPostgresql(DataSource ds) throws Exception {
        Path file = dir.resolve("nul_dead.csv");
        Files.write(file, bytes("id,name\n1,a", new byte[] {0}, "b\n2,ok\n3,\"c", new byte[] {0}, "\"\n"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table dead_letters (source text, record bigint, reason text, excerpt text,"
                    + " row_text text, primary key (source, record))");
        }
        BadRowSink toTable = bad -> {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "insert into dead_letters values (?, ?, ?, ?, ?)")) {
                ps.setString(1, bad.location().source());
                ps.setLong(2, bad.location().recordNumber().orElseThrow());
                ps.setString(3, bad.reason());
                ps.setString(4, bad.location().excerpt().orElse(null));
                ps.setString(5, bad.text());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        List<Record> good = Read.records(CsvSource.builder().path(file).onBadRow(OnBadRow.DEAD_LETTER, toTable)
                .type("name", FieldType.STRING));
        assertThat(good).containsExactly(Record.of(2L, "ok"));
        assertThat(count(ds, "select * from dead_letters where record = 1 and excerpt = 'a\uFFFDb'"
                + " and row_text = '1,a\uFFFDb' and reason like '%NUL%'")).isEqualTo(1);
        assertThat(count(ds, "select * from dead_letters where record = 3 and row_text = '3,\"c\uFFFD\"'"))
                .isEqualTo(1);
    }

    @Test
    void aByteUndefinedInWindows1252IsABadRow() throws IOException {
        Path file = dir.resolve("cp1252.csv");
        // 0x80 is the euro sign in windows-1252; 0x81 is undefined there
        Files.write(file, bytes("id,name\n1,", new byte[] {(byte) 0x80}, "\n2,x", new byte[] {(byte) 0x81}, "y\n"));
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).encoding(Charset.forName("windows-1252"))
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).containsExactly(Record.of(1L, "€"));
        assertThat(rejected).singleElement().satisfies(b -> {
            assertThat(b.location().line()).hasValue(3);
            assertThat(b.reason()).contains("invalid");
        });
    }

    @Test
    void malformedUtf16FailsTheReadNamingTheFileAndLine() throws IOException {
        // a known limit: a file in an encoding that is not ASCII-compatible is transcoded before it is parsed, so a
        // malformed sequence fails the whole read instead of being a bad row; the error names the file and line
        Path file = dir.resolve("bad16.csv");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("id,name\n1,a\n2,".getBytes(StandardCharsets.UTF_16LE));
        out.write(new byte[] {0x00, (byte) 0xD8});   // an unpaired high surrogate (U+D800, little-endian)
        out.write("x\n3,c\n".getBytes(StandardCharsets.UTF_16LE));
        Files.write(file, out.toByteArray());
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).encoding(StandardCharsets.UTF_16LE)
                .type("name", FieldType.STRING)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("bad16.csv line 3: ")
                .hasMessageContaining(" byte(s) that are not valid UTF-16LE; a file in an encoding")
                .satisfies(e -> assertThat(((BadInputException) e).location().line()).hasValue(3));
    }

    @Test
    void malformedUtf16FarIntoAFileNamesItsLineAcrossTheTranscodersBuffers() throws IOException {
        Path file = dir.resolve("long16.csv");
        StringBuilder good = new StringBuilder("id,name\n");
        for (int i = 1; i < 4000; i++) {   // lines 2..4000, ~100 kB of UTF-16: several 16 kB buffers
            good.append(i).append(",n\u00e4me ").append(i).append('\n');
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(good.append("4000,").toString().getBytes(StandardCharsets.UTF_16LE));
        out.write(new byte[] {0x00, (byte) 0xDC});   // a lone low surrogate on line 4001
        out.write("x\n4001,y\n".getBytes(StandardCharsets.UTF_16LE));
        Files.write(file, out.toByteArray());
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).encoding(StandardCharsets.UTF_16LE)
                .type("name", FieldType.STRING)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("long16.csv line 4001: ");
    }

    // ---------------------------------------------------------------------------------------------------------
    // line endings
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Excel for Mac's "CSV (Macintosh)" and other old tools end lines with a bare CR. Read as LF-terminated, such a
     * file was one header row with columns {@code name\r1} … and no data — no batch, no error: the whole file lost
     * silently. As PostgreSQL's COPY, a carriage return outside quotes is an error that says what to do; in a data
     * line it is a bad row naming the line and column.
     */
    @Test
    void bareCrLineEndingsAreALocatedErrorNotOneHeaderRowWithoutData() throws IOException {
        Path file = dir.resolve("mac.csv");
        Files.writeString(file, "id,name\r1,a\r2,b\r");
        try (CsvSource csv = CsvSource.builder().path(file).build()) {
            assertThatThrownBy(csv::schema).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("mac.csv line 1").hasMessageContaining("carriage return outside quotes")
                    .hasMessageContaining("LF or CRLF");
        }
        Path data = dir.resolve("cr_in_data.csv");
        Files.writeString(data, "id,name\n1,a\rb\n2,\"c\rd\"\n");
        try (CsvSource csv = CsvSource.builder().path(data).build()) {
            assertThatThrownBy(() -> csv.batches().forEach(b -> { }))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("cr_in_data.csv line 2 record 1")
                    .hasMessageContaining("column 'name'").hasMessageContaining("carriage return outside quotes");
        }
        // quoted, a carriage return is data
        Path quoted = dir.resolve("cr_quoted.csv");
        Files.writeString(quoted, "id,name\n2,\"c\rd\"\n");
        assertThat(Read.batches(CsvSource.builder().path(quoted)).get(0).records()).containsExactly(Record.of(2L, "c\rd"));
    }

    @Test
    void mixedLfAndCrlfEndingsAndATrailingEmptyLineGiveTheSameRecordsInParallel() throws IOException {
        Path file = dir.resolve("mixed.csv");
        Files.writeString(file, "id,v\r\n1,a\n2,\"x\r\ny\"\r\n\r\n3,b\r\n\r\n");
        List<RecordBatch> one = Read.batches(CsvSource.builder().path(file).chunkRows(1));
        assertThat(one.stream().flatMap(b -> b.records().stream()).toList())
                .containsExactly(Record.of(1L, "a"), Record.of(2L, "x\r\ny"), Record.of(3L, "b"));
        assertThat(Read.batches(CsvSource.builder().path(file).chunkRows(1).parallelism(3))).isEqualTo(one);
        // the quoted CRLF record spans lines 3-4, so the next record starts at or after line 5
        assertThat(one.get(1).position().orElseThrow().getLong("line")).contains(5L);
        assertThat(one.get(2).position().orElseThrow().getLong("record")).contains(3L);
    }

    // ---------------------------------------------------------------------------------------------------------
    // declared schema and header problems
    // ---------------------------------------------------------------------------------------------------------

    /** A declared {@code required} (NOT NULL) column: a row without a value breaks the schema like a bad type does. */
    @Test
    void anEmptyValueInARequiredColumnIsABadRowNamingTheColumn() throws IOException {
        Path file = write("required.csv", "id,name\n1,a\n,b\n3,c\n");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).schema(schema)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).containsExactly(Record.of(1L, "a"), Record.of(3L, "c"));
        assertThat(rejected).singleElement().satisfies(b -> {
            assertThat(b.location().line()).hasValue(3);
            assertThat(b.location().column()).contains("id");
        });
    }

    @Test
    void aSchemaMismatchNamesTheLineTheHeaderIsOnAfterCommentsAndBlankLines() throws IOException {
        Path file = write("commented.csv", "# exported by tool\n# 2024-01-01\n\nid,amount\n1,2\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("price", FieldType.DECIMAL).build();
        assertThatThrownBy(() -> CsvSource.builder().path(file).commentMarker('#').schema(schema).build().schema())
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.getMessage()).contains("no column 'amount'");
                    assertThat(e.location().line()).as("the header is on line 4").hasValue(4);
                });
    }

    @Test
    void byteOrderMarkBeforeAQuotedHeaderAndBeforeDataWithoutHeaderIsDropped() throws IOException {
        Path quoted = write("bomq.csv", "\uFEFF\"id\",\"name\"\r\n1,a\r\n");
        try (CsvSource csv = CsvSource.builder().path(quoted).parallelism(2).build()) {
            assertThat(csv.schema().names()).containsExactly("id", "name");
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList()).containsExactly(Record.of(1L, "a"));
        }
        Path noHeader = write("bomn.csv", "\uFEFF1,a\n2,b\n");
        try (CsvSource csv = CsvSource.builder().path(noHeader).header(Header.NONE).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[column_1 long, column_2 string]");
            assertThat(csv.batches().flatMap(b -> b.records().stream()).toList())
                    .containsExactly(Record.of(1L, "a"), Record.of(2L, "b"));
        }
    }

    /**
     * A file that starts with two UTF-8 byte-order marks (a tool that writes a mark before text that already begins
     * with one: PowerShell's Out-File -Encoding utf8, a re-save in Notepad of a file read without dropping its mark)
     * reads as with one: both are dropped, so the first column is 'id', not U+FEFF followed by 'id', a name that looks
     * like 'id' in every listing and that no query naming id finds. Before, only the first mark was dropped: the
     * header's first column was named "\uFEFFid", and without a header the first value was "\uFEFF1", which made
     * column_1 text. Resuming from every batch and split read the same.
     */
    @Test
    void twoByteOrderMarksAtTheStartAreDroppedAsOneIs(DataSource ds) throws Exception {
        Path file = write("two_marks.csv", "\uFEFF\uFEFFid,name\r\n1,a\r\n2,b\r\n3,c\r\n");
        List<RecordBatch> all = Read.batches(CsvSource.builder().path(file).chunkRows(1));
        assertThat(all.get(0).schema().names()).containsExactly("id", "name");
        assertThat(all.get(0).schema().field(0).type()).isEqualTo(FieldType.LONG);
        assertThat(all.stream().flatMap(b -> b.records().stream()).toList())
                .containsExactly(Record.of(1L, "a"), Record.of(2L, "b"), Record.of(3L, "c"));
        for (int i = 0; i < all.size(); i++) {
            assertThat(Read.batches(CsvSource.builder().path(file).chunkRows(1)
                    .resumeFrom(all.get(i).position().orElseThrow()))).as("after batch " + i)
                    .isEqualTo(all.subList(i + 1, all.size()));
        }
        Path noHeader = write("two_marks_no_header.csv", "\uFEFF\uFEFF1,a\n2,b\n");
        try (CsvSource csv = CsvSource.builder().path(noHeader).header(Header.NONE).build()) {
            assertThat(csv.schema().toString()).isEqualTo("[column_1 long, column_2 string]");
        }
        List<Path> chunks = CsvSource.split(file, dir.resolve("two_marks_chunks"), 2);
        assertThat(Files.readString(chunks.get(0))).isEqualTo("id,name\r\n1,a\r\n2,b\r\n");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table two_marks (id bigint, name text)");
        }
        insert(ds, "two_marks", 2, Read.records(CsvSource.builder().path(file)));
        assertThat(count(ds, "select * from two_marks where id = 1 and name = 'a'")).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // type parsing: only what PostgreSQL would accept
    // ---------------------------------------------------------------------------------------------------------

    /** PostgreSQL's numeric and bytea refuse non-ASCII digits ('１２３'::numeric is an error); BigDecimal takes them. */
    @Test
    void nonAsciiDigitsAreNotNumbersOrHexBytes() throws IOException {
        Path file = write("digits.csv", "id,amount,raw\n1,１２３,\\x00\n2,٤٥,\\x01\n3,7,\\x０１\n4,8.5,\\xff\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("amount", FieldType.DECIMAL)
                .add("raw", FieldType.BYTES).build();
        List<BadRow> rejected = new ArrayList<>();
        List<Record> good = Read.records(CsvSource.builder().path(file).schema(schema)
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add));
        assertThat(good).extracting(r -> r.get(0)).containsExactly(4L);
        assertThat(rejected).extracting(b -> b.location().column().orElse("?"))
                .containsExactly("amount", "amount", "raw");
    }

    /** The excerpt is cut to 80 characters so a message stays readable; the reason must not repeat a huge value. */
    @Test
    void aBadRowMessageStaysShortWhenTheBadValueIsHuge() throws IOException {
        Path file = write("huge.csv", "id,n\n1,2\n2," + "9".repeat(200_000) + "\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("n", FieldType.LONG).build();
        assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).schema(schema)))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().line()).hasValue(3);
                    assertThat(e.location().column()).contains("n");
                    assertThat(e.getMessage().length()).as("message length").isLessThan(1_000);
                });
    }

    // ---------------------------------------------------------------------------------------------------------
    // located errors after multi-line records, resume, escapes and comments
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void afterAResumeABadRowStillNamesItsPhysicalLineAndRecord() throws IOException {
        Path file = write("resume.csv", "id,note,n\n1,\"a\nb\",1\n2,\"c\r\nd\ne\",2\n3,x,3\n4,y,four\n5,z,5\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("note", FieldType.STRING)
                .add("n", FieldType.LONG).build();
        List<RecordBatch> first;
        try (CsvSource csv = CsvSource.builder().path(file).schema(schema).chunkRows(2).build()) {
            first = csv.batches().limit(1).toList();
        }
        SourcePosition committed = SourcePosition.fromJson(first.get(0).position().orElseThrow().toJson());
        assertThat(committed.getLong("line")).contains(7L);
        for (int threads : new int[] {1, 2}) {
            assertThatThrownBy(() -> Read.records(CsvSource.builder().path(file).schema(schema).chunkRows(2)
                    .parallelism(threads).resumeFrom(committed)))
                    .isInstanceOfSatisfying(BadInputException.class, e -> {
                        assertThat(e.location().line()).hasValue(8);
                        assertThat(e.location().recordNumber()).hasValue(4);
                        assertThat(e.location().column()).contains("n");
                        assertThat(e.location().excerpt()).contains("four");
                    });
        }
    }

    @Test
    void escapedNewlinesAndCommentsKeepLineNumbersExactInParallel() throws IOException {
        Path escaped = write("esc.csv", "id,v\n1,a\\\nb\n2,\"q\\\"\nr\"\n3,d,extra\n4,e\n");
        for (int threads : new int[] {1, 2}) {
            List<BadRow> rejected = new ArrayList<>();
            List<Record> good = Read.records(CsvSource.builder().path(escaped).escape('\\').type("v", FieldType.STRING)
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add).chunkRows(1).parallelism(threads));
            assertThat(good).containsExactly(Record.of(1L, "a\nb"), Record.of(2L, "q\"\nr"), Record.of(4L, "e"));
            assertThat(rejected).singleElement().satisfies(b -> {
                assertThat(b.location().line()).hasValue(6);
                assertThat(b.location().recordNumber()).hasValue(3);
            });
        }
        Path commented = write("cmt.csv", "id,v\n# top\n1,\"x\n# not a comment\"\n#c, with \"quote\n2,y\n3,z,extra\n");
        for (int threads : new int[] {1, 3}) {
            List<BadRow> rejected = new ArrayList<>();
            List<Record> good = Read.records(CsvSource.builder().path(commented).commentMarker('#')
                    .onBadRow(OnBadRow.DEAD_LETTER, rejected::add).chunkRows(1).parallelism(threads));
            assertThat(good).containsExactly(Record.of(1L, "x\n# not a comment"), Record.of(2L, "y"));
            assertThat(rejected).singleElement().satisfies(b -> {
                assertThat(b.location().line()).hasValue(7);
                assertThat(b.location().recordNumber()).hasValue(3);
            });
        }
    }

    /**
     * With an escape character a carriage return can be data outside quotes: written as an escape ({@code \r}, as
     * MySQL's SELECT … INTO OUTFILE writes one) or escaped itself. At the end of a record's last field it was taken
     * for the CR of a CRLF line end and dropped, so 'a\r' arrived as 'a'; only an unescaped CR before the LF is one.
     */
    @Test
    void anEscapedCarriageReturnEndingTheLastFieldIsDataNotALineEnd() throws IOException {
        Path file = write("cr_esc.csv", "id,v\n1,a\\r\n2,b\\\r\n3,c\\r\r\n4,\"d\\r\"\n5,e\\r");
        List<Record> records = Read.records(CsvSource.builder().path(file).escape('\\'));
        assertThat(records).containsExactly(Record.of(1L, "a\r"), Record.of(2L, "b\r"), Record.of(3L, "c\r"),
                Record.of(4L, "d\r"), Record.of(5L, "e\r"));
    }

    /**
     * MySQL's SELECT … INTO OUTFILE (FIELDS ESCAPED BY '\\') writes NULL as {@code \N}; read with that escape and
     * null string, it must be NULL. The null string is compared with the field as written, before escapes are
     * undone (as PostgreSQL's COPY does), so {@code \\N} is the text \N and a plain N stays N.
     */
    @Test
    void anEscapedNullStringSuchAsMysqlsBackslashNIsNullNotItsUnescapedText() throws IOException {
        Path file = write("mysql.csv", "id,name,n\n1,\\N,\\N\n2,a\\,b,5\n3,N,\\N\r\n4,\\\\N,7\n5,\"\\N\",8\n");
        for (UnaryOperator<CsvSource.Builder> reading : READINGS) {
            List<Record> records = Read.records(reading.apply(CsvSource.builder().path(file).escape('\\')
                    .nullString("\\N")));
            assertThat(records).containsExactly(
                    Record.of(1L, null, null),
                    Record.of(2L, "a,b", 5L),
                    Record.of(3L, "N", null),
                    Record.of(4L, "\\N", 7L),
                    Record.of(5L, "N", 8L));
        }
    }

    @Test
    void aQuotedNullStringIsTextAndAnUnquotedOneIsNull() throws IOException {
        Path file = write("nulls.csv", "id,v,n\n1,NULL,NULL\n2,\"NULL\",\n3,,\"\"\n4,\"\",5\n");
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("v", FieldType.STRING)
                .add("n", FieldType.LONG).build();
        List<Record> records = Read.records(CsvSource.builder().path(file).schema(schema).nullString("NULL"));
        assertThat(records).containsExactly(
                Record.of(1L, null, null),
                Record.of(2L, "NULL", null),
                Record.of(3L, "", null),
                Record.of(4L, "", 5L));
    }

    // ---------------------------------------------------------------------------------------------------------
    // split
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void splitOfACrlfFileWithBomBlankLinesAndNoFinalNewlineReadsBackTheSameRecords() throws IOException {
        Path file = write("orders.csv", "\uFEFFid,v\r\n1,a\r\n\r\n2,\"b\r\nc\"\r\n3,\"\"\"\"\r\n4,d");
        List<Path> chunks = CsvSource.split(file, dir.resolve("parts"), 2);
        assertThat(chunks).hasSize(2);
        List<Record> fromChunks = new ArrayList<>();
        for (Path chunk : chunks) {
            byte[] bytes = Files.readAllBytes(chunk);
            assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("id,v\r\n").endsWith("\r\n");
            fromChunks.addAll(Read.records(CsvSource.builder().path(chunk).type("v", FieldType.STRING)));
        }
        assertThat(fromChunks).containsExactly(Record.of(1L, "a"), Record.of(2L, "b\r\nc"), Record.of(3L, "\""),
                Record.of(4L, "d"));
        assertThat(fromChunks).isEqualTo(Read.records(CsvSource.builder().path(file).type("v", FieldType.STRING)));
    }

    /**
     * A file whose lines end in a bare CR, or whose header opens a quote it never closes, is one header record: split
     * wrote no chunk and returned an empty list, as for a file without records, so a pipeline loading the chunks
     * loaded nothing, silently. The header is parsed as the reader parses it, and a bad one refuses the split.
     */
    @Test
    void splitRefusesAFileWhoseHeaderIsMalformedInsteadOfReturningNoChunks() throws IOException {
        Path out = dir.resolve("parts");
        Path mac = write("mac.csv", "id,name\r1,a\r2,b\r");
        assertThatThrownBy(() -> CsvSource.split(mac, out, 1)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.getMessage()).contains("mac.csv line 1").contains("header")
                    .contains("carriage return outside quotes");
        });
        Path open = write("open.csv", "id,\"name\n1,a\n2,b\n");
        assertThatThrownBy(() -> CsvSource.split(open, out, 1)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.getMessage()).contains("open.csv line 1").contains("header").contains("unbalanced quote");
        });
        // a header-only file and an empty one still split into no chunks
        assertThat(CsvSource.split(write("header.csv", "id,name\r\n"), out, 1)).isEmpty();
        assertThat(CsvSource.split(write("empty.csv", ""), out, 1)).isEmpty();
        // bytes are copied: a header that is not UTF-8 (a Latin-1 export) still splits
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, bytes("id,Gr", new byte[] {(byte) 0xF6, (byte) 0xDF}, "e\n1,2\n"));
        List<Path> chunks = CsvSource.split(latin1, out, 1);
        assertThat(chunks).hasSize(1);
        assertThat(Read.records(CsvSource.builder().path(chunks.get(0)).encoding(StandardCharsets.ISO_8859_1)))
                .containsExactly(Record.of(1L, 2L));
    }

    /**
     * split copies records by their bytes, cut after each LF byte outside quotes: in UTF-16 or UTF-32 a line feed is
     * two or four bytes (0A 00 in UTF-16LE), and 0A or 22 bytes are parts of other characters (U+0A22 is 0A 22 in
     * UTF-16BE), so the cuts fall inside characters. Such a file is refused before anything is written, not cut into
     * chunks that cannot be read back.
     */
    @Test
    void splitRefusesAUtf16OrUtf32FileInsteadOfCuttingItInsideCharacters() throws IOException {
        Path out = dir.resolve("parts16");
        String text = "id,name\n1,\u00e4\n2,b\n3,c\n";
        for (Charset cs : List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                Charset.forName("UTF-32"), Charset.forName("UTF-32LE"))) {
            Path file = dir.resolve("wide_" + cs.name() + ".csv");
            Files.write(file, text.getBytes(cs));
            assertThatThrownBy(() -> CsvSource.split(file, out, 1)).as(cs.name())
                    .isInstanceOfSatisfying(BadInputException.class, e -> assertThat(e.getMessage())
                            .contains(file.getFileName() + " line 1").contains("UTF-16").contains("nothing was split"));
            assertThat(out).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
        }
        // a header of only non-ASCII characters has no NUL byte in UTF-16: its byte-order mark tells
        Path cjk = dir.resolve("cjk.csv");
        Files.write(cjk, "\u540d\u524d\n\u5c71\n".getBytes(StandardCharsets.UTF_16));
        assertThatThrownBy(() -> CsvSource.split(cjk, out, 1)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("cjk.csv line 1").hasMessageContaining("byte-order mark");
        // UTF-8 with its mark still splits, the mark dropped
        Path utf8 = dir.resolve("utf8.csv");
        Files.write(utf8, ("\uFEFF" + text).getBytes(StandardCharsets.UTF_8));
        assertThat(CsvSource.split(utf8, out, 2)).hasSize(2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------------------

    /** COPYs the file into a new table of {@code columns} text columns, and reads it back in file order. */
    private static List<List<String>> copyAsText(DataSource ds, String table, Path file, int columns)
            throws SQLException, IOException {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
            cols.add("c" + i);
        }
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table " + table + " (seq bigserial, "
                    + cols.stream().map(x -> x + " text").collect(Collectors.joining(", ")) + ")");
            try (var in = Files.newInputStream(file)) {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy " + table + " (" + String.join(", ", cols)
                        + ") from stdin (format csv, header true)", in);
            }
            try (ResultSet rs = st.executeQuery("select " + String.join(", ", cols) + " from " + table
                    + " order by seq")) {
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= columns; i++) {
                        row.add(rs.getString(i));
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private static void insert(DataSource ds, String table, int width, List<Record> records) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(width, "?"));
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("insert into " + table + " values (" + marks + ")")) {
            for (Record r : records) {
                for (int i = 0; i < width; i++) {
                    ps.setObject(i + 1, r.get(i));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static long count(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from (" + query + ") q")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<List<String>> strings(List<RecordBatch> batches) {
        List<List<String>> out = new ArrayList<>();
        for (RecordBatch b : batches) {
            for (Record r : b.records()) {
                List<String> row = new ArrayList<>();
                r.values().forEach(v -> row.add((String) v));
                out.add(row);
            }
        }
        return out;
    }

    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof String s ? s.getBytes(StandardCharsets.US_ASCII) : (byte[]) p;
            out.write(b, 0, b.length);
        }
        return out.toByteArray();
    }

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }
}
