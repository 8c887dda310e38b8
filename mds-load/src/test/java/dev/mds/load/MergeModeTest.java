package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class MergeModeTest {
    static final Schema USERS = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("updated_at", FieldType.LONG).build();

    static RecordBatch users(Record... records) {
        return RecordBatch.of(USERS, List.of(records));
    }

    @Test
    void insertsThenUpdatesOnlyChangedRows(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.users").key("id").build();
        LoadResult first = loader.load(users(Record.of(1L, "a", 1L), Record.of(2L, "b", 1L)));
        assertThat(first.inserted()).isEqualTo(2);
        LoadResult second = loader.load(users(Record.of(1L, "a", 1L), Record.of(2L, "B", 2L), Record.of(3L, "c", 1L)));
        assertThat(second.inserted()).isEqualTo(1);
        assertThat(second.updated()).isEqualTo(1);
        assertThat(second.unchanged()).isEqualTo(1);
        assertThatTable(ds, "raw.users").columns("id", "name").containsExactlyInAnyOrder(row(1, "a"), row(2, "B"), row(3, "c"));
    }

    @Test
    void collapsesDuplicatesByCursorNullCursorLosesAndTiesGoToLaterRecord(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.dedupe").key("id").cursor("updated_at").build();
        LoadResult r = loader.load(users(
                Record.of(1L, "newest", 5L), Record.of(1L, "older", 3L), Record.of(1L, "null cursor", null),
                Record.of(2L, "null first", null), Record.of(2L, "any value wins", 1L),
                Record.of(3L, "tie first", 7L), Record.of(3L, "tie later", 7L),
                Record.of(4L, "both null first", null), Record.of(4L, "both null later", null)));
        assertThat(r.inserted()).isEqualTo(4);
        assertThatTable(ds, "raw.dedupe").columns("id", "name").containsExactlyInAnyOrder(row(1, "newest"),
                row(2, "any value wins"), row(3, "tie later"), row(4, "both null later"));
        // against the target: an older cursor does not overwrite, a newer or equal one does
        r = loader.load(users(Record.of(1L, "stale", 4L), Record.of(3L, "same cursor", 7L), Record.of(2L, "null vs value", null)));
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.unchanged()).isEqualTo(2);
        assertThatTable(ds, "raw.dedupe").columns("id", "name").containsExactlyInAnyOrder(row(1, "newest"),
                row(2, "any value wins"), row(3, "same cursor"), row(4, "both null later"));
    }

    @Test
    void aCursorCarryingNumbersOfSeveralJavaClassesIsComparedByValue(DataSource ds) throws Exception {
        // a JSON-fed decimal or double cursor carries Long for whole numbers (5) and BigDecimal or Double otherwise
        // (4.5), as its keys do (LoadEdgeCasesTest): the duplicates of a key were refused as a bad row ('cursor values
        // 4.5 and 5 cannot be compared'), failing the batch, though the database compares them
        for (FieldType type : List.of(FieldType.DECIMAL, FieldType.DOUBLE)) {
            Object older = type == FieldType.DECIMAL ? new BigDecimal("4.5") : (Object) 4.5;
            Object newest = type == FieldType.DECIMAL ? new BigDecimal("6.25") : (Object) 6.25;
            Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING).add("ver", type).build();
            String table = "raw.mixed_cursor_" + type.kind().name().toLowerCase(java.util.Locale.ROOT);
            MergeLoader loader = MergeLoader.into(ds, table).key("id").cursor("ver").build();
            LoadResult r = loader.load(RecordBatch.of(schema, List.of(
                    Record.of(1L, "newer", 5L), Record.of(1L, "older", older),
                    Record.of(2L, "older", 4), Record.of(2L, "newer", older),
                    Record.of(3L, "newest", newest), Record.of(3L, "older", 6L), Record.of(3L, "null", null))));
            assertThat(r.inserted()).as(table).isEqualTo(3);
            assertThatTable(ds, table).columns("id", "name").containsExactlyInAnyOrder(row(1, "newer"), row(2, "newer"),
                    row(3, "newest"));
            // against the target too: a smaller number of another class does not overwrite, a larger one does
            r = loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "stale", older), Record.of(2L, "same", 5L),
                    Record.of(2L, "later", older))));
            assertThat(r.updated()).as(table).isEqualTo(1);
            assertThatTable(ds, table).columns("id", "name").containsExactlyInAnyOrder(row(1, "newer"), row(2, "same"),
                    row(3, "newest"));
        }
    }

    @Test
    void rerunningTheSameBatchChangesNothingAndKeepsLoadTimestamp(DataSource ds) throws Exception {
        MergeLoader loader = MergeLoader.into(ds, "raw.rerun").key("id").loadTimestamp("load_timestamp").build();
        List<Record> records = new ArrayList<>();
        for (long i = 1; i <= 500; i++) {
            records.add(Record.of(i, i % 7 == 0 ? null : "name " + i, i));
        }
        RecordBatch batch = RecordBatch.of(USERS, records);
        assertThat(loader.load(batch).inserted()).isEqualTo(500);
        String before = snapshot(ds, "raw.rerun");
        LoadResult again = loader.load(batch);
        assertThat(again.inserted()).isZero();
        assertThat(again.updated()).isZero();
        assertThat(again.unchanged()).isEqualTo(500);
        assertThat(snapshot(ds, "raw.rerun")).isEqualTo(before);   // same values, same load_timestamp, same row versions
        // a real change moves load_timestamp of that row only
        records.set(0, Record.of(1L, "changed", 1L));
        LoadResult changed = loader.load(RecordBatch.of(USERS, records));
        assertThat(changed.updated()).isEqualTo(1);
        assertThat(changed.unchanged()).isEqualTo(499);
        assertThat(count(ds, "select count(distinct load_timestamp) from raw.rerun")).isEqualTo(2);
    }

    @Test
    void addsNewColumnsWithAddColumnsAndLeavesColumnsMissingFromTheBatch(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.evolve").key("id").onSchemaChange(SchemaChange.ADD_COLUMNS).build();
        loader.load(users(Record.of(1L, "a", 1L)));
        Schema wider = Schema.builder().required("id", FieldType.LONG).add("email", FieldType.STRING).build();
        LoadResult r = loader.load(RecordBatch.of(wider, List.of(Record.of(1L, "a@x"), Record.of(2L, "b@x"))));
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.evolve").columns("id", "name", "updated_at", "email")
                .containsExactlyInAnyOrder(row(1, "a", 1, "a@x"), row(2, null, null, "b@x"));
    }

    @Test
    void newColumnsFailByDefaultNamingThemAndLoadNothing(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.strict").key("id").build();
        loader.load(users(Record.of(1L, "a", 1L)));
        Schema wider = USERS.with(dev.mds.core.Field.of("email", FieldType.STRING));
        assertThatThrownBy(() -> loader.load(RecordBatch.of(wider, List.of(Record.of(1L, "changed", 1L, "a@x")))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("raw.strict").hasMessageContaining("email")
                .satisfies(e -> assertThat(((SchemaMismatchException) e).columns()).containsExactly("email"));
        assertThatTable(ds, "raw.strict").columns("id", "name").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void incompatibleTypeIsAClearError(DataSource ds) {
        TableFixture.on(ds, "raw.typed").columns("id bigint primary key", "booked date").rows();
        Schema bad = Schema.builder().required("id", FieldType.LONG).add("booked", FieldType.BOOLEAN).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.typed").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(bad, List.of(Record.of(1L, true)))))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'booked' is boolean in the batch but date in the table");
    }

    @Test
    void compositeTextKeysWithOddCharactersAndHostileNames(DataSource ds) {
        TableName table = TableName.of("we\"ird schema", "Tab; drop table x; --");
        Schema schema = Schema.builder().required("Key \"A\"", FieldType.STRING).required("k;b", FieldType.INT)
                .add("select", FieldType.STRING).add("a\tb\\c", FieldType.decimal(10, 3)).build();
        MergeLoader loader = MergeLoader.into(ds, table).key("Key \"A\"", "k;b").build();
        String[] keys = {"", " ", "ä\u00a0ö", "tab\there", "new\nline", "back\\slash", "quote'\"", "😀 emoji", "\\N"};
        List<Record> records = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
            records.add(Record.of(keys[i], i % 2, "v" + i, new BigDecimal("1.5")));
            records.add(Record.of(keys[i], 7, "w" + i, null));
        }
        LoadResult r = loader.load(RecordBatch.of(schema, records));
        assertThat(r.inserted()).isEqualTo(2L * keys.length);
        List<Record> changed = new ArrayList<>(records);
        changed.set(0, Record.of(keys[0], 0, "changed", new BigDecimal("2.000")));
        r = loader.load(RecordBatch.of(schema, changed));
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.unchanged()).isEqualTo(2L * keys.length - 1);
        assertThatTable(ds, table).hasRowCount(2L * keys.length);
        assertThatTable(ds, table).columns("Key \"A\"", "k;b", "select").contains(row("", 0, "changed"), row("new\nline", 7, "w4"),
                row("\\N", 0, "v8"), row("😀 emoji", 1, "v7"));
        assertThat(loader.sql(schema)).filteredOn(sql -> sql.startsWith("merge")).singleElement().asString()
                .contains("merge into \"we\"\"ird schema\".\"Tab; drop table x; --\" as t", "t.\"Key \"\"A\"\"\" = s.\"Key \"\"A\"\"\"");
    }

    @Test
    void valuesOfEveryTypeRoundTrip(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.INT).add("n", FieldType.DECIMAL).add("d", FieldType.DOUBLE)
                .add("ts", FieldType.TIMESTAMPTZ).add("day", FieldType.DATE).add("ok", FieldType.BOOLEAN)
                .add("j", FieldType.JSON).add("b", FieldType.BYTES).add("u", FieldType.UUID)
                .add("t", FieldType.TIMESTAMP).add("tags", FieldType.arrayOf(FieldType.STRING)).build();
        String[] numbers = {"0", "-0.5", "12345678.90", "0.0001", "0.00001", "1E+3", "-99999999999999999999999.123456789", "10000",
            "-123.45", "562949953421311", "5629499534213.11", "11258999068426239.5", "0.000000001"};
        List<Record> records = new ArrayList<>();
        for (int i = 0; i < numbers.length; i++) {
            records.add(Record.of(i, new BigDecimal(numbers[i]), i * 1.25, OffsetDateTime.parse("2024-02-29T23:59:59.123456+02:00"),
                    LocalDate.of(1999, 12, 31).plusDays(i), i % 2 == 0, "{\"a\": " + i + "}", new byte[] {0, (byte) 255, (byte) i},
                    java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i}), java.time.LocalDateTime.of(2000, 1, 1, 0, 0).minusSeconds(i),
                    i == 0 ? null : List.of("x" + i, "a,b")));
        }
        for (boolean binary : new boolean[] {true, false}) {
            String table = binary ? "raw.types_binary" : "raw.types_text";
            MergeLoader loader = MergeLoader.into(ds, table).key("id").build();
            List<Record> batch = records;
            if (!binary) {   // a String for an int column makes the load use text COPY
                loader.load(RecordBatch.of(schema, records));   // creates the table with the same types
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("truncate " + table);
                }
                batch = new ArrayList<>();
                for (Record r : records) {
                    batch.add(r.with(0, String.valueOf(r.get(0))));
                }
            }
            Schema s = binary ? schema : Schema.of(schemaWithStringId(schema));
            loader.load(RecordBatch.of(s, batch));
            for (int i = 0; i < numbers.length; i++) {
                Record r = records.get(i);
                assertThatTable(ds, table).columns("id", "n", "d", "ts", "day", "ok", "j", "u", "t").contains(row(i, r.get(1), r.get(2),
                        r.get(3), r.get(4), r.get(5), "{\"a\": " + i + "}", r.get(8), r.get(9)));
            }
            assertThat(count(ds, "select count(*) from " + table + " where b = '\\x00ff'::bytea || int2send(id::int2)::bytea"
                    + " or b = '\\x00ff'::bytea || set_byte('\\x00'::bytea, 0, id)")).isEqualTo(numbers.length);
            assertThat(count(ds, "select count(*) from " + table + " where tags[2] = 'a,b'")).isEqualTo(numbers.length - 1);
            // loading the same values again finds every row equal
            assertThat(loader.load(RecordBatch.of(s, batch)).unchanged()).isEqualTo(numbers.length);
        }
    }

    @Test
    void datesAndTimestampsOutsideYears1To9999AndZonedOnesLoadByTextCopyAsByBinary(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.DATE).add("ts", FieldType.TIMESTAMP)
                .add("tz", FieldType.TIMESTAMPTZ).add("days", FieldType.arrayOf(FieldType.DATE)).add("ip", FieldType.STRING).build();
        List<Record> records = List.of(
                Record.of(1L, LocalDate.of(10_000, 1, 1), java.time.LocalDateTime.of(10_000, 1, 1, 10, 0),
                        java.time.ZonedDateTime.of(2024, 7, 1, 10, 0, 0, 0, java.time.ZoneId.of("Europe/Paris")),
                        List.of(LocalDate.of(10_000, 1, 1), LocalDate.of(-4, 1, 1)), "10.0.0.1"),
                Record.of(2L, LocalDate.of(-4, 1, 1), java.time.LocalDateTime.of(0, 3, 1, 10, 0, 0, 123_456_000),
                        OffsetDateTime.of(0, 1, 1, 10, 0, 0, 0, java.time.ZoneOffset.ofHoursMinutes(5, 30)),
                        List.of(LocalDate.of(2024, 2, 29)), "10.0.0.2"),
                Record.of(3L, LocalDate.of(-4713, 11, 24), java.time.LocalDateTime.of(-4713, 11, 24, 0, 0),
                        java.time.Instant.parse("+294276-12-31T23:59:59.999999Z"), null, "10.0.0.3"));
        // the inet and date[] columns have no binary encoding here, so the whole batch goes by text COPY
        TableFixture.on(ds, "raw.far_dates").columns("id bigint primary key", "d date", "ts timestamp", "tz timestamptz",
                "days date[]", "ip inet").rows();
        MergeLoader loader = MergeLoader.into(ds, "raw.far_dates").key("id").build();
        assertThat(loader.load(RecordBatch.of(schema, records)).inserted()).isEqualTo(3);
        List<List<String>> stored = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select d::text, ts::text, (tz at time zone 'UTC')::text, days::text from raw.far_dates"
                     + " order by id")) {
            while (rs.next()) {
                stored.add(java.util.Arrays.asList(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
        }
        assertThat(stored).containsExactly(
                List.of("10000-01-01", "10000-01-01 10:00:00", "2024-07-01 08:00:00", "{10000-01-01,\"0005-01-01 BC\"}"),
                List.of("0005-01-01 BC", "0001-03-01 10:00:00.123456 BC", "0001-01-01 04:30:00 BC", "{2024-02-29}"),
                java.util.Arrays.asList("4714-11-24 BC", "4714-11-24 00:00:00 BC", "294276-12-31 23:59:59.999999", null));
        // the same values again are equal to what is stored
        assertThat(loader.load(RecordBatch.of(schema, records)).unchanged()).isEqualTo(3);
    }

    private static List<dev.mds.core.Field> schemaWithStringId(Schema schema) {
        List<dev.mds.core.Field> fields = new ArrayList<>(schema.fields());
        fields.set(0, dev.mds.core.Field.required("id", FieldType.STRING));
        return fields;
    }

    @Test
    void joinsTheCallersTransactionForRecords(DataSource ds) throws Exception {
        MergeLoader loader = MergeLoader.into(ds, "raw.joined_records").key("id").build();
        loader.load(users(Record.of(1L, "a", 1L)));
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            loader.load(users(Record.of(2L, "b", 1L)), c);
            loader.load(users(Record.of(2L, "b2", 2L)), c);
            c.rollback();
        }
        assertThatTable(ds, "raw.joined_records").columns("id", "name").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void sqlShowsTheStatementsWithoutRunningThem(DataSource ds) {
        MergeLoader loader = MergeLoader.into(ds, "raw.planned").key("id").loadTimestamp("load_timestamp").build();
        // a missing (or empty) table is created and its rows COPYed straight into it, as the load does
        List<String> sql = loader.sql(USERS);
        assertThat(String.join("\n", sql)).contains("create table \"raw\".\"planned\"", "copy \"raw\".\"planned\"")
                .doesNotContain("merge into");
        assertThatTable(ds, "raw.planned").doesNotExist();
        loader.load(users(Record.of(1L, "a", 1L)));
        sql = loader.sql(USERS);
        assertThat(String.join("\n", sql)).contains("merge into \"raw\".\"planned\"", "is distinct from",
                "\"load_timestamp\" = now()").doesNotContain("create table");
    }

    @Test
    void overwriteKeepsTheTableWithItsGrantsTriggersSerialColumnAndViews(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create table raw.kept (id serial primary key, v varchar(5))");
            st.execute("insert into raw.kept (v) values ('old1'), ('old2')");
            st.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = 'mds_load_kept_reader') then"
                    + " create role mds_load_kept_reader; end if; end $$");
            st.execute("grant usage on schema raw to mds_load_kept_reader");
            st.execute("grant select on raw.kept to mds_load_kept_reader");
            st.execute("create table raw.kept_audit (v text)");
            st.execute("create function raw.kept_audit() returns trigger language plpgsql as"
                    + " $$ begin insert into raw.kept_audit values (new.v); return new; end $$");
            st.execute("create trigger audit after insert on raw.kept for each row execute function raw.kept_audit()");
            st.execute("create view raw.kept_view as select id, upper(v) as v from raw.kept");
        }
        Schema values = Schema.builder().add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.kept").mode(SyncMode.OVERWRITE).build();
        LoadResult r = loader.load(RecordBatch.of(values, List.of(Record.of("new1"), Record.of("new2"))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.deleted()).isEqualTo(2);
        // the sequence goes on (it belongs to the table, which stays); the view reads the new rows
        assertThatTable(ds, "raw.kept").columns("id", "v").containsExactlyInAnyOrder(row(3, "new1"), row(4, "new2"));
        assertThatTable(ds, "raw.kept_view").columns("id", "v").containsExactlyInAnyOrder(row(3, "NEW1"), row(4, "NEW2"));
        assertThat(count(ds, "select has_table_privilege('mds_load_kept_reader', 'raw.kept', 'select')::int")).isEqualTo(1);
        assertThat(count(ds, "select count(*) from pg_trigger where tgrelid = 'raw.kept'::regclass and not tgisinternal"))
                .isEqualTo(1);
        assertThatTable(ds, "raw.kept_audit").column("v").containsOnly("new1", "new2");

        // a bad row (too long for varchar(5)) fails the load, which leaves the rows it would have replaced
        assertThatThrownBy(() -> loader.load(RecordBatch.of(values, List.of(Record.of("ok"), Record.of("far too long")))))
                .isInstanceOfSatisfying(dev.mds.core.BadInputException.class,
                        e -> assertThat(e.location().recordNumber()).hasValue(2));
        assertThatTable(ds, "raw.kept").columns("id", "v").containsExactlyInAnyOrder(row(3, "new1"), row(4, "new2"));
        assertThat(loader.sql(values)).anySatisfy(sql -> assertThat(sql).startsWith("truncate table \"raw\".\"kept\""));
    }

    @Test
    void mergeIntoColumnsWithoutEqualityComparesTheirText(DataSource ds) throws Exception {
        // json and xml have no "=" (IS DISTINCT FROM failed: operator does not exist: json = json); box's "=" compares
        // areas, so a moved box of the same area would be left unchanged
        TableFixture.on(ds, "raw.no_equality").columns("id bigint primary key", "doc json", "docs json[]", "x xml", "b box",
                "v varchar(10)").rows();
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("doc", FieldType.JSON)
                .add("docs", FieldType.arrayOf(FieldType.JSON)).add("x", FieldType.STRING).add("b", FieldType.STRING)
                .add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.no_equality").key("id").build();
        Record one = Record.of(1L, "{\"a\":1}", List.of("{\"a\":1}"), "<a>1</a>", "(1,1),(0,0)", "v");
        Record two = Record.of(2L, "{\"b\":1}", List.of("{\"b\":1}"), "<b>1</b>", "(1,1),(0,0)", "v");
        loader.load(RecordBatch.of(schema, List.of(one, two)));   // an empty target: COPY straight into it
        LoadResult same = loader.load(RecordBatch.of(schema, List.of(one, two)));
        assertThat(same.unchanged()).isEqualTo(2);
        assertThat(same.updated()).isZero();
        LoadResult changed = loader.load(RecordBatch.of(schema, List.of(
                Record.of(1L, "{\"a\":2}", List.of("{\"a\":1}"), "<a>1</a>", "(1,1),(0,0)", "v"),
                Record.of(2L, "{\"b\":1}", List.of("{\"b\":1}"), "<b>1</b>", "(2,2),(1,1)", "v"),
                Record.of(3L, null, null, null, null, null))));
        assertThat(changed.updated()).isEqualTo(2);
        assertThat(changed.inserted()).isEqualTo(1);
        assertThat(text(ds, "select string_agg(concat_ws(' ', id, doc, b), ' | ' order by id) from raw.no_equality"))
                .isEqualTo("1 {\"a\":2} (1,1),(0,0) | 2 {\"b\":1} (2,2),(1,1) | 3");
    }

    static String text(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void duplicatesOfATimestamptzKeyAreCollapsedWhateverTheirJavaTypeOffsetOrNanoseconds(DataSource ds) throws Exception {
        // an Instant and an OffsetDateTime (both documented values of TIMESTAMPTZ) of one instant, or two instants one
        // nanosecond apart, are one key in the database: staged twice, the MERGE failed on a duplicate key (a
        // non-empty target) or the COPY blamed a valid record (an empty one)
        Schema schema = Schema.builder().required("at", FieldType.TIMESTAMPTZ).add("v", FieldType.STRING).build();
        OffsetDateTime utc = OffsetDateTime.parse("2024-01-01T00:00:00Z");
        RecordBatch batch = RecordBatch.of(schema, List.of(Record.of(utc, "first"),
                Record.of(utc.withOffsetSameInstant(java.time.ZoneOffset.ofHours(1)), "second"),
                Record.of(utc.toInstant(), "third"), Record.of(utc.toInstant().plusNanos(1), "fourth"),
                Record.of(utc.atZoneSameInstant(java.time.ZoneId.of("Europe/Paris")), "fifth"),
                Record.of(utc.plusSeconds(1), "other")));
        for (String table : List.of("raw.tstz_key_empty", "raw.tstz_key_seeded")) {
            MergeLoader loader = MergeLoader.into(ds, table).key("at").build();
            if (table.endsWith("seeded")) {
                loader.load(RecordBatch.of(schema, List.of(Record.of(utc.minusDays(1), "seed"))));   // MERGE, not COPY
            }
            LoadResult r = loader.load(batch);
            assertThat(r.inserted()).as(table).isEqualTo(2);
            assertThat(text(ds, "select string_agg(v, ',' order by at) from " + table + " where at >= '2024-01-01Z'"))
                    .as(table).isEqualTo("fifth,other");
        }
    }

    @Test
    void stringKeysThatTheDatabaseReadsAsOneValueAreCollapsed(DataSource ds) throws Exception {
        // text values for bigint and uuid key columns: '01' = '1' and an upper-case uuid = its lower-case text
        TableFixture.on(ds, "raw.text_keys").columns("id bigint", "u uuid", "v text", "primary key (id, u)").rows();
        Schema schema = Schema.builder().required("id", FieldType.STRING).required("u", FieldType.STRING)
                .add("v", FieldType.STRING).build();
        String u = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        MergeLoader loader = MergeLoader.into(ds, "raw.text_keys").key("id", "u").build();
        loader.load(RecordBatch.of(schema, List.of(Record.of("9", u, "seed"))));
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("1", u, "first"),
                Record.of("01", u.toUpperCase(java.util.Locale.ROOT), "second"), Record.of(" 2", u, "third"),
                Record.of("2", "{" + u.replace("-", "") + "}", "fourth"))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThatTable(ds, "raw.text_keys").columns("id", "v").containsExactlyInAnyOrder(row(1, "second"), row(2, "fourth"),
                row(9, "seed"));
        // a key value the database cannot read is reported with its record, as before
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of("3", u, "ok"), Record.of("x", u, "bad")))))
                .isInstanceOfSatisfying(dev.mds.core.BadInputException.class,
                        e -> assertThat(e.location().recordNumber()).hasValue(2));
    }

    @Test
    void stringKeysThatTheDatabaseFindsEqualButPrintsDifferentlyAreCollapsed(DataSource ds) throws Exception {
        // numeric '1.0' = '1.00' and interval '1 day' = '24 hours', though their text differs
        TableFixture.on(ds, "raw.equal_keys").columns("n numeric", "span interval", "v text", "primary key (n, span)").rows();
        Schema schema = Schema.builder().required("n", FieldType.STRING).required("span", FieldType.STRING)
                .add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.equal_keys").key("n", "span").build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("1.0", "1 day", "first"),
                Record.of("1.00", "24 hours", "second"), Record.of("2", "1 day", "third"))));
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(count(ds, "select count(*) from raw.equal_keys where n = 1 and span = interval '1 day' and v = 'second'"))
                .isEqualTo(1);
        assertThatTable(ds, "raw.equal_keys").hasRowCount(2);
    }

    @Test
    void keysTheDatabaseFindsEqualAreCollapsedInTheFirstLoadThatCreatesTheTable(DataSource ds) throws Exception {
        // the table does not exist yet: its key is created as uuid (numeric) and COPYed into; before, the keys were
        // compared as Java compares them, so the second spelling of a key failed the first load ('duplicate key')
        // where every later load collapsed it
        String u = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        Schema uuids = Schema.builder().required("u", FieldType.UUID).add("v", FieldType.STRING).build();
        LoadResult r = MergeLoader.into(ds, "raw.first_uuid_keys").key("u").build().load(RecordBatch.of(uuids,
                List.of(Record.of(u, "first"), Record.of(u.toUpperCase(java.util.Locale.ROOT), "second"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.first_uuid_keys").columns("u", "v").containsExactlyInAnyOrder(row(java.util.UUID.fromString(u), "second"));
        Schema decimals = Schema.builder().required("k", FieldType.DECIMAL).add("v", FieldType.STRING).build();
        r = MergeLoader.into(ds, "raw.first_decimal_keys").key("k").build().load(RecordBatch.of(decimals,
                List.of(Record.of(2L, "first"), Record.of(new BigDecimal("2.0"), "second"), Record.of(3L, "third"))));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(2);
        assertThatTable(ds, "raw.first_decimal_keys").hasRowCount(2);
        assertThatTable(ds, "raw.first_decimal_keys").column("v").containsOnly("second", "third");
    }

    @Test
    void doubleKeysOfPlusAndMinusZeroAreOneKey(DataSource ds) throws Exception {
        // -0.0 = 0.0 in PostgreSQL but not to Double.equals: staged twice, the MERGE failed on a duplicate key
        Schema schema = Schema.builder().required("x", FieldType.DOUBLE).add("v", FieldType.STRING).build();
        RecordBatch batch = RecordBatch.of(schema, List.of(Record.of(0.0, "plus"), Record.of(-0.0, "minus"),
                Record.of(1.5f, "float"), Record.of(1.5, "double")));
        for (String table : List.of("raw.zero_key_empty", "raw.zero_key_seeded")) {
            MergeLoader loader = MergeLoader.into(ds, table).key("x").build();
            if (table.endsWith("seeded")) {
                loader.load(RecordBatch.of(schema, List.of(Record.of(7.0, "seed"))));   // MERGE, not COPY
            }
            LoadResult r = loader.load(batch);
            assertThat(r.inserted()).as(table).isEqualTo(2);
            assertThat(text(ds, "select string_agg(v, ',' order by x) from " + table + " where x < 7")).as(table)
                    .isEqualTo("minus,double");
        }
    }

    @Test
    void countsIntoAPartitionedTargetAreExact(DataSource ds) throws Exception {
        // a partitioned table's own counters stay 0: every merged row was reported as updated
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create table raw.parted (id bigint primary key, name text, updated_at bigint) partition by range (id)");
            st.execute("create table raw.parted_low partition of raw.parted for values from (0) to (100)");
            st.execute("create table raw.parted_high partition of raw.parted for values from (100) to (maxvalue)");
        }
        MergeLoader loader = MergeLoader.into(ds, "raw.parted").key("id").build();
        loader.load(users(Record.of(1L, "a", 1L), Record.of(101L, "b", 1L)));
        LoadResult r = loader.load(users(Record.of(1L, "a2", 2L), Record.of(101L, "b", 1L), Record.of(2L, "new", 1L),
                Record.of(102L, "new", 1L), Record.of(103L, "new", 1L)));
        assertThat(r.inserted()).as(r.toString()).isEqualTo(3);
        assertThat(r.updated()).as(r.toString()).isEqualTo(1);
        assertThat(r.unchanged()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.parted").hasRowCount(5);
    }

    static String snapshot(DataSource ds, String table) throws Exception {
        StringBuilder s = new StringBuilder();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select t.ctid, t.xmin, t::text from " + table + " t order by 3")) {
            while (rs.next()) {
                s.append(rs.getString(1)).append(rs.getString(2)).append(rs.getString(3)).append('\n');
            }
        }
        return s.toString();
    }

    static long count(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
