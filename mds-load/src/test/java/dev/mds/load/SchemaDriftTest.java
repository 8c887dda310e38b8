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
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A source table whose schema changed while the pipeline runs: the batch's field types no longer match the target's
 * columns. Values are never rounded silently: the load widens the column (ADD_AND_WIDEN_COLUMNS) or refuses the batch
 * before writing anything.
 */
@dev.mds.testing.MdsPostgres
class SchemaDriftTest {
    static final TableName SRC = TableName.of("src", "t");
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static MergeLoader loader(DataSource ds, String table, SyncMode mode, SchemaChange policy) {
        MergeLoader.Builder b = MergeLoader.into(ds, TableName.of("drift", table)).mode(mode).onSchemaChange(policy);
        return (mode == SyncMode.CDC ? b : b.key("id")).build();
    }

    /** Loads {@code rows} (id first) as a record batch, or in CDC mode as create events at positions from 100. */
    static LoadResult load(MergeLoader loader, SyncMode mode, Schema schema, Record... rows) {
        if (mode != SyncMode.CDC) {
            return loader.load(RecordBatch.of(schema, List.of(rows)));
        }
        List<ChangeEvent> events = new ArrayList<>();
        long lsn = 100;
        for (Record r : rows) {
            lsn++;
            events.add(ChangeEvent.create(SRC, Record.of(r.get(0)), r, new EventPosition(lsn, lsn), T));
        }
        return loader.load(new ChangeBatch(SRC, schema, List.of("id"), events, Optional.empty()));
    }

