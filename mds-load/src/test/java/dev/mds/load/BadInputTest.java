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
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Every bad input names the table, the record number and the key, and nothing of its batch is committed. */
@MdsPostgres
class BadInputTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("amount", FieldType.decimal(6, 2)).build();

    static MergeLoader seeded(DataSource ds, String table, OnBadRow onBadRow) {
        MergeLoader loader = MergeLoader.into(ds, "raw." + table).key("id").onBadRow(onBadRow).build();
        loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "one", new BigDecimal("1.00")))));
        return loader;
    }

    static RecordBatch batchWith(Record bad) {
        return RecordBatch.of(SCHEMA, List.of(Record.of(1L, "changed", new BigDecimal("9.99")), Record.of(2L, "two", null), bad,
                Record.of(4L, "four", BigDecimal.ONE)));
    }

    static void assertUntouched(DataSource ds, String table) {
        assertThatTable(ds, "raw." + table).columns("id", "name", "amount").containsExactlyInAnyOrder(row(1, "one", 1));
    }

    /**
     * A column named as a PostgreSQL system column (a CSV header "xmin") is refused before anything is written, naming
     * it; PostgreSQL refused the target's DDL with "conflicts with a system column name", naming no source. "XMIN" is
     * another name, and loads.
     */
    @Test
    void aColumnNamedAsASystemColumnIsRefusedNamingIt(DataSource ds) {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("xmin", FieldType.STRING)
                .add("ctid", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.system_names").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a", "b")))))
                .isInstanceOfSatisfying(SchemaMismatchException.class, e -> {
                    assertThat(e.table()).isEqualTo(TableName.parse("raw.system_names"));
                    assertThat(e.getMessage()).contains("[xmin, ctid]", "system columns");
                });
        assertThat(TestSql.strings(ds, "select count(*) from pg_class where relname = 'system_names'")).containsExactly("0");

        Schema upper = Schema.builder().required("id", FieldType.LONG).add("XMIN", FieldType.STRING).build();
        loader.load(RecordBatch.of(upper, List.of(Record.of(1L, "a"))));
        assertThatTable(ds, "raw.system_names").columns("id", "XMIN").containsExactlyInAnyOrder(row(1, "a"));
    }

    @Test
    void nullKeyNamesTableRecordAndKeyAndCommitsNothing(DataSource ds) {
        MergeLoader loader = seeded(ds, "null_key", OnBadRow.FAIL);
        assertThatThrownBy(() -> loader.load(batchWith(Record.of(null, "three", null))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().source()).isEqualTo("raw.null_key");
                    assertThat(e.location().recordNumber()).hasValue(3);
                    assertThat(e.location().key()).hasValue("id=NULL");
                    assertThat(e.getMessage()).contains("raw.null_key record 3 (key id=NULL)", "key column 'id' is NULL");
                });
        assertUntouched(ds, "null_key");
    }

    @Test
    void valueThatDoesNotFitItsColumnNamesRecordKeyAndColumn(DataSource ds) {
        MergeLoader loader = seeded(ds, "overflow", OnBadRow.FAIL);
        assertThatThrownBy(() -> loader.load(batchWith(Record.of(3L, "three", new BigDecimal("123456.78")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(3);
                    assertThat(e.location().key()).hasValue("id=3");
                    assertThat(e.location().column()).hasValue("amount");
                    assertThat(e.getMessage()).contains("raw.overflow record 3 (key id=3)", "numeric field overflow");
                });
        assertUntouched(ds, "overflow");
    }

    @Test
    void textThatIsNotANumberIsReportedThroughTextCopy(DataSource ds) {
        MergeLoader loader = seeded(ds, "not_a_number", OnBadRow.FAIL);
        Schema texty = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("amount", FieldType.STRING).build();
        RecordBatch batch = RecordBatch.of(texty, List.of(Record.of(1L, "changed", "2.50"), Record.of(5L, "five", "Two Hundred")));
        assertThatThrownBy(() -> loader.load(batch))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().key()).hasValue("id=5");
                    assertThat(e.getMessage()).contains("Two Hundred");
                });
        assertUntouched(ds, "not_a_number");
    }

    @Test
    void duplicateRecordNumbersPointAtTheSurvivingRecord(DataSource ds) {
        MergeLoader loader = seeded(ds, "dup_bad", OnBadRow.FAIL);
        RecordBatch batch = RecordBatch.of(SCHEMA, List.of(Record.of(7L, "ok", BigDecimal.ONE), Record.of(8L, "x", BigDecimal.ONE),
                Record.of(7L, "too big", new BigDecimal("99999"))));
        assertThatThrownBy(() -> loader.load(batch)).isInstanceOfSatisfying(BadInputException.class,
                e -> assertThat(e.location().recordNumber()).hasValue(3));
        assertUntouched(ds, "dup_bad");
    }

    @Test
    void schemaThatDisagreesWithTheTableCommitsNothing(DataSource ds) {
        MergeLoader loader = seeded(ds, "disagree", OnBadRow.FAIL);
        Schema other = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.DATE).build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(other, List.of(Record.of(1L, java.time.LocalDate.EPOCH)))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("raw.disagree").hasMessageContaining("amount");
        Schema noKey = Schema.builder().add("name", FieldType.STRING).build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(noKey, List.of(Record.of("x")))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("key column(s) [id] missing");
        assertUntouched(ds, "disagree");
    }

    /**
     * A dead letter's record was {@code String.valueOf(record)}: "[3, a, "b", null, null]" named no column, and could
     * not tell the text "null" from NULL nor a comma inside a value from one between values, so the rejected rows
     * could not be read back to be fixed and loaded again. It is a JSON object of the batch's columns now (the
     * column stays text, so existing dead-letter tables take it); a CDC delete's record holds its key columns.
     */
    @Test
    void aDeadLetterRecordIsAJsonObjectOfTheBatchsColumns(DataSource ds) {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("Note, \"quoted\"", FieldType.STRING)
                .add("text", FieldType.STRING).add("amount", FieldType.decimal(6, 2)).add("ok", FieldType.BOOLEAN)
                .add("at", FieldType.TIMESTAMPTZ).add("raw", FieldType.BYTES).add("f", FieldType.DOUBLE).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.dl_json").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(
                Record.of(1L, "a, \"b\"\n", "null", new BigDecimal("123456.5"), true,
                        java.time.OffsetDateTime.parse("2021-12-06T19:30:19.099+01:00"), new byte[] {1, (byte) 0xff},
                        Double.NaN),
                Record.of(null, null, "x", null, null, null, null, 1.5))));
        assertThat(r.rejected()).isEqualTo(2);
        assertThat(TestSql.strings(ds, """
                select concat_ws('|', j ->> 'id', jsonb_typeof(j -> 'id'), j ->> 'Note, "quoted"', jsonb_typeof(j -> 'text'),
                       j ->> 'text', j -> 'amount', j -> 'ok', j ->> 'raw', (j ->> 'at')::timestamptz = '2021-12-06 18:30:19.099Z',
                       j -> 'f', jsonb_typeof(j -> 'Note, "quoted"'))
                  from (select record::jsonb j from raw.dl_json_rejected order by record_number) r"""))
                .containsExactly("1|number|a, \"b\"\n|string|null|123456.5|true|\\x01ff|t|\"NaN\"|string",
                        // concat_ws leaves SQL NULLs out: JSON nulls, the text "x" and 1.5 remain
                        "null|string|x|null|null|1.5|null");
    }

    @Test
    void deadLetterWritesBadRowsWithReasonAndLoadsTheGoodOnes(DataSource ds) {
        MergeLoader loader = seeded(ds, "dead", OnBadRow.DEAD_LETTER);
        RecordBatch batch = RecordBatch.of(SCHEMA, List.of(Record.of(1L, "changed", new BigDecimal("9.99")),
                Record.of(null, "no key", null), Record.of(3L, "too big", new BigDecimal("123456")),
                Record.of(4L, "four", BigDecimal.ONE), Record.of(5L, "also too big", new BigDecimal("-1000000"))));
        LoadResult r = loader.load(batch);
        assertThat(r.rejected()).isEqualTo(3);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThatTable(ds, "raw.dead").columns("id", "name").containsExactlyInAnyOrder(row(1, "changed"), row(4, "four"));
        assertThatTable(ds, "raw.dead_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2, "id=NULL"),
                row(3, "id=3"), row(5, "id=5"));
        assertThatTable(ds, "raw.dead_rejected").column("reason").containsOnly("key column 'id' is NULL", "numeric field overflow"
                + " (A field with precision 6, scale 2 must round to an absolute value less than 10^4.)");
    }

    /**
     * SKIP drops what DEAD_LETTER sets aside (a NULL key, a value the COPY refuses, a row the table refuses when the
     * MERGE writes it, a record the source could not read), counts it, loads the rest, and stores it nowhere.
     */
    @Test
    void skipDropsBadRowsCountsThemAndLoadsTheGoodOnes(DataSource ds) {
        MergeLoader loader = seeded(ds, "skip", OnBadRow.SKIP);
        TestSql.sql(ds, "alter table raw.skip add constraint not_zero check (amount <> 0)");
        RecordBatch batch = RecordBatch.of(SCHEMA, List.of(Record.of(1L, "changed", new BigDecimal("9.99")),
                Record.of(null, "no key", null), Record.of(3L, "too big", new BigDecimal("123456")),
                Record.of(4L, "four", BigDecimal.ONE), Record.of(5L, "zero", BigDecimal.ZERO)))
                .withRejected(List.of(new dev.mds.core.BadRecord(dev.mds.core.InputLocation.of("prices.csv").withLine(7)
                        .withRecordNumber(6), "expected 3 fields but found 2", "6,six")));
        LoadResult r = loader.load(batch);
        assertThat(r.rejected()).isEqualTo(4);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThatTable(ds, "raw.skip").columns("id", "name").containsExactlyInAnyOrder(row(1, "changed"), row(4, "four"));
        assertThat(TestSql.strings(ds, "select to_regclass('raw.skip_rejected') is null")).containsExactly("t");

        MergeLoader overwrite = MergeLoader.into(ds, "raw.skip").mode(SyncMode.OVERWRITE).key("id").onBadRow(OnBadRow.SKIP).build();
        assertThatThrownBy(() -> overwrite.load(RecordBatch.of(SCHEMA, List.of(Record.of(3L, "too big", new BigDecimal("123456"))))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("onBadRow(SKIP) would have dropped them");
        assertThatTable(ds, "raw.skip").columns("id", "name").containsExactlyInAnyOrder(row(1, "changed"), row(4, "four"));
    }

    /**
     * OVERWRITE with DEAD_LETTER whose every record is refused (a day-first date file, a wrong decimal separator):
     * before, the table was truncated and nothing replaced its rows, so one bad file emptied it and the load reported
     * success. Now such an overwrite fails naming the table, the count and the refusals, and the table keeps its rows
     * (no dead letters are stored: nothing of the batch is committed); a batch of no records at all still empties it,
     * and one good record is enough to overwrite. loadAll in OVERWRITE refuses a whole stream whose every record was
     * refused in the same way.
     */
    @Test
    void anOverwriteWhoseEveryRecordIsRefusedFailsAndKeepsTheTablesRows(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw; create table raw.ow_all_bad (id bigint primary key, name text,"
                + " amount numeric(6,2)); insert into raw.ow_all_bad values (1, 'one', 1), (2, 'two', 2)");
        MergeLoader loader = MergeLoader.into(ds, "raw.ow_all_bad").mode(SyncMode.OVERWRITE).key("id")
                .onBadRow(OnBadRow.DEAD_LETTER).build();
        RecordBatch allBad = RecordBatch.of(SCHEMA, List.of(Record.of(3L, "three", new BigDecimal("123456.50")),
                Record.of(4L, "four", new BigDecimal("999999.00"))));
        assertThatThrownBy(() -> loader.load(allBad)).isInstanceOfSatisfying(BadInputException.class, e -> assertThat(e)
                .hasMessageStartingWith("raw.ow_all_bad: OVERWRITE refused every record of the batch (2 refused of 2 records;")
                .hasMessageContaining("the table keeps its rows")
                .hasMessageContaining("record 1 (key id=3): numeric field overflow")
                .hasMessageContaining("record 2 (key id=4): numeric field overflow"));
        assertThatTable(ds, "raw.ow_all_bad").columns("id", "name").containsExactlyInAnyOrder(row(1, "one"), row(2, "two"));
        assertThat(TestSql.strings(ds, "select to_regclass('raw.ow_all_bad_rejected') is null")).containsExactly("t");
        assertThatThrownBy(() -> loader.loadAll(java.util.stream.Stream.of(allBad, allBad), 1, dev.mds.core.ProgressListener.NONE))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("OVERWRITE refused every record of the stream (4 refused of 4 records;");
        assertThatTable(ds, "raw.ow_all_bad").columns("id", "name").containsExactlyInAnyOrder(row(1, "one"), row(2, "two"));
        // the stream as a whole: a first batch of only bad records, then a good one, overwrites with the good one
        LoadResult all = loader.loadAll(java.util.stream.Stream.of(allBad, RecordBatch.of(SCHEMA, List.of(
                Record.of(6L, "six", BigDecimal.ONE)))), 1, dev.mds.core.ProgressListener.NONE);
        assertThat(all.inserted()).isEqualTo(1);
        assertThat(all.rejected()).isEqualTo(2);
        assertThatTable(ds, "raw.ow_all_bad").columns("id", "name").containsExactlyInAnyOrder(row(6, "six"));
        TestSql.sql(ds, "drop table raw.ow_all_bad_rejected");

        LoadResult r = loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(3L, "three", new BigDecimal("123456.50")),
                Record.of(5L, "five", BigDecimal.TEN))));
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.rejected()).isEqualTo(1);
        assertThatTable(ds, "raw.ow_all_bad").columns("id", "name").containsExactlyInAnyOrder(row(5, "five"));
        loader.load(RecordBatch.of(SCHEMA, List.of()));
        assertThatTable(ds, "raw.ow_all_bad").isEmpty();
    }

    @Test
    void aJsonValueTheColumnRefusesNamesItsOwnRecordNotTheLineInsideTheJson(DataSource ds) {
        // jsonb refuses "\u0000", and PostgreSQL's context names "JSON data, line 1" before "COPY ..., line 3": the
        // first ", line N" was taken for the COPY's, so record 1 (a good one) was blamed and, with DEAD_LETTER, set aside
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("doc", FieldType.JSON).build();
        List<Record> records = List.of(Record.of(1L, "{\"a\": 1}"), Record.of(2L, "{\"a\": 2}"),
                Record.of(3L, "{\"a\": \"x\\u0000y\"}"), Record.of(4L, "{\"a\": 4}"));
        MergeLoader strict = MergeLoader.into(ds, "raw.json_nul").key("id").build();
        strict.load(RecordBatch.of(schema, List.of(Record.of(9L, "{}"))));
        assertThatThrownBy(() -> strict.load(RecordBatch.of(schema, records)))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(3);
                    assertThat(e.location().column()).hasValue("doc");
                    assertThat(e.getMessage()).startsWith("raw.json_nul record 3 (key id=3)");
                });
        // straight into an empty table (the COPY names the target) and through the stage
        for (String table : List.of("raw.json_nul_empty", "raw.json_nul")) {
            LoadResult r = MergeLoader.into(ds, table).key("id").onBadRow(OnBadRow.DEAD_LETTER).build()
                    .load(RecordBatch.of(schema, records));
            assertThat(r.rejected()).as(table + " " + r).isEqualTo(1);
            assertThatTable(ds, table + "_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(3, "id=3"));
        }
        assertThatTable(ds, "raw.json_nul").column("id").containsOnly(1L, 2L, 4L, 9L);
        // a document that is no JSON, its error on its own third line ("JSON data, line 3"): record 2, not 3
        assertThatThrownBy(() -> strict.load(RecordBatch.of(schema, List.of(Record.of(1L, "{}"),
                Record.of(5L, "{\n\"a\": 1,\n\"b\": }"), Record.of(6L, "{}")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> assertThat(e.location().recordNumber()).hasValue(2));
    }

    @Test
    void aBadRowWithAByteaKeyNamesTheKeysBytes(DataSource ds) {
        // the key was printed as byte[]'s identity ("k=[B@1b6d3586"), in the message and in <table>_rejected
        Schema schema = Schema.builder().required("k", FieldType.BYTES).add("n", FieldType.decimal(4, 2)).build();
        RecordBatch batch = RecordBatch.of(schema, List.of(Record.of(new byte[] {1}, BigDecimal.ONE),
                Record.of(new byte[] {(byte) 0xca, (byte) 0xfe}, new BigDecimal("123.45"))));
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.bytea_key").key("k").build().load(batch))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().key()).hasValue("k=\\xcafe");
                    assertThat(e.getMessage()).startsWith("raw.bytea_key record 2 (key k=\\xcafe)");
                });
        MergeLoader.into(ds, "raw.bytea_key").key("k").onBadRow(OnBadRow.DEAD_LETTER).build().load(batch);
        assertThatTable(ds, "raw.bytea_key_rejected").column("key").containsOnly("k=\\xcafe");
    }

    @Test
    void deadLetterWithManyBadRowsKeepsEveryGoodRowAndNamesEveryBadOne(DataSource ds) throws Exception {
        MergeLoader loader = seeded(ds, "many_bad", OnBadRow.DEAD_LETTER);
        List<Record> records = new java.util.ArrayList<>();
        long expectedBad = 0;
        for (long id = 2; id <= 3001; id++) {
            // every 7th too big for numeric(6,2), adjacent bad rows at the end, a bad last row
            boolean bad = id % 7 == 0 || id >= 2998;
            records.add(Record.of(id, "n" + id, new BigDecimal(bad ? "100000" : "1.25")));
            expectedBad += bad ? 1 : 0;
        }
        LoadResult r = loader.load(RecordBatch.of(SCHEMA, records));
        assertThat(r.rejected()).isEqualTo(expectedBad);
        assertThat(r.inserted()).isEqualTo(3000 - expectedBad);
        assertThatTable(ds, "raw.many_bad").hasRowCount(1 + 3000 - expectedBad);
        assertThatTable(ds, "raw.many_bad_rejected").hasRowCount(expectedBad);
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("select count(*) from raw.many_bad_rejected j join raw.many_bad t"
                     + " on j.key = 'id=' || t.id")) {
            rs.next();
            assertThat(rs.getLong(1)).as("a rejected key was also loaded").isZero();
        }
        assertThatTable(ds, "raw.many_bad_rejected").columns("record_number", "key").contains(row(6, "id=7"), row(3000, "id=3001"));
    }

    @Test
    void deadLetterOfAFoldedChangeEventStillAppliesTheKeysEarlierEventsOfTheBatch(DataSource ds) {
        TableName src = TableName.of("app", "users");
        MergeLoader loader = MergeLoader.into(ds, "raw.cdc_dead").mode(SyncMode.CDC).onBadRow(OnBadRow.DEAD_LETTER).build();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "one", BigDecimal.ONE), new EventPosition(1, 1), t),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "two", BigDecimal.ONE), new EventPosition(1, 2), t)),
                Optional.empty()));
        // key 1: deleted, then re-inserted with a value its column refuses; key 2: a good update, then a refused one
        LoadResult r = loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.delete(src, Record.of(1L), new EventPosition(2, 1), t),
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "back", new BigDecimal("100000")), new EventPosition(2, 2), t),
                ChangeEvent.update(src, Record.of(2L), Record.of(2L, "two v2", BigDecimal.TEN), new EventPosition(2, 3), t),
                ChangeEvent.update(src, Record.of(2L), Record.of(2L, "two v3", new BigDecimal("-100000")), new EventPosition(2, 4), t),
                ChangeEvent.create(src, Record.of(3L), Record.of(3L, "three", BigDecimal.ONE), new EventPosition(2, 5), t)),
                Optional.empty()));
        assertThat(r.rejected()).isEqualTo(2);
        // as if the refused events were not in the batch: key 1 deleted, key 2 at its good update
        assertThatTable(ds, "raw.cdc_dead").columns("id", "name", "amount").containsExactlyInAnyOrder(row(2, "two v2", 10),
                row(3, "three", 1));
        assertThatTable(ds, "raw.cdc_dead_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2, "id=1"),
                row(4, "id=2"));
        assertThat(TestSql.strings(ds, "select record::jsonb ->> 'name' from raw.cdc_dead_rejected order by record_number"))
                .containsExactly("back", "two v3");   // the refused events' after images, by column name
        // the delete is remembered: a replayed older insert of key 1 stays out
        loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "one", BigDecimal.ONE), new EventPosition(1, 1), t)),
                Optional.empty()));
        assertThatTable(ds, "raw.cdc_dead").hasRowCount(2);
    }

    @Test
    void deadLetterFallsBackOnlyToEarlierEventsNewerThanTheTargetsLastTruncate(DataSource ds) {
        TableName src = TableName.of("app", "users");
        MergeLoader loader = MergeLoader.into(ds, "raw.cdc_dead_trunc").mode(SyncMode.CDC).onBadRow(OnBadRow.DEAD_LETTER).build();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "one", BigDecimal.ONE), new EventPosition(1, 1), t),
                ChangeEvent.truncate(src, new EventPosition(5, 0), t),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "two", BigDecimal.ONE), new EventPosition(5, 1), t)),
                Optional.empty()));
        // a replay from before the truncate, then a refused update: falling back to the replay would revive key 1
        LoadResult r = loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "old", BigDecimal.TEN), new EventPosition(3, 3), t),
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "refused", new BigDecimal("100000")), new EventPosition(6, 1), t),
                ChangeEvent.update(src, Record.of(2L), Record.of(2L, "two v2", BigDecimal.TEN), new EventPosition(6, 2), t)),
                Optional.empty()));
        assertThat(r.rejected()).isEqualTo(1);
        assertThatTable(ds, "raw.cdc_dead_trunc").columns("id", "name").containsExactlyInAnyOrder(row(2, "two v2"));
    }

    @Test
    void deadLetterOfTheLastDuplicateOfAKeyLoadsTheDuplicateBeforeIt(DataSource ds) {
        MergeLoader loader = seeded(ds, "dup_dead", OnBadRow.DEAD_LETTER);
        LoadResult r = loader.load(RecordBatch.of(SCHEMA, List.of(Record.of(1L, "good", new BigDecimal("2.00")),
                Record.of(1L, "refused", new BigDecimal("100000")), Record.of(2L, "two", BigDecimal.ONE))));
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.dup_dead").columns("id", "name", "amount").containsExactlyInAnyOrder(row(1, "good", 2),
                row(2, "two", 1));
        assertThatTable(ds, "raw.dup_dead_rejected").columns("record_number", "key").containsExactlyInAnyOrder(row(2, "id=1"));
    }

    /**
     * With a cursor, the record a refused one gives way to is the one the batch would keep without it: the newest of
     * the others by cursor, wherever it stands in the batch. Before, only records that came before the refused one (and
     * that it had replaced) were kept to fall back on, so a key whose newest record came first and was refused lost the
     * others (key 1 was not written) or fell back to an older one (key 2 got 'older', not 'newer').
     */
    @Test
    void deadLetterOfTheNewestRecordOfAKeyByCursorLoadsTheNextNewestWhereverItStands(DataSource ds) {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("amount", FieldType.decimal(6, 2)).add("ver", FieldType.LONG).build();
        BigDecimal refused = new BigDecimal("100000");
        for (boolean empty : List.of(true, false)) {
            String table = "raw.cursor_dead_" + (empty ? "empty" : "seeded");
            MergeLoader loader = MergeLoader.into(ds, table).key("id").cursor("ver").onBadRow(OnBadRow.DEAD_LETTER).build();
            if (!empty) {
                loader.load(RecordBatch.of(schema, List.of(Record.of(9L, "seed", BigDecimal.ONE, 0L))));   // MERGE, not COPY
            }
            LoadResult r = loader.load(RecordBatch.of(schema, List.of(
                    Record.of(1L, "newest", refused, 9L), Record.of(1L, "null", BigDecimal.ONE, null), Record.of(1L, "next", BigDecimal.ONE, 5L),
                    Record.of(2L, "older", BigDecimal.ONE, 1L), Record.of(2L, "newest", refused, 7L),
                    Record.of(2L, "newer", BigDecimal.ONE, 3L), Record.of(2L, "tie", refused, 3L),
                    Record.of(3L, "newer", refused, 4L), Record.of(3L, "older", BigDecimal.ONE, 2L))));
            assertThat(r.rejected()).as(table).isEqualTo(4);
            assertThat(r.inserted()).as(table).isEqualTo(3);
            assertThatTable(ds, table).as(table).columns("id", "name").contains(row(1, "next"), row(2, "newer"), row(3, "older"));
            assertThatTable(ds, table + "_rejected").as(table).column("record_number").containsOnly(1, 5, 7, 8);
        }
    }

    @Test
    void aRowRefusedByATriggerOrAUniqueKeyOnlyInTheMergeNamesTheTableTheRecordsAndCommitsNothing(DataSource ds) {
        // such rows are refused by the MERGE for the batch as a whole: the error used to be PostgreSQL's alone
        // ("ERROR: no negative names"), naming no table and no record; the refused records are now looked for
        String table = "merge_refused";
        MergeLoader loader = seeded(ds, table, OnBadRow.FAIL);
        TestSql.sql(ds, "create function raw." + table + "_f() returns trigger language plpgsql as $$ begin"
                        + " if new.name = 'no' then raise exception 'no negative names'; end if; return new; end $$",
                "create trigger refuse before insert or update on raw." + table + " for each row execute function raw."
                        + table + "_f()",
                "alter table raw." + table + " add unique (name)");
        assertThatThrownBy(() -> loader.load(batchWith(Record.of(3L, "no", null))))
                .isInstanceOf(RefusedRowsException.class)
                .hasMessageStartingWith("raw." + table + " record 3 (key id=3): the table refused 1 record(s)")
                .hasMessageContaining("nothing of this batch was loaded").hasMessageContaining("no negative names");
        assertUntouched(ds, table);
        assertThatThrownBy(() -> loader.load(batchWith(Record.of(3L, "four", null))))
                .isInstanceOf(RefusedRowsException.class)
                .hasMessageContaining("record 3 (key id=3), record 4 (key id=4)")
                .hasMessageContaining("unique constraint");
        assertUntouched(ds, table);
    }

    @Test
    void deadLetterOfARecordWhoseTextKeyHoldsANulCharacterNamesItsKeyWithTheCharacterEscaped(DataSource ds) {
        // PostgreSQL text cannot hold U+0000: the COPY refuses the record, and its key must reach the dead-letter
        // table escaped as its record does (the insert into <table>_rejected failed, and with it the whole load)
        Schema schema = Schema.builder().required("code", FieldType.STRING).add("name", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.nul_key").key("code").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(RecordBatch.of(schema, List.of(Record.of("a", "one"), Record.of("b\0c", "two"),
                Record.of("d", "three"))));
        assertThat(r.rejected()).as(r.toString()).isEqualTo(1);
        assertThatTable(ds, "raw.nul_key").columns("code", "name").containsExactlyInAnyOrder(row("a", "one"), row("d", "three"));
        assertThatTable(ds, "raw.nul_key_rejected").columns("record_number", "key")
                .containsExactlyInAnyOrder(row(2, "code=b\\0c"));
    }

    @Test
    void aLoneSurrogateInTextNamesItsColumn(DataSource ds) {
        // UTF-8 cannot carry a lone surrogate: the value goes by text COPY, whose encoding error names no column
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("note", FieldType.STRING).add("v", FieldType.STRING)
                .build();
        dev.mds.testing.TableFixture.on(ds, "raw.surrogate_col").columns("id bigint primary key", "note text", "v text").rows();
        MergeLoader loader = MergeLoader.into(ds, "raw.surrogate_col").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a", "ok \uD83D\uDE00"),
                Record.of(2L, "b", "x\uD83Dy")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).as(e.getMessage()).hasValue(2);
                    assertThat(e.location().column()).as(e.getMessage()).hasValue("v");
                    assertThat(e.getMessage()).contains("raw.surrogate_col record 2 (key id=2), column 'v'", "surrogate");
                });
        assertThatTable(ds, "raw.surrogate_col").isEmpty();
    }

    @Test
    void aNulCharacterInTextNamesItsColumnInTextCopyAsInBinaryCopy(DataSource ds) {
        // PostgreSQL's text cannot hold U+0000. Binary COPY's error names the column; text COPY (taken here for the
        // inet column) checks the encoding of the whole line, so its error named the line only, and PostgreSQL's
        // 'invalid byte sequence for encoding "UTF8": 0x00' reads as an encoding problem of the input
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("note", FieldType.STRING).add("v", FieldType.STRING)
                .add("ip", FieldType.STRING).build();
        for (String ipType : List.of("text", "inet")) {
            String table = "raw.nul_" + ipType;
            dev.mds.testing.TableFixture.on(ds, table).columns("id bigint primary key", "note text", "v text", "ip " + ipType).rows();
            MergeLoader loader = MergeLoader.into(ds, table).key("id").build();
            assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, "a", "ok", "10.0.0.1"),
                    Record.of(2L, "b", "x\0y", "10.0.0.2")))))
                    .as(ipType).isInstanceOfSatisfying(BadInputException.class, e -> {
                        assertThat(e.location().recordNumber()).as(e.getMessage()).hasValue(2);
                        assertThat(e.location().column()).as(e.getMessage()).hasValue("v");
                        assertThat(e.getMessage()).contains(table + " record 2 (key id=2), column 'v'", "0x00");
                    });
            assertThatTable(ds, table).isEmpty();
        }
    }

    @Test
    void aBatchOfLoadAllThatFailsIsNamedWithWhereItsRecordsEndInTheSource(DataSource ds) {
        // the bad record's number is the batch's: with the source position of the batch, a user finds it in the file
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.STRING).build();
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.OVERWRITE, SyncMode.APPEND)) {
            String table = "raw.stream_bad_" + mode.name().toLowerCase(java.util.Locale.ROOT);
            dev.mds.testing.TableFixture.on(ds, table).columns("id bigint", "amount numeric(6,2)").rows();
            List<RecordBatch> batches = new ArrayList<>();
            for (long first = 1; first <= 7; first += 3) {
                long bad = first == 4 ? 5 : -1;
                List<Record> records = new ArrayList<>();
                for (long id = first; id < first + 3; id++) {
                    records.add(Record.of(id, id == bad ? "Two Hundred" : "1.5"));
                }
                batches.add(RecordBatch.of(schema, records, dev.mds.core.SourcePosition.of("prices.csv",
                        java.util.Map.of("offset", 40 * (first + 2), "record", first + 2, "line", first + 4))));
            }
            MergeLoader.Builder builder = MergeLoader.into(ds, table).mode(mode);
            MergeLoader loader = (mode == SyncMode.APPEND ? builder : builder.key("id")).build();
            assertThatThrownBy(() -> loader.loadAll(batches.stream(), 2, dev.mds.core.ProgressListener.logging()))
                    .as(mode.name()).isInstanceOf(PartialLoadException.class)
                    .hasMessageContaining("batch 2 of the stream failed (its records end at prices.csv record 6):")
                    .hasMessageContaining(table + " record 2");
        }
    }

    @Test
    void badChangeEventCommitsNothing(DataSource ds) {
        TableName src = TableName.of("app", "users");
        MergeLoader loader = MergeLoader.into(ds, "raw.cdc_bad").mode(SyncMode.CDC).build();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        loader.load(new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(src, Record.of(1L), Record.of(1L, "one", BigDecimal.ONE), new EventPosition(1, 1), t)), Optional.empty()));
        ChangeBatch bad = new ChangeBatch(src, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(src, Record.of(1L), Record.of(1L, "changed", BigDecimal.TEN), new EventPosition(2, 2), t),
                ChangeEvent.create(src, Record.of(2L), Record.of(2L, "two", new BigDecimal("100000")), new EventPosition(3, 3), t)),
                Optional.empty());
        assertThatThrownBy(() -> loader.load(bad)).isInstanceOfSatisfying(BadInputException.class, e -> {
            assertThat(e.location().recordNumber()).hasValue(2);
            assertThat(e.location().key()).hasValue("id=2");
        });
        assertThatTable(ds, "raw.cdc_bad").columns("id", "name").containsExactlyInAnyOrder(row(1, "one"));
    }

    @Test
    void aLongTooBigForAnIntegerColumnIsReportedNotWrapped(DataSource ds) {
        dev.mds.testing.TableFixture.on(ds, "raw.small_ints").columns("id bigint primary key", "n integer").rows();
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("n", FieldType.LONG).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.small_ints").key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, 5L), Record.of(2L, 5_000_000_000L)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.getMessage()).contains("out of range");
                });
        assertThatTable(ds, "raw.small_ints").isEmpty();
    }

    /** A batch of {@code (id, v)} whose record 2 carries {@code bad}, into a table whose {@code v} is {@code columnType}. */
    static void assertRefusedAsRecordTwo(DataSource ds, String table, String columnType, FieldType type, Object good, Object bad,
            String reason) {
        dev.mds.testing.TableFixture.on(ds, "raw." + table).columns("id bigint primary key", "v " + columnType).rows();
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("v", type).build();
        MergeLoader loader = MergeLoader.into(ds, "raw." + table).key("id").build();
        assertThatThrownBy(() -> loader.load(RecordBatch.of(schema, List.of(Record.of(1L, good), Record.of(2L, bad)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).as(e.getMessage()).hasValue(2);
                    assertThat(e.location().key()).hasValue("id=2");
                    assertThat(e.getMessage()).contains("raw." + table + " record 2 (key id=2)", reason);
                });
        assertThatTable(ds, "raw." + table).isEmpty();
    }

    @Test
    void dateBeyondPostgresRangeIsRefusedNotWrapped(DataSource ds) {
        // the day before LocalDate.MAX (which stands for infinity) wrapped to 466210-05-13 in binary COPY
        assertRefusedAsRecordTwo(ds, "date_max", "date", FieldType.DATE, java.time.LocalDate.of(2024, 1, 1),
                java.time.LocalDate.MAX.minusDays(1), "date");
        assertRefusedAsRecordTwo(ds, "date_min", "date", FieldType.DATE, java.time.LocalDate.of(2024, 1, 1),
                java.time.LocalDate.MIN.plusDays(1), "date");
        assertRefusedAsRecordTwo(ds, "date_past_end", "date", FieldType.DATE, java.time.LocalDate.of(2024, 1, 1),
                java.time.LocalDate.of(5874898, 1, 1), "date");
    }

    @Test
    void timestampBeyondPostgresRangeIsRefusedNotWrapped(DataSource ds) {
        // year 600000 overflowed the microseconds and wrapped to about year 15500
        assertRefusedAsRecordTwo(ds, "ts_far", "timestamp", FieldType.TIMESTAMP, java.time.LocalDateTime.of(2024, 1, 1, 0, 0),
                java.time.LocalDateTime.of(600_000, 1, 1, 0, 0), "out of range");
        assertRefusedAsRecordTwo(ds, "tstz_far", "timestamptz", FieldType.TIMESTAMPTZ, Instant.parse("2024-01-01T00:00:00Z"),
                java.time.OffsetDateTime.of(600_000, 1, 1, 0, 0, 0, 0, java.time.ZoneOffset.UTC), "out of range");
        // one second short of the MAX and MIN that stand for infinity and -infinity
        assertRefusedAsRecordTwo(ds, "tstz_max", "timestamptz", FieldType.TIMESTAMPTZ, Instant.parse("2024-01-01T00:00:00Z"),
                Instant.MAX.minusSeconds(1), "out of range");
        assertRefusedAsRecordTwo(ds, "tstz_odt_max", "timestamptz", FieldType.TIMESTAMPTZ, Instant.parse("2024-01-01T00:00:00Z"),
                java.time.OffsetDateTime.MAX.minusSeconds(1), "out of range");
        assertRefusedAsRecordTwo(ds, "ts_max", "timestamp", FieldType.TIMESTAMP, java.time.LocalDateTime.of(2024, 1, 1, 0, 0),
                java.time.LocalDateTime.MAX.minusSeconds(1), "out of range");
        assertRefusedAsRecordTwo(ds, "ts_min", "timestamp", FieldType.TIMESTAMP, java.time.LocalDateTime.of(2024, 1, 1, 0, 0),
                java.time.LocalDateTime.MIN.plusSeconds(1), "out of range");
    }

    @Test
    void doubleThatIsNoRealIsRefusedNotInfinityOrZero(DataSource ds) {
        assertRefusedAsRecordTwo(ds, "real_big", "real", FieldType.DOUBLE, 1.5, 1e39, "out of range for type real");
        assertRefusedAsRecordTwo(ds, "real_tiny", "real", FieldType.DOUBLE, 1.5, 1e-50, "out of range for type real");
    }

    @Test
    void decimalBeyondNumericDigitsIsRefusedNotWrapped(DataSource ds) {
        // the binary header's weight and scale are 16 bits: 10^200000 and 10^-20000 do not fit them
        assertRefusedAsRecordTwo(ds, "numeric_weight", "numeric", FieldType.DECIMAL, BigDecimal.ONE,
                new BigDecimal(java.math.BigInteger.ONE, -200_000), "numeric");
        assertRefusedAsRecordTwo(ds, "numeric_scale", "numeric", FieldType.DECIMAL, BigDecimal.ONE,
                new BigDecimal(java.math.BigInteger.ONE, 20_000), "numeric");
    }

    @Test
    void stringWithALoneSurrogateIsRefusedNotReplaced(DataSource ds) {
        assertRefusedAsRecordTwo(ds, "surrogate", "text", FieldType.STRING, "ok \uD83D\uDE00", "a\uD83Db", "UTF8");
    }

    @Test
    void valuesAtTheEdgesOfPostgresRangesAreStoredExactly(DataSource ds) throws Exception {
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("d", FieldType.DATE).add("ts", FieldType.TIMESTAMP)
                .add("r", FieldType.DOUBLE).add("t", FieldType.STRING).build();
        dev.mds.testing.TableFixture.on(ds, "raw.edges").columns("id bigint primary key", "d date", "ts timestamp", "r real",
                "t text").rows();
        MergeLoader.into(ds, "raw.edges").key("id").build().load(RecordBatch.of(schema, List.of(
                Record.of(1L, java.time.LocalDate.of(5874897, 12, 31), java.time.LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000),
                        3.4e38, "pair \uD83D\uDE00"),
                Record.of(2L, java.time.LocalDate.of(-4713, 11, 24), java.time.LocalDateTime.of(-4713, 11, 24, 0, 0), 1e-40, ""))));
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("select d::text, ts::text, r::text, t from raw.edges order by id")) {
            rs.next();
            assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                    .containsExactly("5874897-12-31", "294276-12-31 23:59:59.999999", "3.4e+38", "pair \uD83D\uDE00");
            rs.next();
            assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3)))
                    .containsExactly("4714-11-24 BC", "4714-11-24 00:00:00 BC", "1e-40");
        }
    }
}
