package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's {@code infinity} and {@code -infinity} in date, timestamp and timestamptz columns, carried as pgjdbc
 * reads them ({@code LocalDate.MAX}, {@code LocalDateTime.MIN}, {@code OffsetDateTime.MAX}, {@code Instant.MIN} ...),
 * load as PostgreSQL's infinities in every mode, by binary COPY and by text COPY, as values, keys and cursors.
 */
@MdsPostgres
class InfinityTest {
    static final Schema VALUES = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.DATE)
            .add("ts", FieldType.TIMESTAMP).add("ts0", FieldType.TIMESTAMP).add("tz", FieldType.TIMESTAMPTZ).build();
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static List<Record> infinities() {
        return List.of(
                Record.of(1L, LocalDate.MAX, LocalDateTime.MAX, LocalDateTime.MAX, OffsetDateTime.MAX),
                Record.of(2L, LocalDate.MIN, LocalDateTime.MIN, LocalDateTime.MIN, OffsetDateTime.MIN),
                Record.of(3L, LocalDate.of(2024, 2, 29), LocalDateTime.of(2024, 2, 29, 12, 0), LocalDateTime.of(2024, 2, 29, 12, 0),
                        Instant.MAX),
                Record.of(4L, null, null, null, Instant.MIN));
    }

    /** {@code id:d/ts/ts0/tz} as PostgreSQL prints them, in key order. */
    static List<String> texts(DataSource ds, String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select id, d::text, ts::text, ts0::text, tz = 'infinity', tz = '-infinity' from "
                        + table + " order by id")) {
            while (rs.next()) {
                out.add(rs.getLong(1) + ":" + rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getString(4) + "/"
                        + (rs.getBoolean(5) ? "infinity" : rs.getBoolean(6) ? "-infinity" : "finite"));
            }
        }
        return out;
    }

    static final List<String> EXPECTED = List.of("1:infinity/infinity/infinity/infinity",
            "2:-infinity/-infinity/-infinity/-infinity", "3:2024-02-29/2024-02-29 12:00:00/2024-02-29 12:00:00/infinity",
            "4:null/null/null/-infinity");

    /**
     * Every mode, by binary COPY (the columns all have a binary encoding) and by text COPY (an {@code inet} column has
     * none): the MAX and MIN values arrive as infinity and -infinity, a {@code timestamp(0)} column takes
     * {@code LocalDateTime.MAX} (whose nanoseconds stand for infinity, not for a fraction to round), and pgjdbc reads
     * them back as the MAX and MIN they were. Before, a date's MAX was refused as out of range and a timestamp's
     * wrapped or was refused.
     */
    @Test
    void infinitiesLoadAsPostgresInfinitiesInEveryModeByBinaryAndTextCopy(DataSource ds) throws Exception {
        for (SyncMode mode : List.of(SyncMode.APPEND, SyncMode.OVERWRITE, SyncMode.MERGE)) {
            for (boolean text : List.of(false, true)) {
                String table = "raw.inf_" + mode.name().toLowerCase() + (text ? "_text" : "_binary");
                List<String> columns = new ArrayList<>(List.of("id bigint primary key", "d date", "ts timestamp",
                        "ts0 timestamp(0)", "tz timestamptz"));
                if (text) {
                    columns.add("addr inet");
                }
                TableFixture.on(ds, table).columns(columns.toArray(String[]::new)).rows();
                MergeLoader.Builder b = MergeLoader.into(ds, table).mode(mode);
                if (mode == SyncMode.MERGE) {
                    b.key("id");
                }
                MergeLoader loader = b.build();
                loader.load(RecordBatch.of(VALUES, infinities()));
                if (mode != SyncMode.APPEND) {
                    loader.load(RecordBatch.of(VALUES, infinities()));   // again: overwritten, or merged unchanged
                }
                assertThat(texts(ds, table)).as(table).containsExactlyElementsOf(EXPECTED);
            }
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select d, ts, tz from raw.inf_merge_binary where id in (1, 2) order by id")) {
            rs.next();
            assertThat(rs.getObject(1, LocalDate.class)).isEqualTo(LocalDate.MAX);
            assertThat(rs.getObject(2, LocalDateTime.class)).isEqualTo(LocalDateTime.MAX);
            assertThat(rs.getObject(3, OffsetDateTime.class)).isEqualTo(OffsetDateTime.MAX);
            rs.next();
            assertThat(rs.getObject(1, LocalDate.class)).isEqualTo(LocalDate.MIN);
            assertThat(rs.getObject(2, LocalDateTime.class)).isEqualTo(LocalDateTime.MIN);
            assertThat(rs.getObject(3, OffsetDateTime.class)).isEqualTo(OffsetDateTime.MIN);
        }
    }

    /**
     * Keys of date, timestamp and timestamptz holding infinity merge as one key with themselves: a second batch
     * updates them, and {@code OffsetDateTime.MAX} and {@code Instant.MAX} (both infinity, though not one instant in
     * Java) are one key, so a batch holding both collapses them instead of failing the MERGE on a key met twice.
     */
    @Test
    void infinityKeysMergeAsOneKeyWhateverTheirJavaClass(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("d", FieldType.DATE).required("ts", FieldType.TIMESTAMP)
                .required("tz", FieldType.TIMESTAMPTZ).add("v", FieldType.STRING).build();
        TableFixture.on(ds, "raw.inf_keys").columns("d date", "ts timestamp", "tz timestamptz", "v text",
                "primary key (d, ts, tz)").rows();
        MergeLoader loader = MergeLoader.into(ds, "raw.inf_keys").key("d", "ts", "tz").build();
        LocalDate day = LocalDate.of(2024, 1, 1);
        LocalDateTime noon = day.atTime(12, 0);
        LoadResult first = loader.load(RecordBatch.of(schema, List.of(
                Record.of(LocalDate.MAX, LocalDateTime.MAX, OffsetDateTime.MAX, "max"),
                Record.of(LocalDate.MIN, LocalDateTime.MIN, Instant.MIN, "min"),
                Record.of(day, noon, Instant.parse("2024-01-01T12:00:00Z"), "finite"))));
        assertThat(first.inserted()).isEqualTo(3);
        LoadResult second = loader.load(RecordBatch.of(schema, List.of(
                Record.of(LocalDate.MAX, LocalDateTime.MAX, Instant.MAX, "max, once"),
                Record.of(LocalDate.MAX, LocalDateTime.MAX, OffsetDateTime.MAX, "max, twice"),
                Record.of(LocalDate.MIN, LocalDateTime.MIN, OffsetDateTime.MIN, "min again"))));
        assertThat(second.updated()).isEqualTo(2);
        assertThat(second.inserted()).isZero();
        List<String> rows = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select d::text, ts::text, tz = 'infinity' or tz = '-infinity', v from raw.inf_keys"
                        + " order by d")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getBoolean(3) + " " + rs.getString(4));
            }
        }
        assertThat(rows).containsExactly("-infinity -infinity true min again", "2024-01-01 2024-01-01 12:00:00 false finite",
                "infinity infinity true max, twice");
    }

    /** A cursor of infinity is newer than any finite one, -infinity older: the batch keeps the record with the newest. */
    @Test
    void aCursorOfInfinityIsNewerThanAnyFiniteCursor(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("valid_to", FieldType.TIMESTAMP)
                .add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.inf_cursor").key("id").cursor("valid_to").build();
        loader.load(RecordBatch.of(schema, List.of(
                Record.of(1L, LocalDateTime.MAX, "current"),
                Record.of(1L, LocalDateTime.of(2024, 1, 1, 0, 0), "closed"),
                Record.of(2L, LocalDateTime.of(2024, 1, 1, 0, 0), "closed"),
                Record.of(2L, LocalDateTime.MIN, "never"))));
        assertThat(LoadEdgeCasesTest.text(ds, "select string_agg(id || ' ' || valid_to || ' ' || v, ', ' order by id)"
                + " from raw.inf_cursor")).isEqualTo("1 infinity current, 2 2024-01-01 00:00:00 closed");
    }

    /**
     * CDC events with a date key of infinity, and updates that change a value to infinity and back: the target
     * follows each one, and a delete of the infinity key removes its row.
     */
    @Test
    void cdcCarriesInfinityKeysAndUpdatesToAndFromInfinity(DataSource ds) throws Exception {
        TableName src = TableName.of("app", "scd");
        Schema schema = Schema.builder().required("valid_from", FieldType.DATE).add("valid_to", FieldType.TIMESTAMPTZ)
                .add("seen", FieldType.TIMESTAMP).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.inf_cdc").mode(SyncMode.CDC).build();
        LocalDate day = LocalDate.of(2024, 1, 1);
        OffsetDateTime end = OffsetDateTime.parse("2025-01-01T00:00:00Z");
        loader.load(new ChangeBatch(src, schema, List.of("valid_from"), List.of(
                ChangeEvent.create(src, Record.of(LocalDate.MAX), Record.of(LocalDate.MAX, OffsetDateTime.MAX, LocalDateTime.MIN),
                        new EventPosition(10, 10), T),
                ChangeEvent.create(src, Record.of(day), Record.of(day, end, LocalDateTime.of(2024, 1, 1, 0, 0)),
                        new EventPosition(20, 20), T)), Optional.empty()));
        assertThat(LoadEdgeCasesTest.text(ds, "select string_agg(valid_from || ' ' || (valid_to = 'infinity') || ' ' || seen, ', '"
                + " order by valid_from) from raw.inf_cdc")).isEqualTo("2024-01-01 false 2024-01-01 00:00:00, infinity true -infinity");
        loader.load(new ChangeBatch(src, schema, List.of("valid_from"), List.of(
                ChangeEvent.update(src, Record.of(day), Record.of(day, Instant.MAX, LocalDateTime.MAX), new EventPosition(30, 30), T),
                ChangeEvent.update(src, Record.of(LocalDate.MAX), Record.of(LocalDate.MAX, end, LocalDateTime.of(2024, 6, 1, 0, 0)),
                        new EventPosition(40, 40), T)), Optional.empty()));
        assertThat(LoadEdgeCasesTest.text(ds, "select string_agg(valid_from || ' ' || (valid_to = 'infinity') || ' ' || seen, ', '"
                + " order by valid_from) from raw.inf_cdc")).isEqualTo("2024-01-01 true infinity, infinity false 2024-06-01 00:00:00");
        loader.load(new ChangeBatch(src, schema, List.of("valid_from"), List.of(
                ChangeEvent.delete(src, Record.of(LocalDate.MAX), new EventPosition(50, 50), T)), Optional.empty()));
        assertThat(LoadEdgeCasesTest.text(ds, "select string_agg(valid_from::text, ', ') from raw.inf_cdc")).isEqualTo("2024-01-01");
    }
}