    static void exec(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> query(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    b.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(b.toString());
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The table's columns with their types and its rows: what must not change when a load is refused. */
    static List<String> state(DataSource ds, String table) {
        List<String> out = new ArrayList<>(query(ds, "select attname || ' ' || format_type(atttypid, atttypmod)"
                + " from pg_attribute where attrelid = 'drift." + table + "'::regclass and attnum > 0 and not attisdropped"
                + " order by attnum"));
        out.addAll(query(ds, "select t::text from drift." + table + " t order by 1"));
        return out;
    }

    static String type(DataSource ds, String table, String column) {
        return query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift." + table
                + "'::regclass and attname = '" + column + "'").get(0);
    }

    static String table(String name, SyncMode mode) {
        return name + "_" + mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    static final Schema DECIMAL_10_4 = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.decimal(10, 4)).build();

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void numericColumnNarrowerThanTheBatchIsRefusedNamingBothTypesAndThePolicyAndTheTableIsUnchanged(SyncMode mode,
            DataSource ds) {
        String t = table("num_refused", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " (id bigint primary key, v numeric(6,2));"
                + " insert into drift." + t + " values (1, 9.99)");
        List<String> before = state(ds, t);
        MergeLoader loader = loader(ds, t, mode, SchemaChange.ADD_COLUMNS);
        assertThatThrownBy(() -> load(loader, mode, DECIMAL_10_4, Record.of(2L, new BigDecimal("1.2345"))))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> assertThat(e.columns()).containsExactly("v"))
                .hasMessageContaining("drift." + t)
                .hasMessageContaining("'v' is decimal(10,4) in the batch but numeric(6,2) in the table")
                .hasMessageContaining("SchemaChange.ADD_AND_WIDEN_COLUMNS")
                .hasMessageContaining("nothing of this batch was loaded");
        assertThat(state(ds, t)).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void numericColumnIsWidenedUnderAddAndWidenColumnsKeepingEveryDigit(SyncMode mode, DataSource ds) {
        String t = table("num_widened", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " (id bigint primary key, v numeric(6,2));"
                + " insert into drift." + t + " values (1, 9999.99)");
        MergeLoader loader = loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        load(loader, mode, DECIMAL_10_4, Record.of(2L, new BigDecimal("123456.2345")));
        // the larger integer part (6) and the larger scale (4) of the two
        assertThat(type(ds, t, "v")).isEqualTo("numeric(10,4)");
        List<String> rows = query(ds, "select id || '=' || v from drift." + t + " order by id");
        if (mode == SyncMode.OVERWRITE) {
            assertThat(rows).containsExactly("2=123456.2345");
        } else {
            assertThat(rows).containsExactly("1=9999.9900", "2=123456.2345");
        }
        // the next batch of the same shape finds the column wide enough: no ALTER
        MergeLoader planner = MergeLoader.into(ds, TableName.of("drift", t)).mode(mode).key("id")
                .onSchemaChange(SchemaChange.ADD_AND_WIDEN_COLUMNS).build();
        assertThat(planner.sql(DECIMAL_10_4)).noneMatch(s -> s.contains("alter column"));
    }

    static final Schema WIDE = Schema.builder().required("id", FieldType.LONG).add("small", FieldType.INT)
            .add("int", FieldType.LONG).add("f", FieldType.DOUBLE).add("ts", FieldType.TIMESTAMP)
            .add("tstz", FieldType.TIMESTAMPTZ).add("tm", FieldType.TIME).add("d", FieldType.DECIMAL).build();
    static final String NARROW_DDL = "(id bigint primary key, small smallint, \"int\" integer, f real, ts timestamp(0),"
            + " tstz timestamptz(3), tm time(0), d numeric(5,1))";
    static final Record WIDE_ROW = Record.of(1L, 70_000, 3_000_000_000L, 1.2345678901234d,
            LocalDateTime.parse("2026-01-01T10:00:00.700001"), OffsetDateTime.parse("2026-01-01T10:00:00.123456Z"),
            LocalTime.parse("10:00:00.5"), new BigDecimal("12.345"));

    @ParameterizedTest
    @EnumSource(value = SchemaChange.class, names = {"FAIL", "ADD_COLUMNS"})
    void everyNarrowerColumnIsNamedInOneRefusal(SchemaChange policy, DataSource ds) {
        String t = "narrow_" + policy.name().toLowerCase(java.util.Locale.ROOT);
        exec(ds, "create schema if not exists drift; create table drift." + t + " " + NARROW_DDL);
        List<String> before = state(ds, t);
        assertThatThrownBy(() -> load(loader(ds, t, SyncMode.MERGE, policy), SyncMode.MERGE, WIDE, WIDE_ROW))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> assertThat(e.columns())
                        .containsExactly("f", "ts", "tstz", "tm", "d"))
                .hasMessageContaining("'f' is double in the batch but real in the table (record 1's value would be rounded)")
                .hasMessageContaining("'ts' is timestamp in the batch but timestamp(0) without time zone in the table")
                .hasMessageContaining("'tstz' is timestamptz in the batch but timestamp(3) with time zone in the table")
                .hasMessageContaining("'tm' is time in the batch but time(0) without time zone in the table")
                .hasMessageContaining("'d' is decimal in the batch but numeric(5,1) in the table");
        assertThat(state(ds, t)).isEqualTo(before);
        // values the narrow columns hold as they are (a smallint, real or timestamp(0) source sends such values in
        // the batch's coarser types) load, and the columns stay
        MergeLoader loader = loader(ds, t, SyncMode.MERGE, policy);
        loader.load(RecordBatch.of(WIDE, List.of(Record.of(1L, 7, 7L, (double) 0.1f, LocalDateTime.parse("2026-01-01T10:00:01"),
                OffsetDateTime.parse("2026-01-01T10:00:00.123Z"), LocalTime.parse("10:00:01"), new BigDecimal("12.300")))));
        assertThat(query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift." + t
                + "'::regclass and attnum between 2 and 8 order by attnum")).containsExactly("smallint", "integer", "real",
                "timestamp(0) without time zone", "timestamp(3) with time zone", "time(0) without time zone", "numeric(5,1)");
        assertThat(query(ds, "select small, \"int\", f, ts, tm, d from drift." + t)).containsExactly(
                "7|7|0.1|2026-01-01 10:00:01|10:00:01|12.3");
        // a value too large for the smallint is refused by the COPY, naming its record (not rounded: nothing to hide)
        assertThatThrownBy(() -> loader.load(RecordBatch.of(WIDE, List.of(Record.of(2L, 70_000, 7L, null, null, null, null,
                null))))).isInstanceOf(BadInputException.class).hasMessageContaining("record 1 (key id=2), column 'small'");
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void integerFloatTimeAndUnconstrainedDecimalColumnsAreWidenedAndStoreTheExactValues(SyncMode mode, DataSource ds) {
        String t = table("wide", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " " + NARROW_DDL);
        load(loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS), mode, WIDE, WIDE_ROW);
        assertThat(query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift." + t
                + "'::regclass and attnum between 2 and 8 order by attnum")).containsExactly("integer", "bigint",
                "double precision", "timestamp without time zone", "timestamp with time zone", "time without time zone",
                "numeric");
        assertThat(query(ds, "select small, \"int\", f, ts, tstz at time zone 'UTC', tm, d from drift." + t))
                .containsExactly("70000|3000000000|1.2345678901234|2026-01-01 10:00:00.700001|2026-01-01 10:00:00.123456"
                        + "|10:00:00.5|12.345");
    }

    static final Schema EXACT_NUMBERS = Schema.builder().required("id", FieldType.LONG).add("dec", FieldType.DECIMAL)
            .add("lng", FieldType.LONG).add("i", FieldType.INT).build();

    /**
     * A real column got a double refused when it would round it, but a decimal (what CSV inference gives
     * {@code 613.4245936603365}, streams.csv's size_mb), a long or an int went in rounded to 7 digits without an
     * error (613.4246, 123456789 as 1.2345679e+08), in every mode. They are refused the same way now, or widened to
     * double precision under ADD_AND_WIDEN_COLUMNS; values real holds (0.1, 12345.67, 16777216) still load.
     */
    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void decimalsAndIntegersARealColumnWouldRoundAreRefusedUnlessWidened(SyncMode mode, DataSource ds) {
        String t = table("real_exact", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t
                + " (id bigint primary key, dec real, lng real, i real)");
        List<String> before = state(ds, t);
        assertThatThrownBy(() -> load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, EXACT_NUMBERS,
                Record.of(1L, new BigDecimal("0.1"), 16_777_216L, 7), Record.of(2L, new BigDecimal("613.4245936603365"),
                        123_456_789L, 123_456_789)))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> assertThat(e.columns())
                        .containsExactly("dec", "lng", "i"))
                .hasMessageContaining("'dec' is decimal in the batch but real in the table (record 2's value would be rounded)")
                .hasMessageContaining("'lng' is long in the batch but real in the table (record 2's value would be rounded)")
                .hasMessageContaining("'i' is int in the batch but real in the table (record 2's value would be rounded)")
                .hasMessageContaining("alters 'dec' to double precision");
        assertThat(state(ds, t)).isEqualTo(before);

        load(loader(ds, t, mode, SchemaChange.FAIL), mode, EXACT_NUMBERS,
                Record.of(1L, new BigDecimal("0.1"), 16_777_216L, 7), Record.of(3L, new BigDecimal("12345.67"), -3L, null));
        assertThat(query(ds, "select id, dec, lng, i from drift." + t + " order by id"))
                .containsExactly("1|0.1|1.6777216e+07|7", "3|12345.67|-3|null");

        load(loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS), mode, EXACT_NUMBERS,
                Record.of(2L, new BigDecimal("613.4245936603365"), 123_456_789L, 123_456_789));
        assertThat(query(ds, "select dec, lng, i from drift." + t + " where id = 2"))
                .containsExactly("613.4245936603365|123456789|123456789");
    }

    static final Schema DOUBLE = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.DOUBLE).build();

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aDoubleWithMoreDecimalsThanANumericColumnKeepsIsRefusedUnlessWidened(SyncMode mode, DataSource ds) {
        // a double is sent as its text (1.2345), which numeric(6,2) stored as 1.23 without an error, in every mode
        String t = table("dbl_num", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " (id bigint primary key, v numeric(6,2));"
                + " insert into drift." + t + " values (1, 9.99)");
        List<String> before = state(ds, t);
        assertThatThrownBy(() -> load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, DOUBLE, Record.of(2L, 1.5),
                Record.of(3L, 1.2345)))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> assertThat(e.columns()).containsExactly("v"))
                .hasMessageContaining("'v' is double in the batch but numeric(6,2) in the table (record 2's value would be rounded)");
        assertThat(state(ds, t)).isEqualTo(before);
        // doubles with at most two decimals load into the column as it is
        load(loader(ds, t, mode, SchemaChange.FAIL), mode, DOUBLE, Record.of(4L, 0.1), Record.of(5L, 2.50), Record.of(6L, 1e3));
        assertThat(type(ds, t, "v")).isEqualTo("numeric(6,2)");
        load(loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS), mode, DOUBLE, Record.of(7L, 1.2345));
        assertThat(type(ds, t, "v")).isEqualTo("numeric");
        assertThat(query(ds, "select v::text from drift." + t + " where id = 7")).containsExactly("1.2345");
    }

    static final Schema NUMBERS = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.DECIMAL)
            .add("f", FieldType.DOUBLE).add("l", FieldType.LONG).add("i", FieldType.INT).build();

    /**
     * A number with more integer digits than a {@code numeric(P,S)} column holds (12345.6 for numeric(6,2)) is refused
     * by the COPY, naming its record; ADD_AND_WIDEN_COLUMNS widens the column to {@code numeric} first, as it does for a
     * value with more decimals. Before, only the decimals were looked at, so the widening policy failed the batch
     * ('numeric field overflow') as if it did not widen, for a decimal (as the README's table promised otherwise), a
     * double, a long or an int field alike.
     */
    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aNumberWithMoreIntegerDigitsThanANumericColumnHoldsIsRefusedByTheCopyUnlessWidened(SyncMode mode, DataSource ds) {
        String t = table("num_int", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " (id bigint primary key, d numeric(6,2),"
                + " f numeric(6,2), l numeric(6,2), i numeric(6,2)); insert into drift." + t + " values (1, 1, 1, 1, 1)");
        List<String> before = state(ds, t);
        Record[] overflows = {Record.of(2L, new BigDecimal("12345.6"), 1.5, 7L, 8),
                Record.of(3L, null, 123456.5, null, null), Record.of(4L, null, null, 1234567L, null),
                Record.of(5L, null, null, null, 1234567)};
        for (int k = 0; k < overflows.length; k++) {
            Record r = overflows[k];
            String column = List.of("d", "f", "l", "i").get(k);
            assertThatThrownBy(() -> load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, NUMBERS, r))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("record 1 (key id=" + r.get(0) + "), column '" + column + "'")
                    .hasMessageContaining("numeric field overflow");
            assertThat(state(ds, t)).as(column).isEqualTo(before);
        }
        // values that fit leave the columns as they are, even with the policy that widens
        MergeLoader widening = loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        load(widening, mode, NUMBERS, Record.of(6L, new BigDecimal("9999.99"), 9999.5, 9999L, -9999));
        assertThat(query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift." + t
                + "'::regclass and attnum between 2 and 5 order by attnum")).containsOnly("numeric(6,2)");
        load(widening, mode, NUMBERS, overflows);
        assertThat(query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift." + t
                + "'::regclass and attnum between 2 and 5 order by attnum")).containsOnly("numeric");
        assertThat(query(ds, "select concat_ws('|', d, f, l, i) from drift." + t + " where id between 2 and 5 order by id"))
                .containsExactly("12345.6|1.5|7|8", "123456.5", "1234567", "1234567");
    }

    static final Schema WHOLE = Schema.builder().required("id", FieldType.LONG).add("s", FieldType.DECIMAL)
            .add("i", FieldType.DOUBLE).build();

    /**
     * An integer column takes a decimal or double without fraction as the integer (TypedValuesTest); one beyond the
     * column's range is refused by the COPY naming its record, unless ADD_AND_WIDEN_COLUMNS widens the column to bigint,
     * as it does for an int or long field. Before, the widening policy refused it as if it did not widen.
     */
    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aWholeDecimalOrDoubleBeyondAnIntegerColumnsRangeIsRefusedByTheCopyUnlessWidened(SyncMode mode, DataSource ds) {
        String t = table("whole", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t + " (id bigint primary key, s smallint, i integer);"
                + " insert into drift." + t + " values (1, 1, 1)");
        List<String> before = state(ds, t);
        assertThatThrownBy(() -> load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, WHOLE,
                Record.of(2L, new BigDecimal("40000"), 1e10)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("record 1 (key id=2), column 's'")
                .hasMessageContaining("out of range for type smallint");
        assertThat(state(ds, t)).isEqualTo(before);
        MergeLoader widening = loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        load(widening, mode, WHOLE, Record.of(3L, new BigDecimal("32767.0"), 2147483647.0));
        assertThat(List.of(type(ds, t, "s"), type(ds, t, "i"))).containsExactly("smallint", "integer");
        load(widening, mode, WHOLE, Record.of(2L, new BigDecimal("40000"), 1e10));
        assertThat(List.of(type(ds, t, "s"), type(ds, t, "i"))).containsExactly("bigint", "bigint");
        assertThat(query(ds, "select s || '|' || i from drift." + t + " where id = 2")).containsExactly("40000|10000000000");
        // a fraction is no integer: still a bad row, whatever the policy
        assertThatThrownBy(() -> load(widening, mode, WHOLE, Record.of(4L, new BigDecimal("1.5"), 2.0)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("column 's'");
    }

    static final Schema TEXT = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING)
            .add("c", FieldType.STRING).build();

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void boundedTextColumnsRefuseALongerValueNamingTheRecordUnlessWidened(SyncMode mode, DataSource ds) {
        String t = table("vc", mode);
        exec(ds, "create schema if not exists drift; create table drift." + t
                + " (id bigint primary key, v varchar(3), c char(3)); insert into drift." + t + " values (1, 'abc', 'x')");
        List<String> before = state(ds, t);
        MergeLoader strict = loader(ds, t, mode, SchemaChange.FAIL);
        assertThatThrownBy(() -> load(strict, mode, TEXT, Record.of(2L, "abcdef", "y")))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("record 1 (key id=2), column 'v'")
                .hasMessageContaining("value too long for type character varying(3)");
        assertThat(state(ds, t)).isEqualTo(before);
        // values that fit leave the columns as they are, even with the policy that widens
        MergeLoader widening = loader(ds, t, mode, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        load(widening, mode, TEXT, Record.of(3L, "abc", "z"));
        assertThat(type(ds, t, "v")).isEqualTo("character varying(3)");
        load(widening, mode, TEXT, Record.of(2L, "abcdef", "longer"));
        assertThat(type(ds, t, "v")).isEqualTo("text");
        assertThat(type(ds, t, "c")).isEqualTo("text");
        assertThat(query(ds, "select v || '/' || c from drift." + t + " where id = 2")).containsExactly("abcdef/longer");
    }

    @Test
    void aColumnAsWideAsTheBatchOrWiderIsLeftAlone(DataSource ds) {
        exec(ds, "create schema if not exists drift; create table drift.wider (id bigint primary key, v numeric(12,6),"
                + " i bigint, ts timestamp(6), s varchar(10))");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.decimal(10, 4))
                .add("i", FieldType.INT).add("ts", FieldType.TIMESTAMP).add("s", FieldType.STRING).build();
        MergeLoader loader = loader(ds, "wider", SyncMode.MERGE, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        assertThat(loader.sql(schema)).noneMatch(s -> s.contains("alter column"));
        loader.load(RecordBatch.of(schema, List.of(Record.of(1L, new BigDecimal("1.2345"), 7,
                LocalDateTime.parse("2026-01-01T00:00:00.000001"), "abc"))));
        assertThat(query(ds, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'drift.wider'"
                + "::regclass and attnum > 1 order by attnum")).containsExactly("numeric(12,6)", "bigint",
                "timestamp(6) without time zone", "character varying(10)");
        assertThatTable(ds, "drift.wider").columns("v").containsExactlyInAnyOrder(row(new BigDecimal("1.234500")));
    }

    @Test
    void planShowsTheAlterBeforeTheMerge(DataSource ds) {
        exec(ds, "create schema if not exists drift; create table drift.planned (id bigint primary key, v numeric(6,2));"
                + " insert into drift.planned values (1, 1)");
        List<String> sql = loader(ds, "planned", SyncMode.MERGE, SchemaChange.ADD_AND_WIDEN_COLUMNS).sql(DECIMAL_10_4);
        assertThat(sql).contains("alter table \"drift\".\"planned\" alter column \"v\" type numeric(10,4)");
        assertThat(sql.indexOf("alter table \"drift\".\"planned\" alter column \"v\" type numeric(10,4)"))
                .isLessThan(sql.indexOf(sql.stream().filter(s -> s.startsWith("merge")).findFirst().orElseThrow()));
    }

    @Test
    void cdcKeyColumnWidenedFromIntegerToBigintWidensTheTombstonesToo(DataSource ds) {
        Schema intKey = Schema.builder().required("id", FieldType.INT).add("name", FieldType.STRING).build();
        Schema longKey = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        MergeLoader loader = loader(ds, "cdc_key", SyncMode.CDC, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        loader.load(new ChangeBatch(SRC, intKey, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(1), Record.of(1, "a"), new EventPosition(10, 10), T),
                ChangeEvent.create(SRC, Record.of(2), Record.of(2, "b"), new EventPosition(11, 11), T),
                ChangeEvent.delete(SRC, Record.of(2), new EventPosition(12, 12), T)), Optional.empty()));
        long big = 3_000_000_000L;
        loader.load(new ChangeBatch(SRC, longKey, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(big), Record.of(big, "big"), new EventPosition(20, 20), T),
                ChangeEvent.delete(SRC, Record.of(big), new EventPosition(21, 21), T),
                ChangeEvent.create(SRC, Record.of(big + 1), Record.of(big + 1, "kept"), new EventPosition(22, 22), T)),
                Optional.empty()));
        assertThat(type(ds, "cdc_key", "id")).isEqualTo("bigint");
        assertThat(type(ds, "cdc_key_mds_tombstones", "id")).isEqualTo("bigint");
        // a replayed older create of the deleted big key stays deleted
        loader.load(new ChangeBatch(SRC, longKey, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(big), Record.of(big, "replayed"), new EventPosition(20, 20), T)),
                Optional.empty()));
        assertThat(query(ds, "select id || '=' || name from drift.cdc_key order by id")).containsExactly("1=a",
                "3000000001=kept");
    }

    @Test
    void aViewOnTheColumnMakesTheWideningFailWithNothingLoaded(DataSource ds) {
        exec(ds, "create schema if not exists drift; create table drift.viewed (id bigint primary key, v numeric(6,2));"
                + " insert into drift.viewed values (1, 1.5); create view drift.viewed_v as select v from drift.viewed");
        List<String> before = state(ds, "viewed");
        assertThatThrownBy(() -> loader(ds, "viewed", SyncMode.MERGE, SchemaChange.ADD_AND_WIDEN_COLUMNS)
                .load(RecordBatch.of(DECIMAL_10_4, List.of(Record.of(2L, new BigDecimal("1.2345"))))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("drift.viewed")
                .hasMessageContaining("cannot widen column(s) [v]")
                .hasMessageContaining("numeric(10,4)")
                .hasMessageContaining("used by a view");
        assertThat(state(ds, "viewed")).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------ 2-4: documented

    static final Schema JSON = Schema.builder().required("id", FieldType.LONG).add("doc", FieldType.JSON).build();

    @Test
    void jsonBecomesJsonbInATableTheLoaderCreatesButAJsonColumnKeepsTheTextAsSent(DataSource ds) {
        String doc = "{\"b\": 1,  \"a\": 1, \"a\": 2}";
        loader(ds, "json_created", SyncMode.MERGE, SchemaChange.FAIL).load(RecordBatch.of(JSON, List.of(Record.of(1L, doc))));
        assertThat(type(ds, "json_created", "doc")).isEqualTo("jsonb");
        assertThat(query(ds, "select doc::text from drift.json_created")).containsExactly("{\"a\": 2, \"b\": 1}");

        exec(ds, "create table drift.json_kept (id bigint primary key, doc json)");
        MergeLoader kept = loader(ds, "json_kept", SyncMode.MERGE, SchemaChange.ADD_AND_WIDEN_COLUMNS);
        kept.load(RecordBatch.of(JSON, List.of(Record.of(1L, doc))));
        assertThat(type(ds, "json_kept", "doc")).isEqualTo("json");
        assertThat(query(ds, "select doc::text from drift.json_kept")).containsExactly(doc);
        // compared as text: the same document again is unchanged, a reformatted one is a change
        assertThat(kept.load(RecordBatch.of(JSON, List.of(Record.of(1L, doc)))).unchanged()).isEqualTo(1);
        assertThat(kept.load(RecordBatch.of(JSON, List.of(Record.of(1L, "{\"b\": 1, \"a\": 2}")))).updated()).isEqualTo(1);
    }

    static final Schema NAMED = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
    static final Schema RENAMED = Schema.builder().required("id", FieldType.LONG).add("full_name", FieldType.STRING).build();

    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"MERGE", "CDC"})
    void aRenamedSourceColumnArrivesAsANewColumnAndTheOldOneKeepsItsLastValues(SyncMode mode, DataSource ds) {
        String t = table("renamed", mode);
        load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, NAMED, Record.of(1L, "Ann"), Record.of(2L, "Bob"));
        assertThatThrownBy(() -> load(loader(ds, t, mode, SchemaChange.FAIL), mode, RENAMED, Record.of(1L, "Ann Lee")))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("[full_name]");
        // the source renamed name to full_name and then updated row 1 and inserted row 3
        if (mode == SyncMode.CDC) {
            loader(ds, t, mode, SchemaChange.ADD_COLUMNS).load(new ChangeBatch(SRC, RENAMED, List.of("id"), List.of(
                    ChangeEvent.update(SRC, Record.of(1L), Record.of(1L, "Ann Lee"), new EventPosition(200, 200), T),
                    ChangeEvent.create(SRC, Record.of(3L), Record.of(3L, "Cy"), new EventPosition(201, 201), T)),
                    Optional.empty()));
        } else {
            load(loader(ds, t, mode, SchemaChange.ADD_COLUMNS), mode, RENAMED, Record.of(1L, "Ann Lee"), Record.of(3L, "Cy"));
        }
        assertThat(query(ds, "select id || ' ' || coalesce(name, '-') || ' ' || coalesce(full_name, '-') from drift." + t
                + " order by id")).containsExactly("1 Ann Ann Lee", "2 Bob -", "3 - Cy");
    }

    @Test
    void overwriteWithARenamedColumnLeavesTheOldColumnNullInEveryRow(DataSource ds) {
        MergeLoader loader = loader(ds, "renamed_ow", SyncMode.OVERWRITE, SchemaChange.ADD_COLUMNS);
        loader.load(RecordBatch.of(NAMED, List.of(Record.of(1L, "Ann"), Record.of(2L, "Bob"))));
        loader.load(RecordBatch.of(RENAMED, List.of(Record.of(1L, "Ann Lee"), Record.of(3L, "Cy"))));
        assertThat(query(ds, "select id || ' ' || coalesce(name, '-') || ' ' || coalesce(full_name, '-')"
                + " from drift.renamed_ow order by id")).containsExactly("1 - Ann Lee", "3 - Cy");
    }

    @Test
    void aColumnAddedWithADefaultAtTheSourceIsNullForRowsNoEventCarriedSinceThen(DataSource ds) {
        MergeLoader loader = loader(ds, "defaulted", SyncMode.CDC, SchemaChange.ADD_COLUMNS);
        load(loader, SyncMode.CDC, NAMED, Record.of(1L, "Ann"), Record.of(2L, "Bob"));
        // alter table ... add column status text default 'active': no event for rows 1 and 2; row 2 then updated
        Schema withStatus = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("status", FieldType.STRING).build();
        loader.load(new ChangeBatch(SRC, withStatus, List.of("id"), List.of(ChangeEvent.update(SRC, Record.of(2L),
                Record.of(2L, "Bob", "active"), new EventPosition(300, 300), T)), Optional.empty()));
        assertThat(query(ds, "select id || ' ' || coalesce(status, 'NULL') from drift.defaulted order by id"))
                .containsExactly("1 NULL", "2 active");
    }
}
