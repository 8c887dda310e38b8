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
import dev.mds.testing.FaultInjection;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Columns whose type is a domain ({@code create domain raw.dm_email as text check (...)}) take the values their base
 * type takes, typed ones too, and their CHECK still applies: a value it refuses is a bad row naming the table, the
 * record, the key and the column. The loader never alters a domain column's type.
 */
@MdsPostgres
class DomainColumnsTest {
    private static final TableName SRC = TableName.of("app", "accounts");
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    private static final String DOMAINS = "create schema if not exists raw;"
            + " create domain raw.dm_key as bigint check (value > 0); create domain raw.dm_key2 as raw.dm_key;"
            + " create domain raw.dm_day as date check (value > '2000-01-01');"
            + " create domain raw.dm_count as integer check (value > 0);"
            + " create domain raw.dm_money as numeric(12,2) check (value >= 0);"
            + " create domain raw.dm_flag as boolean; create domain raw.dm_id as uuid;"
            + " create domain raw.dm_moment as timestamptz;"
            + " create domain raw.dm_email as text check (value like '%@%');"
            + " create domain raw.dm_code as varchar(10)";

    private static final Schema TYPED = Schema.builder().required("id", FieldType.LONG).add("day", FieldType.DATE)
            .add("n", FieldType.INT).add("amount", FieldType.decimal(12, 2)).add("flag", FieldType.BOOLEAN)
            .add("uid", FieldType.UUID).add("at", FieldType.TIMESTAMPTZ).add("email", FieldType.STRING)
            .add("code", FieldType.INT).build();

    private static final UUID U = UUID.fromString("0e8400e2-9b41-4d4a-a716-446655440000");

    private static void table(DataSource ds, String table) {
        TestSql.sql(ds, DOMAINS.replace("dm_", table + "_"));
        String d = "raw." + table + "_";
        TestSql.sql(ds, "create table raw." + table + " (id " + d + "key2 primary key, day " + d + "day, n " + d + "count,"
                + " amount " + d + "money, flag " + d + "flag, uid " + d + "id, at " + d + "moment, email " + d + "email,"
                + " code " + d + "code)");
    }

    private static Record good(long id) {
        return Record.of(id, LocalDate.of(2024, 4, 3), 7, new BigDecimal("12.50"), true, U,
                OffsetDateTime.of(2024, 4, 3, 12, 0, 0, 0, ZoneOffset.ofHours(2)), "a@example.com", 42);
    }

    private static List<String> stored(DataSource ds, String table) {
        return TestSql.strings(ds, "select concat_ws('|', id, day, n, amount, flag, uid,"
                + " to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), email, code) from raw." + table + " order by id");
    }

    private static final String STORED = "|2024-04-03|7|12.50|t|" + U + "|2024-04-03 10:00|a@example.com|42";

    private static ChangeBatch changes(ChangeEvent... events) {
        return new ChangeBatch(SRC, TYPED, List.of("id"), List.of(events), Optional.empty());
    }

    private static ChangeEvent create(Record r, long position) {
        return ChangeEvent.create(SRC, Record.of(r.get(0)), r, new EventPosition(position, 1), T);
    }

