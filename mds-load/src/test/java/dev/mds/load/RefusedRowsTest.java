package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Rows the target refuses only when the MERGE (or a COPY straight into it) writes them: a CHECK over columns the
 * batch does not all carry, a NOT NULL column the batch lacks, a foreign key, another unique or an exclusion
 * constraint, a trigger. The error names the table, the constraint and the key and record number of the refused
 * records, keeps PostgreSQL's error as its cause, and nothing of the batch is written.
 */
@MdsPostgres
class RefusedRowsTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("amount", FieldType.decimal(8, 2)).build();
    static final TableName SRC = TableName.of("app", "orders");
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    /** {@code raw.<table>} with (id, name, amount) and the rows 1 'one' 1.00 and 2 'two' 2.00, plus {@code extra} DDL. */
    static void table(DataSource ds, String table, String... extra) {
        List<String> ddl = new ArrayList<>();
        ddl.add("create schema if not exists raw");
        ddl.add("create table raw." + table + " (id bigint primary key, name text, amount numeric(8,2))");
        ddl.add("insert into raw." + table + " values (1, 'one', 1.00), (2, 'two', 2.00)");
        ddl.addAll(List.of(extra));
        sql(ds, ddl.toArray(String[]::new));
    }

    static RecordBatch batch(Record... records) {
        return RecordBatch.of(SCHEMA, List.of(records));
    }

    static Record r(long id, String name, String amount) {
        return Record.of(id, name, amount == null ? null : new BigDecimal(amount));
    }

    static MergeLoader merge(DataSource ds, String table) {
        return MergeLoader.into(ds, "raw." + table).key("id").build();
    }

    static void assertUntouched(DataSource ds, String table) {
        assertThatTable(ds, "raw." + table).columns("id", "name", "amount").containsExactlyInAnyOrder(row(1, "one", 1),
                row(2, "two", 2));
    }

    /** The load fails with a RefusedRowsException naming these records (number, key) and the constraint. */
    static void assertRefused(ThrowingCallable load, String table, String constraint, Object... numberAndKey) {
        assertThatThrownBy(load).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < numberAndKey.length; i += 2) {
                expected.add("record " + numberAndKey[i] + " (key " + numberAndKey[i + 1] + ")");
            }
            assertThat(e.rows()).as(e.getMessage()).extracting(Object::toString).containsExactlyElementsOf(expected);
            assertThat(e.location().source()).isEqualTo("raw." + table);
            assertThat(e.location().recordNumber()).hasValue(((Number) numberAndKey[0]).longValue());
            assertThat(e.location().key()).hasValue((String) numberAndKey[1]);
            assertThat(e.getMessage()).startsWith("raw." + table + " record " + numberAndKey[0] + " (key " + numberAndKey[1] + ")")
                    .contains(expected.get(0)).contains("nothing of this batch was loaded");
            if (constraint != null) {
                assertThat(e.constraint()).hasValue(constraint);
                assertThat(e.getMessage()).contains("constraint \"" + constraint + "\"");
            }
            assertThat(e.getCause()).isInstanceOf(SQLException.class);
            assertThat(e.getMessage()).contains(e.getCause() instanceof org.postgresql.util.PSQLException p
                    ? p.getServerErrorMessage().getMessage() : "?");
        });
    }

    @Test
    void checkOverAColumnTheBatchLacksNamesTheRecordsItRefuses(DataSource ds) {
        // amount <= credit: the stage cannot carry it (credit is not in the batch), the MERGE checks it
        table(ds, "chk", "alter table raw.chk add column credit numeric default 100",
                "alter table raw.chk add constraint within_credit check (amount <= credit)",
                "update raw.chk set credit = 5 where id = 2");
        assertRefused(() -> merge(ds, "chk").load(batch(r(1, "one", "50"), r(2, "two", "6"), r(3, "three", "99"),
                        r(4, "four", "101"))), "chk", "within_credit", 2, "id=2", 4, "id=4");
        assertUntouched(ds, "chk");
    }

    /**
     * A CHECK over columns the batch carries is checked by the COPY into the stage, which names the record; the
     * message names the target's constraint, as the table's own refusal does. Before, it named the stage's copy of it,
     * "_mds_stage_amount_check", which the table has no constraint of, and which a CHECK named otherwise
     * ("positive_amount") did not even resemble.
     */
    @Test
    void aCheckTheStageCarriesIsNamedAsTheTargetNamesIt(DataSource ds) {
        table(ds, "stage_chk", "alter table raw.stage_chk add constraint \"Positive Amount\" check (amount >= 0)",
                "alter table raw.stage_chk add check (name <> '')");
        assertThatThrownBy(() -> merge(ds, "stage_chk").load(batch(r(3, "three", "3"), r(4, "four", "-4"))))
                .hasMessageStartingWith("raw.stage_chk record 2 (key id=4)")
                .hasMessageContaining("violates check constraint \"Positive Amount\"")
                .hasMessageNotContaining("_mds_stage_");
        assertThatThrownBy(() -> merge(ds, "stage_chk").load(batch(r(3, "", "3"))))
                .hasMessageContaining("violates check constraint \"stage_chk_name_check\"");
        assertUntouched(ds, "stage_chk");
    }

    @Test
    void notNullColumnTheBatchLacksNamesTheInsertedRecords(DataSource ds) {
        table(ds, "nn", "alter table raw.nn add column region text not null default 'eu'",
                "alter table raw.nn alter column region drop default");
        // updates keep their region; the new keys 3 and 5 have none
        assertRefused(() -> merge(ds, "nn").load(batch(r(1, "uno", "1"), r(3, "three", "3"), r(2, "dos", "2"),
                r(5, "five", "5"))), "nn", null, 2, "id=3", 4, "id=5");
        assertThatThrownBy(() -> merge(ds, "nn").load(batch(r(3, "three", "3"))))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> assertThat(e.location().column()).hasValue("region"));
        assertUntouched(ds, "nn");
    }

    @Test
    void foreignKeyNamesTheRecordsWithoutAReferencedRow(DataSource ds) {
        table(ds, "fk", "create table raw.fk_customers (cid bigint primary key)",
                "insert into raw.fk_customers values (10), (20)",
                "alter table raw.fk add column customer bigint", "update raw.fk set customer = 10",
                "alter table raw.fk add constraint fk_customer foreign key (customer) references raw.fk_customers (cid)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("customer", FieldType.LONG).build();
        RecordBatch b = RecordBatch.of(schema, List.of(Record.of(1L, "one", 20L), Record.of(3L, "three", 30L),
                Record.of(4L, "four", null), Record.of(5L, "five", 10L), Record.of(6L, "six", 31L)));
        assertRefused(() -> merge(ds, "fk").load(b), "fk", "fk_customer", 2, "id=3", 5, "id=6");
        assertThatTable(ds, "raw.fk").columns("id", "customer").containsExactlyInAnyOrder(row(1, 10), row(2, 10));
    }

    @Test
    void otherUniqueConstraintNamesTheRecordsHoldingTakenValues(DataSource ds) {
        table(ds, "uq", "alter table raw.uq add constraint uq_name unique (name)");
        // record 2 takes key 2's name; records 3 and 4 share one; record 5 gives key 1 a new name (fine)
        assertRefused(() -> merge(ds, "uq").load(batch(r(7, "seven", "7"), r(8, "two", "8"), r(9, "same", "9"),
                r(10, "same", "10"), r(1, "uno", "1"))), "uq", "uq_name", 2, "id=8", 3, "id=9", 4, "id=10");
        assertUntouched(ds, "uq");
        // a value freed by an update in the same batch is not a conflict: that batch loads
        LoadResult ok = merge(ds, "uq").load(batch(r(1, "eins", "1"), r(3, "one", "3")));
        assertThat(ok.inserted()).isEqualTo(1);
    }

    @Test
    void swappedUniqueValuesNameBothRecords(DataSource ds) {
        // PostgreSQL checks the unique index row by row: swapping two names fails though the end state is fine, and
        // each record alone fails against the other's row
        table(ds, "swap", "alter table raw.swap add constraint swap_name unique (name)");
        assertRefused(() -> merge(ds, "swap").load(batch(r(1, "two", "1"), r(2, "one", "2"))), "swap", "swap_name",
                1, "id=1", 2, "id=2");
        assertUntouched(ds, "swap");
    }

    @Test
    void recordsThatFailOnlyTogetherAreReportedAsSuch(DataSource ds) {
        // a trigger allows at most two big amounts in the table: any two of the three load, all three do not
        table(ds, "together", "create function raw.together_f() returns trigger language plpgsql as $$ begin"
                        + " if (select count(*) from raw.together where amount > 100) > 2 then raise exception 'too many big';"
                        + " end if; return new; end $$",
                "create trigger limit_big after insert or update on raw.together for each row execute function raw.together_f()");
        assertThatThrownBy(() -> merge(ds, "together").load(batch(r(3, "a", "101"), r(4, "b", "102"), r(5, "c", "103"))))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> {
                    assertThat(e.together()).as(e.getMessage()).isTrue();
                    assertThat(e.rows()).extracting(Object::toString).containsExactly("record 1 (key id=3)",
                            "record 2 (key id=4)", "record 3 (key id=5)");
                    assertThat(e.getMessage()).contains("together", "too many big");
                });
        assertUntouched(ds, "together");
    }

    @Test
    void exclusionConstraintNamesTheOverlappingRecords(DataSource ds) {
        table(ds, "excl", "alter table raw.excl add column during tstzrange",
                "update raw.excl set during = tstzrange('2026-01-01', '2026-01-02') where id = 1",
                "alter table raw.excl add constraint no_overlap exclude using gist (during with &&)");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("during", FieldType.STRING).build();
        RecordBatch b = RecordBatch.of(schema, List.of(Record.of(3L, "[2026-02-01,2026-02-02)"),
                Record.of(4L, "[2026-01-01 12:00,2026-01-03)"), Record.of(5L, "[2026-03-01,2026-03-02)")));
        assertRefused(() -> merge(ds, "excl").load(b), "excl", "no_overlap", 2, "id=4");
        assertUntouched(ds, "excl");
    }

    @Test
    void triggerRaisingAnErrorIsFoundByBisection(DataSource ds) {
        table(ds, "trg", "create function raw.trg_f() returns trigger language plpgsql as $$ begin"
                        + " if new.name like 'bad%' then raise exception 'no bad names: %', new.name; end if; return new; end $$",
                "create trigger refuse before insert or update on raw.trg for each row execute function raw.trg_f()");
        List<Record> records = new ArrayList<>();
        for (long i = 1; i <= 1000; i++) {
            records.add(r(i + 10, i == 377 || i == 901 ? "bad " + i : "fine " + i, "1"));
        }
        assertThatThrownBy(() -> merge(ds, "trg").load(RecordBatch.of(SCHEMA, records)))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> {
                    assertThat(e.rows()).extracting(Object::toString).containsExactly("record 377 (key id=387)",
                            "record 901 (key id=911)");
                    assertThat(e.constraint()).isEmpty();
                    assertThat(e.getMessage()).contains("no bad names");
                });
        assertUntouched(ds, "trg");
    }

    @Test
    void duplicatesOfAKeyNameTheSurvivingRecord(DataSource ds) {
        // dedupe: record 3 replaces record 1 of key 5 and is the one the CHECK refuses
        table(ds, "dedupe", "alter table raw.dedupe add column credit numeric default 100",
                "alter table raw.dedupe add constraint within_credit check (amount <= credit)");
        assertRefused(() -> merge(ds, "dedupe").load(batch(r(5, "ok", "1"), r(6, "six", "6"), r(5, "too much", "500"))),
                "dedupe", "within_credit", 3, "id=5");
        assertUntouched(ds, "dedupe");
    }

    @Test
    void cdcApplyNamesTheEventsTheTableRefuses(DataSource ds) {
        // in CDC the stage carries no CHECK and no NOT NULL (deletes stage NULLs): the MERGE checks them
        table(ds, "cdc", "alter table raw.cdc add constraint positive check (amount > 0)",
                "alter table raw.cdc alter column name set not null");
        MergeLoader cdc = MergeLoader.into(ds, "raw.cdc").mode(SyncMode.CDC).build();
        cdc.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.read(SRC, Record.of(1L), r(1, "one", "1.00"), new EventPosition(0, 1), T),
                ChangeEvent.read(SRC, Record.of(2L), r(2, "two", "2.00"), new EventPosition(0, 1), T)), Optional.empty()));
        ChangeBatch bad = new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(SRC, Record.of(1L), r(1, "one", "5.00"), new EventPosition(2, 1), T),
                ChangeEvent.create(SRC, Record.of(3L), r(3, "three", "-3.00"), new EventPosition(2, 2), T),
                ChangeEvent.delete(SRC, Record.of(2L), new EventPosition(2, 3), T),
                ChangeEvent.update(SRC, Record.of(1L), r(1, "one", "0"), new EventPosition(2, 4), T)), Optional.empty());
        assertRefused(() -> cdc.load(bad), "cdc", "positive", 2, "id=3", 4, "id=1");
        ChangeBatch noName = new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(4L), r(4, null, "4.00"), new EventPosition(3, 1), T)), Optional.empty());
        assertRefused(() -> cdc.load(noName), "cdc", null, 1, "id=4");
        assertUntouched(ds, "cdc");
    }

    @Test
    void cdcDeleteOfARowAnotherTableReferencesNamesTheDeleteEvent(DataSource ds) {
        table(ds, "cdc_parent", "create table raw.cdc_child (cid bigint primary key, parent bigint constraint child_parent"
                + " references raw.cdc_parent (id))", "insert into raw.cdc_child values (100, 2)");
        MergeLoader cdc = MergeLoader.into(ds, "raw.cdc_parent").mode(SyncMode.CDC).build();
        ChangeBatch deletes = new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(SRC, Record.of(1L), r(1, "uno", "1.00"), new EventPosition(2, 1), T),
                ChangeEvent.delete(SRC, Record.of(1L), new EventPosition(2, 2), T),
                ChangeEvent.delete(SRC, Record.of(2L), new EventPosition(2, 3), T)), Optional.empty());
        assertThatThrownBy(() -> cdc.load(deletes)).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            assertThat(e.rows()).extracting(Object::toString).containsExactly("record 3 (key id=2)");
            assertThat(e.constraint()).hasValue("child_parent");
            assertThat(e.getMessage()).startsWith("raw.cdc_parent record 3 (key id=2)").contains("when the DELETE removed them");
        });
        assertUntouched(ds, "cdc_parent");
        assertThat(strings(ds, "select to_regclass('raw.cdc_parent_mds_tombstones') is null")).containsExactly("t");
    }

    @Test
    void deadLetterSetsTheRefusedRecordsAsideAndLoadsTheRest(DataSource ds) {
        table(ds, "dl", "alter table raw.dl add constraint dl_name unique (name)",
                "create function raw.dl_f() returns trigger language plpgsql as $$ begin"
                        + " if new.name = 'bad' then raise exception 'no bad names'; end if; return new; end $$",
                "create trigger refuse before insert or update on raw.dl for each row execute function raw.dl_f()");
        MergeLoader loader = MergeLoader.into(ds, "raw.dl").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(batch(r(1, "uno", "1"), r(3, "two", "3"), r(4, "bad", "4"), r(5, "five", "5"),
                r(2, "two", "2")));
        assertThat(r.rejected()).as(r.toString()).isEqualTo(2);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(r.unchanged()).isEqualTo(1);
        assertThatTable(ds, "raw.dl").columns("id", "name").containsExactlyInAnyOrder(row(1, "uno"), row(2, "two"),
                row(5, "five"));
        assertThat(strings(ds, "select record_number || ' ' || key || ' ' || (reason like '%table refused it%') from raw.dl_rejected"
                + " order by record_number")).containsExactly("2 id=3 true", "3 id=4 true");
    }

    /** {@code raw.<table>} (id, name, customer) with a foreign key to {@code raw.<table>_c} holding 10 and 20. */
    static void withForeignKey(DataSource ds, String table) {
        sql(ds, "create schema if not exists raw", "create table raw." + table + "_c (cid bigint primary key)",
                "insert into raw." + table + "_c values (10), (20)",
                "create table raw." + table + " (id bigint primary key, name text, customer bigint constraint " + table
                        + "_fk references raw." + table + "_c (cid))");
    }

    static final Schema FK_SCHEMA = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
            .add("customer", FieldType.LONG).build();

    static RecordBatch fkBatch() {
        return RecordBatch.of(FK_SCHEMA, List.of(Record.of(1L, "one", 10L), Record.of(2L, "two", 99L),
                Record.of(3L, "three", 20L), Record.of(4L, "four", 98L)));
    }

    @Test
    void foreignKeyOfACopyStraightIntoTheTableNamesTheRecordsInEveryCopyMode(DataSource ds) {
        // a COPY checks foreign keys after its last row, naming no line: merge into an empty table, append, overwrite
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND, SyncMode.OVERWRITE)) {
            String table = "fk_" + mode.name().toLowerCase();
            withForeignKey(ds, table);
            if (mode == SyncMode.OVERWRITE) {
                sql(ds, "insert into raw." + table + " values (7, 'old', 10)");
            }
            MergeLoader loader = MergeLoader.into(ds, "raw." + table).mode(mode).key("id").build();
            assertRefused(() -> loader.load(fkBatch()), table, table + "_fk", 2, "id=2", 4, "id=4");
            assertThat(strings(ds, "select id from raw." + table)).as(mode.name())
                    .isEqualTo(mode == SyncMode.OVERWRITE ? List.of("7") : List.of());
        }
    }

    @Test
    void appendWithoutKeyNamesTheRecordNumbers(DataSource ds) {
        withForeignKey(ds, "fk_nokey");
        MergeLoader loader = MergeLoader.into(ds, "raw.fk_nokey").mode(SyncMode.APPEND).build();
        assertThatThrownBy(() -> loader.load(fkBatch())).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            assertThat(e.rows()).extracting(Object::toString).containsExactly("record 2", "record 4");
            assertThat(e.getMessage()).startsWith("raw.fk_nokey record 2: the table refused 2 record(s)");
        });
        assertThatTable(ds, "raw.fk_nokey").isEmpty();
    }

    @Test
    void afterTriggerRefusingACopyIsFoundByBisection(DataSource ds) {
        table(ds, "after_trg", "create function raw.after_trg_f() returns trigger language plpgsql as $$ begin"
                        + " if new.amount < 0 then raise exception 'negative amount for %', new.id; end if; return null; end $$",
                "create trigger refuse after insert on raw.after_trg for each row execute function raw.after_trg_f()");
        MergeLoader loader = MergeLoader.into(ds, "raw.after_trg").mode(SyncMode.APPEND).key("id").build();
        assertRefused(() -> loader.load(batch(r(3, "three", "3"), r(4, "four", "-4"), r(5, "five", "5"))), "after_trg", null,
                2, "id=4");
        assertUntouched(ds, "after_trg");
    }

    @Test
    void cdcSnapshotIntoAnEmptyTableNamesTheEventsWithoutAReferencedRow(DataSource ds) {
        withForeignKey(ds, "fk_cdc");
        MergeLoader cdc = MergeLoader.into(ds, "raw.fk_cdc").mode(SyncMode.CDC).build();
        List<ChangeEvent> events = new ArrayList<>();
        for (Record rec : fkBatch().records()) {
            events.add(ChangeEvent.read(SRC, Record.of(rec.get(0)), rec, new EventPosition(0, 1), T));
        }
        assertRefused(() -> cdc.load(new ChangeBatch(SRC, FK_SCHEMA, List.of("id"), events, Optional.empty())), "fk_cdc",
                "fk_cdc_fk", 2, "id=2", 4, "id=4");
        assertThatTable(ds, "raw.fk_cdc").isEmpty();
    }

    @Test
    void deadLetterSetsAsideTheRecordsACopyStraightIntoTheTableWasRefusedFor(DataSource ds) {
        withForeignKey(ds, "fk_dead");
        MergeLoader loader = MergeLoader.into(ds, "raw.fk_dead").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(fkBatch());
        assertThat(r.rejected()).isEqualTo(2);
        assertThat(r.inserted()).isEqualTo(2);
        assertThatTable(ds, "raw.fk_dead").columns("id", "customer").containsExactlyInAnyOrder(row(1, 10), row(3, 20));
        assertThat(strings(ds, "select record_number || ' ' || (reason like '%foreign key%') from raw.fk_dead_rejected"
                + " order by 1")).containsExactly("2 true", "4 true");
    }

    @Test
    void valueTooLongForItsVarcharIsRefusedWithItsRecordWhenStagedInMergeAndCdc(DataSource ds) {
        // the stage carries the target's types: the cast happens in the COPY, which names the line, not in the MERGE
        table(ds, "short", "alter table raw.short alter column name type varchar(5)");
        assertThatThrownBy(() -> merge(ds, "short").load(batch(r(1, "uno", "1"), r(3, "much too long", "3"))))
                .isInstanceOfSatisfying(dev.mds.core.BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().key()).hasValue("id=3");
                    assertThat(e.getMessage()).contains("too long");
                });
        MergeLoader cdc = MergeLoader.into(ds, "raw.short").mode(SyncMode.CDC).build();
        assertThatThrownBy(() -> cdc.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.update(SRC, Record.of(1L), r(1, "uno", "1"), new EventPosition(2, 1), T),
                ChangeEvent.update(SRC, Record.of(2L), r(2, "much too long", "2"), new EventPosition(2, 2), T)), Optional.empty())))
                .isInstanceOfSatisfying(dev.mds.core.BadInputException.class, e -> {
                    assertThat(e.location().recordNumber()).hasValue(2);
                    assertThat(e.location().key()).hasValue("id=2");
                });
        assertUntouched(ds, "short");
    }

    @Test
    void aRowOutsideEveryPartitionIsNamed(DataSource ds) {
        sql(ds, "create schema if not exists raw",
                "create table raw.parts (id bigint primary key, name text, amount numeric(8,2)) partition by range (id)",
                "create table raw.parts_low partition of raw.parts for values from (0) to (100)",
                "insert into raw.parts values (1, 'one', 1.00), (2, 'two', 2.00)");
        assertRefused(() -> merge(ds, "parts").load(batch(r(1, "uno", "1"), r(3, "three", "3"), r(500, "far", "5"))),
                "parts", null, 3, "id=500");
        assertUntouched(ds, "parts");
    }

    @Test
    void atMostTenRefusedRecordsAreNamed(DataSource ds) {
        table(ds, "many", "alter table raw.many add column credit numeric default 10",
                "alter table raw.many add constraint within_credit check (amount <= credit)");
        List<Record> records = new ArrayList<>();
        for (long i = 1; i <= 40; i++) {
            records.add(r(i + 100, "n" + i, i % 2 == 0 ? "50" : "5"));
        }
        assertThatThrownBy(() -> merge(ds, "many").load(RecordBatch.of(SCHEMA, records)))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> {
                    assertThat(e.rows()).hasSize(RefusedRowsException.MAX_ROWS);
                    assertThat(e.rows().get(9).toString()).isEqualTo("record 20 (key id=120)");
                    assertThat(e.getMessage()).contains("and maybe more");
                });
        assertUntouched(ds, "many");
    }

    @Test
    void deadLetterOfARefusedLastDuplicateLoadsTheRecordBeforeItInMergeAndCdc(DataSource ds) {
        table(ds, "dl_dup", "create function raw.dl_dup_f() returns trigger language plpgsql as $$ begin"
                        + " if new.name = 'bad' then raise exception 'no bad names'; end if; return new; end $$",
                "create trigger refuse before insert or update on raw.dl_dup for each row execute function raw.dl_dup_f()");
        MergeLoader loader = MergeLoader.into(ds, "raw.dl_dup").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = loader.load(batch(r(7, "fine", "7"), r(8, "eight", "8"), r(7, "bad", "7")));
        assertThat(r.rejected()).as(r.toString()).isEqualTo(1);
        assertThat(r.inserted()).isEqualTo(2);
        MergeLoader cdc = MergeLoader.into(ds, "raw.dl_dup").mode(SyncMode.CDC).onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult rc = cdc.load(new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(
                ChangeEvent.create(SRC, Record.of(9L), r(9, "nine", "9"), new EventPosition(5, 1), T),
                ChangeEvent.update(SRC, Record.of(9L), r(9, "bad", "9"), new EventPosition(5, 2), T)), Optional.empty()));
        assertThat(rc.rejected()).as(rc.toString()).isEqualTo(1);
        assertThat(rc.inserted()).isEqualTo(1);
        assertThatTable(ds, "raw.dl_dup").columns("id", "name").containsExactlyInAnyOrder(row(1, "one"), row(2, "two"),
                row(7, "fine"), row(8, "eight"), row(9, "nine"));
        assertThat(strings(ds, "select record_number || ' ' || key from raw.dl_dup_rejected order by rejected_at, 1"))
                .containsExactly("3 id=7", "2 id=9");
    }

    @Test
    void deferredForeignKeyRefusedAtCommitNamesTheRecords(DataSource ds) {
        // checked only at commit: the load is run again, rolled back, with the constraint immediate to name them
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            String table = "fk_deferred_" + mode.name().toLowerCase();
            withForeignKey(ds, table);
            sql(ds, "alter table raw." + table + " alter constraint " + table + "_fk deferrable initially deferred",
                    "insert into raw." + table + " values (9, 'nine', 10)");
            MergeLoader loader = MergeLoader.into(ds, "raw." + table).mode(mode).key("id").build();
            assertRefused(() -> loader.load(fkBatch()), table, table + "_fk", 2, "id=2", 4, "id=4");
            assertThatThrownBy(() -> loader.load(fkBatch())).satisfies(e -> assertThat(e.getSuppressed())
                    .anySatisfy(s -> assertThat(s).hasMessageContaining("violates foreign key constraint")));
            assertThat(strings(ds, "select id from raw." + table)).as(mode.name()).containsExactly("9");
        }
    }

    @Test
    void deadLetterSetsAsideTheRecordsADeferredConstraintRefusesAtCommit(DataSource ds) throws Exception {
        // before, the commit's error failed the whole batch ('violates foreign key constraint', no record named), as
        // under FAIL: the rerun with the constraint immediate set the records aside and was then rolled back
        for (SyncMode mode : List.of(SyncMode.MERGE, SyncMode.APPEND)) {
            String table = "fk_deferred_dl_" + mode.name().toLowerCase();
            withForeignKey(ds, table);
            sql(ds, "alter table raw." + table + " alter constraint " + table + "_fk deferrable initially deferred",
                    "insert into raw." + table + " values (9, 'nine', 10)");
            MergeLoader loader = MergeLoader.into(ds, "raw." + table).mode(mode).key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
            LoadResult r = loader.load(fkBatch());
            assertThat(r.rejected()).as(mode + " " + r).isEqualTo(2);
            assertThat(r.inserted()).as(mode + " " + r).isEqualTo(2);
            assertThat(strings(ds, "select id from raw." + table + " order by id")).as(mode.name()).containsExactly("1", "3", "9");
            assertThat(strings(ds, "select key from raw." + table + "_rejected order by record_number")).containsExactly("id=2", "id=4");
            // a connection in auto-commit mode: the load owns its transaction there too
            try (java.sql.Connection c = ds.getConnection()) {
                r = loader.load(RecordBatch.of(FK_SCHEMA, List.of(Record.of(5L, "five", 10L), Record.of(6L, "six", 97L))), c);
            }
            assertThat(r.rejected()).as(mode + " " + r).isEqualTo(1);
            assertThat(strings(ds, "select id from raw." + table + " order by id")).as(mode.name()).containsExactly("1", "3", "5", "9");
        }
    }

    @Test
    void skipDropsTheRecordsADeferredConstraintRefusesAtCommit(DataSource ds) {
        String table = "fk_deferred_skip";
        withForeignKey(ds, table);
        sql(ds, "alter table raw." + table + " alter constraint " + table + "_fk deferrable initially deferred");
        LoadResult r = MergeLoader.into(ds, "raw." + table).key("id").onBadRow(OnBadRow.SKIP).build().load(fkBatch());
        assertThat(r.rejected()).as(r.toString()).isEqualTo(2);
        assertThat(r.inserted()).as(r.toString()).isEqualTo(2);
        assertThat(strings(ds, "select id from raw." + table + " order by id")).containsExactly("1", "3");
        assertThat(strings(ds, "select to_regclass('raw." + table + "_rejected') is null")).containsExactly("t");
    }

    @Test
    void aCallersTransactionIsBackBeforeTheRefusedMergeWithItsJoinSettings(DataSource ds) throws Exception {
        // a small batch into a big table runs with hash and merge joins off (set for the MERGE only): a refused
        // MERGE is undone to its savepoint, which also undoes those settings. The failed load leaves the caller's
        // transaction failed (it must not commit what the load wrote first), so the caller rolls back to a savepoint
        // of its own set before the load, and goes on with its settings as they were
        table(ds, "joined", "insert into raw.joined select i, 'n' || i, 1 from generate_series(3, 5000) i",
                "alter table raw.joined add constraint positive check (amount > 0)",
                "alter table raw.joined add column credit numeric default 10",
                "alter table raw.joined add constraint within_credit check (amount <= credit)");
        try (java.sql.Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            java.sql.Savepoint before = c.setSavepoint();
            assertRefused(() -> merge(ds, "joined").load(batch(r(1, "one", "50")), c), "joined", "within_credit", 1, "id=1");
            assertThatThrownBy(() -> c.createStatement().executeQuery("select 1"))
                    .hasMessageContaining("current transaction is aborted");
            c.rollback(before);
            try (java.sql.Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("select current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")) {
                rs.next();
                assertThat(List.of(rs.getString(1), rs.getString(2))).containsExactly("on", "on");
            }
            c.rollback();
        }
        assertThat(strings(ds, "select name from raw.joined where id = 1")).containsExactly("one");
    }

    @Test
    void cdcApplyNamesEventsRefusedByAForeignKeyAUniqueConstraintOrATrigger(DataSource ds) {
        table(ds, "cdc_kinds", "create table raw.cdc_kinds_c (cid bigint primary key)", "insert into raw.cdc_kinds_c values (10)",
                "alter table raw.cdc_kinds add column customer bigint constraint cdc_kinds_fk references raw.cdc_kinds_c (cid)",
                "alter table raw.cdc_kinds add constraint cdc_kinds_name unique (name)",
                "create function raw.cdc_kinds_f() returns trigger language plpgsql as $$ begin"
                        + " if new.name = 'bad' then raise exception 'no bad names'; end if; return new; end $$",
                "create trigger refuse before insert or update on raw.cdc_kinds for each row execute function raw.cdc_kinds_f()");
        Schema schema = Schema.builder().required("id", FieldType.LONG).add("name", FieldType.STRING)
                .add("customer", FieldType.LONG).build();
        MergeLoader cdc = MergeLoader.into(ds, "raw.cdc_kinds").mode(SyncMode.CDC).build();
        List<Object[]> cases = List.of(
                new Object[] {Record.of(3L, "three", 99L), "cdc_kinds_fk"},
                new Object[] {Record.of(3L, "two", 10L), "cdc_kinds_name"},
                new Object[] {Record.of(3L, "bad", 10L), null});
        for (Object[] c : cases) {
            ChangeBatch b = new ChangeBatch(SRC, schema, List.of("id"), List.of(
                    ChangeEvent.update(SRC, Record.of(1L), Record.of(1L, "uno", 10L), new EventPosition(2, 1), T),
                    ChangeEvent.create(SRC, Record.of(3L), (Record) c[0], new EventPosition(2, 2), T)), Optional.empty());
            assertRefused(() -> cdc.load(b), "cdc_kinds", (String) c[1], 2, "id=3");
            assertUntouched(ds, "cdc_kinds");
        }
    }

    @Test
    void appendAndOverwriteNameRowsTheCopyRefusesWithTheirLine(DataSource ds) {
        // a CHECK, a unique or an exclusion constraint refuses a row of a COPY as it comes: the COPY names its line
        for (SyncMode mode : List.of(SyncMode.APPEND, SyncMode.OVERWRITE)) {
            String table = "copy_kinds_" + mode.name().toLowerCase();
            table(ds, table, "alter table raw." + table + " add constraint " + table + "_positive check (amount > 0)",
                    "alter table raw." + table + " add constraint " + table + "_name unique (name)");
            MergeLoader loader = MergeLoader.into(ds, "raw." + table).mode(mode).key("id").build();
            for (Record bad : List.of(r(4, "four", "-1"), r(4, "three", "4"))) {
                assertThatThrownBy(() -> loader.load(batch(r(3, "three", "3"), bad, r(5, "five", "5"))))
                        .isInstanceOfSatisfying(dev.mds.core.BadInputException.class, e -> {
                            assertThat(e.location().recordNumber()).as(e.getMessage()).hasValue(2);
                            assertThat(e.location().key()).hasValue("id=4");
                        });
                assertUntouched(ds, table);
            }
        }
    }

    @Test
    void aValueTooLargeForAnIndexOfTheTableIsARefusedRowOfTheMerge(DataSource ds) {
        // a long text in an indexed column: PostgreSQL refuses the row when the MERGE writes its index entry
        // ('index row requires 20016 bytes, maximum size is 8191', SQLSTATE 54000, not a constraint's class 23); a
        // COPY names its line, the MERGE named nothing, and DEAD_LETTER could not set the row aside
        java.util.Random random = new java.util.Random(7);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append((char) ('a' + random.nextInt(26)));   // incompressible: too big for the index entry
        }
        String huge = text.toString();
        table(ds, "huge_name", "create index huge_name_name on raw.huge_name (name)");
        assertRefused(() -> merge(ds, "huge_name").load(batch(r(3, "three", "3"), r(2, huge, "2"), r(4, "four", "4"))),
                "huge_name", null, 2, "id=2");
        assertUntouched(ds, "huge_name");
        LoadResult r = MergeLoader.into(ds, "raw.huge_name").key("id").onBadRow(OnBadRow.DEAD_LETTER).build()
                .load(batch(r(3, "three", "3"), r(2, huge, "2"), r(4, "four", "4")));
        assertThat(r.rejected()).isEqualTo(1);
        assertThatTable(ds, "raw.huge_name").columns("id", "name").containsExactlyInAnyOrder(row(1, "one"), row(2, "two"),
                row(3, "three"), row(4, "four"));
        assertThat(strings(ds, "select record_number || ' ' || key || ' ' || (reason like '%index row requires%')"
                + " from raw.huge_name_rejected")).containsExactly("2 id=2 true");
    }

    @Test
    void successfulLoadsPlanAndCountAsBefore(DataSource ds) {
        table(ds, "ok", "alter table raw.ok add constraint positive check (amount > 0)");
        MergeLoader loader = merge(ds, "ok");
        List<String> plan = loader.sql(SCHEMA);
        assertThat(String.join("\n", plan)).doesNotContain("_mds_apply", "_mds_written", "_mds_numbers");
        LoadResult r = loader.load(batch(r(1, "uno", "1"), r(2, "two", "2"), r(3, "three", "3")));
        assertThat(List.of(r.inserted(), r.updated(), r.unchanged())).containsExactly(1L, 1L, 1L);
    }
}
