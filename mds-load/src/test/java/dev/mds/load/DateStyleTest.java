package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Text into a date or timestamp column (a CSV source's strings) is read the same whatever the session's DateStyle:
 * year first, as {@code DateStyle 'ISO, YMD'} reads it, unless the loader is told otherwise ({@link DateOrder}).
 * Before, '11-07-2023' became 2023-11-07 under PostgreSQL's default 'ISO, MDY' and 2023-07-11 under 'ISO, DMY', and
 * '18-07-2023' was refused under the one and loaded under the other.
 */
@MdsPostgres
class DateStyleTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.STRING)
            .add("ts", FieldType.STRING).build();
    static final List<String> SESSION_STYLES = List.of("ISO, MDY", "ISO, DMY", "ISO, YMD");

    static String dateStyle(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show DateStyle")) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void set(Connection c, String style) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("set DateStyle = '" + style + "'");
        }
    }

    @Test
    void textDatesAreReadYearFirstWhateverTheSessionsDateStyle(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_dates (id bigint primary key, d date, ts timestamp)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ds_dates").key("id").build();
        LocalDate day = LocalDate.of(2023, 7, 11);
        LocalDateTime ten = LocalDateTime.of(2023, 7, 11, 10, 0);
        for (String style : SESSION_STYLES) {
            try (Connection c = ds.getConnection()) {
                set(c, style);
                loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "2023-07-11", "2023-07-11 10:00"),
                        Record.of(2L, "2023/07/11", "2023-07-11T10:00:00"), Record.of(3L, "20230711", "20230711 100000"),
                        Record.of(4L, "July 11, 2023", "11 Jul 2023 10:00"), Record.of(5L, "11 July 2023", "July 11 2023 10:00"))), c);
                assertThatTable(ds, "raw.ds_dates").as(style).columns("id", "d", "ts").containsExactlyInAnyOrder(
                        row(1L, day, ten), row(2L, day, ten), row(3L, day, ten), row(4L, day, ten), row(5L, day, ten));

                for (String[] bad : List.of(new String[] {"11-07-2023", "d"}, new String[] {"18-07-2023", "d"},
                        new String[] {"07/11/2023", "d"}, new String[] {"11.07.2023 10:00", "ts"})) {
                    Record r = bad[1].equals("d") ? Record.of(7L, bad[0], "2023-07-11 10:00") : Record.of(7L, "2023-07-11", bad[0]);
                    assertThatThrownBy(() -> loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(6L, "2023-07-12", null), r)), c))
                            .as(style + " " + bad[0]).isInstanceOfSatisfying(BadInputException.class, e -> assertThat(e)
                                    .hasMessageStartingWith("raw.ds_dates record 2 (key id=7), column '" + bad[1] + "': ")
                                    .hasMessageContaining("\"" + bad[0] + "\"")
                                    .hasMessageContaining("give dates year first (ISO 8601: 2023-07-11)"));
                }
                assertThat(dateStyle(c)).as("the session keeps its DateStyle").isEqualTo(style);
            }
        }
        assertThatTable(ds, "raw.ds_dates").hasRowCount(5);
    }

    /** sql() shows the DateStyle a load of text dates runs with, first; a batch of typed dates pins none. */
    @Test
    void sqlShowsTheDateStyleALoadOfTextDatesRunsWith(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_shown (id bigint primary key, d date, ts timestamp)");
        String pin = "select set_config('DateStyle', 'ISO, YMD', true)";
        assertThat(MergeLoader.into(ds, "raw.ds_shown").key("id").build().sql(SCHEMA)).first().isEqualTo(pin);
        assertThat(MergeLoader.into(ds, "raw.ds_shown").key("id").mode(SyncMode.APPEND).build().sql(SCHEMA)).first()
                .isEqualTo(pin);
        assertThat(MergeLoader.into(ds, "raw.ds_shown").key("id").dateOrder(DateOrder.DAY_FIRST).build().sql(SCHEMA))
                .first().isEqualTo("select set_config('DateStyle', 'ISO, DMY', true)");
        Schema typed = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.DATE).add("ts", FieldType.TIMESTAMP).build();
        assertThat(MergeLoader.into(ds, "raw.ds_shown").key("id").build().sql(typed)).noneMatch(s -> s.contains("DateStyle"));
        Schema noDates = Schema.builder().required("id", FieldType.LONG).build();
        assertThat(MergeLoader.into(ds, "raw.ds_shown").key("id").build().sql(noDates)).noneMatch(s -> s.contains("DateStyle"));
    }

    /** In the caller's transaction the load sets DateStyle for itself only: the transaction has its own after it. */
    @Test
    void aLoadInTheCallersTransactionLeavesItsDateStyleAsItWas(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_joined (id bigint primary key, d date)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ds_joined").key("id").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            set(c, "ISO, DMY");
            LoadResult r = loader.load(RecordBatch.of(Schema.builder().required("id", FieldType.LONG).add("d", FieldType.STRING)
                    .build(), List.of(Record.of(1L, "2023-07-11"))), c);
            assertThat(r.inserted()).isEqualTo(1);
            assertThat(dateStyle(c)).isEqualTo("ISO, DMY");
            c.commit();
        }
        assertThatTable(ds, "raw.ds_joined").columns("id", "d").containsExactlyInAnyOrder(row(1L, LocalDate.of(2023, 7, 11)));
    }

    @Test
    void deadLetterSetsAsideDayFirstDatesNamingThemAndLoadsTheRest(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_dead (id bigint primary key, d date, ts timestamptz)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ds_dead").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        try (Connection c = ds.getConnection()) {
            set(c, "ISO, DMY");
            LoadResult r = loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "2023-07-11", null),
                    Record.of(2L, "11-07-2023", null), Record.of(3L, "18-07-2023", null), Record.of(4L, "2023-07-20", null))), c);
            assertThat(r.inserted()).isEqualTo(2);
            assertThat(r.rejected()).isEqualTo(2);
        }
        assertThatTable(ds, "raw.ds_dead").columns("id", "d").containsExactlyInAnyOrder(row(1L, LocalDate.of(2023, 7, 11)),
                row(4L, LocalDate.of(2023, 7, 20)));
        assertThat(TestSql.strings(ds, "select record_number || ' ' || key || ' ' || reason from raw.ds_dead_rejected order by record_number"))
                .satisfiesExactly(
                        s -> assertThat(s).startsWith("2 id=2 ").contains("\"11-07-2023\"").contains("give dates year first"),
                        s -> assertThat(s).startsWith("3 id=3 ").contains("\"18-07-2023\"").contains("give dates year first"));
    }

    /** A loader told the source writes dates day first reads them so, whatever the session's DateStyle. */
    @Test
    void aLoaderToldTheDateOrderReadsItWhateverTheSession(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_dmy (id bigint primary key, d date, ts timestamp)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ds_dmy").key("id").dateOrder(DateOrder.DAY_FIRST).build();
        for (String style : SESSION_STYLES) {
            try (Connection c = ds.getConnection()) {
                set(c, style);
                loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "11-07-2023", "11/07/2023 10:00"),
                        Record.of(2L, "2023-07-18", "18.07.2023 10:00"))), c);
                assertThat(dateStyle(c)).isEqualTo(style);
            }
            assertThatTable(ds, "raw.ds_dmy").as(style).columns("id", "d", "ts").containsExactlyInAnyOrder(
                    row(1L, LocalDate.of(2023, 7, 11), LocalDateTime.of(2023, 7, 11, 10, 0)),
                    row(2L, LocalDate.of(2023, 7, 18), LocalDateTime.of(2023, 7, 18, 10, 0)));
        }
    }

    /**
     * Decided, not changed: text without an offset into a timestamptz column is read in the session's TimeZone (as
     * PostgreSQL's COPY and cast read it; pgjdbc sets it to the JVM's default zone), while text with an offset is
     * the same instant in every session. The load does not pin TimeZone: it would change the local time a
     * {@code timestamp} load timestamp column is documented to hold. Give the offset, or set the pool's TimeZone.
     */
    @Test
    void zonelessTextIntoTimestamptzIsReadInTheSessionsTimeZoneAndTextWithAnOffsetIsNot(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_tz (id bigint primary key, d date, ts timestamptz)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ds_tz").key("id").build();
        for (String zone : List.of("UTC", "Asia/Tokyo")) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("set TimeZone = '" + zone + "'");
                loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(zone.equals("UTC") ? 1L : 2L, null, "2023-07-11 10:00"),
                        Record.of(zone.equals("UTC") ? 3L : 4L, null, "2023-07-11 10:00+00"))), c);
            }
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from raw.ds_tz order by id"))
                .containsExactly("1 2023-07-11 10:00", "2 2023-07-11 01:00", "3 2023-07-11 10:00", "4 2023-07-11 10:00");
    }

    /**
     * A column whose type is a domain over date or timestamp (also over another such domain, over date[], or an array
     * of such a domain) takes text in the loader's date order too. Before, only the built-in type names were known as
     * dates, so such text was read in the session's DateStyle: with 'ISO, DMY' (pgjdbc allows only ISO output) and a
     * loader told the dates are month first, '04/03/2024' landed as 4 March instead of 3 April.
     */
    @Test
    void textIntoADomainOverADateIsReadInTheLoadersDateOrder(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create domain raw.ds_day as date check (value > '2000-01-01');"
                + " create domain raw.ds_day2 as raw.ds_day; create domain raw.ds_moment as timestamptz;"
                + " create domain raw.ds_days as date[];"
                + " create table raw.ds_domains (id bigint primary key, d raw.ds_day, d2 raw.ds_day2, ts raw.ds_moment,"
                + " da raw.ds_days, dd raw.ds_day[])");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.STRING).add("d2", FieldType.STRING)
                .add("ts", FieldType.STRING).add("da", FieldType.STRING).add("dd", FieldType.STRING).build();
        LocalDate april3 = LocalDate.of(2024, 4, 3);
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            TestSql.sql(ds, "truncate raw.ds_domains");
            MergeLoader loader = MergeLoader.into(ds, "raw.ds_domains").key("id").mode(mode)
                    .dateOrder(DateOrder.MONTH_FIRST).build();
            try (Connection c = ds.getConnection()) {
                set(c, "ISO, DMY");
                loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "04/03/2024", "04/03/2024", "04/03/2024 10:00+00",
                        "{04/03/2024}", "{04/03/2024}"))), c);
                assertThat(dateStyle(c)).isEqualTo("ISO, DMY");
            }
            assertThat(TestSql.strings(ds, "select d || ' ' || d2 || ' ' || to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI')"
                    + " || ' ' || da[1] || ' ' || dd[1] from raw.ds_domains")).as(mode.toString())
                    .containsExactly("2024-04-03 2024-04-03 2024-04-03 10:00 2024-04-03 2024-04-03");
            assertThat(loader.sql(schema)).as(mode.toString()).first()
                    .isEqualTo("select set_config('DateStyle', 'ISO, MDY', true)");
        }
        assertThatTable(ds, "raw.ds_domains").columns("id", "d").containsExactlyInAnyOrder(row(1L, april3));
    }

    /** Change events carrying dates as text (a source sending strings) are read the same way. */
    @Test
    void aChangeBatchsTextDatesAreReadYearFirstToo(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ds_cdc (id bigint primary key, d date, ts timestamp)");
        MergeLoader loader = MergeLoader.into(ds, dev.mds.core.TableName.of("raw", "ds_cdc")).mode(SyncMode.CDC).build();
        dev.mds.core.TableName src = dev.mds.core.TableName.of("app", "t");
        java.time.Instant t = java.time.Instant.parse("2026-01-01T00:00:00Z");
        try (Connection c = ds.getConnection()) {
            set(c, "ISO, DMY");
            loader.load(new dev.mds.core.ChangeBatch(src, SCHEMA, List.of("id"), List.of(dev.mds.core.ChangeEvent.create(src,
                    Record.of(1L), Record.of(1L, "2023/07/11", null), new dev.mds.core.EventPosition(10, 10), t)),
                    java.util.Optional.empty()), c);
            assertThatThrownBy(() -> loader.load(new dev.mds.core.ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                    dev.mds.core.ChangeEvent.create(src, Record.of(2L), Record.of(2L, "11-07-2023", null),
                            new dev.mds.core.EventPosition(20, 20), t)), java.util.Optional.empty()), c))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("column 'd'")
                    .hasMessageContaining("\"11-07-2023\"").hasMessageContaining("give dates year first");
            assertThat(dateStyle(c)).isEqualTo("ISO, DMY");
        }
        assertThatTable(ds, "raw.ds_cdc").columns("id", "d").containsExactlyInAnyOrder(row(1L, LocalDate.of(2023, 7, 11)));
    }
}