    /**
     * Typed values (a LocalDate, an Integer, a BigDecimal, a Boolean, a UUID, an OffsetDateTime, and an Integer into a
     * domain over varchar) go into columns of domains over their types, also a key of a domain over a domain, in MERGE,
     * APPEND and CDC. Before, every such column was refused as "incompatible column type(s)": only text was known to fit
     * a type whose name the loader did not know.
     */
    @Test
    void typedValuesGoIntoColumnsOfDomainsOverTheirTypes(DataSource ds) {
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            String table = "dm_" + mode.name().toLowerCase();
            table(ds, table);
            MergeLoader loader = MergeLoader.into(ds, "raw." + table).key("id").mode(mode).build();
            LoadResult r = loader.load(RecordBatch.of(TYPED, List.of(good(1), Record.of(2L, null, null, null, null, null,
                    null, null, null))));
            assertThat(r.inserted()).as(mode.toString()).isEqualTo(2);
            if (mode == SyncMode.MERGE) {
                loader.load(RecordBatch.of(TYPED, List.of(good(2), good(3))));
            } else {
                loader.load(RecordBatch.of(TYPED, List.of(good(3))));
            }
            assertThat(stored(ds, table)).as(mode.toString()).containsExactly("1" + STORED,
                    mode == SyncMode.MERGE ? "2" + STORED : "2", "3" + STORED);
        }
        table(ds, "dm_cdc");
        MergeLoader cdc = MergeLoader.into(ds, TableName.of("raw", "dm_cdc")).mode(SyncMode.CDC).build();
        cdc.load(changes(create(good(1), 1), create(good(2), 2)));
        cdc.load(changes(ChangeEvent.update(SRC, Record.of(2L), good(2).with(3, new BigDecimal("0.99")),
                new EventPosition(3, 1), T), ChangeEvent.delete(SRC, Record.of(1L), new EventPosition(3, 2), T),
                create(good(3), 4)));
        assertThat(stored(ds, "dm_cdc")).containsExactly("2|2024-04-03|7|0.99|t|" + U + "|2024-04-03 10:00|a@example.com|42",
                "3" + STORED);
    }

    /**
     * A typed value its domain's CHECK refuses is a bad row as a value its column's type refuses is: under FAIL a
     * BadInputException naming the table, record, key and column (the domain's CHECK in the message), nothing written;
     * under DEAD_LETTER the record is set aside with the reason and the others are loaded; in MERGE, APPEND and CDC.
     */
    @Test
    void aValueItsDomainsCheckRefusesIsABadRowNamingRecordKeyAndColumn(DataSource ds) {
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND, SyncMode.CDC)) {
            String table = "dm_bad_" + mode.name().toLowerCase();
            table(ds, table);
            MergeLoader.Builder b = MergeLoader.into(ds, TableName.of("raw", table)).mode(mode);
            MergeLoader fail = (mode == SyncMode.CDC ? b : b.key("id")).build();
            Record bad = good(3).with(2, -5);
            Object batch = mode == SyncMode.CDC ? changes(create(good(1), 1), create(good(2), 2), create(bad, 3))
                    : RecordBatch.of(TYPED, List.of(good(1), good(2), bad));
            assertThatThrownBy(() -> load(fail, batch)).as(mode.toString())
                    .isInstanceOfSatisfying(BadInputException.class, e -> {
                        assertThat(e.location().source()).isEqualTo("raw." + table);
                        assertThat(e.location().recordNumber()).hasValue(3);
                        assertThat(e.location().key()).hasValue("id=3");
                        assertThat(e.location().column()).hasValue("n");
                        assertThat(e.getMessage()).contains("raw." + table + " record 3 (key id=3)",
                                "value for domain raw." + table + "_count violates check constraint");
                    });
            assertThatTable(ds, "raw." + table).hasRowCount(0);

            MergeLoader dead = (mode == SyncMode.CDC ? b : b.key("id")).onBadRow(OnBadRow.DEAD_LETTER).build();
            LoadResult r = load(dead, batch);
            assertThat(r.rejected()).as(mode.toString()).isEqualTo(1);
            assertThat(stored(ds, table)).as(mode.toString()).containsExactly("1" + STORED, "2" + STORED);
            assertThatTable(ds, "raw." + table + "_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(3, "id=3"));
            assertThat(TestSql.strings(ds, "select reason from raw." + table + "_rejected")).singleElement().asString()
                    .contains("value for domain raw." + table + "_count violates check constraint");
        }
    }

    private static LoadResult load(MergeLoader loader, Object batch) {
        return batch instanceof ChangeBatch c ? loader.load(c) : loader.load((RecordBatch) batch);
    }

    /**
     * A domain over a narrower type than the batch's (decimal(14,4) into a domain over numeric(12,2)) is refused before
     * the load as a narrower column is, and also under ADD_AND_WIDEN_COLUMNS, which never alters a domain column (it
     * would drop the domain and its CHECK); the message names the domain and its base type. A value the domain's base
     * type refuses by range (an int beyond a domain over smallint) is left to the COPY, which names its record.
     */
    @Test
    void aDomainColumnIsNeverWidened(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create domain raw.dm_cents as numeric(12,2);"
                + " create domain raw.dm_small as smallint;"
                + " create table raw.dm_narrow (id bigint primary key, amount raw.dm_cents, qty raw.dm_small)");
        Schema finer = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.decimal(14, 4)).build();
        RecordBatch batch = RecordBatch.of(finer, List.of(Record.of(1L, new BigDecimal("1.2345"))));
        for (SchemaChange policy : SchemaChange.values()) {
            for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
                MergeLoader loader = MergeLoader.into(ds, "raw.dm_narrow").key("id").mode(mode).onSchemaChange(policy).build();
                assertThatThrownBy(() -> loader.load(batch)).as(policy + " " + mode)
                        .isInstanceOfSatisfying(SchemaMismatchException.class, e -> {
                            assertThat(e.columns()).containsExactly("amount");
                            assertThat(e.getMessage()).contains("'amount' is decimal(14,4) in the batch but raw.dm_cents"
                                    + " (a domain over numeric(12,2)) in the table", "never alters a domain column");
                        });
            }
        }
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'raw.dm_narrow'::regclass and attname in ('amount', 'qty') order by attnum"))
                .containsExactly("raw.dm_cents", "raw.dm_small");
        assertThatTable(ds, "raw.dm_narrow").hasRowCount(0);

        Schema ints = Schema.builder().required("id", FieldType.LONG).add("qty", FieldType.INT).build();
        MergeLoader widening = MergeLoader.into(ds, "raw.dm_narrow").key("id")
                .onSchemaChange(SchemaChange.ADD_AND_WIDEN_COLUMNS).build();
        assertThatThrownBy(() -> widening.load(RecordBatch.of(ints, List.of(Record.of(1L, 5), Record.of(2L, 40_000)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().column()).hasValue("qty");
                });
        widening.load(RecordBatch.of(ints, List.of(Record.of(1L, 5))));
        assertThatTable(ds, "raw.dm_narrow").columns("id", "qty").containsExactlyInAnyOrder(row(1, 5));
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'raw.dm_narrow'::regclass and attname = 'qty'")).containsExactly("raw.dm_small");
    }

    /**
     * A CDC delete (which stages no values but its key) and an update leaving a column unchanged load into a table whose
     * columns are of domains that refuse NULL ({@code not null}) or check their value.
     */
    @Test
    void cdcDeletesAndUnchangedValuesGoIntoColumnsOfNotNullDomains(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create domain raw.dm_name as text not null check (value <> '');"
                + " create domain raw.dm_pos as bigint not null check (value > 0);"
                + " create table raw.dm_cdc_nn (id raw.dm_pos primary key, name raw.dm_name, bio raw.dm_name)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).required("name", FieldType.STRING)
                .required("bio", FieldType.STRING).build();
        MergeLoader cdc = MergeLoader.into(ds, TableName.of("raw", "dm_cdc_nn")).mode(SyncMode.CDC).build();
        cdc.load(new ChangeBatch(SRC, schema, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(1L), Record.of(1L, "one", "b1"), new EventPosition(1, 1), T),
                ChangeEvent.create(SRC, Record.of(2L), Record.of(2L, "two", "b2"), new EventPosition(1, 2), T)),
                Optional.empty()));
        cdc.load(new ChangeBatch(SRC, schema, List.of("id"), List.of(
                ChangeEvent.delete(SRC, Record.of(1L), new EventPosition(2, 1), T),
                ChangeEvent.update(SRC, Record.of(2L), Record.of(2L, "zwei", dev.mds.core.Unchanged.VALUE),
                        new EventPosition(2, 2), T)), Optional.empty()));
        assertThatTable(ds, "raw.dm_cdc_nn").columns("id", "name", "bio").containsExactlyInAnyOrder(row(2, "zwei", "b2"));
        // the domain still refuses a NULL or an empty name when the MERGE writes it, naming the record and key
        ChangeBatch bad = new ChangeBatch(SRC, schema, List.of("id"), List.of(
                ChangeEvent.update(SRC, Record.of(2L), Record.of(2L, "two", "b2"), new EventPosition(3, 1), T),
                ChangeEvent.create(SRC, Record.of(3L), Record.of(3L, "", "b3"), new EventPosition(3, 2), T),
                ChangeEvent.create(SRC, Record.of(4L), Record.of(4L, null, "b4"), new EventPosition(3, 3), T)),
                Optional.empty());
        assertThatThrownBy(() -> cdc.load(bad)).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            assertThat(e.rows()).extracting(Object::toString).containsExactly("record 2 (key id=3)", "record 3 (key id=4)");
            assertThat(e.getMessage()).startsWith("raw.dm_cdc_nn record 2 (key id=3)").contains("nothing of this batch was loaded");
        });
        LoadResult r = MergeLoader.into(ds, TableName.of("raw", "dm_cdc_nn")).mode(SyncMode.CDC).onBadRow(OnBadRow.DEAD_LETTER)
                .build().load(bad);
        assertThat(r.rejected()).isEqualTo(2);
        assertThatTable(ds, "raw.dm_cdc_nn").columns("id", "name", "bio").containsExactlyInAnyOrder(row(2, "two", "b2"));
    }

    /**
     * Typed values go into columns of domains by binary COPY, as into columns of the domains' base types: the server
     * reads a domain's binary value with its base type's receive function, then checks the domain's constraints. Before,
     * a domain column had no binary encoding, so every batch with one went by text COPY. The stored values are those of
     * {@link #typedValuesGoIntoColumnsOfDomainsOverTheirTypes}; a value the domain refuses is reported as there.
     */
    @Test
    void typedValuesGoIntoColumnsOfDomainsByBinaryCopy(DataSource ds) {
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND, SyncMode.CDC)) {
            String table = "dm_bin_" + mode.name().toLowerCase();
            table(ds, table);
            FaultInjection f = FaultInjection.on(ds);
            MergeLoader.Builder b = MergeLoader.into(f.dataSource(), TableName.of("raw", table)).mode(mode);
            MergeLoader loader = (mode == SyncMode.CDC ? b : b.key("id")).build();
            f.countOnly();
            if (mode == SyncMode.CDC) {
                loader.load(changes(create(good(1), 1), create(good(2), 2)));
                loader.load(changes(ChangeEvent.update(SRC, Record.of(2L), good(2), new EventPosition(3, 1), T),
                        create(good(3), 4)));
            } else {
                loader.load(RecordBatch.of(TYPED, List.of(good(1), good(2))));
                loader.load(RecordBatch.of(TYPED, List.of(good(3))));
            }
            List<String> copies = new ArrayList<>();
            for (String s : f.statements()) {
                if (s.toLowerCase(java.util.Locale.ROOT).startsWith("copy ")) {
                    copies.add(s);
                }
            }
            assertThat(copies).as(mode.toString()).isNotEmpty().allSatisfy(s -> assertThat(s).endsWith("(format binary)"));
            assertThat(stored(ds, table)).as(mode.toString()).containsExactly("1" + STORED, "2" + STORED, "3" + STORED);
        }
    }

    /**
     * The loader's own columns may be of domains over their types: a load timestamp column of a domain over
     * timestamptz or timestamp, CDC position columns of a domain over bigint. Before, they were refused as "the load
     * timestamp column 'loaded' is raw.dm_lts_stamp in the table; ... must be timestamp with time zone" and "the CDC
     * position column(s) must be bigint". A domain over another type is still refused, naming its base type.
     */
    @Test
    void theLoadersOwnColumnsMayBeOfDomainsOverTheirTypes(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create domain raw.dm_stamp as timestamptz check (value > '2000-01-01');"
                + " create domain raw.dm_local as timestamp; create domain raw.dm_position as bigint check (value >= 0);"
                + " create domain raw.dm_when as date");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).build();
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            for (String type : List.of("dm_stamp", "dm_local")) {
                String table = "raw.dm_lts_" + type + "_" + mode.name().toLowerCase();
                TestSql.sql(ds, "create table " + table + " (id bigint, name text, loaded raw." + type + ")");
                MergeLoader loader = MergeLoader.into(ds, table).mode(mode)
                        .key(mode == SyncMode.MERGE ? new String[] {"id"} : new String[0]).loadTimestamp("loaded").build();
                loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a"))));
                loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "b"))));
                assertThat(TestSql.strings(ds, "select count(*) || ' ' || bool_and(loaded is not null) from " + table))
                        .as(table).containsExactly(mode == SyncMode.MERGE ? "1 true" : "2 true");
            }
        }
        TestSql.sql(ds, "create table raw.dm_cdc_own (id bigint primary key, name text, _mds_commit raw.dm_position,"
                + " _mds_change raw.dm_position, loaded raw.dm_stamp)");
        MergeLoader cdc = MergeLoader.into(ds, TableName.of("raw", "dm_cdc_own")).mode(SyncMode.CDC).loadTimestamp("loaded").build();
        for (long position : new long[] {5, 6}) {
            cdc.load(new ChangeBatch(SRC, schema, List.of("id"), List.of(ChangeEvent.update(SRC, Record.of(1L),
                    Record.of(1L, "v" + position), new EventPosition(position, 1), T)), Optional.empty()));
        }
        assertThatTable(ds, "raw.dm_cdc_own").columns("id", "name", "_mds_commit").containsExactlyInAnyOrder(row(1, "v6", 6));

        TestSql.sql(ds, "create table raw.dm_lts_date (id bigint, name text, loaded raw.dm_when)");
        MergeLoader refused = MergeLoader.into(ds, "raw.dm_lts_date").key("id").loadTimestamp("loaded").build();
        assertThatThrownBy(() -> refused.load(RecordBatch.of(schema, List.of(Record.of(1L, "a")))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("the load timestamp column 'loaded' is raw.dm_when (a domain over date) in the table");
    }
}
