package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Typed values in a column of another type, as a stream whose type inference differs between two files gives them: a
 * text column takes any value as its canonical text, an integer column a decimal without fraction, and a double
 * precision column refuses a number it would round.
 */
@dev.mds.testing.MdsPostgres
class TypedValuesTest {

    private static final Schema TYPED = Schema.builder().required("id", FieldType.INT).add("i", FieldType.INT)
            .add("l", FieldType.LONG).add("dec", FieldType.DECIMAL).add("dbl", FieldType.DOUBLE)
            .add("b", FieldType.BOOLEAN).add("d", FieldType.DATE).add("tm", FieldType.TIME)
            .add("ts", FieldType.TIMESTAMP).add("tz", FieldType.TIMESTAMPTZ).add("u", FieldType.UUID)
            .add("bytes", FieldType.BYTES).add("ints", FieldType.arrayOf(FieldType.INT))
            .add("texts", FieldType.arrayOf(FieldType.STRING)).build();

    private static final List<Record> ROWS = List.of(
            Record.of(1, 42, Long.MAX_VALUE, new BigDecimal("1.50"), 0.1, true, LocalDate.of(2024, 3, 1),
                    LocalTime.of(10, 0), LocalDateTime.of(2024, 3, 1, 10, 0), OffsetDateTime.of(2024, 3, 1, 10, 0, 0, 0,
                            ZoneOffset.ofHours(1)), UUID.fromString("0E8400E2-9B41-4D4A-A716-446655440000"),
                    new byte[] {10, -1}, List.of(1, 2), Arrays.asList("a", "b c", null, "", "NULL", "q\"\\", "{x}")),
            Record.of(2, -7, -1L, new BigDecimal("1E+3"), 1e20, false, LocalDate.of(-43, 3, 15),
                    LocalTime.of(23, 59, 59, 500_000_000), LocalDateTime.of(2024, 3, 1, 10, 0, 0, 123_400_000),
                    Instant.parse("2024-07-01T23:30:00.000001Z"), null, new byte[0], List.of(), List.of("x")),
            Record.of(3, 0, 0L, new BigDecimal("-0.000"), 1.5e-7, null, LocalDate.MAX, LocalTime.MIDNIGHT,
                    LocalDateTime.MIN, OffsetDateTime.MAX, null, null, null, null),
            Record.of(4, null, null, new BigDecimal("123456789012345678901234567890.123"), 123456789012345.0, null,
                    LocalDate.of(12345, 1, 2), null, LocalDateTime.of(-43, 3, 15, 1, 2, 3), null, null, null, null, null),
            Record.of(5, null, null, null, 1e15, null, null, null, null, null, null, null, null, null),
            Record.of(6, null, null, null, -0.0, null, null, null, null, null, null, null, null, null),
            Record.of(7, null, null, null, Double.NaN, null, null, null, null, null, null, null, null, null),
            Record.of(8, null, null, null, Double.NEGATIVE_INFINITY, null, null, null, null, null, null, null, null, null),
            Record.of(9, null, null, null, 1.0 / 3, null, null, null, null, null, null, null, null, null),
            Record.of(10, null, null, null, 0.0001, null, null, null, null, null, null, null, null, null),
            Record.of(11, null, null, null, 0.00001, null, null, null, null, null, null, null, null, null),
            Record.of(12, null, null, null, 5e-324, null, null, null, null, null, null, null, null, null),
            Record.of(13, null, null, null, 9007199254740993.0, null, null, null, null, null, null, null, null, null),
            Record.of(14, null, null, null, 2e23, null, null, null, null, null, null, null, null, null),
            Record.of(15, null, null, null, 100.0, null, null, null, null, null, null, null, null, null));

    private static Schema allText(Schema typed) {
        Schema.Builder b = Schema.builder().required("id", FieldType.INT);
        for (int i = 1; i < typed.size(); i++) {
            b.add(typed.field(i).name(), FieldType.STRING);
        }
        return b.build();
    }

    private static Record firstFileRow(int id, Schema schema) {
        Object[] v = new Object[schema.size()];
        v[0] = id;
        for (int i = 1; i < v.length; i++) {
            v[i] = "from the first file";
        }
        return Record.of(v);
    }

    /**
     * The first file's columns were all inferred as text, the second's as typed values: each is stored as the text
     * PostgreSQL's cast to text gives for it (asserted against the same values loaded into typed columns and cast in
     * a session whose TimeZone is UTC; a timestamp with a zone is written in UTC whatever the session's zone).
     */
    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"MERGE", "APPEND", "CDC"})
    void aTextColumnTakesTypedValuesAsTheirCanonicalText(SyncMode mode, DataSource ds) throws SQLException {
        String table = "text_" + mode.name().toLowerCase();
        MergeLoader.Builder b = MergeLoader.into(ds, TableName.of("typed", table)).mode(mode);
        MergeLoader loader = (mode == SyncMode.CDC ? b : b.key("id")).build();
        load(ds, loader, mode, allText(TYPED), List.of(firstFileRow(100, allText(TYPED))), 10);
        LoadResult r = load(ds, loader, mode, TYPED, ROWS, 100);
        assertThat(r.inserted()).isEqualTo(ROWS.size());
        MergeLoader.into(ds, TableName.of("typed", "reference_" + mode.name().toLowerCase())).mode(SyncMode.MERGE)
                .key("id").build().load(RecordBatch.of(TYPED, ROWS));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("set local timezone = 'UTC'");
            for (int i = 1; i < TYPED.size(); i++) {
                String col = TYPED.field(i).name();
                String compare = "select r.id, r." + col + "::text, t." + col + " from typed.reference_"
                        + mode.name().toLowerCase() + " r join typed." + table + " t using (id) where t." + col
                        + " is distinct from r." + col + "::text";
                try (ResultSet rs = st.executeQuery(compare)) {
                    List<String> differ = new ArrayList<>();
                    while (rs.next()) {
                        differ.add("id " + rs.getInt(1) + ": " + rs.getString(2) + " stored as " + rs.getString(3));
                    }
                    assertThat(differ).as("column " + col + " (" + TYPED.field(i).type() + ")").isEmpty();
                }
            }
            c.rollback();
        }
        assertThatTable(ds, "typed." + table).columns("id", "tz").contains(row(1, "2024-03-01 09:00:00+00"),
                row(2, "2024-07-01 23:30:00.000001+00"), row(3, "infinity"));
        assertThatTable(ds, "typed." + table).columns("id", "dbl", "d").contains(row(2, "1e+20", "0044-03-15 BC"),
                row(3, "1.5e-07", "infinity"), row(100, "from the first file", "from the first file"));
    }

    /** Random doubles of every magnitude (any bit pattern but NaN) into a text column: the text float8 prints. */
    @Test
    void doublesInATextColumnAreTheTextDoublePrecisionPrints(DataSource ds) throws SQLException {
        java.util.Random random = new java.util.Random(24);
        Schema doubles = Schema.builder().required("id", FieldType.INT).add("x", FieldType.DOUBLE).build();
        List<Record> rows = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            double x = i % 2 == 0 ? Double.longBitsToDouble(random.nextLong())
                    : Math.round(random.nextGaussian() * Math.pow(10, random.nextInt(12)) * 1000) / 1000.0;
            rows.add(Record.of(i, Double.isNaN(x) ? 0.0 : x));
        }
        MergeLoader.into(ds, "typed.random_text").mode(SyncMode.MERGE).key("id").build()
                .load(RecordBatch.of(Schema.builder().required("id", FieldType.INT).add("x", FieldType.STRING).build(),
                        List.of()));
        MergeLoader.into(ds, "typed.random_text").mode(SyncMode.MERGE).key("id").build().load(RecordBatch.of(doubles, rows));
        MergeLoader.into(ds, "typed.random_double").mode(SyncMode.MERGE).key("id").build().load(RecordBatch.of(doubles, rows));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select string_agg(d.x::text || ' stored as ' || t.x, '; ') from typed.random_double d"
                     + " join typed.random_text t using (id) where t.x is distinct from d.x::text")) {
            rs.next();
            assertThat(rs.getString(1)).isNull();
        }
    }

    /**
     * A decimal without fraction (501.0, as a file whose inference gave decimal sends) into a bigint or integer column
     * is the integer; one with a fraction is refused naming the table, record, key and column, nothing loaded.
     */
    @Test
    void anIntegerColumnTakesADecimalWithoutFractionAndRefusesAFraction(DataSource ds) {
        Schema longs = Schema.builder().required("id", FieldType.INT).add("n", FieldType.LONG).add("small", FieldType.INT)
                .build();
        Schema decimals = Schema.builder().required("id", FieldType.INT).add("n", FieldType.DECIMAL)
                .add("small", FieldType.DOUBLE).build();
        MergeLoader loader = MergeLoader.into(ds, "typed.counts").mode(SyncMode.MERGE).key("id").build();
        loader.load(RecordBatch.of(longs, List.of(Record.of(1, 1L, 1))));
        loader.load(RecordBatch.of(decimals, List.of(Record.of(1, new BigDecimal("501.0"), 7.0),
                Record.of(2, new BigDecimal("-9223372036854775808.000"), -0.0), Record.of(3, new BigDecimal("5E+2"), 1e9))));
        assertThatTable(ds, "typed.counts").columns("id", "n", "small").containsExactlyInAnyOrder(row(1, 501L, 7),
                row(2, Long.MIN_VALUE, 0), row(3, 500L, 1_000_000_000));
        assertThatThrownBy(() -> loader.load(RecordBatch.of(decimals, List.of(Record.of(4, new BigDecimal("1"), 1.0),
                Record.of(5, new BigDecimal("501.5"), 1.0)))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("typed.counts record 2 (key id=5)")
                .hasMessageContaining("column 'n'").hasMessageContaining("501.5")
                .hasMessageContaining("nothing of this batch was loaded");
        assertThatThrownBy(() -> loader.load(RecordBatch.of(decimals, List.of(Record.of(6, new BigDecimal("1"), 3e9)))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 1 (key id=6)")
                .hasMessageContaining("column 'small'");
        MergeLoader dead = MergeLoader.into(ds, "typed.counts").mode(SyncMode.MERGE).key("id")
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = dead.load(RecordBatch.of(decimals, List.of(Record.of(7, new BigDecimal("7.00"), 1.0),
                Record.of(8, new BigDecimal("0.5"), 1.0))));
        assertThat(r.inserted()).isOne();
        assertThat(r.rejected()).isOne();
        assertThatTable(ds, "typed.counts").columns("id", "n").contains(row(7, 7L));
        assertThatTable(ds, "typed.counts_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2L, "id=8"));
    }

    /**
     * A long beyond 2^53 (or a decimal of more digits than a double holds) into a double precision column would be
     * stored rounded without a word (9007199254740993 as 9007199254740992): refused before anything is written, in
     * every mode and under every schema-change policy, naming the table, column, record and value.
     */
    @ParameterizedTest
    @EnumSource(SchemaChange.class)
    void aDoubleColumnRefusesANumberItWouldRound(SchemaChange policy, DataSource ds) {
        String table = "typed.dbl_" + policy.name().toLowerCase();
        Schema doubles = Schema.builder().required("id", FieldType.INT).add("x", FieldType.DOUBLE).build();
        Schema longs = Schema.builder().required("id", FieldType.INT).add("x", FieldType.LONG).build();
        Schema decimals = Schema.builder().required("id", FieldType.INT).add("x", FieldType.DECIMAL).build();
        MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.MERGE).key("id").onSchemaChange(policy).build();
        loader.load(RecordBatch.of(doubles, List.of(Record.of(1, 0.5))));
        // exact ones load: up to 2^53, and decimals a double holds as they are
        loader.load(RecordBatch.of(longs, List.of(Record.of(2, 9007199254740992L), Record.of(3, -9007199254740992L),
                Record.of(4, 1L << 60))));
        loader.load(RecordBatch.of(decimals, List.of(Record.of(5, new BigDecimal("0.1")), Record.of(6,
                new BigDecimal("123456789.125")))));
        assertThatThrownBy(() -> loader.load(RecordBatch.of(longs, List.of(Record.of(7, 1L), Record.of(8, 9007199254740993L)))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(table)
                .hasMessageContaining("'x' is long in the batch but double precision in the table (record 2's value"
                        + " 9007199254740993 would be stored as 9007199254740992)")
                .hasMessageContaining("alter 'x' to numeric").hasMessageContaining("nothing of this batch was loaded");
        assertThatThrownBy(() -> loader.load(RecordBatch.of(decimals, List.of(Record.of(9, new BigDecimal("0.12345678901234567891"))))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("record 1's value 0.12345678901234567891 would be stored as 0.12345678901234568");
        ChangeBatch cdc = new ChangeBatch(TableName.of("src", "t"), longs, List.of("id"), List.of(ChangeEvent.create(
                TableName.of("src", "t"), Record.of(10), Record.of(10, Long.MAX_VALUE), new EventPosition(5, 5),
                Instant.EPOCH)), Optional.empty());
        MergeLoader cdcLoader = MergeLoader.into(ds, table + "_cdc").mode(SyncMode.CDC).onSchemaChange(policy).build();
        cdcLoader.load(new ChangeBatch(TableName.of("src", "t"), doubles, List.of("id"), List.of(ChangeEvent.create(
                TableName.of("src", "t"), Record.of(1), Record.of(1, 0.5), new EventPosition(1, 1), Instant.EPOCH)),
                Optional.empty()));
        assertThatThrownBy(() -> cdcLoader.load(cdc)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("9223372036854775807 would be stored as 9223372036854775808");
        assertThatTable(ds, table).columns("id", "x").containsExactlyInAnyOrder(row(1, 0.5), row(2, 9007199254740992.0),
                row(3, -9007199254740992.0), row(4, (double) (1L << 60)), row(5, 0.1), row(6, 123456789.125));
        assertThatTable(ds, table + "_cdc").columns("id", "x").containsExactlyInAnyOrder(row(1, 0.5));
    }

    /** Loads in a session whose TimeZone is not UTC. */
    private static LoadResult load(DataSource ds, MergeLoader loader, SyncMode mode, Schema schema, List<Record> rows,
            long lsn) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("set local timezone = 'America/St_Johns'");
            LoadResult r;
            if (mode != SyncMode.CDC) {
                r = loader.load(RecordBatch.of(schema, rows), c);
            } else {
                List<ChangeEvent> events = new ArrayList<>();
                TableName src = TableName.of("src", "t");
                for (Record row : rows) {
                    lsn++;
                    events.add(ChangeEvent.create(src, Record.of(row.get(0)), row, new EventPosition(lsn, lsn), Instant.EPOCH));
                }
                r = loader.load(new ChangeBatch(src, schema, List.of("id"), events, Optional.empty()), c);
            }
            c.commit();
            return r;
        }
    }
}
